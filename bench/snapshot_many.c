/* snapshot_many: bench/schema.sh's reader of many schema tenants at once:
 * snapshot_read_schemas over schemas t1..tN of one database, in one read,
 * as `pgstep drift --all` would read them. Prints the objects, the round
 * trips and the milliseconds. Usage: snapshot_many CONNINFO N */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "pgstep/session.h"
#include "pgstep/snapshot_read.h"
#include "pgstep/xalloc.h"

int main(int argc, char **argv)
{
	if (argc != 3)
		return 2;
	size_t n = (size_t)atol(argv[2]);
	struct pgstep_error err = {0};
	struct session *s = session_connect(argv[1], "bench", &err);
	if (!s) {
		fprintf(stderr, "%s\n", err.msg);
		return 1;
	}
	char **names = xcalloc(n, sizeof *names);
	for (size_t i = 0; i < n; i++)
		names[i] = xasprintf("t%zu", i + 1);
	struct snapshot *outs = xcalloc(n, sizeof *outs);
	if (!snapshot_read_schemas(s, (const char *const *)names, n, NULL, outs, &err)) {
		fprintf(stderr, "%s\n", err.msg);
		return 1;
	}
	size_t objects = 0;
	for (size_t i = 0; i < n; i++)
		objects += outs[i].n;
	printf("%zu schemas, %zu objects, %d round trip, %.0f ms\n", n, objects,
	       outs[0].round_trips, outs[0].read_ms);
	for (size_t i = 0; i < n; i++) {
		snapshot_clear(&outs[i]);
		free(names[i]);
	}
	free(outs);
	free(names);
	session_close(&s);
	error_clear(&err);
	return 0;
}
