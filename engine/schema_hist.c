/*
 * schema_hist.c — the catalogs of the past and the retired ones (see
 * schema_hist.h).
 *
 * A historical catalog is cached under (since, generation): `since` is the
 * LSN it took force, `generation` the newest LSN of the views' history in
 * the reader's snapshot.  The history only changes when a schema apply
 * adds to it — which is also the only time a hard drop can make an old
 * type unreachable — so the pair names exactly one filtered catalog, and
 * readers on snapshots before and after an apply never share an entry
 * they should not.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/schema_hist.h"
#include "index/schemas.h"
#include "log/error.h"

/* What a hard drop took from a catalog, of types that held rows: the
 * first one's words ("node type 'Person'") and its drop's LSN; "" when
 * nothing. */
struct reclaimed {
	char what[160];
	uint64_t at;
};

struct hist_entry {
	uint64_t since, gen;
	struct lang_catalog *cat;
	struct hist_entry *next;
	struct reclaimed gone;
};

struct retired {
	struct lang_catalog *cat;
	struct retired *next;
};

struct schema_hist {
	pthread_mutex_t mu;
	struct hist_entry *entries;
	struct retired *retired;
};

int schema_hist_new(struct schema_hist **out)
{
	struct schema_hist *h = calloc(1, sizeof *h);
	if (!h)
		return -ENOMEM;
	pthread_mutex_init(&h->mu, NULL);
	*out = h;
	return 0;
}

void schema_hist_free(struct schema_hist *h)
{
	if (!h)
		return;
	while (h->entries) {
		struct hist_entry *e = h->entries;
		h->entries = e->next;
		lang_catalog_free(e->cat);
		free(e);
	}
	while (h->retired) {
		struct retired *r = h->retired;
		h->retired = r->next;
		lang_catalog_free(r->cat);
		free(r);
	}
	pthread_mutex_destroy(&h->mu);
	free(h);
}

const struct lang_catalog *engine_catalog(const grove_db *db)
{
	return __atomic_load_n(&db->cat, __ATOMIC_ACQUIRE);
}

void engine_catalog_swap(grove_db *db, struct lang_catalog *cat)
{
	struct retired *r = malloc(sizeof *r);
	pthread_mutex_lock(&db->hist->mu);
	if (r) {
		r->cat = db->cat;
		r->next = db->hist->retired;
		db->hist->retired = r;
	}
	/* Out of memory: the old catalog leaks rather than being freed under
	 * a reader (it is small, and this is one allocation). */
	__atomic_store_n(&db->cat, cat, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&db->hist->mu);
}

const struct lang_cat_type *engine_cat_type_by_id(const struct lang_catalog *cat, enum lang_cat_kind kind,
						  uint32_t id)
{
	const struct lang_cat_type *v = kind == LANG_CAT_EDGE ? cat->edges : cat->nodes;
	uint32_t n = kind == LANG_CAT_EDGE ? cat->n_edges : cat->n_nodes;
	for (uint32_t i = 0; i < n; i++)
		if (v[i].id == id)
			return &v[i];
	return NULL;
}

int engine_effects_check(grove_db *db, const struct event_effect *fx, uint32_t n)
{
	const struct lang_catalog *cat = engine_catalog(db);
	for (uint32_t i = 0; i < n; i++) {
		bool edge = fx[i].op == EFFECT_PUT_EDGE || fx[i].op == EFFECT_DELETE_EDGE;
		bool prev_edge = i > 0 && (fx[i - 1].op == EFFECT_PUT_EDGE || fx[i - 1].op == EFFECT_DELETE_EDGE);
		if (i > 0 && fx[i - 1].type_id == fx[i].type_id && prev_edge == edge)
			continue; /* effects come grouped by type: check each run once */
		if (!engine_cat_type_by_id(cat, edge ? LANG_CAT_EDGE : LANG_CAT_NODE, fx[i].type_id))
			return db_error(db, GROVE_ECONFLICT, "the schema changed while this write was planned: "
					"its %s type %u no longer exists; retry the write", edge ? "edge" : "node",
					(unsigned)fx[i].type_id);
	}
	return 0;
}

