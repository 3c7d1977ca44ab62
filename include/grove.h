/*
 * grove.h — the public C API of Grove, an embeddable, event-sourced graph
 * database.
 *
 * Design in one paragraph.  Every change to a graph (a mutation, a load, a
 * branch operation, a merge, a schema apply) is an *event* appended to an
 * operation log.  The log is the truth: it is written with io_uring, many
 * appenders share one fdatasync (group commit), and an append is
 * acknowledged only once it is on disk.  LMDB holds materialized views of
 * the log (a snapshot per branch, indexes, adjacency); they can always be
 * thrown away and rebuilt by replaying the log.
 *
 * Conventions.
 *  - Functions return 0 on success or a negative error code: either one of
 *    the GROVE_E* values below (a reserved range, -30900 .. -30999) or a
 *    negated errno from the operating system.  grove_strerror() names both.
 *  - Output parameters come first and are called `out`.
 *  - Each thread remembers the message of its last error and the handle it
 *    was on (grove_errmsg()); the message says what was wrong and where
 *    (file:line:column, line number, field name, segment and offset).
 *  - Pointer arguments may be NULL only where a function says so.
 *  - A fatal I/O failure of the log (a failed write or fdatasync) poisons
 *    the handle: every later write returns GROVE_EPOISONED.  Reopening
 *    recovers from what the log holds.
 *  - Threads: a grove_db may be used from any number of threads at once.
 *    Only one process may have a graph open at a time (reads included:
 *    another process gets GROVE_ELOCKED); docs/embedding.md.
 */
#ifndef GROVE_H
#define GROVE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define GROVE_VERSION_MAJOR 0
#define GROVE_VERSION_MINOR 1
#define GROVE_VERSION_PATCH 0
/* The on-disk format this library reads and writes (the GROVE file). */
#define GROVE_FORMAT_VERSION 1

/* ---- Errors --------------------------------------------------------- */

#define GROVE_ERROR_FIRST   (-30999)
#define GROVE_EINVAL        (-30999) /* an argument is malformed            */
#define GROVE_ECORRUPT      (-30998) /* on-disk data failed a check         */
#define GROVE_EVERSION      (-30997) /* unknown on-disk format version      */
#define GROVE_ETOOBIG       (-30996) /* a record or value exceeds a limit   */
#define GROVE_EBUSY         (-30995) /* too many waiters; retry later       */
#define GROVE_EPOISONED     (-30994) /* a fatal I/O error poisoned the log  */
#define GROVE_ENOTFOUND     (-30993) /* no such record, branch, commit, ... */
#define GROVE_EEXISTS       (-30992) /* it already exists                   */
#define GROVE_ELOCKED       (-30991) /* another process writes this graph   */
#define GROVE_ECLOSED       (-30990) /* the handle is closing               */
#define GROVE_EPARSE        (-30989) /* a .pg/.gq/JSON text failed to parse */
#define GROVE_ETYPE         (-30988) /* a query failed to typecheck         */
#define GROVE_ECONFLICT     (-30987) /* refused: it conflicts with the state
                                        (a name taken, a dependent branch)  */
#define GROVE_EKEYCONFLICT  (-30986) /* an append met an existing id        */
#define GROVE_EPRECONDITION (-30985) /* the branch moved past the expected
                                        head commit                         */
#define GROVE_ELIMIT        (-30984) /* a resource limit of the operation   */
#define GROVE_ENOPARENT     (-30983) /* a commit's changes were asked of the
                                        genesis commit (no parent)          */
#define GROVE_EMERGE        (-30982) /* a merge met conflicts; nothing written */
#define GROVE_ECURSOR       (-30981) /* a change page token or feed cursor
                                        does not fit this graph, commit,
                                        branch or filter                     */
