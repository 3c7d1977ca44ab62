/*
 * error.c — grove_strerror() and the per-handle, per-thread last-error
 * message behind grove_errmsg().
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "engine/db.h"
#include "lang/diag.h"
#include "log/error.h"

static __thread struct {
	const grove_db *db;
	char msg[1024];
	grove_error_info info;
} last;

int db_error_entity(const grove_db *db, int err, const char *type_key, const char *id,
		    size_t id_len)
{
	snprintf(last.info.type_key, sizeof last.info.type_key, "%s", type_key);
	snprintf(last.info.entity_id, sizeof last.info.entity_id, "%.*s", (int)id_len, id);
	return err;
}

int db_error_limit(const grove_db *db, int err, const char *resource, uint64_t limit,
		   uint64_t actual)
{
	snprintf(last.info.resource, sizeof last.info.resource, "%s", resource);
	last.info.limit = limit;
	last.info.actual = actual;
	/* OmniGraph's ResourceLimitExceeded text follows Grove's own. */
	size_t n = strlen(last.msg);
	if (err == GROVE_ELIMIT && !strstr(last.msg, "resource limit exceeded for ") && n < sizeof last.msg)
		snprintf(last.msg + n, sizeof last.msg - n, "%sresource limit exceeded for %s: actual %llu, "
			 "limit %llu%s", n ? " (" : "", resource, (unsigned long long)actual,
			 (unsigned long long)limit, n ? ")" : "");
	return err;
}

int db_error_kind(const grove_db *db, int err, const char *kind)
{
	(void)db;
	snprintf(last.info.kind, sizeof last.info.kind, "%s", kind);
	return err;
}

int db_error_no_branch(const grove_db *db, const char *name)
{
	return db_error_kind(db, db_error(db, GROVE_ENOTFOUND, "branch '%s' not found", name),
			     "BranchNotFound");
}

int db_error_position(const grove_db *db, int err, uint32_t line, uint32_t column)
{
	(void)db;
	last.info.line = line;
	last.info.column = column;
	return err;
}

int db_error_diag_position(const grove_db *db, int err, const struct lang_diag *d, const char *src,
			   size_t len)
{
	uint32_t line = 0, col = 0;
	if (d->has_span || d->has_place) {
		line = d->line;
		col = d->col;
	} else if (d->has_pos && src && d->pos < len) {
		lang_diag_line_col(src, len, d->pos, &line, &col);
	}
	return db_error_position(db, err, line, col);
}

void db_error_clear(void)
{
	memset(&last, 0, sizeof last);
}

void db_error_save(struct db_error_state *s)
{
	s->db = last.db;
	memcpy(s->msg, last.msg, sizeof s->msg);
	s->info = last.info;
}

int db_error_restore(const grove_db *db, int err, const struct db_error_state *s)
{
	last.db = db;
	memcpy(last.msg, s->msg, sizeof last.msg);
	last.info = s->info;
	return err;
}

void grove_error_info_get(grove_error_info *out, const grove_db *db)
{
	if (last.db == db)
		*out = last.info;
	else
		memset(out, 0, sizeof *out);
}

const char *grove_error_kind(int err)
{
	switch (err) {
	case GROVE_EINVAL: case GROVE_EPARSE: case GROVE_ETYPE: case GROVE_ETOOBIG:
		return "BadRequest";
	case GROVE_ENOTFOUND:     return "NotFound";
	case GROVE_ECONFLICT: case GROVE_ELOCKED: case GROVE_EBUSY:
		return "Conflict";
	case GROVE_EEXISTS:       return "AlreadyInitialized";
	case GROVE_ECURSOR:       return "ChangeCursorRejected";
	case GROVE_EBOUNDARY:     return "ChangeSchemaBoundary";
	case GROVE_EBLOBPOLICY:   return "ExternalBlobPolicy";
	case GROVE_EKEYCONFLICT:  return "KeyConflict";
	case GROVE_EPRECONDITION: return "PreconditionFailed";
	case GROVE_ELIMIT:        return "ResourceLimitExceeded";
	case GROVE_EMERGE:        return "MergeConflicts";
	case GROVE_ENOPARENT:     return "CommitHasNoParent";
	default:                  return "Internal";
	}
}

int db_error(const grove_db *db, int err, const char *fmt, ...)
{
	/* Formatted aside first: the arguments may be the last message
	 * itself (grove_errmsg(db), passed on to a NULL handle when a failed
	 * open frees db), which vsnprintf must not write over as it reads. */
	char msg[sizeof last.msg];
	if (fmt) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(msg, sizeof msg, fmt, ap);
		va_end(ap);
	} else {
		snprintf(msg, sizeof msg, "%s", log_errmsg());
	}
	if (!msg[0])
		snprintf(msg, sizeof msg, "%s", grove_strerror(err));
	last.db = db;
	memset(&last.info, 0, sizeof last.info);
	last.info.code = err;
	memcpy(last.msg, msg, sizeof msg);
	return err;
}

const char *grove_errmsg(const grove_db *db)
{
	return last.db == db ? last.msg : "";
}

const char *grove_strerror(int err)
{
	switch (err) {
	case 0:                 return "success";
	case GROVE_EINVAL:      return "invalid argument";
	case GROVE_ECORRUPT:    return "data corruption detected";
	case GROVE_EVERSION:    return "unknown on-disk format version";
	case GROVE_ETOOBIG:     return "a size limit was exceeded";
	case GROVE_EBUSY:       return "too many waiters; retry later";
	case GROVE_EPOISONED:   return "a fatal I/O error poisoned the log";
	case GROVE_ENOTFOUND:   return "not found";
	case GROVE_EEXISTS:     return "already exists";
	case GROVE_ELOCKED:     return "the graph is open in another process";
	case GROVE_ECLOSED:     return "the handle is closing";
	case GROVE_EPARSE:      return "parse error";
	case GROVE_ETYPE:       return "type error";
	case GROVE_ECONFLICT:   return "conflict";
	case GROVE_EKEYCONFLICT: return "key conflict";
	case GROVE_EPRECONDITION: return "precondition failed";
	case GROVE_ELIMIT:      return "resource limit exceeded";
	case GROVE_EMERGE:      return "merge conflicts";
	case GROVE_ECURSOR:     return "change cursor rejected";
	case GROVE_EBOUNDARY:   return "change diff refused at a schema boundary";
	case GROVE_EBLOBPOLICY: return "external Blob URI not admitted";
	case GROVE_ENOPARENT:   return "the commit has no parent";
	}
	if (err < 0 && err > -4096)
		return strerror(-err);
	return "unknown error";
}
