/* runner: runs one migration (up or down) on one tenant's session as a state
 * machine, so the command line and the interface's poll loop drive the same
 * code. It never waits on a user statement (those are sent asynchronously:
 * they may wait on locks or run long); the bookkeeping between them (BEGIN,
 * COMMIT, savepoints, state rows and events) is short and blocks. The
 * migration's statements are grouped into units: a transaction (the whole
 * migration by default, or a BEGIN ... COMMIT block written in the file) or
 * a single statement that must run outside a transaction. The state row is written inside the last
 * unit's transaction, so a transactional migration is applied and recorded, or neither; between
 * units progress (statements_done) is committed, so an interruption leaves
 * state dirty at the exact statement. lock_timeout is always set; on SQLSTATE
 * 55P03 the unit is rolled back (releasing every lock it held), and retried
 * after an exponential backoff, each wait recorded as an event. */
#ifndef PGSTEP_RUNNER_H
#define PGSTEP_RUNNER_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "pgstep/error.h"
#include "pgstep/migration.h"
#include "pgstep/session.h"
#include "pgstep/state.h"
#include "pgstep/tenant.h"

enum run_direction { RUN_UP, RUN_DOWN };

/* Event actions around a statement that runs outside a transaction: the
 * first is written (and committed) before it is sent, the second after it
 * succeeded, with the progress. An in-flight event with no statement event
 * after it means the statement may or may not have completed. */
#define RUN_EVENT_IN_FLIGHT "in-flight"
#define RUN_EVENT_STATEMENT "statement"

enum run_event_kind {
	RUN_EV_START,            /* migration begins */
	RUN_EV_STATEMENT,        /* a statement is sent */
	RUN_EV_STATEMENT_DONE,   /* a statement finished */
	RUN_EV_LOCK_WAIT,        /* lock_timeout hit: waiting backoff_ms, then attempt */
	RUN_EV_DONE,             /* migration applied / rolled back and recorded */
	RUN_EV_FAILED,           /* migration failed; message and sqlstate set */
	RUN_EV_CANCELLED,        /* interrupted; what was open rolled back and recorded */
	RUN_EV_NOTICE,           /* server notice; message set */
	RUN_EV_STATEMENT_FAILED, /* step mode: a statement failed or was cancelled,
	                          * was rolled back to its savepoint; paused */
	RUN_EV_UNDONE,           /* step mode: statement `index` was undone */
	RUN_EV_WAITING,          /* the running statement waits for another session
	                          * (a watch saw it); message names it */
};

struct run_event {
	enum run_event_kind kind;
	const struct tenant *tenant;
	const struct migration *migration;
	enum run_direction direction;
	size_t index;    /* 0-based statement index */
	size_t total;    /* statements in the migration */
	const char *sql; /* the statement, when relevant */
	int line;        /* its line in the file */
	int attempt;     /* lock retries: 1-based */
	int64_t backoff_ms;
	int64_t elapsed_ms;    /* DONE: since the migration began (its transaction) */
	int64_t statements_ms; /* the migration's statements' own time so far */
	const char *message;
	const char *sqlstate;
	int position; /* FAILED, STATEMENT_FAILED: the error's character in sql, 0 unknown */
};

struct run_observer {
	void (*event)(void *ctx, const struct run_event *ev);
	void *ctx;
};

struct run_options {
	/* Declared statement by statement (a directive or a marker, as
	 * settings_of says): each statement on its own, not only those that
	 * cannot run in a transaction. */
	bool no_transaction;
	int64_t lock_timeout_ms; /* never 0 */
	int lock_retries;
	int64_t retry_backoff_ms;
	int64_t statement_timeout_ms; /* 0: none */
	bool resume;                  /* continue a dirty migration ... */
	size_t resume_from;           /* ... after this many statements (may be 0) */
	/* Resume: the checksum the run began with, when the file changed since
	 * (only in statements not yet run); recorded with the new one. */
	const char *previous_checksum;
	/* Commit without waiting for the disk (synchronous_commit off). Only
	 * for a migration that a later synchronous commit in the same run
	 * follows: that commit makes this one durable too, and a crash before
	 * it loses the migration together with its state row, never one
	 * without the other. Segmented migrations always commit synchronously. */
	bool async_commit;
	bool use_stored_down;        /* run the down text stored at apply time */
	const char *stored_down_sql; /* that text, when use_stored_down */
	const char *phase;
	/* Stop after this many statements as if interrupted (demo and tests
	 * only; 0: never). */
	size_t interrupt_after;
	/* Step mode (the interface): pause before every statement and before
	 * each commit. Inside a transaction each statement runs under its own
	 * savepoint, so it can be undone; one that fails or is cancelled is
	 * rolled back to its savepoint and the run pauses instead of ending. */
	bool step;
	/* Step mode: the transaction's idle_in_transaction_session_timeout (a
	 * DBA reading the next statement is idle in transaction); 0: none. */
	int64_t step_idle_timeout_ms;
};

