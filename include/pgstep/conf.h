/* conf: pgstep.conf, read with the ini module and checked key by key:
 * an unknown section or key is an error naming file and line. */
#ifndef PGSTEP_CONF_H
#define PGSTEP_CONF_H

#include <stdbool.h>
#include <stdint.h>
#include "pgstep/error.h"
#include "pgstep/migset.h"
#include "pgstep/tenant.h"

#define CONFIG_DEFAULT_TENANTS_TIMEOUT_MS 30000

struct config {
	char *path;           /* owned: the file read */
	char *migrations_dir; /* owned: resolved against the config file's directory */
	struct phase_range *phases;
	size_t n_phases, cap_phases;

	/* [defaults], SETTINGS_DEFAULT_* when not given (settings.h); what
	 * applies to a migration is settings_of()'s to say. */
	int64_t lock_timeout_ms; /* never 0 (lock_timeout is always set) */
	int lock_retries;
	int64_t statement_timeout_ms; /* 0: none */
	int64_t retry_backoff_ms;     /* first backoff, doubled each retry */
	/* Lines of those keys in path; 0 when not given. */
	int lock_timeout_line, lock_retries_line, statement_timeout_line, retry_backoff_line;
	int64_t hold_limit_ms; /* step mode's guard on strong locks held; 0: off */
	int hold_limit_line;
	/* Step mode: roll back on its own once a session has waited this long
	 * behind the run's locks; 0: never (the default). */
	int64_t hold_rollback_after_ms;
	int hold_rollback_after_line;

	struct tenant_list tenants; /* [tenant NAME] sections */
	char *tenants_control;      /* owned: [tenants] control conninfo, or NULL */
	char *tenants_query;        /* owned: [tenants] query, or NULL */
	int64_t tenants_timeout_ms; /* [tenants] timeout: the query's statement_timeout;
	                               default 30 s, never 0 */
	int tenants_line;           /* line of [tenants], for messages */
	char *audit_key_file;       /* owned: [audit] key_file, resolved; or NULL */
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
