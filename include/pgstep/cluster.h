/* cluster: a throwaway PostgreSQL server from the installed binaries (found
 * via pg_config --bindir or /usr/lib/postgresql/N/bin): initdb into a
 * temporary directory, a unix socket there, a free port. Used by `pgstep
 * demo`. When run as root the server runs as the postgres user. */
#ifndef PGSTEP_CLUSTER_H
#define PGSTEP_CLUSTER_H

#include <stdbool.h>
#include "pgstep/error.h"

struct cluster {
	char *bindir;     /* owned */
	char *dir;        /* owned: temporary directory holding data/ and the socket */
	char *datadir;    /* owned */
	char *socket_dir; /* owned */
	char *log_path;   /* owned */
	int port;
	char *run_as; /* owned: "postgres" when started by root, else NULL */
	bool running;
};

/* Start a new cluster; progress lines go to log_fn when given. */
struct cluster *cluster_start(void (*log_fn)(void *ctx, const char *line), void *ctx,
                              struct pgstep_error *err);
/* libpq conninfo for dbname on this cluster (owned by caller). */
char *cluster_conninfo(const struct cluster *c, const char *dbname);
/* Stop the server; remove the directory unless keep. */
void cluster_stop(struct cluster **c, bool keep);

#endif
