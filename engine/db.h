/*
 * db.h — the grove_db handle, shared by the files of engine/ and by the
 * layer below it in the table (replay/).  Private to the library.
 */
#ifndef GROVE_ENGINE_DB_H
#define GROVE_ENGINE_DB_H

#include <pthread.h>
#include <sys/types.h>
#include <stdatomic.h>

#include "engine/sequencer.h"
#include "grove.h"
#include "index/views.h"
#include "lang/catalog.h"
#include "log/log.h"

#define GROVE_FORMAT_NAME    "GROVE"

struct branch_lock;
struct chg_cached;
struct feed_chain;
struct prepared_cache;
struct schema_hist;

struct grove_db {
	uint64_t serial;             /* unique per open handle in this process */
	char *dir;
	int lock_fd;                 /* flock()ed LOCK file: one writer process */
	struct log *log;
	struct views *views;
	grove_options opts;
	grove_recovery_report recovery;
	struct lang_catalog *cat;    /* the catalog in force (a schema apply
					swaps it: read with engine_catalog()) */
	struct schema_hist *hist;    /* retired and historical catalogs, kept
					until close (engine/schema_hist.h)  */
	struct prepared_cache *prepared; /* compiled queries, made on first
					use (engine/prepared.h)             */
	struct sequencer seq;
	pthread_mutex_t ns_mu;       /* branch create/delete: the name space   */
	pthread_rwlock_t locks_rw;   /* guards `locks` and its counts          */
	/* One writer per branch (branch_lock.c): entries hashed by name into
	 * DB_LOCK_BUCKETS lists; idle ones are freed when their number
	 * doubles (n_locks reaching locks_sweep_at). */
#define DB_LOCK_BUCKETS 1024u
	struct branch_lock *locks[DB_LOCK_BUCKETS];
	size_t n_locks, locks_sweep_at;
	pthread_mutex_t validators_mu; /* guards `validators`                  */
	struct validator_entry *validators; /* compiled, by type (validators.c) */
	pthread_mutex_t chg_mu;      /* guards chg_cache and chg_clock         */
	/* Candidate lists of commit blocks being paged (chg_cache.c). */
#define DB_CHG_CACHE_SLOTS 2u
	struct chg_cached *chg_cache[DB_CHG_CACHE_SLOTS];
	uint64_t chg_clock;
	pthread_mutex_t feed_mu;     /* guards feed_chains and feed_clock      */
	/* First-parent chains feed polls walked (feed_chain.c). */
#define DB_FEED_CHAINS 4u
	struct feed_chain *feed_chains[DB_FEED_CHAINS];
	uint64_t feed_clock;
	pthread_mutex_t newest_mu;   /* guards `newest`                        */
	struct newest_snap *newest;  /* a writer's next snapshot (newest.c)    */
	/* Handles of this process on this graph share this object (LMDB must
	 * not open one environment twice in a process). */
	unsigned refs;               /* guarded by the registry's mutex        */
	dev_t dev;
	ino_t ino;
	grove_db *next_open;
};

/* Record an error message for `db` in the calling thread and return err.
 * With fmt NULL, the log layer's last message is used. */
