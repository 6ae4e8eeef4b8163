/* run_int.h: the step runner's state, shared by run.c (driving) and
 * run_view.c (what the run view shows). */
#ifndef PGSTEP_RUN_INT_H
#define PGSTEP_RUN_INT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pgstep/activity.h"
#include "pgstep/job.h"
#include "pgstep/risk.h"
#include "pgstep/strvec.h"

struct app;
struct session;
struct catalog;

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
	bool busy;
	int64_t next_ms;
	struct activity_session *blockers; /* who the running statement waits for */
	size_t n_blockers;
	struct activity_facts facts;       /* the confirmation's relation */
	char *facts_error;
	enum risk_lock facts_own; /* what the job's own session holds on it */
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
	char *title;            /* owned: "apply", "step", "down", ... */
	struct job *job;        /* NULL once ended */
	size_t tenant;          /* index in the engine's tenants */
	struct job_options jo;  /* jo.to points to `to` */
	char *to;
	enum run_status st;     /* the job's last job_step */
	bool auto_run;          /* run to the end: pass the pauses that need nobody */
	bool finished;
	bool discarded;         /* the DBA rolled it back (not a failure) */
	bool discarded_dirty;   /* ... but what ran outside a transaction stays */
	char *abandoned;        /* owned: a group's failed tenant, rolled back: why */
	enum pgstep_exit rc;
	char *outcome;          /* owned: how the last job ended */
	struct strvec done;     /* "applied 004 ... in 12 ms" of this job */
	int retries;            /* lock retries of the running migration */
	struct strvec log;

	/* The current migration's analysis (the tenant's schema, the catalogue). */
	struct migration *risk_for;
	struct risk_file_report risk;

	struct run_confirm confirm;
	struct run_failure failed;
	struct run_watch watch;
	struct run_group group;
};

int64_t run_now_ms(void);
void run_log(struct run *rn, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
struct migration *run_migration(const struct run *rn);
const struct migration_section *run_section(const struct run *rn, const struct migration *m);
const struct risk_stmt *run_risk_stmt(const struct run *rn, const struct migration *m, size_t i);
size_t run_own_lock(const struct run *rn, const struct migration *m, size_t upto, const char *rel);
void run_drive(struct app *app);

#endif