enum run_status {
	RUN_WAIT_SOCKET, /* a query is in flight: wait for session socket readability */
	RUN_WAIT_TIMER,  /* backing off: call again after runner_timeout_ms() */
	RUN_PAUSED,      /* step mode: waiting for runner_next, _undo or _discard */
	RUN_FINISHED,    /* done; see runner_result() */
};

/* Where a step-mode run stands (runner_position). */
enum run_pause {
	RUN_PAUSE_NONE,      /* not paused */
	RUN_PAUSE_STATEMENT, /* before statement `index` */
	RUN_PAUSE_COMMIT,    /* the open transaction's statements all ran */
	RUN_PAUSE_FAILED,    /* statement `index` failed or was cancelled and was
	                      * rolled back to its savepoint; `error` says why */
};

struct run_position {
	enum run_pause pause;
	size_t index; /* the statement the run is at (done: total) */
	size_t total;
	bool in_flight;                   /* a statement is running */
	bool backing_off;                 /* waiting to retry after lock_timeout */
	int attempt;                      /* 1-based attempt of the current statement */
	int64_t elapsed_ms;               /* of the running statement, or of the backoff */
	bool in_transaction;              /* our transaction is open */
	bool can_undo;                    /* runner_undo would roll a statement back */
	const struct pgstep_error *error; /* RUN_PAUSE_FAILED */
};

struct runner;

/* Prepare; splits the migration's statements (errors name file and line). */
struct runner *runner_new(struct session *s, const struct actor *actor, struct tenant *t,
                          struct migration *m, enum run_direction dir,
                          const struct run_options *opts, const struct run_observer *obs,
                          struct pgstep_error *err);
void runner_free(struct runner **r);
/* Advance as far as possible without waiting on a user statement (the
 * bookkeeping round trips between statements block). */
enum run_status runner_step(struct runner *r);
int runner_timeout_ms(const struct runner *r);
/* Request cancellation (PQcancel on the running statement); the runner then
 * rolls back what is open, records it and finishes. Safe from the main loop;
 * from a signal handler use session_cancel_handle() plus runner_step later. */
void runner_cancel(struct runner *r);
/* Step mode. runner_next runs the statement the run is paused before (or
 * retries the failed one, or commits at RUN_PAUSE_COMMIT). runner_undo rolls
 * the last statement back to its savepoint (at RUN_PAUSE_FAILED: gives up
 * the failed statement, which already was); false with err when there is
 * nothing to undo or the rollback failed. runner_discard rolls back the
 * whole open transaction and records it (a running statement is cancelled
 * first); a segmented migration stays dirty where it is. Each is recorded in
 * the event log, inside the transaction when it commits, after it when not. */
void runner_next(struct runner *r);
bool runner_undo(struct runner *r, struct pgstep_error *err);
void runner_discard(struct runner *r);
/* Step mode, inside the open transaction: give up the statement the run is
 * paused before (or the one that failed) without running it, for a reason
 * the DBA typed; recorded as a `skip` event with the statement (and its
 * error) in the transaction, and the run goes on to the next one. False
 * with err when there is nothing to skip, no reason, or the statement runs
 * outside a transaction (skipping it could not be undone). */
bool runner_skip(struct runner *r, const char *reason, struct pgstep_error *err);
bool runner_statement_skipped(const struct runner *r, size_t i);
/* Record an event about this run (action, detail JSON) with the same rule:
 * the interface's confirmations. */
bool runner_journal(struct runner *r, const char *action, const char *detail,
                    struct pgstep_error *err);
void runner_position(const struct runner *r, struct run_position *out);
/* Who the running statement waits for, as a watch saw it: recorded with the
 * next lock-wait event (copied; n 0 forgets). */
struct activity_session;
void runner_note_blockers(struct runner *r, const struct activity_session *b, size_t n);
/* Whether statement i runs inside a transaction held open across step-mode
 * pauses (so it can be undone). A statement of a no-transaction file runs
 * in a transaction of its own with its progress, but commits at once: no. */
bool runner_statement_in_transaction(const struct runner *r, size_t i);
/* Runs in more than one unit (or outside a transaction): what committed
 * stays when the rest is rolled back, and the state row says dirty. */
bool runner_segmented(const struct runner *r);
/* After RUN_FINISHED: the connection died under a statement, so nothing of
 * the failure could be recorded. runner_record_lost writes it (the row and
 * a fail event with the statement's own error) on s, a new connection that
 * holds the tenant's lock, from what the database holds: the statements
 * whose progress committed count as done, a statement in flight outside a
 * transaction is "in_doubt" (the resume asks the catalogue), and when the
 * last COMMIT landed without its answer (*landed) nothing is written: the
 * migration is applied (rolled back, for a down). */
bool runner_lost_connection(const struct runner *r);
bool runner_record_lost(struct runner *r, struct session *s, bool *landed,
                        struct pgstep_error *err);
/* After RUN_FINISHED: PGSTEP_EXIT_OK on success, else err explains. */
enum pgstep_exit runner_result(const struct runner *r, struct pgstep_error *err);

#endif