int db_error(const grove_db *db, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* After db_error(): name the entity the error concerns. Returns err. */
int db_error_entity(const grove_db *db, int err, const char *type_key, const char *id,
		    size_t id_len);

/* After db_error(): name the resource a GROVE_ELIMIT ran out of. */
int db_error_limit(const grove_db *db, int err, const char *resource, uint64_t limit,
		   uint64_t actual);

/* After db_error(): OmniGraph's typed error where it refines the code's
 * kind (grove_error_info.kind). Returns err. */
int db_error_kind(const grove_db *db, int err, const char *kind);

/* "branch 'x' not found" as GROVE_ENOTFOUND of kind BranchNotFound (a
 * branch a read or write names; engine §1.3). */
int db_error_no_branch(const grove_db *db, const char *name);

/* After db_error(): where in a query's text the error is (1-based). */
int db_error_position(const grove_db *db, int err, uint32_t line, uint32_t column);

/* After db_error() for a .gq text's lang_diag: its position, from the
 * diag's span (a syntax error) or its position in `src` (a type error). */
struct lang_diag;
int db_error_diag_position(const grove_db *db, int err, const struct lang_diag *d, const char *src,
			   size_t len);

/* Translate the public options into the log's. */
void db_log_options(struct log_options *out, const grove_options *opts);

/* "dir/name", malloc'd. */
char *db_path(const char *dir, const char *name);

/* Open the parts of a graph directory (format check, lock, log, views,
 * catalog) without recovering: replay/ recovers, then serves.  `views`
 * false leaves the views closed (db->views NULL): a rebuild replaces
 * them without reading them, however damaged they are. */
/* Refuse options of another version or out of range (GROVE_EINVAL). */
int db_options_check(const grove_options *opts);
int db_open_parts(grove_db **out, const char *dir, const grove_options *opts, bool views);

/* Record in vdir/SESSION, durably, this boot's id and `state`: "open"
 * before the views' first write, "closed" once they are synced, with the
 * log's durable LSN at close (`acked_lsn`, 0: none). */
int db_session_write(const char *vdir, const char *state, uint64_t acked_lsn);
void db_free(grove_db *db);

/* Write DIR/GROVE durably (the last step of init). */
int db_write_format_file(const char *dir);

/* Replace the catalog in force (takes ownership). */
void db_set_catalog(grove_db *db, struct lang_catalog *cat);

/* Begin a read transaction on the views that sees only durable writes
 * (seq_read_fence); errors are reported on the handle. */
int db_read_begin(MDB_txn **txn, grove_db *db);

/* A writer that commits nothing (an error, a no-op) planned on the newest
 * state, which may hold writes still in flight: wait until they are
 * durable before answering from it.  Returns err, or the handle's poison
 * error if they never will be. */
int db_writer_settle(grove_db *db, int err);

/* Serialize writers of one branch (waits); NULL when out of memory. */
struct branch_lock *db_branch_lock(grove_db *db, const char *name);
void db_branch_unlock(grove_db *db, struct branch_lock *l);
/* Run fn(arg, &lsn) as the branch's one writer, combined with concurrent
 * callers (branch_lock.c): one thread runs a queue of them back to back.
 * fn sets lsn to the record it logged (seq_commit_begin), if any; this
 * returns once that record is durable (seq_commit_end).  fn's result is
 * returned, and a failure's message is the caller's grove_errmsg, as if
 * it had run in the calling thread.  When fn logged a record and the
 * calling thread is the one that waits for it, meanwhile(arg) (if not
 * NULL) runs in that thread while the record is synced: work the caller
 * does after fn anyway, moved off the latency path. */
int db_branch_run(grove_db *db, const char *name, int (*fn)(void *arg, uint64_t *lsn),
		  void (*meanwhile)(void *arg), void *arg);
#ifdef GROVE_FAILPOINTS
/* Jobs queued behind the branch's combiner (tests: to order threads). */
size_t db_branch_queued(grove_db *db, const char *name);
/* Wake each combined job on its own futex word from now on, as where
 * futex_waitv is missing (tests: that path). */
void db_branch_wake_each(void);
#endif
void db_branch_locks_free(grove_db *db);
/* Learn, once per process and before any write, how a combiner may wake
 * its batch (branch_lock.c). */
void db_branch_locks_init(void);

/* A thread's last error (grove_errmsg, grove_error_info_get), to carry
 * it to another thread. */
struct db_error_state {
	const grove_db *db;
	char msg[1024];
	grove_error_info info;
};
void db_error_save(struct db_error_state *s);
/* Forget the calling thread's last error (grove_errmsg says "" after). */
void db_error_clear(void);
int db_error_restore(const grove_db *db, int err, const struct db_error_state *s);

#endif