static void note_gone(struct reclaimed *g, enum lang_cat_kind kind, const struct lang_cat_type *t,
		      uint64_t at)
{
	if (!g->what[0]) {
		snprintf(g->what, sizeof g->what, "%s type '%s'", kind == LANG_CAT_EDGE ? "edge" : "node",
			 t->name);
		g->at = at;
	}
}

/* Remove the types a hard drop after `since` made unreachable (names stay
 * sorted); the first removed goes to *gone. */
static int filter_dropped(struct lang_catalog *cat, MDB_txn *txn, const struct views *v, uint64_t since,
			  struct reclaimed *gone)
{
	uint32_t n = 0;
	int err;
	for (uint32_t i = 0; i < cat->n_nodes; i++) {
		uint64_t at;
		if ((err = schemas_dropped_at(&at, txn, v, cat->nodes[i].id)) < 0)
			return err;
		if (at <= since) {
			cat->nodes[n++] = cat->nodes[i];
		} else {
			if ((err = schemas_reclaimed_at(&at, txn, v, cat->nodes[i].id)) < 0)
				return err;
			if (at > since)
				note_gone(gone, LANG_CAT_NODE, &cat->nodes[i], at);
		}
	}
	cat->n_nodes = n;
	n = 0;
	for (uint32_t i = 0; i < cat->n_edges; i++) {
		struct lang_cat_type *e = &cat->edges[i];
		uint64_t at;
		if ((err = schemas_dropped_at(&at, txn, v, e->id)) < 0)
			return err;
		/* An edge type keeps its past even when an endpoint's was
		 * reclaimed (a hard property drop makes the node type a new
		 * lifetime): its own rows are still there (OmniGraph counts them);
		 * a read that needs the endpoint type finds it missing. */
		if (at <= since)
			cat->edges[n++] = *e;
		else if (at > since && (err = schemas_reclaimed_at(&at, txn, v, e->id)) < 0)
			return err;
		else if (at > since)
			note_gone(gone, LANG_CAT_EDGE, e, at);
	}
	cat->n_edges = n;
	return 0;
}

static struct lang_catalog *cache_find(struct schema_hist *h, uint64_t since, uint64_t gen)
{
	for (struct hist_entry *e = h->entries; e; e = e->next)
		if (e->since == since && e->gen == gen)
			return e->cat;
	return NULL;
}

/* Decode and filter the catalog that took force at `since`. */
static int load(struct lang_catalog **out, grove_db *db, MDB_txn *txn, const MDB_val *bytes,
		uint64_t since, struct reclaimed *gone)
{
	struct lang_diag diag = LANG_DIAG_INIT;
	int err = 0;
	if (lang_catalog_decode(out, bytes->mv_data, bytes->mv_size, &diag) < 0)
		err = log_error(GROVE_ECORRUPT, "the catalog of LSN %llu does not decode: %s",
				(unsigned long long)since, diag.message ? diag.message : "?");
	lang_diag_clear(&diag);
	if (!err && (err = filter_dropped(*out, txn, db->views, since, gone)) < 0) {
		lang_catalog_free(*out);
		*out = NULL;
	}
	return err;
}

