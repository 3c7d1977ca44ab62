/*
 * grove demo DIR — the built-in demo: create a graph, append a few events
 * through the public API, close, reopen (which recovers the log), and
 * print the log.  Later layers grow this into load/query/branch/merge.
 */
#include <inttypes.h>
#include <stdio.h>

#include "cmd.h"

static const char *const demo_events[] = {
	"{\"kind\":\"branch_create\",\"branch\":\"main\",\"name\":\"feature\",\"from\":\"main\","
	"\"actor\":\"demo\"}",
	"{\"kind\":\"mutation\",\"branch\":\"feature\",\"actor\":\"demo\","
	"\"op\":\"insert Person { name: \\\"Alice\\\", age: 30 }\","
	"\"effects\":[{\"op\":\"put_node\",\"type\":1,\"id\":1,"
	"\"row\":{\"name\":\"Alice\",\"age\":30}}]}",
	"{\"kind\":\"mutation\",\"branch\":\"feature\",\"actor\":\"demo\","
	"\"effects\":[{\"op\":\"put_node\",\"type\":1,\"id\":2,\"row\":{\"name\":\"Bob\",\"age\":25}},"
	"{\"op\":\"put_edge\",\"type\":2,\"id\":3,\"src\":1,\"dst\":2,\"row\":{\"since\":2020}}]}",
	"{\"kind\":\"merge\",\"branch\":\"main\",\"name\":\"feature\",\"actor\":\"demo\"}",
};

int cmd_demo(int argc, char **argv)
{
	grove_db *db;
	uint64_t lsn;
	int err;

	if (argc != 2) {
		fprintf(stderr, "usage: grove demo DIR   (DIR must not exist yet)\n");
		return GROVE_EXIT_USAGE;
	}
	if ((err = grove_init(&db, argv[1], NULL)) < 0)
		return cmd_fail(NULL, "init", err);
	printf("created graph %s\n", argv[1]);
	for (size_t i = 0; i < sizeof demo_events / sizeof demo_events[0]; i++) {
		if ((err = grove_log_append_json(&lsn, db, demo_events[i])) < 0) {
			cmd_fail(db, "append", err);
			grove_close(db);
			return GROVE_EXIT_ERROR;
		}
		printf("appended LSN %" PRIu64 " (durable)\n", lsn);
	}
	grove_close(db);
	if ((err = grove_open(&db, argv[1], NULL)) < 0)
		return cmd_fail(NULL, "reopen", err);
	printf("reopened: log ends at LSN %" PRIu64 "\n\n", grove_log_last_lsn(db));
	grove_close(db);
	char *args[] = { "log", "dump", argv[1], NULL };
	return cmd_log(3, args);
}
