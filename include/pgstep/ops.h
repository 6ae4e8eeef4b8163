/* ops: what the front ends ask of the engine, tenant by tenant: open a
 * project (config, migration set, tenants), select tenants, and up, down,
 * repair, verify. Each operation takes the tenant's advisory lock, creates
 * the pgstep schema on first use, and reports progress through the run
 * observer; it never prints. */
#ifndef PGSTEP_OPS_H
#define PGSTEP_OPS_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include "pgstep/conf.h"
#include "pgstep/error.h"
#include "pgstep/migset.h"
#include "pgstep/runner.h"
#include "pgstep/state.h"
#include "pgstep/status.h"
#include "pgstep/tenant.h"

struct set_loader;

struct engine {
	struct config *cfg;         /* owned */
	struct migset *set;         /* owned */
	struct diag_list diags;     /* problems found reading the set */
	struct tenant_list tenants; /* owned: from the config, then from the query */
	struct actor actor;
	struct run_observer obs;            /* progress; may be empty */
	volatile sig_atomic_t *interrupted; /* set by the front end's signal handler */
	size_t interrupt_after;             /* demo/tests: see run_options */
	struct set_loader *loader;          /* owned: while the set loads (engine_open_start) */
	bool sql_checked;                   /* engine_check_sql ran */
};

/* Load config (path NULL: ./pgstep.conf), the migration set and the tenants
 * (running the tenant query when configured). Set problems are in e->diags;
 * err is set for what makes the project unusable (exit code in err->code). */
bool engine_open(struct engine *e, const char *config_path, struct pgstep_error *err);
/* engine_open in two halves, for a front end with work to do while the set
 * loads (reading the tenants' status). engine_open_start reads the config,
 * starts loading the set on a thread and runs the tenant query meanwhile;
 * e->tenants is then complete, but e->set and e->diags must not be touched
 * until engine_open_finish, which waits for the set. engine_set_fd is
 * readable once the set is loaded (-1: nothing to wait for). On failure
 * of either half, engine_close still cleans up. */
bool engine_open_start(struct engine *e, const char *config_path, struct pgstep_error *err);
int engine_set_fd(const struct engine *e);
bool engine_open_finish(struct engine *e, struct pgstep_error *err);
void engine_close(struct engine *e);
/* Read the migration set again (an edited file, a new one): on success the
 * old set and its diagnostics are freed, so every pointer into them (and
 * anything holding them: a job, a status reader) must be let go first; on
 * failure nothing changes and err says why. */
bool engine_reload_set(struct engine *e, struct pgstep_error *err);
/* True when the set has DIAG_ERROR entries (nothing may be applied). */
bool engine_set_has_errors(const struct engine *e);
/* Parse every migration's SQL (the set loads without, for status): each
 * syntax error goes to e->diags once, naming file and line. An up that does
 * not parse is an error (nothing may be applied: found before anything
 * runs); a down a warning (it blocks only rolling that migration back).
 * Returns the index in e->diags of the first problem it added. The trees
 * of the newest ENGINE_KEEP_TREES_BYTES of SQL stay for the plan's risk
 * engine, so a pending migration is parsed once. */
#define ENGINE_KEEP_TREES_BYTES (1024u * 1024)
size_t engine_check_sql(struct engine *e);

struct selection {
	const char *const *names; /* --tenant, repeatable */
	size_t n_names;
	const char *const *groups; /* --group key=value, repeatable (all must match) */
	size_t n_groups;
	bool all;
};

/* Resolve a selection; an unknown tenant name or a bad group is an error
 * (PGSTEP_EXIT_USAGE). With nothing selected: every tenant when
 * default_all, else the only tenant if there is exactly one, else an error. */
bool engine_select(const struct engine *e, const struct selection *sel, bool default_all,
                   struct tenant ***out, size_t *n, struct pgstep_error *err);

struct up_options {
	const char *to; /* apply up to and including this version; NULL: all */
	bool resume;    /* continue a dirty migration after its last done statement */
	bool dry_run;   /* list what would run, change nothing */
};

/* Plan for one tenant: the migrations `up` would apply, in order. */
bool ops_plan_up(struct engine *e, const struct tenant_status *ts, const struct up_options *o,
                 struct migration ***out, size_t *n, struct pgstep_error *err);

enum pgstep_exit ops_up(struct engine *e, struct tenant *t, const struct up_options *o,
                        struct pgstep_error *err);

struct down_options {
	const char *to; /* roll back every applied migration above this version */
	int steps;      /* or this many (default 1) */
	bool use_file;  /* run the file's down even when it changed since apply */
};

/* Plan for one tenant: the applied migrations `down` would roll back, newest
 * first (pointers into ts). A dirty migration on the way is an error. */
bool ops_plan_down(struct engine *e, const struct tenant_status *ts, const struct down_options *o,
                   const struct mig_status ***out, size_t *n, struct pgstep_error *err);

enum pgstep_exit ops_down(struct engine *e, struct tenant *t, const struct down_options *o,
                          struct pgstep_error *err);

/* Record a manual resolution of a failed or dirty migration. mark_applied
 * chooses the state written: applied, or rolled_back. */
enum pgstep_exit ops_repair(struct engine *e, struct tenant *t, const char *version,
                            const char *reason, bool mark_applied, struct pgstep_error *err);

/* Checksums of applied migrations against the files, the event hash chain,
 * its head and the rows bound to it (state_verify_events); each problem
 * names the tenant, file or event. anchor (may be NULL): a head recorded
 * earlier that must still be in the chain; head (may be NULL) receives the
 * chain's last event. Returns PGSTEP_EXIT_DRIFT when something was found. */
enum pgstep_exit ops_verify(struct engine *e, struct tenant *t, const struct chain_head *anchor,
                            struct chain_head *head, struct diag_list *problems,
                            struct pgstep_error *err);

/* The tenant's events (version NULL: all), oldest first. */
enum pgstep_exit ops_history(struct engine *e, struct tenant *t, const char *version,
                             struct event_rows *out, struct pgstep_error *err);

#endif