int engine_catalog_at(const struct lang_catalog **out, grove_db *db, MDB_txn *txn, uint64_t lsn)
{
	uint64_t since = 0, gen = 0;
	MDB_val bytes = { 0, NULL };
	struct lang_catalog *cat;
	int err = schemas_generation(&gen, txn, db->views);

	/* A graph never migrated (gen 0) has one catalog: no seek. */
	if (!err && gen && (err = schemas_catalog_at(&bytes, &since, txn, db->views, lsn)) == GROVE_ENOTFOUND)
		err = log_error(GROVE_ECORRUPT, "no catalog in force at LSN %llu", (unsigned long long)lsn);
	if (err < 0)
		return err;
	pthread_mutex_lock(&db->hist->mu);
	cat = cache_find(db->hist, since, gen);
	pthread_mutex_unlock(&db->hist->mu);
	if (cat) {
		*out = cat;
		return 0;
	}
	if (!gen && (err = meta_get(&bytes, txn, db->views, "catalog")) < 0)
		return err;
	/* Decoded outside the lock; a racing reader may do the same, and the
	 * first to insert wins. */
	struct reclaimed gone;
	memset(&gone, 0, sizeof gone);
	if ((err = load(&cat, db, txn, &bytes, since, &gone)) < 0)
		return err;
	struct hist_entry *e = malloc(sizeof *e);
	pthread_mutex_lock(&db->hist->mu);
	struct lang_catalog *won = cache_find(db->hist, since, gen);
	if (!won && e) {
		*e = (struct hist_entry){ since, gen, cat, db->hist->entries, gone };
		db->hist->entries = e;
		won = cat;
		e = NULL;
		cat = NULL;
	}
	pthread_mutex_unlock(&db->hist->mu);
	free(e);
	lang_catalog_free(cat);
	if (!won)
		return log_error(-ENOMEM, "out of memory");
	*out = won;
	return 0;
}

static void reclaimed_of(struct reclaimed *out, grove_db *db, const struct lang_catalog *cat)
{
	memset(out, 0, sizeof *out);
	pthread_mutex_lock(&db->hist->mu);
	for (struct hist_entry *e = db->hist->entries; e; e = e->next)
		if (e->cat == cat) {
			*out = e->gone;
			break;
		}
	pthread_mutex_unlock(&db->hist->mu);
}

static int reclaimed_error(grove_db *db, const char *what, uint64_t at)
{
	return db_error_kind(db, db_error(db, GROVE_EINVAL, "%s is unavailable at this snapshot: its "
					  "history before LSN %llu was dropped with allow_data_loss",
					  what, (unsigned long long)at),
			     "HistoricalVersionReclaimed");
}

int engine_reclaimed_error(grove_db *db, const struct lang_catalog *cat)
{
	struct reclaimed gone;
	reclaimed_of(&gone, db, cat);
	return gone.what[0] ? reclaimed_error(db, gone.what, gone.at) : 0;
}

static int split_table(enum lang_cat_kind *kind, const char **name, const char *table)
{
	if (table && !strncmp(table, "node:", 5)) {
		*kind = LANG_CAT_NODE;
		*name = table + 5;
		return 0;
	}
	if (table && !strncmp(table, "edge:", 5)) {
		*kind = LANG_CAT_EDGE;
		*name = table + 5;
		return 0;
	}
	return -1;
}

static const struct lang_cat_type *by_name(const struct lang_catalog *cat, enum lang_cat_kind kind,
					   const char *name)
{
	return kind == LANG_CAT_EDGE ? lang_catalog_edge(cat, name) : lang_catalog_node(cat, name);
}

int engine_table_at(const struct lang_cat_type **out, grove_db *db, const struct read_at *r,
		    const char *table)
{
	enum lang_cat_kind kind;
	const char *name;
	if (split_table(&kind, &name, table) < 0)
		return db_error(db, GROVE_EINVAL, "unknown table '%s' (expected node:<Type> or edge:<Type>)",
				table ? table : "");
	const char *k = kind == LANG_CAT_EDGE ? "edge" : "node";
	const struct lang_cat_type *now = by_name(engine_catalog(db), kind, name);
	if (now && engine_cat_type_by_id(r->cat, kind, now->id)) {
		*out = now;
		return 0;
	}
	if (now) {
		uint64_t at = 0;
		if (schemas_dropped_at(&at, r->txn, db->views, now->id) == 0 && at > r->head.lsn)
			return db_error(db, GROVE_EINVAL, "%s type '%s' is unavailable at this snapshot: its "
					"history before LSN %llu was dropped with allow_data_loss", k,
					now->name, (unsigned long long)at);
		return db_error(db, GROVE_EINVAL, "%s type '%s' does not exist at this snapshot", k,
				now->name);
	}
	if ((*out = by_name(r->cat, kind, name)))
		return 0;
	return db_error(db, GROVE_EINVAL, "unknown table '%s' (expected node:<Type> or edge:<Type>)",
			table);
}
