/*
 * load_run.c — grove_load / grove_load_file: read the records, plan under
 * the branch's lock, log the load as one commit of bounded chunks.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "engine/jsonl.h"
#include "engine/load_feed.h"
#include "engine/jsonw.h"
#include "engine/load.h"
#include "engine/schema_hist.h"
#include "index/apply.h"
#include "log/error.h"

#define LOAD_CHUNK_BYTES (4u << 20)    /* effect bytes per log record */
#define LOAD_PROGRESS_EVERY 65536u
/* Inputs this big are read ahead on a second thread (load_feed.h); a
 * smaller one would spend more on starting the thread than it saves. */
#define LOAD_READ_AHEAD_BYTES (256u << 10)

static int read_records(struct load_plan *p, struct load_feed *r, const grove_load_options *o)
{
	struct jsonl_record rec;
	uint64_t n = 0, bytes = 0;   /* records, and their text's bytes */
	int err;

	while ((err = load_feed_next(&rec, r, &p->verr)) == 0) {
		bytes += rec.bytes;
		err = rec.kind == JSONL_NODE ? load_add_node(p, &rec) : load_add_edge(p, &rec);
		if (err < 0)
			return err;
		if (o->progress && ++n % LOAD_PROGRESS_EVERY == 0)
			o->progress(o->progress_arg, n, bytes);
	}
	if (err != GROVE_ENOTFOUND) {
		/* Lenient messages count records ("record 2: ..."); the line is
		 * where a user looks (strict ones name it already; a lenient
		 * one may hold the word, as jansson's "unexpected newline"). */
		if (!o->strict && p->verr.line)
			db_error(p->db, err, "%s (line %lu)", p->verr.msg, p->verr.line);
		else
			db_error(p->db, err, "%s", p->verr.msg);
		return p->verr.resource[0] ? db_error_limit(p->db, err, p->verr.resource, p->verr.limit,
							     p->verr.actual) : err;
	}
	return load_fix_legacy_ids(p);
}

static const char *const mode_names[] = { "", "overwrite", "append", "merge" };

/* Split the effects into chunk events of at most LOAD_CHUNK_BYTES each. */
static int chunk_events(struct event **out, uint32_t *n, struct load_plan *p, const char *branch,
			const grove_load_options *o, char *summary)
{
	struct event base = { .kind = EVENT_LOAD_CHUNK, .load_mode = (uint8_t)o->mode };
	engine_event_stamp(&base, branch, o->actor);
	base.parent = p->at.head.id;
	struct event last = base;
	snprintf(summary, 96, "load %s: %lu nodes, %lu edges", mode_names[o->mode],
		 (unsigned long)p->nodes, (unsigned long)p->edges);
	last.op_text = event_str(summary);
	last.id_hints = &p->hints;   /* the apply's, of the commit's last event */
	size_t chunk_bytes = engine_chunk_bytes(p->db, LOAD_CHUNK_BYTES);
	int err = engine_chunk_events(out, n, &base, &last, p->fx, p->nfx, chunk_bytes);
	if (err < 0)
		return db_error(p->db, err, "out of memory");
	/* A load applied in parts tells a replay the size of its id table
	 * (event.h: the apply caches these, and nothing else). */
	if (p->nfx > views_apply_part())
		(*out)[0].id_count = views_cached_ids(p->fx, (uint32_t)p->nfx) + p->hints.n;
	return 0;
}

/* One list of the report: the types of `kind` the input has rows of. */
static void report_types(struct jsonw *w, const struct load_plan *p, const struct lang_cat_type *ts,
			 uint32_t n)
{
	jsonw_array_begin(w);
	for (uint32_t i = 0; i < n; i++) {
		uint32_t id = ts[i].id;
		if (!p->present[id] && !p->loaded[id])
			continue;
		jsonw_object_begin(w);
		jsonw_key_cstr(w, "name");
		jsonw_cstr(w, ts[i].name);
		jsonw_key_cstr(w, "entities_loaded");
		jsonw_uint(w, p->loaded[id]);
		jsonw_object_end(w);
	}
	jsonw_array_end(w);
}

