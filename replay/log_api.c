/*
 * log_api.c — the public log interface of grove.h: appending events given
 * as JSON, and iterating the log with each record rendered as JSON.
 */
#include <errno.h>
#include <stdlib.h>

#include "engine/db.h"
#include "log/event.h"
#include "log/log.h"
#include "replay/event_json.h"

struct grove_log_cursor {
	grove_db *db;
	struct log_cursor *cur;
	struct log_record_view rec;
	char *json;
};

int grove_log_append_json(uint64_t *out_lsn, grove_db *db, const char *json)
{
	json_error_t jerr;
	char msg[256];
	uint8_t *payload = NULL;
	size_t len = 0;
	uint16_t kind = 0;
	int err;

	json_t *obj = json_loads(json, JSON_REJECT_DUPLICATES, &jerr);
	if (!obj)
		return db_error(db, GROVE_EPARSE, "event JSON, line %d column %d: %s",
				jerr.line, jerr.column, jerr.text);
	err = event_payload_from_json(&payload, &len, &kind, obj, msg, sizeof msg);
	json_decref(obj);
	if (err < 0)
		return db_error(db, err, "event JSON: %s", msg[0] ? msg : "out of memory");
	if (len > UINT32_MAX)
		err = db_error(db, GROVE_ETOOBIG, "event of %zu bytes is too large", len);
	else if ((err = log_append(db->log, out_lsn, kind, payload, (uint32_t)len,
				   LOG_WAIT_DURABLE)) < 0)
		db_error(db, err, NULL);
	free(payload);
	return err;
}

uint64_t grove_log_last_lsn(const grove_db *db)
{
	return log_durable_lsn(db->log);
}

int grove_log_cursor_open(grove_log_cursor **out, grove_db *db, uint64_t from_lsn)
{
	grove_log_cursor *c = calloc(1, sizeof *c);
	int err;

	if (!c)
		return db_error(db, -ENOMEM, "out of memory");
	c->db = db;
	if ((err = log_cursor_open(&c->cur, db->log, from_lsn ? from_lsn : 1)) < 0) {
		free(c);
		return db_error(db, err, NULL);
	}
	*out = c;
	return 0;
}

int grove_log_cursor_next(grove_log_cursor *c)
{
	free(c->json);
	c->json = NULL;
	int err = log_cursor_next(c->cur, &c->rec);
	if (err < 0 && err != GROVE_ENOTFOUND)
		db_error(c->db, err, NULL);
	return err;
}

uint64_t grove_log_cursor_lsn(const grove_log_cursor *c)
{
	return c->rec.lsn;
}

int grove_log_cursor_kind(const grove_log_cursor *c)
{
	return c->rec.kind;
}

const char *grove_log_cursor_json(grove_log_cursor *c)
{
	struct event ev;
	json_t *j;

	if (c->json)
		return c->json;
	if (event_decode(&ev, c->rec.payload, c->rec.payload_bytes) < 0) {
		j = json_pack("{sIss}", "lsn", (json_int_t)c->rec.lsn, "error",
			      "undecodable event payload");
	} else {
		j = event_to_json(&ev, c->rec.lsn);
		event_release(&ev);
	}
	c->json = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(j);
	return c->json ? c->json : "{}";
}

void grove_log_cursor_close(grove_log_cursor *c)
{
	if (!c)
		return;
	log_cursor_close(c->cur);
	free(c->json);
	free(c);
}