#define GROVE_EBOUNDARY     (-30980) /* a commit's changes cross a schema
                                        boundary (a type's rows reshaped)   */
#define GROVE_EBLOBPOLICY   (-30979) /* an external Blob URI the graph's
                                        policy does not admit               */
#define GROVE_ERROR_LAST    (-30900)

/* A static, human-readable name for an error code (Grove's or -errno). */
const char *grove_strerror(int err);

/* OmniGraph's error kind for an error code: "BadRequest", "NotFound",
 * "Conflict", "KeyConflict", "PreconditionFailed", "ResourceLimitExceeded",
 * "CommitHasNoParent", "MergeConflicts", "ChangeCursorRejected",
 * "ChangeSchemaBoundary", "ExternalBlobPolicy", "AlreadyInitialized"
 * (GROVE_EEXISTS: grove_init on a graph), "Internal". */
const char *grove_error_kind(int err);

/* ---- Opening a graph ------------------------------------------------ */

typedef struct grove_db grove_db;

#define GROVE_OPTIONS_VERSION 3

/* Options for grove_init() and grove_open().  Initialise with
 * GROVE_OPTIONS_INIT and change only what you need; zero fields mean
 * "the default".  Versions 1 (before views_huge_pages) and 2 (before
 * adj_cache_bytes) are still taken: their callers get the defaults of
 * the fields they lack. */
typedef struct grove_options {
	unsigned version;               /* GROVE_OPTIONS_VERSION */
	uint64_t log_segment_bytes;     /* default 64 MiB; fixed at init     */
	uint32_t log_max_record_bytes;  /* default 40 MiB                    */
	uint32_t log_max_batch_bytes;   /* default 8 MiB                     */
	uint32_t log_max_waiters;       /* default 4096 blocked appenders    */
	int      log_backend;           /* GROVE_LOG_BACKEND_*               */
	uint32_t load_chunk_bytes;      /* effects per load log record; 4 MiB */
	int      views_huge_pages;      /* GROVE_HUGE_PAGES_*                */
	uint64_t adj_cache_bytes;       /* default 512 MiB; see below        */
} grove_options;

#define GROVE_OPTIONS_INIT { GROVE_OPTIONS_VERSION, 0, 0, 0, 0, 0, 0, 0, 0 }

/* Traversals read adjacency from compact in-memory copies of the views'
 * adjacency ranges once a range has been read often enough to pay for
 * its copy; a write to an edge type makes its copy stale until it is
 * rebuilt (docs/architecture.md "Adjacency in memory").  The copies of a
 * graph take at most adj_cache_bytes (a 1M-edge range ~45 MiB);
 * GROVE_ADJ_CACHE_NONE keeps none.  Version 2 callers get the default. */
#define GROVE_ADJ_CACHE_NONE UINT64_MAX

/* Page size of the views' map (docs/on-disk-format.md): with huge pages
 * (ON) a fault brings in 2 MiB, so reads and bulk loads fault 512 times
 * less, but a cache miss reads 2 MiB and, where the file system has large
 * folios, a small write into a clean page dirties (and later writes back)
 * 2 MiB: durable small writes on a large graph took about twice as long.
 * AUTO (the default) and OFF keep LMDB's 4 KiB pages.  A second handle on
 * a graph already open shares the first one's views and their mode. */
#define GROVE_HUGE_PAGES_AUTO 0
#define GROVE_HUGE_PAGES_OFF  1
#define GROVE_HUGE_PAGES_ON   2

#define GROVE_LOG_BACKEND_AUTO   0 /* io_uring, or pwrite if unavailable */
#define GROVE_LOG_BACKEND_URING  1 /* io_uring only; fail if unavailable */
#define GROVE_LOG_BACKEND_PWRITE 2 /* pwrite + fdatasync                 */

/* Create a new graph in directory `dir` (created if missing; it must not
 * hold a graph already: GROVE_EEXISTS) whose schema is the .pg text
 * `schema` (GROVE_EPARSE with file:line:column on a bad schema, nothing
 * created), and open it.  The graph starts with one branch, "main", and a
 * genesis commit. */
int grove_init(grove_db **out, const char *dir, const char *schema, const grove_options *opts);

/* Open an existing graph.  Recovers the log tail first: a torn last record
 * (a crash in the middle of a write) is truncated and reported through
 * grove_recovery_report(); corruption before the tail refuses the open
 * with GROVE_ECORRUPT and a message naming the segment and offset.
 * Returns GROVE_EVERSION for an unknown format, GROVE_ELOCKED if another
 * process has the graph open.  Opening a graph this process already has
 * open returns another handle on the same state (every handle sees every
 * write at once); each handle is closed with grove_close(). */
int grove_open(grove_db **out, const char *dir, const grove_options *opts);

/* Flush, stop the log writer and free the handle.  NULL is ignored. */
void grove_close(grove_db *db);

/* The message of the calling thread's last error if that error was on
 * `db`, else "" (one slot per thread: an error on another handle since
 * replaces it).  grove_errmsg(NULL) is the message of a failed
 * grove_init/grove_open. */
const char *grove_errmsg(const grove_db *db);

/* Details of the last error on `db` in the calling thread, when it
 * concerns one entity (a KeyConflict names the table and the id). */
typedef struct grove_error_info {
	int code;                 /* the error code returned                 */
	char type_key[256];       /* "node:Person" / "edge:Knows", or ""      */
	char entity_id[512];      /* the entity's id, or ""                   */
	char resource[128];       /* GROVE_ELIMIT: what ran out, or ""        */
	uint64_t limit, actual;   /* GROVE_ELIMIT: the bound and the demand   */
	uint32_t line, column;    /* GROVE_EPARSE / GROVE_ETYPE of a query or
	                           * mutation: where in its text (1-based:
	                           * the clause or expression at fault), or 0 */
	char kind[32];            /* OmniGraph's typed error where it refines
	                           * grove_error_kind(code): "BranchNotFound"
	                           * (GROVE_ENOTFOUND for a branch a read or
	                           * write names; a deleted one is NotFound),
	                           * "Storage" (GROVE_EINVAL for a branch name
	                           * of bad syntax, as upstream reports it),
	                           * else ""                                  */
} grove_error_info;

void grove_error_info_get(grove_error_info *out, const grove_db *db);

/* What open found at the tail of the log. */
typedef struct grove_recovery_report {
	uint64_t last_lsn;         /* last intact record after recovery      */
	uint64_t truncated_bytes;  /* bytes cut from the tail (0: clean)     */
	uint64_t truncated_lsn;    /* LSN the cut record would have had      */
	uint64_t truncated_offset; /* byte offset of the cut in its segment  */
	char     segment[64];      /* file name of the segment that was cut  */
} grove_recovery_report;

void grove_recovery_report_get(grove_recovery_report *out, const grove_db *db);

/* ---- The operation log ---------------------------------------------- */

/* Event kinds.  Numbers are part of the on-disk format. */
#define GROVE_EVENT_MUTATION      1
#define GROVE_EVENT_LOAD_CHUNK    2
#define GROVE_EVENT_BRANCH_CREATE 3
#define GROVE_EVENT_BRANCH_DELETE 4
#define GROVE_EVENT_MERGE         5
#define GROVE_EVENT_SCHEMA_APPLY  6
#define GROVE_EVENT_OPTIMIZE      7

/* Append one event given as a JSON object (the same shape
 * grove_log_record_json() prints, without "lsn"), durably: returns once the
 * record is on disk.  This is the raw interface used by log tools and
 * tests: the event is checked against the views (a commit id already
 * taken is GROVE_ECONFLICT) and each put's row against its type (slots of
 * the declared types, required ones present, enum/@range/@check, a keyed
 * node's id its key's canonical id: else GROVE_EINVAL naming the effect
 * and property); its parent is set to the branch head it applies on (a
 * record dumped from another graph names that graph's); logged durably and
 * applied like any write (appends take turns with each other and with
 * branch operations, so the check still holds when the event applies); a
 * schema_apply, a load chunk without "last" and a chunk_seq above 0 are
 * refused.  A record read back through
 * grove_log_record_json() appends as the same data: values plain JSON
 * cannot hold are tagged there, {"bin": "<hex>"} for binary (Blob,
 * Vector) and {"u64": "<digits>"} for an unsigned value past 2^63. */
int grove_log_append_json(uint64_t *out_lsn, grove_db *db, const char *json);

/* The last LSN that is durable on disk (0 for an empty log). */
uint64_t grove_log_last_lsn(const grove_db *db);

/* Iterate the log from `from_lsn` (1 is the first record). */
typedef struct grove_log_cursor grove_log_cursor;

int  grove_log_cursor_open(grove_log_cursor **out, grove_db *db, uint64_t from_lsn);
/* Advance to the next record: 0 and a record, GROVE_ENOTFOUND at the end,
 * or an error (GROVE_ECORRUPT names segment and offset). */
int  grove_log_cursor_next(grove_log_cursor *cur);
uint64_t grove_log_cursor_lsn(const grove_log_cursor *cur);
int  grove_log_cursor_kind(const grove_log_cursor *cur);
/* The current record as a JSON object; valid until the next call. */
const char *grove_log_cursor_json(grove_log_cursor *cur);
void grove_log_cursor_close(grove_log_cursor *cur);

/* ---- Languages ------------------------------------------------------ */

/*
 * Grove reads OmniGraph's schema language (.pg) and query language (.gq).
 * These functions work on text only (no graph, no I/O): the caller reads
 * the file.  Reports are malloc'd, NUL-terminated and freed with
 * grove_free().
 */

/* Check a .pg schema: parse it (syntax, declarations, interfaces,
 * annotations and constraints) and build its catalog (type names,
 * endpoints).  `pg_text` is NUL-terminated; `file_name` (may be NULL) only
 * labels the report.
 *
 * On success returns 0 and *out_report is a short summary of the types and
 * their properties.  When the schema is invalid returns GROVE_EPARSE and
 * *out_report holds the diagnostic: the first error, prefixed
 * "parse error: " or "catalog error: ", with FILE:LINE:COLUMN and the
 * offending source line for syntax errors.  With `json` non-zero the
 * report is one JSON object instead:
 *   {"status":"ok","file":...,"node_types":N,"edge_types":N,"interfaces":N,
 *    "properties":N,"types":[{"kind","name","properties":[...],...}]}
 *   {"status":"error","file":...,"message":...,"line":L,"column":C}
 * (line/column only for syntax errors).
 * Returns GROVE_EINVAL for NULL arguments, -ENOMEM when out of memory
 * (*out_report is then NULL). */
int grove_schema_check(char **out_report, const char *pg_text, const char *file_name, int json);

/* Lint a .gq query file against a .pg schema (OmniGraph's `lint`, spec
 * §5.1): parse the file, typecheck every query, and report per query its
 * status, type error, warnings and operation descriptor (result fields,
 * graph types read and written), plus the file-level findings (Q000: the
 * file does not parse; L201: a nullable property no valid `update` query
 * sets).  Texts are NUL-terminated; `pg_name` / `gq_name` (may be NULL)
 * only label the report.
 *
 * Returns 0 when there are no errors, GROVE_ETYPE when a query fails to
 * typecheck, GROVE_EPARSE when the query file does not parse; *out_report
 * is then the report: text with one line per query and finding (a syntax
 * error as GQ_NAME:LINE:COLUMN: and the caret rendering), or with `json`
 * non-zero OmniGraph's JSON object {status, schema_source, query_path,
 * queries_processed, errors, warnings, infos, results, findings}.  An
 * invalid schema returns GROVE_EPARSE with the schema diagnostic as the
 * report.  GROVE_EINVAL for NULL arguments; -ENOMEM when out of memory
 * (*out_report is then NULL). */
int grove_query_lint(char **out_report, const char *pg_text, const char *pg_name,
                     const char *gq_text, const char *gq_name, int json);

/* ---- Branches, commits, reads at a target --------------------------- */

/* Branch names follow OmniGraph's rules: "main" is reserved, names are
 * '/'-separated segments of letters, digits, '.', '-', '_', no ".." or
 * trailing ".lock", and a live name may not be a path prefix of another.
 * Create is O(1): the branch reads its source as of the fork. */
int grove_branch_create(grove_db *db, const char *name, const char *from, const char *actor);
/* Refused (GROVE_ECONFLICT, the message names it) while another branch
 * depends on it. */
int grove_branch_delete(grove_db *db, const char *name, const char *actor);
/* All branch names, "main" first then ascending; free with grove_free()
 * (one allocation: the array and its strings). */
int grove_branch_list(char ***out, size_t *count, grove_db *db);

#define GROVE_COMMIT_ID_BYTES 27   /* 26 characters and a NUL */

typedef struct grove_commit {
	char id[GROVE_COMMIT_ID_BYTES];
	char parent[GROVE_COMMIT_ID_BYTES];        /* "" : none (genesis)   */
	char merged_parent[GROVE_COMMIT_ID_BYTES]; /* "" : none             */
	char branch[256];                          /* where it was authored */
	char actor[256];                           /* "" : none             */
	int64_t created_at_us;                     /* microseconds, UTC     */
	uint64_t graph_version;                    /* manifest version      */
	uint64_t lsn;                              /* its log record        */
} grove_commit;

/* Commits reachable from `branch`'s head, newest first (free with
 * grove_free()). */
int grove_commit_list(grove_commit **out, size_t *count, grove_db *db, const char *branch);
int grove_commit_show(grove_commit *out, grove_db *db, const char *commit_id);
/* The head commit of a branch (a fresh branch's is the one it forked at). */
int grove_branch_head(grove_commit *out, grove_db *db, const char *branch);

/* Where a read looks: a branch head, or a commit (time travel).  Exactly
 * one of the two is set; both NULL means main's head. */
typedef struct grove_target {
	const char *branch;
	const char *commit;
} grove_target;

/* Live entities of `table` ("node:Person" or "edge:Knows") at `target`. */
int grove_count(uint64_t *out, grove_db *db, const grove_target *target, const char *table);
/* The entities of `table` as a JSON array of {"id", ..., props} objects in
 * id order (edges also "src", "dst"); free with grove_free(). */
int grove_scan_json(char **out, grove_db *db, const grove_target *target, const char *table);
/* One entity as a JSON object, or GROVE_ENOTFOUND. */
int grove_entity_json(char **out, grove_db *db, const grove_target *target,
		      const char *table, const char *id);

/* The schema (.pg text) the graph is under, as given to grove_init() or
 * the last schema apply; free with grove_free(). */
int grove_schema_text(char **out, grove_db *db);

/* ---- Queries -------------------------------------------------------- */

/*
 * Read queries of OmniGraph's .gq language (match / return / order /
 * limit, traversals with hop bounds, negation, aggregates).  `gq_source`
 * is the text of a .gq file (NUL-terminated); `query_name` picks a query
 * by exact name (NULL: the file's only query); `params_json` is a JSON
 * object of parameters (NULL or "" : none), converted by each parameter's
 * declared type.  The query reads one consistent snapshot of `target`
 * (NULL: main's head; a commit id: time travel) and is typechecked
 * against the graph's current schema.
 *
 * Errors (message in grove_errmsg()):
 *   GROVE_EPARSE  the text does not parse ("query:LINE:COL: parse error:
 *                 ..." with the caret rendering);
 *   GROVE_ETYPE   the query does not typecheck ("type error: T5: ...");
 *   GROVE_EINVAL  "query '<name>' not found", "parameter '<k>' not
 *                 provided", "param '<k>': ..." (conversion), "params must
 *                 be a JSON object", a mutation query (run those with the
 *                 mutation API), and search/ranking functions (nearest,
 *                 bm25, rrf, search, fuzzy, match_text), not built yet;
 *   GROVE_ENOTFOUND  an unknown branch (grove_error_info.kind
 *                 "BranchNotFound") or commit;
 *   GROVE_ELIMIT  a parameter over its bound (its resource named), a
 *                 result beyond 4,194,304 rows or 1 GiB, a traversal
 *                 visiting more than 2^26 nodes, more than 512 steps
 *                 (clauses after lowering).
 * A `limit` without `order` stops reading once it has its rows; `order`
 * with `limit n` keeps only the best n rows in memory.
 */

/* Run a read query and return the result as JSON text (free with
 * grove_free()):
 *   {"query_name":..., "target":{"branch":...,"snapshot":...},
 *    "row_count":N, "columns":[...], "rows":[{column: value, ...}, ...],
 *    "graph_commit_id":"<the commit read>"}
 * Values: strings, booleans, numbers (F32 widened to double; NaN and
 * infinities as "NaN", "Infinity", "-Infinity"), Date "YYYY-MM-DD",
 * DateTime "YYYY-MM-DDTHH:MM:SS.mmmZ", lists and vectors as arrays, a node
 * variable as its id string, NULL as null. */
int grove_query_json(char **out_json, grove_db *db, const grove_target *target,
		     const char *gq_source, const char *query_name, const char *params_json);

/* The same as a result handle, for C callers: rows and columns by index. */
typedef struct grove_result grove_result;

int grove_query(grove_result **out, grove_db *db, const grove_target *target,
		const char *gq_source, const char *query_name, const char *params_json);
void grove_result_free(grove_result *r);

size_t grove_result_ncols(const grove_result *r);
size_t grove_result_nrows(const grove_result *r);
/* A column's name ("p.name", an alias, ...) or NULL past the end. */
const char *grove_result_column(const grove_result *r, size_t col);
/* A column's value type as the schema spells it ("String", "I64", "F64",
 * "Date", "[String]", "Vector(3)"; a node variable's column is "String"). */
const char *grove_result_column_type(grove_result *r, size_t col);
/* The commit the query read (26 characters), or NULL. */
const char *grove_result_commit_id(const grove_result *r);

/* Cell accessors: 1 / 0 for is_null (1 also out of range).  The getters
 * return 0, GROVE_ENOTFOUND for a NULL cell, or GROVE_EINVAL when the
 * cell is out of range or not of that kind.  grove_result_int reads
 * integers (and Date days, DateTime ms); grove_result_double any number;
 * grove_result_string strings and ids (not NUL-terminated: use *len; the
 * pointer lives as long as the result). */
int grove_result_is_null(const grove_result *r, size_t row, size_t col);
int grove_result_int(int64_t *out, const grove_result *r, size_t row, size_t col);
int grove_result_double(double *out, const grove_result *r, size_t row, size_t col);
int grove_result_string(const char **out, size_t *len, const grove_result *r, size_t row, size_t col);
/* One cell as JSON text (as in grove_query_json's rows); valid until the
 * next call on r.  NULL out of range. */
const char *grove_result_value_json(grove_result *r, size_t row, size_t col);
/* The whole result as grove_query_json's text (free with grove_free()). */
int grove_result_json(char **out, const grove_result *r);
/* How many stored rows (entities and edges) the query read: a measure of
 * its work, e.g. a `limit 3` without `order` reads about 3 rows. */
uint64_t grove_result_rows_visited(const grove_result *r);

/* ---- Prepared queries ------------------------------------------------ */

/* A read query compiled once and run many times, its parameters bound by
 * type instead of written as JSON for every run (the way SQLite's
 * prepare/bind/step is used).  grove_prepare() parses, picks and
 * typechecks exactly as grove_query() does and reports the same errors.
 * Bound values are converted by each parameter's declared type exactly as
 * the same JSON values would be: a Date parameter takes
 * grove_bind_text("2024-01-31"), a list grove_bind_json("[1,2]").  A
 * parameter name may be given with or without its `$`.  Bindings persist
 * across runs until rebound or cleared; one not bound is "not provided".
 * After a schema apply the next run compiles the text again against the
 * new schema (and fails as grove_query() would if it no longer
 * typechecks).  A statement belongs to its handle (free it before
 * grove_close) and to one thread at a time; results are independent of
 * the statement.  Bind errors: GROVE_EINVAL (no name, invalid JSON or
 * UTF-8). */
typedef struct grove_stmt grove_stmt;

int grove_prepare(grove_stmt **out, grove_db *db, const char *gq_source, const char *query_name);
int grove_bind_null(grove_stmt *s, const char *param);
int grove_bind_int(grove_stmt *s, const char *param, int64_t v);
int grove_bind_double(grove_stmt *s, const char *param, double v);
int grove_bind_bool(grove_stmt *s, const char *param, int v);
int grove_bind_text(grove_stmt *s, const char *param, const char *v, size_t len);
int grove_bind_json(grove_stmt *s, const char *param, const char *json);
void grove_stmt_clear_bindings(grove_stmt *s);
/* Run it at `target` (NULL: main's head), as grove_query(). */
int grove_stmt_query(grove_result **out, grove_stmt *s, const grove_target *target);
void grove_stmt_free(grove_stmt *s);

/* ---- Loading and exporting JSONL ------------------------------------ */

#define GROVE_LOAD_OVERWRITE 1  /* the input's types become exactly the input   */
#define GROVE_LOAD_APPEND    2  /* insert; an existing id is a KeyConflict      */
#define GROVE_LOAD_MERGE     3  /* upsert whole rows by id                      */

/* append and merge take at most this many entities of one keyed node type,
 * and this many bytes of their stored rows (OmniGraph's bounds; GROVE_ELIMIT
 * beyond, resource "keyed entities for node:<T>" / "keyed entity bytes
 * for node:<T>"); overwrite is not bounded. */
#define GROVE_LOAD_KEYED_MAX 8192
#define GROVE_LOAD_KEYED_MAX_BYTES (32ull << 20)

typedef struct grove_load_options {
	const char *branch;      /* NULL: main                                    */
	const char *from;        /* create `branch` from this one first (or NULL) */
	const char *actor;       /* recorded on the commit, or NULL               */
	int mode;                /* GROVE_LOAD_*                                   */
	int strict;              /* the strict graph-batch dialect (spec §8.5)    */
	/* Called now and then with records read so far (NULL: none). */
	void (*progress)(void *arg, uint64_t records, uint64_t bytes);
	void *progress_arg;
	/* Non-zero: fill grove_load_result.report_json. */
	int report;
} grove_load_options;

typedef struct grove_load_result {
	uint64_t nodes, edges;            /* entities written            */
	int branch_created;
	grove_commit commit;              /* the load's commit           */
	/* With grove_load_options.report, OmniGraph's load result (engine
	 * §9.3; free with grove_free):
	 *   {"branch", "base_branch", "branch_created", "mode",
	 *    "nodes": [{"name", "entities_loaded"}], "edges": [...],
	 *    "total_entities", "actor_id", "commit": the commit object as
	 *    mutations and merges give it (graph_branch null for main)}
	 * each list by type name, a type the input names without writing a
	 * row of it counted 0; else NULL. */
	char *report_json;
} grove_load_result;

/* Load JSONL text (one commit, all or nothing: on error nothing is
 * written and the message names the record/line and field — except the
 * branch `opts->from` asked to create, which stays, as in OmniGraph,
 * engine §1.3). */
int grove_load(grove_load_result *out, grove_db *db, const grove_load_options *opts,
	       const char *jsonl, size_t len);
int grove_load_file(grove_load_result *out, grove_db *db, const grove_load_options *opts,
		    const char *path);

/* Write `target` as JSONL (spec §8.6) to `write` (called with chunks). */
int grove_export(grove_db *db, const grove_target *target,
		 int (*write)(void *arg, const char *buf, size_t len), void *arg);
/* The same for only the node and edge types named (n_types 0: all); a
 * name the target's schema lacks fails with GROVE_EINVAL "unknown export
 * type '<T>'" before anything is written. */
int grove_export_types(grove_db *db, const grove_target *target, const char *const *types,
		       size_t n_types, int (*write)(void *arg, const char *buf, size_t len), void *arg);

/* ---- Mutations -------------------------------------------------------- */

typedef struct grove_mutate_options {
	const char *branch;         /* NULL: main                                   */
	const char *actor;          /* recorded on the commit, or NULL              */
	const char *expected_head;  /* a commit id: refuse with GROVE_EPRECONDITION
				       unless the branch is still there (OmniGraph's
				       If-Graph-Commit); NULL: no precondition      */
} grove_mutate_options;

/* Run mutation query `name` of the .gq text `gq` with parameters
 * `params_json` (a JSON object, or NULL).  All its statements are one
 * atomic commit, with read-your-writes between them; a mutation that
 * changes nothing commits nothing.  *out is the result JSON (spec §9.2:
 * branch, query_name, affected_nodes, affected_edges, actor_id, commit or
 * null); free with grove_free().  Errors: GROVE_EPARSE / GROVE_ETYPE with
 * file:line:column, GROVE_EINVAL for run-time and validation errors,
 * GROVE_EPRECONDITION, GROVE_ELIMIT, GROVE_ETOOBIG (a row or the write's
 * log record over its size), GROVE_EBLOBPOLICY (an external Blob URI);
 * the graph is unchanged on error (docs/errors.md).
 * Writers of one branch are serialized; of different branches, concurrent. */
int grove_mutate_json(char **out, grove_db *db, const grove_mutate_options *opts,
		      const char *gq, const char *name, const char *params_json);

/* A mutation as a prepared statement (grove_prepare's, above; `query_name`
 * required): run exactly as grove_mutate_json() runs it (same result,
 * errors and atomicity; the commit records the bound parameters as JSON). */
int grove_prepare_mutation(grove_stmt **out, grove_db *db, const char *gq_source, const char *query_name);
int grove_stmt_mutate_json(char **out, grove_stmt *s, const grove_mutate_options *o);

/* ---- Changes -------------------------------------------------------- */

/*
 * Change sets (engine §4.3-4.5), read from the versioned views: the apply
 * step records which entities each event changed, so a change set costs
 * the entities that changed between the two states, never a scan.  An
 * entity is reported by comparing its visible row in the two states: absent
 * -> present is an insert, present -> absent a delete, and both present with
 * different content (typed, every property; null, "" and [] are distinct)
 * an update.  Net semantics: an insert then delete inside the range, or an
 * identical rewrite, shows nothing.  Types follow the schema's history: a
 * renamed type keeps its identity (its rows pair up across the rename,
 * named as the schema in force names them); a type only one side's schema
 * has (dropped softly, or added again under the same name, which is a new
 * identity) is a table removed or added: all its rows there are deletes or
 * inserts.  A hard drop erases the type's history from every snapshot.
 *
 * Filters (`filter_json` / `scope_json`, NULL or "" : everything) are a JSON
 * object {"kinds":["node"|"edge"], "type_names":["Person",...],
 * "ops":["insert"|"update"|"delete"]}, any dimension optional, names of
 * kinds and ops in any letter case ("types" is accepted for "type_names").
 */

#define GROVE_DIFF_MAX_ENTITIES (1u << 22)  /* entities one change set may touch */
#define GROVE_DIFF_MAX_BYTES    (256u << 20) /* bytes of one diff's JSON          */

/* The net diff between two read targets (branch heads or commits; NULL:
 * main's head), both read in one consistent snapshot.  *out (free with
 * grove_free()):
 *   {"from_graph_manifest_version":N, "to_graph_manifest_version":M,
 *    "graph_branch": the `to` side's branch, or the `from` side's when `to`
 *                    is main or a commit on main (null: both on main),
 *    "changes":[{"kind":"Node"|"Edge", "type_name", "type_key":"node:T",
 *                "id", "op":"Insert"|"Update"|"Delete",
 *                "endpoints":{"src","dst"} | null}],
 *    "stats":{"inserts","updates","deletes","types_affected":[sorted]}}
 * Changes come by table key ("edge:..." before "node:...", then the type
 * name, then the type's identity), then by id.  An edge's endpoints are
 * those of its `to` state (of its `from` state for a delete).  Errors:
 * GROVE_ENOTFOUND (an unknown branch or commit), GROVE_EINVAL (a bad
 * filter), GROVE_ELIMIT beyond GROVE_DIFF_MAX_ENTITIES candidates
 * (resource "change_entities") or GROVE_DIFF_MAX_BYTES of output
 * ("diff_bytes"). */
int grove_diff_json(char **out, grove_db *db, const grove_target *from, const grove_target *to,
		    const char *filter_json);

#define GROVE_CHANGES_PAGE_DEFAULT 1000       /* changes per page by default  */
#define GROVE_CHANGES_PAGE_MAX     8192       /* the most a caller may ask    */
#define GROVE_CHANGES_PAGE_BYTES   (4u << 20) /* page packing target, bytes   */
#define GROVE_CHANGES_PAGE_MAX_BYTES (32u << 20) /* the most a caller may ask */

/* What commit `commit_id` changed relative to its first parent (a merge
 * commit: relative to the state of the branch it landed on), one page:
 *   {"cause":{"graph_commit_id", "parent_commit_id", "merged_parent_commit_id",
 *             "authored_branch" (null: main), "actor_id", "authored_at" (µs)},
 *    "changes":[{"kind":"node"|"edge", "type":{"id","name"}, "id",
 *                (type.id: opaque, stable across renames, ten digits so
 *                 that its string order is the frozen order's)
 *                "op":"insert"|"update"|"delete",
 *                "before":IMAGE (update, delete), "after":IMAGE (insert, update)}],
 *    "next_page_token": a string, or null on the last page}
 * IMAGE = {"properties":{name: value, ...}, "endpoints":{"from","to"}} (edges
 * only), values rendered as in export (Dates as day counts, Blobs inline as
 * base64).  Order (frozen): nodes before edges, then type id, then entity
 * id (bytewise).  `page_token` (NULL: the first page) continues an earlier
 * answer for the same commit and scope; `max_changes` is the page size
 * (GROVE_CHANGES_PAGE_DEFAULT unless asked otherwise; 0: GROVE_EINVAL; above
 * GROVE_CHANGES_PAGE_MAX: GROVE_ELIMIT, resource
 * "commit_changes_page_changes"); a page also ends once it holds
 * GROVE_CHANGES_PAGE_BYTES (a larger single change comes alone).
 * Errors: GROVE_ENOTFOUND (unknown commit), GROVE_ENOPARENT for the genesis
 * commit (grove_error_info's entity_id names it), GROVE_EBOUNDARY for a
 * commit across a schema boundary: a type holding rows added, dropped or
 * given other properties, whatever the scope ("entity changes for commit
 * '<id>' cross an unprovable schema boundary at type '<T>' ..."),
 * GROVE_EINVAL (a bad scope), GROVE_ECURSOR (a token of another commit or
 * scope, or damaged: "change cursor rejected: ..."). */
int grove_commit_changes_json(char **out, grove_db *db, const char *commit_id,
			      const char *scope_json, const char *page_token,
			      uint32_t max_changes);
/* The same with a byte budget for the page (a packing target: a single
 * larger change comes alone; 0: GROVE_EINVAL; above
 * GROVE_CHANGES_PAGE_MAX_BYTES: GROVE_ELIMIT). */
int grove_commit_changes_page_json(char **out, grove_db *db, const char *commit_id,
				   const char *scope_json, const char *page_token,
				   uint32_t max_changes, uint64_t max_bytes);

#define GROVE_FEED_COMMITS_DEFAULT 128   /* commits one poll examines     */
#define GROVE_FEED_COMMITS_MAX     512

/* The change feed of `branch` (NULL: main): its first-parent chain oldest
 * to newest after a position, one block per commit (the shape of
 * grove_commit_changes_json without next_page_token; empty blocks too).
 * `position`: NULL or "now" (start at the head: nothing to replay),
 * "beginning" (after the chain's genesis commit, inherited history
 * included), "after:<commit id>" (a commit on the chain), or a cursor or
 * page token of an earlier poll.  Each poll reads up to the head it finds
 * (its cut) and at most `max_commits` commits (GROVE_FEED_COMMITS_DEFAULT
 * unless asked otherwise; 0: GROVE_EINVAL; above GROVE_FEED_COMMITS_MAX:
 * GROVE_ELIMIT, resource "change_feed_commits_per_poll") and
 * GROVE_CHANGES_PAGE_DEFAULT
 * changes or GROVE_CHANGES_PAGE_BYTES bytes (grove_changes_poll_page_json
 * takes others):
 *   {"branch", "blocks":[{"cause", "changes"}], "cursor": durable position
 *    after the last complete block, "caught_up": every commit up to the
 *    cut was delivered and the cut is still the branch's head (a page
 *    token's continuation keeps the cut of its first poll)}
 * or, when the page ends inside a block, {"branch", "blocks", "next_page_token"}
 * (no cursor: a partial block is never checkpointed).  A commit across a
 * schema boundary (above) is refused when it comes first; otherwise the
 * page ends before it with caught_up false.  Delivery is
 * at-least-once; apply blocks idempotently by graph_commit_id.  A cursor
 * from another branch, incarnation of the branch or scope is refused with
 * GROVE_ECURSOR ("change cursor rejected: ..."). */
int grove_changes_poll_json(char **out, grove_db *db, const char *branch,
			    const char *position, const char *scope_json,
			    uint32_t max_commits);
/* The same with the page's budget of changes and bytes (as
 * grove_commit_changes_page_json's): a poll whose page fills inside a
 * block answers with next_page_token. */
int grove_changes_poll_page_json(char **out, grove_db *db, const char *branch,
				 const char *position, const char *scope_json,
				 uint32_t max_commits, uint32_t max_changes, uint64_t max_bytes);

/* The change feed's baseline (engine §4.6): `branch`'s head (NULL: main)
 * exported as JSONL to `write` exactly as grove_export_types() writes it
 * for the types `scope_json` admits (its kinds and type names; a scope
 * that admits none writes nothing), pinned at the head, and the cursor
 * that resumes the feed right after that head — so snapshot + feed miss
 * nothing and repeat nothing.  *out (free with grove_free()) is the
 * terminal record {"baseline":{"snapshot_commit_id", "resume_cursor"}},
 * set only when every byte was written: a writer that fails (returns
 * non-zero) fails the baseline, and no cursor outlives a broken snapshot.
 * Errors: GROVE_ENOTFOUND (unknown branch), GROVE_EINVAL (a bad scope, an
 * unknown type name, the writer failed). */
int grove_changes_baseline(char **out, grove_db *db, const char *branch, const char *scope_json,
			   int (*write)(void *arg, const char *buf, size_t len), void *arg);

/* ---- Merge ------------------------------------------------------------ */

typedef struct grove_merge_options {
	const char *actor;       /* recorded on the merge commit, or NULL     */
	int delete_branch;       /* delete the source after a successful merge */
} grove_merge_options;

/* Merge branch `source` into `target` (three-way, per entity; OmniGraph's
 * rules).  *out is the result JSON {source, target, outcome, actor_id,
 * commit} (and branch_deleted, branch_delete_error when asked to delete):
 * outcome "already_up_to_date" (nothing written, commit null),
 * "fast_forward" or "merged" (one commit on the target whose merged
 * parent is the source head).  On conflicts returns GROVE_EMERGE (kind
 * "MergeConflicts"), leaves the target unchanged, and *out is
 * {"merge_conflicts": [{type_key, entity_kind, type_name, entity_id, kind,
 * message}]}.  Free *out with grove_free(). */
int grove_merge_json(char **out, grove_db *db, const char *source, const char *target,
		     const grove_merge_options *opts);

/* ---- Schema migration ------------------------------------------------ */

/*
 * Migrating a graph's schema (spec languages §10).  A desired .pg text is
 * compared with the schema in force: each type and property keeps its
 * identity when its kind and name match, or through @rename_from("old");
 * the plan lists the steps (add_type, rename_type, add_property,
 * rename_property, extend_enum, add_constraint, update_type_metadata,
 * update_property_metadata, drop_type, drop_property) and every change the
 * migration cannot make as an unsupported_change step.  Drops are "soft"
 * (gone from the current schema, still readable at older commits) or, with
 * allow_data_loss, "hard" (the dropped type's history before the apply,
 * and that of a type that lost a property, becomes unreachable).
 *
 * Renames, added nullable properties, enum widening, new indexes and
 * metadata touch no data: rows are stored by stable ids, so old rows read
 * under the new names and an added property reads NULL.  Reads at a commit
 * before an apply resolve a name of the current schema by identity (a
 * renamed type reads its old rows) and refuse a type that did not exist
 * then ("node type 'X' does not exist at this snapshot"); a name dropped
 * since still reads at those commits.
 *
 * Steps are JSON objects with a snake-case "kind" and the fields of spec
 * §10.2: "type_kind" (interface|node|edge), "name", "type_name", "from",
 * "to", "property_name", "property_type", "added_values", "constraint",
 * "annotations" ({name: value|null}), "mode" (soft|hard); unsupported
 * changes have "entity", "reason" and, when coded, "code" (OG-MF-103,
 * OG-MF-106).
 */

/* Plan a migration to `new_pg` without changing anything:
 *   {"uri", "supported", "step_count", "steps":[...]}
 * (grove_schema_plan_text: spec §10.5's text, "schema plan for <uri>",
 * "supported: yes|no", then "no schema changes" or "- <step>" lines).
 * Errors: GROVE_EPARSE (the schema does not parse or build: "parse error:
 * ...", "catalog error: ..."), GROVE_EINVAL (identity resolution: "schema
 * identity resolution failed: ..."). */
int grove_schema_plan_json(char **out, grove_db *db, const char *new_pg, int allow_data_loss);
int grove_schema_plan_text(char **out, grove_db *db, const char *new_pg, int allow_data_loss);

/* Apply a migration to `new_pg` as one commit on main by `actor` (NULL:
 * none).  An empty plan writes nothing:
 *   {"uri", "supported":true, "applied":false, "step_count":0, "steps":[]}
 * otherwise:
 *   {"uri", "supported":true, "applied":true, "step_count", "steps",
 *    "graph_manifest_version", "graph_commit_id"}
 * The new schema is logged with its steps as one event; it takes effect
 * atomically (concurrent writers to main wait for it; a reader that began
 * before it finishes under the old schema).  Errors, nothing written:
 *   GROVE_ECONFLICT  other branches exist: "schema apply requires a graph
 *                    with only main; found non-main branches: b1, b2";
 *   GROVE_EINVAL     the plan is unsupported: its first unsupported
 *                    step's reason, prefixed "[<code>] " when coded
 *                    ("[OG-MF-106] changing property type for 'Person.age'
 *                    is not supported in schema migration v1"); an
 *                    identity resolution failure;
 *   GROVE_EPARSE     as for the plan.
 * Free *out with grove_free(). */
int grove_schema_apply_json(char **out, grove_db *db, const char *new_pg, int allow_data_loss,
			    const char *actor);

/* ---- Maintenance ------------------------------------------------------ */

/* OmniGraph's optimize (engine §7.1): when main moved since its genesis or
 * its last optimize, record one maintenance commit on main (no changes:
 * its change block is empty; no actor) and return 1 with *out that
 * commit; otherwise write nothing and return 0 (steady state).  Grove's
 * views need no compaction, so this is the only work there is. */
int grove_optimize(grove_commit *out, grove_db *db);

/* The catalog readable at `target` (NULL: main's head) as JSON:
 *   {"graph_commit_id", "types":[{"kind":"node"|"edge", "name", "id",
 *     "properties":[{"name", "id", "type"}...] (declared order),
 *     "key":[...] (nodes with @key: members in identity order, the order
 *     of a composite id), "from", "to" (edges)}...]}
 * Types come edges first, then nodes, each by name.  At a commit before a
 * schema apply these are the types and names of that time (without those
 * a hard drop made unreachable). */
int grove_catalog_json(char **out, grove_db *db, const grove_target *target);

/* ---- Recovery tools ------------------------------------------------- */

/* Throw the views away and rebuild them by replaying the whole log. */
int grove_rebuild(const char *dir, uint64_t *out_effects);
/* Rebuild into a temporary directory and compare every view with the live
 * one (a checksum per view); GROVE_ECORRUPT with the differing view. */
int grove_verify(const char *dir);

/* Free memory returned by a grove_* function documented to need it.
 * NULL is ignored. */
void grove_free(void *p);

#ifdef __cplusplus
}
#endif

#endif /* GROVE_H */
