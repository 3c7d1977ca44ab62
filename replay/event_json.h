/*
 * event_json.h — log events as JSON, for inspection (grove log dump) and
 * for tools that append events (grove log append, tests).
 */
#ifndef GROVE_REPLAY_EVENT_JSON_H
#define GROVE_REPLAY_EVENT_JSON_H

#include <jansson.h>
#include <stdint.h>

#include "log/event.h"

/* The event as a JSON object (rows and steps decoded from msgpack). */
json_t *event_to_json(const struct event *ev, uint64_t lsn);

/* Encode the JSON object `obj` as an event payload (malloc'd into *out).
 * A missing "commit" gets a new id and a missing "time_us" the current
 * time.  Errors name the offending field in *errmsg (static or in `errbuf`). */
int event_payload_from_json(uint8_t **out, size_t *out_len, uint16_t *kind,
			    const json_t *obj, char *errbuf, size_t errlen);

#endif
