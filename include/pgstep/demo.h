/* demo: `pgstep demo`: a throwaway cluster with a control database, three
 * tenants in different states (up to date, a phase behind, dirty from an
 * interrupted non-transactional migration), rows in the tables, and a
 * generated config; the sample migration set is embedded in the binary. */
#ifndef PGSTEP_DEMO_H
#define PGSTEP_DEMO_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include "pgstep/cluster.h"
#include "pgstep/error.h"

struct embedded_file {
	const char *path; /* relative to migrations/ */
	size_t len;
	const char *data;
};

extern const struct embedded_file demo_files[];
extern const size_t demo_n_files;
/* Rows added by the demo: NNN.sql runs once a tenant has applied up to NNN. */
extern const struct embedded_file demo_rows_files[];
extern const size_t demo_rows_n_files;

struct demo {
	struct cluster *cluster;
	char *config_path;    /* owned: generated pgstep.conf */
	char *migrations_dir; /* owned: the embedded set written out */
};

/* Build the whole demo; progress lines go to log_fn. When *interrupted
 * becomes set (a signal), the running migration is cancelled, everything
 * made so far is removed, and NULL is returned with err saying so. */
struct demo *demo_start(void (*log_fn)(void *ctx, const char *line), void *ctx,
                        volatile sig_atomic_t *interrupted, struct pgstep_error *err);
void demo_stop(struct demo **d, bool keep);

#endif
