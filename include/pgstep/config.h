/* config: pgstep.conf, read with the ini module and checked key by key:
 * an unknown section or key is an error naming file and line. */
#ifndef PGSTEP_CONFIG_H
#define PGSTEP_CONFIG_H

#include <stdbool.h>
#include <stdint.h>
#include "pgstep/error.h"
#include "pgstep/migset.h"
#include "pgstep/tenant.h"

#define CONFIG_DEFAULT_LOCK_TIMEOUT_MS 3000
#define CONFIG_DEFAULT_LOCK_RETRIES 5

struct config {
	char *path;            /* owned: the file read */
	char *migrations_dir;  /* owned: resolved against the config file's directory */
	struct phase_range *phases;
	size_t n_phases, cap_phases;

	int64_t lock_timeout_ms;      /* default 3000; never 0 (lock_timeout is always set) */
	int lock_retries;             /* default 5 */
	int64_t statement_timeout_ms; /* default 0: none */
	int64_t retry_backoff_ms;     /* first backoff, doubled each retry; default 500 */

	struct tenant_list tenants;   /* [tenant NAME] sections */
	char *tenants_control;        /* owned: [tenants] control conninfo, or NULL */
	char *tenants_query;          /* owned: [tenants] query, or NULL */
	int tenants_line;             /* line of [tenants], for messages */
	char *audit_key_file;         /* owned: [audit] key_file, resolved; or NULL */
};

/* Load path; when path is NULL, ./pgstep.conf. Errors have code
 * PGSTEP_EXIT_USAGE and name the file and line. */
struct config *config_load(const char *path, struct pgstep_error *err);
/* Parse config text (used by config_load and by tests); base_dir resolves
 * relative paths. */
struct config *config_parse(const char *path, const char *text, const char *base_dir,
			    struct pgstep_error *err);
void config_free(struct config **cfg);

#endif
