/* run_int.h: the step runner's state, shared by run.c (driving),
 * run_watch.c (the second session), run_confirm.c (confirmations and
 * dialogs), run_actions.c (the actions) and run_view.c (what the run view
 * shows). */
#ifndef PGSTEP_RUN_INT_H
#define PGSTEP_RUN_INT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pgstep/activity.h"
#include "pgstep/job.h"
#include "pgstep/preflight.h"
#include "pgstep/risk.h"
#include "pgstep/strvec.h"
#include "pgstep/watch.h"

struct app;
struct session;
struct catalog;
struct config;

/* One tenant of a group apply. */
struct run_result {
	size_t tenant;
	enum pgstep_exit rc;
	char *msg; /* owned */
	size_t done, planned;
	bool ran; /* false: skipped after a failure */
};

/* The watch session: a read-only look at the tenant while the job runs
 * (run_watch.c). */
struct run_watch {
	struct session *session;
	struct catalog *cat;
	struct watch *w;             /* the engine's watch over session: blockers, holds */
	int64_t stmt_started_ms;     /* when the last statement was sent */
	bool past_limit;             /* hold_limit passed (said once per transaction) */
	struct activity_facts facts; /* every relation the confirmed statement locks */
	enum risk_lock *facts_own;   /* owned, per facts.rels: what the job itself holds */
	char *facts_error;
	int64_t facts_next_ms;
};

/* The statement being confirmed, and the one confirmed (run_confirm.c). */
struct run_confirm {
	size_t index;
	bool given;
	struct migration *given_for;
	size_t given_index;
};

/* The last failure: its statement (a copy: the migration may be gone). */
struct run_failure {
	char *msg, *sql;
	int line, position;
	size_t index;
	struct migration *migration;
};

/* A group apply: tenants in order, and what became of each. */
struct run_group {
	bool active, go_on;
	size_t *queue, n_queue, qpos;
	struct run_result *results;
	size_t n_results, cap_results;
	/* Statements confirmed for every tenant ("version#index"), and what
	 * was typed for each. */
	struct strvec ok, typed;
};

struct run {
	char *title;           /* owned: "apply", "step", "down", ... */
	struct job *job;       /* NULL once ended */
	size_t tenant;         /* index in the engine's tenants */
	struct job_options jo; /* jo.to points to `to` */
	char *to;
	enum run_status st; /* the job's last job_step */
	bool auto_run;      /* run to the end: pass the pauses that need nobody */
	bool finished;
	bool discarded;       /* the DBA rolled it back (not a failure) */
	bool discarded_dirty; /* ... but what ran outside a transaction stays */
	char *abandoned;      /* owned: a group's failed tenant, rolled back: why */
	enum pgstep_exit rc;
	char *outcome;      /* owned: how the last job ended */
	struct strvec done; /* "applied 004 ... in 12 ms" of this job */
	int retries;        /* lock retries of the running migration */
	struct strvec log;

	/* The current migration's analysis (the tenant's schema, the catalogue). */
	struct migration *risk_for;
	struct risk_file_report risk;
	/* Its preflight checks (up only), run read-only when it was opened. */
	struct preflight_list checks;

	/* The first session the statement last waited for (a copy: during the
	 * backoff between attempts nobody blocks us, yet K still acts on it). */
	struct activity_session last_blocker;
	bool has_last_blocker;
	/* The session K acts on. */
	int blocker_pid;
	char *blocker_detail; /* owned JSON, for the event log */

	struct run_confirm confirm;
	struct run_failure failed;
	struct run_watch watch;
	struct run_group group;
};

/* run.c: starting, driving and ending runs. */
int64_t run_now_ms(void);
void run_log(struct run *rn, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
struct tenant *run_tenant(const struct app *app);
struct migration *run_migration(const struct run *rn);
const struct migration_section *run_section(const struct run *rn, const struct migration *m);
const struct risk_stmt *run_risk_stmt(const struct run *rn, const struct migration *m, size_t i);
size_t run_own_lock(const struct run *rn, const struct migration *m, size_t upto, const char *rel);
struct run *run_new(struct app *app, enum job_kind kind, const char *to, const char *title);
bool run_open_job(struct app *app, size_t ti);
#define RUN_PREFLIGHT_TIMEOUT_MS 5000 /* each check's statement_timeout */
bool run_preflight_failed(const struct run *rn, const struct migration *m, size_t i);
bool run_needs_confirm(const struct run *rn, struct migration *m, size_t i, struct risk_confirm *c);
char *run_group_key(const struct migration *m, size_t i);
void run_start_group(struct app *app, bool go_on);
void run_drive(struct app *app);

/* run_watch.c: the second session. */
#define WATCH_FACTS_EVERY_MS 1000 /* the confirmation's facts, refreshed */
void run_watch_open(struct app *app);
void run_watch_drain(struct run *rn);
void run_blockers_clear(struct run *rn);
void run_watch_tick(struct run *rn, const struct run_position *pos);
void run_watch_reset(struct run *rn);
void run_last_blocker_clear(struct run *rn);
int64_t run_idle_timeout_ms(const struct config *cfg);
void run_watch_read(struct app *app);
void run_facts_refresh(struct app *app, const struct strvec *rels);

/* run_confirm.c: the confirmation dialog. */
void run_confirm_open(struct app *app, size_t index);
void run_confirm_tick(struct app *app);
void run_journal_answer(struct app *app, bool yes, const char *typed);
void run_repair_answer(struct app *app, int button);

#endif
