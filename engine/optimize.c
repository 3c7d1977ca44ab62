/*
 * engine/optimize.c — grove_optimize (engine §7.1).
 *
 * OmniGraph's optimize compacts each table's fragments and publishes the
 * compacted versions as one lineage commit on main, and commits nothing in
 * steady state.  Grove's views need no compaction (LMDB reuses its free
 * pages), so the work an optimize records is the point it marks: the
 * commit says "main as of here is maintained", with no changes (its change
 * block is empty) and no actor.  Work exists when main has moved since its
 * genesis or its last optimize commit; otherwise nothing is written, as in
 * OmniGraph's steady state.
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>

#include "engine/engine.h"
#include "index/apply.h"
#include "log/error.h"

static int optimize_locked(grove_commit *out, grove_db *db)
{
	struct event ev = { .kind = EVENT_OPTIMIZE };
	struct commit_rec head;
	char id[GROVE_COMMIT_ID_BYTES];
	int err = engine_main_head(&head, db);

	/* Work: main moved since genesis or since the last optimize. */
	if (err < 0 || commit_id_is_zero(&head.parent) || head.kind == EVENT_OPTIMIZE)
		return err;
	ev.parent = head.id;
	engine_event_stamp(&ev, MAIN_BRANCH, NULL);   /* maintenance records no actor */
	ev.op_text = event_str("optimize");
	if ((err = seq_commit(db, &ev, 1, NULL, 0, NULL)) < 0)
		return err;
	commit_id_format(id, &ev.commit);
	return (err = grove_commit_show(out, db, id)) < 0 ? err : 1;
}

int grove_optimize(grove_commit *out, grove_db *db)
{
	struct branch_lock *bl;
	int err;

	if (!out || !db)
		return GROVE_EINVAL;
	memset(out, 0, sizeof *out);
	/* As a schema apply: no branch operation and no other writer of main
	 * in between, so the head read is the one the commit follows. */
	pthread_mutex_lock(&db->ns_mu);
	if (!(bl = db_branch_lock(db, MAIN_BRANCH))) {
		pthread_mutex_unlock(&db->ns_mu);
		return db_error(db, -ENOMEM, "out of memory");
	}
	err = optimize_locked(out, db);
	db_branch_unlock(db, bl);
	pthread_mutex_unlock(&db->ns_mu);
	return err;
}