/* OmniGraph's IngestOutput (engine §9.3) for a load that committed. */
static int report(grove_load_result *out, grove_db *db, const struct load_plan *p,
		  const grove_load_options *o, const char *branch, const char *from)
{
	struct jsonw w;
	jsonw_init(&w, 0);
	jsonw_object_begin(&w);
	jsonw_key_cstr(&w, "branch");
	jsonw_cstr(&w, branch);
	jsonw_key_cstr(&w, "base_branch");
	from ? jsonw_cstr(&w, from) : jsonw_null(&w);
	jsonw_key_cstr(&w, "branch_created");
	jsonw_bool(&w, out->branch_created);
	jsonw_key_cstr(&w, "mode");
	jsonw_cstr(&w, mode_names[o->mode]);
	jsonw_key_cstr(&w, "nodes");
	report_types(&w, p, db->cat->nodes, db->cat->n_nodes);
	jsonw_key_cstr(&w, "edges");
	report_types(&w, p, db->cat->edges, db->cat->n_edges);
	jsonw_key_cstr(&w, "total_entities");
	jsonw_uint(&w, p->nodes + p->edges);
	jsonw_key_cstr(&w, "actor_id");
	o->actor && *o->actor ? jsonw_cstr(&w, o->actor) : jsonw_null(&w);
	jsonw_key_cstr(&w, "commit");   /* OmniGraph's CommitOutput */
	engine_commit_json(&w, &out->commit);
	jsonw_object_end(&w);
	int err = jsonw_error(&w);
	if (err < 0) {
		jsonw_fini(&w);
		return db_error(db, err, "out of memory");
	}
	out->report_json = w.buf;
	return 0;
}

/* The load will be applied in parts: its id table is worth making ahead. */
static bool asks_ahead(const struct load_plan *p)
{
	return p->nitems > views_apply_part();
}

/* load_finish(), while the id table a big load's apply will want is
 * faulted in on another thread (index/apply.h): the checks run on one
 * core, and the apply's first lookups would otherwise fault it in with
 * the writer waiting (a 3M-row load: ~0.5 s).  Asked for the rows first,
 * then for the endpoints the checks found on the branch as well. */
static int finish(struct load_plan *p)
{
	/* The effects are made at its end: ask for the rows whose ids the
	 * apply will cache (not fresh edges'). */
	size_t rows = 0;
	bool big = asks_ahead(p);
	for (size_t i = 0; big && i < p->nitems; i++)
		rows += !load_fresh_edge(p, &p->items[i]);
	if (big)
		views_prepare_ids(p->db->views, rows);
	int err = load_finish(p);
	size_t ids = big && err == 0 ? views_cached_ids(p->fx, (uint32_t)p->nfx) + p->hints.n : 0;
	if (ids > rows)
		views_prepare_ids(p->db->views, ids);
	return err;
}

static int plan_and_commit(grove_load_result *out, grove_db *db, const grove_load_options *o,
			   const char *branch, const char *from, struct load_feed *r)
{
	grove_target t = { branch, NULL };
	struct load_plan p;
	struct event *ev = NULL;
	uint32_t nev = 0;
	char summary[96];
	int err;

	if ((err = load_plan_init(&p, db, o->mode, o->strict)) < 0)
		return err;
	if (o->report && !(p.loaded = calloc(db->cat->next_type_id + 1, sizeof *p.loaded)))
		err = db_error(db, -ENOMEM, "out of memory");
	if (!err && (err = read_at_open_newest(&p.at, db, &t)) == 0 && (err = read_records(&p, r, o)) == 0 &&
	    (err = finish(&p)) == 0 && (err = chunk_events(&ev, &nev, &p, branch, o, summary)) == 0) {
		/* The plan read the branch at p.at; under the branch lock nothing
		 * else can have changed it.  Release the read before logging. */
		read_at_close(&p.at);
		err = seq_commit(db, ev, nev, p.fx, (uint32_t)p.nfx, NULL);
	}
	if (!err) {
		out->nodes = p.nodes;
		out->edges = p.edges;
		char id[COMMIT_ID_TEXT_BYTES];
		commit_id_format(id, &ev[0].commit);
		err = grove_commit_show(&out->commit, db, id);
		if (!err && o->report)
			err = report(out, db, &p, o, branch, from);
	}
	/* A table the apply did not take (the load failed, or needed a
	 * bigger one after all) is not kept. */
	if (asks_ahead(&p))
		views_prepare_ids(db->views, 0);
	free(ev);
	load_plan_free(&p);
	return err;
}

