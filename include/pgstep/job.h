/* job: one operation on one tenant (up to a version, down to a version, a
 * dirty migration resumed) as a sequence of runs that, once open, waits on
 * no user statement (see runner.h), so the interface's poll loop drives it
 * like a runner and the command line drives the same code with job_run.
 * Opening connects, takes the tenant's advisory lock, reads its state and
 * plans, all before anything changes; the plan (with each down's text: the
 * file's, or the one stored at apply time) can be shown before the first
 * job_step. */
#ifndef PGSTEP_JOB_H
#define PGSTEP_JOB_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include "pgstep/ops.h"
#include "pgstep/runner.h"

enum job_kind { JOB_UP, JOB_DOWN };

struct job_options {
	enum job_kind kind;
	const char *to; /* UP: up to and including; DOWN: roll back everything above */
	int steps;      /* DOWN without `to`: how many (default 1) */
	bool resume;    /* UP: continue a dirty migration after its last done statement */
	bool use_file;  /* DOWN: the file's down even when it changed since apply */
	bool step;      /* run every migration in step mode (see runner.h) */
	int64_t step_idle_timeout_ms; /* step mode: see run_options */
	/* UP resume: drop an index that an interrupted CREATE INDEX
	 * CONCURRENTLY left INVALID, and build it again (else job_open
	 * refuses, saying so). */
	bool rebuild_invalid;
};

struct job;

/* NULL with err set when the tenant cannot be reached or locked, or the plan
 * is impossible (a dirty migration on the way, an unknown version). */
struct job *job_open(struct engine *e, struct tenant *t, const struct job_options *o,
                     const struct run_observer *obs, struct pgstep_error *err);
/* Whether job_open's error message msg is its refusal to resume past an
 * index left INVALID without rebuild_invalid: the interface then asks. */
bool job_refused_invalid_index(const char *msg);
/* Rolls back what is still open (recording it), unlocks and disconnects. */
void job_close(struct job **j);

/* The plan: the migrations in run order. A down whose text comes from the
 * state (file changed or gone) is a migration owned by the job; stored says
 * so. */
size_t job_count(const struct job *j);
struct migration *job_migration(const struct job *j, size_t i, bool *stored);
/* Index of the migration running (job_count once all ran). */
size_t job_current(const struct job *j);
/* The running migration's runner; NULL before the first step and after. */
struct runner *job_runner(struct job *j);
enum job_kind job_kind(const struct job *j);
/* The backend pid of the job's session (who the server sees running it). */
int job_backend_pid(const struct job *j);

/* Advance as far as possible without waiting on a user statement (see
 * runner_step); RUN_PAUSED only in step mode. */
enum run_status job_step(struct job *j);
int job_socket(const struct job *j);
int job_timeout_ms(const struct job *j);
/* Stop: cancel the running statement, roll back what is open, record it,
 * and start nothing more. */
void job_cancel(struct job *j);
/* After RUN_FINISHED: PGSTEP_EXIT_OK when every migration ran. */
enum pgstep_exit job_result(const struct job *j, struct pgstep_error *err);
/* Blocking driver (the command line): *interrupted cancels. */
enum pgstep_exit job_run(struct job *j, volatile sig_atomic_t *interrupted,
                         struct pgstep_error *err);

#endif