static int run(grove_load_result *out, grove_db *db, const grove_load_options *o,
	       struct load_feed *r)
{
	char branch_buf[BRANCH_NAME_MAX + 1], from_buf[BRANCH_NAME_MAX + 1];
	const char *branch = o->branch ? branch_name_trim(branch_buf, o->branch) : MAIN_BRANCH;
	const char *from = branch_name_trim(from_buf, o->from);
	struct branch_lock *bl;
	grove_commit head;
	int err;

	memset(out, 0, sizeof *out);
	if (from && !*from)   /* refused whether or not the branch exists */
		return db_error(db, GROVE_EINVAL, "branch name cannot be empty");
	if (o->mode < GROVE_LOAD_OVERWRITE || o->mode > GROVE_LOAD_MERGE)
		return db_error(db, GROVE_EINVAL, "load mode must be overwrite, append or merge");
	if ((err = branch_name_check(db, branch, "load")) < 0 || (err = engine_actor_check(db, o->actor)) < 0)
		return err;
	/* With `from`, a missing branch is created first (engine §9 load);
	 * an existing one is loaded into as it is. */
	if (from && (err = grove_branch_head(&head, db, branch)) == GROVE_ENOTFOUND) {
		err = grove_branch_create(db, branch, from, o->actor);
		/* Created meanwhile by another writer: it exists, as wanted. */
		if (err == GROVE_ECONFLICT && grove_branch_head(&head, db, branch) == 0)
			err = 0;
		else if (err == 0)
			out->branch_created = 1;
		if (err < 0)
			return err;
	} else if (from && err < 0) {
		return err;
	}
	if (!(bl = db_branch_lock(db, branch)))
		return db_error(db, -ENOMEM, "out of memory");
	err = plan_and_commit(out, db, o, branch, from, r);
	db_branch_unlock(db, bl);
	return err < 0 ? db_writer_settle(db, err) : err;
}

/* run() on the records of r, read ahead on a second thread if `ahead`. */
static int run_fed(grove_load_result *out, grove_db *db, const grove_load_options *o,
		   struct jsonl_reader *r, bool ahead)
{
	struct load_feed *f;
	if (load_feed_open(&f, r, ahead) < 0)
		return db_error(db, -ENOMEM, "out of memory");
	int err = run(out, db, o, f);
	load_feed_close(f);
	return err;
}

int grove_load(grove_load_result *out, grove_db *db, const grove_load_options *opts,
	       const char *jsonl, size_t len)
{
	struct jsonl_options jo = JSONL_OPTIONS_INIT;
	struct jsonl_reader *r;
	int err;

	jo.strict = opts->strict;
	jo.plain_rows = 1;   /* no JSON tree for plain records (jsonl_plain.h) */
	if ((err = jsonl_reader_open_buffer(&r, engine_catalog(db), jsonl, len, &jo)) < 0)
		return db_error(db, err, "cannot read the load input");
	err = run_fed(out, db, opts, r, len >= LOAD_READ_AHEAD_BYTES);
	jsonl_reader_close(r);
	return err;
}

int grove_load_file(grove_load_result *out, grove_db *db, const grove_load_options *opts,
		    const char *path)
{
	struct jsonl_options jo = JSONL_OPTIONS_INIT;
	struct jsonl_reader *r;
	FILE *f = fopen(path, "rb");
	int err;

	if (!f)
		return db_error(db, -errno, "cannot open %s: %s", path, strerror(errno));
	jo.strict = opts->strict;
	jo.plain_rows = 1;   /* no JSON tree for plain records (jsonl_plain.h) */
	if ((err = jsonl_reader_open_file(&r, engine_catalog(db), f, &jo)) < 0) {
		fclose(f);
		return db_error(db, err, "cannot read %s", path);
	}
	struct stat st;
	err = run_fed(out, db, opts, r,
		      fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode) &&
			      st.st_size >= LOAD_READ_AHEAD_BYTES);
	jsonl_reader_close(r);
	fclose(f);
	return err;
}
