/* runner: one migration on one tenant, as a state machine that never waits
 * on a user statement.
 *
 * A migration's statements are grouped into units. A transaction unit runs
 * between our own BEGIN and COMMIT (the whole migration, or one BEGIN ...
 * COMMIT block written in the file: honoured, never nested); a solo unit is
 * one statement that runs in autocommit (CONCURRENTLY and friends, or every
 * statement of a no-transaction migration). Only user statements are sent
 * asynchronously: they are what may wait on locks or run long. Bookkeeping
 * (state rows, events, BEGIN/COMMIT) is short and done with blocking calls
 * between them. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pgstep/activity.h"
#include "pgstep/catalog.h"
#include "pgstep/inflight.h"
#include "pgstep/json.h"
#include "pgstep/migset.h"
#include "pgstep/runner.h"
#include "pgstep/strbuf.h"
#include "pgstep/xalloc.h"

#define SQLSTATE_LOCK_NOT_AVAILABLE "55P03"
#define SQLSTATE_QUERY_CANCELED     "57014"

struct unit {
	size_t first, last; /* statement indices, inclusive */
	bool transaction;
	bool single; /* one statement of a no-transaction file, or outside any
	              * transaction: its own event records it */
};

/* The index a statement of a segmented migration builds, checked after it:
 * CREATE INDEX ... IF NOT EXISTS skips an INVALID one with a mere notice. */
struct built_index {
	bool has;
	struct rel_name index, table;
};

enum phase {
	PH_UNIT_START, /* next: open the current unit */
	PH_STATEMENT,  /* next: send statement `cur` */
	PH_IN_FLIGHT,  /* a statement is running */
	PH_BACKOFF,    /* waiting before a retry */
	PH_ADVANCE,    /* next: decide what follows statement `cur - 1` */
	PH_PAUSED,     /* step mode: waiting for the caller */
	PH_DONE,
};

/* An event about the run written when its transaction ends (see
 * runner_journal). */
struct journal_entry {
	char *action, *detail;
};

struct runner {
	struct session *s;
	const struct actor *actor;
	struct tenant *tenant;
	struct migration *m;
	enum run_direction dir;
	struct run_options opt;
	struct run_observer obs;

	const struct statement_list *stmts;
	struct built_index *built; /* per statement; segmented up runs only */
	struct unit *units;
	size_t n_units;
	size_t unit;    /* current unit */
	size_t cur;     /* current statement index */
	bool segmented; /* more than one unit: progress is committed between units */
	bool in_txn;    /* our BEGIN is open */
	int attempt;    /* 1-based attempt of the current unit/statement */
	size_t done;    /* statements completed and committed (or in the open txn) */

	enum phase phase;
	struct timespec started, stmt_started, backoff_until;
	int64_t statements_ms; /* the statements' own time, summed (for the report) */
	char *blockers;        /* owned JSON array: who the waiting statement waits for */
	char started_at[40];
	bool cancel_requested;
	bool discard_requested;
	bool announced; /* RUN_EV_START sent and, when segmented, the dirty row written */

	enum pgstep_exit result;
	struct pgstep_error err;
	/* The running statement's first error. session_consume reports it in
	 * the call that reads the error result, which is often not the call
	 * that sees the query finish: it must outlive those calls, or a failed
	 * statement reads as a success. */
	struct pgstep_error stmt_err;
	/* The connection died under a statement: its error (the server's
	 * 57P01, or libpq's) and the row state it leaves, for whoever can
	 * record it on a new connection (runner_record_lost). */
	bool lost;
	bool lost_in_doubt;  /* the statement was in flight outside a transaction */
	bool lost_at_commit; /* ... at the COMMIT (or progress) after its unit */
	size_t flight;       /* 1 + the statement announced in flight, 0 when none */
	struct pgstep_error lost_err;
	enum row_state lost_state;

	/* Step mode */
	bool pass;     /* the caller let the run past this pause */
	bool *skipped; /* per statement: given up with a reason (runner_skip); may be NULL */
	enum run_pause pause;
	struct pgstep_error pause_err; /* RUN_PAUSE_FAILED: why */
	struct journal_entry *journal; /* events waiting for the transaction's end */
	size_t n_journal, cap_journal;
};

static int64_t ms_since(const struct timespec *t)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (int64_t)(now.tv_sec - t->tv_sec) * 1000 + (now.tv_nsec - t->tv_nsec) / 1000000;
}

static void iso_now(char *buf, size_t n)
{
	struct timespec ts;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	size_t k = strftime(buf, n, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + k, n - k, ".%06ldZ", ts.tv_nsec / 1000);
}

static const struct migration_section *runner_section(const struct runner *r)
{
	return r->dir == RUN_UP ? &r->m->up : &r->m->down;
}

static void runner_emit(struct runner *r, enum run_event_kind kind, const char *message,
                        const char *sqlstate)
{
	if (!r->obs.event)
		return;
	struct run_event ev = {
	    .kind = kind,
	    .tenant = r->tenant,
	    .migration = r->m,
	    .direction = r->dir,
	    .index = r->cur,
	    .total = r->stmts->n,
	    .attempt = r->attempt,
	    .elapsed_ms = ms_since(&r->started),
	    .message = message,
	    .sqlstate = sqlstate,
	};
	if (r->cur < r->stmts->n) {
		ev.sql = r->stmts->items[r->cur].sql;
		ev.line = r->stmts->items[r->cur].line;
	}
	if (kind == RUN_EV_STATEMENT_DONE) {
		ev.elapsed_ms = ms_since(&r->stmt_started);
		r->statements_ms += ev.elapsed_ms;
	}
	ev.statements_ms = r->statements_ms;
	if (kind == RUN_EV_FAILED || kind == RUN_EV_CANCELLED)
		ev.position = r->err.position;
	else if (kind == RUN_EV_STATEMENT_FAILED)
		ev.position = r->pause_err.position;
	if (kind == RUN_EV_LOCK_WAIT)
		ev.backoff_ms = r->opt.retry_backoff_ms << (r->attempt > 1 ? r->attempt - 2 : 0);
	r->obs.event(r->obs.ctx, &ev);
}

static void runner_on_notice(void *ctx, const PGresult *res)
{
	struct runner *r = ctx;
	const char *msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
	const char *sev = PQresultErrorField(res, PG_DIAG_SEVERITY);
	char *line = xasprintf("%s: %s", sev ? sev : "NOTICE", msg ? msg : "");
	runner_emit(r, RUN_EV_NOTICE, line, PQresultErrorField(res, PG_DIAG_SQLSTATE));
	free(line);
}

/* Units from the statements' transaction roles (see the file comment). */
static bool runner_plan_units(struct runner *r, bool no_transaction, struct pgstep_error *err)
{
	const struct statement_list *l = r->stmts;
	bool explicit_blocks = false, forbidden = false;
	for (size_t i = 0; i < l->n; i++) {
		explicit_blocks |= l->items[i].txn == STMT_TXN_BEGIN;
		forbidden |= l->items[i].txn == STMT_TXN_FORBIDDEN;
		if (l->items[i].txn == STMT_TXN_ROLLBACK) {
			error_set(err, PGSTEP_EXIT_USAGE,
			          "%s:%d: ROLLBACK in a migration file is not supported: the "
			          "statements before it would be discarded",
			          runner_section(r)->path, l->items[i].line);
			return false;
		}
	}
	size_t cap = 0;
	if (!explicit_blocks && !forbidden && !no_transaction) {
		XGROW(r->units, cap, 1);
		r->units[0] =
		    (struct unit){.first = 0, .last = l->n ? l->n - 1 : 0, .transaction = true};
		r->n_units = l->n ? 1 : 0;
		return true;
	}
	size_t i = 0;
	while (i < l->n) {
		XGROW(r->units, cap, r->n_units + 1);
		struct unit *u = &r->units[r->n_units++];
		*u = (struct unit){.first = i};
		if (l->items[i].txn == STMT_TXN_BEGIN) {
			size_t j = i + 1;
			while (j < l->n && l->items[j].txn != STMT_TXN_COMMIT) {
				if (l->items[j].txn == STMT_TXN_BEGIN ||
				    l->items[j].txn == STMT_TXN_FORBIDDEN) {
					error_set(
					    err, PGSTEP_EXIT_USAGE,
					    "%s:%d: %s inside the file's BEGIN block (line %d)",
					    runner_section(r)->path, l->items[j].line,
					    l->items[j].txn == STMT_TXN_BEGIN
					        ? "BEGIN"
					        : "a statement that cannot run in a transaction",
					    l->items[i].line);
					return false;
				}
				j++;
			}
			if (j == l->n) {
				error_set(err, PGSTEP_EXIT_USAGE,
				          "%s:%d: BEGIN without a matching COMMIT",
				          runner_section(r)->path, l->items[i].line);
				return false;
			}
			u->last = j;
			u->transaction = true;
			i = j + 1;
		} else if (l->items[i].txn == STMT_TXN_COMMIT) {
			error_set(err, PGSTEP_EXIT_USAGE, "%s:%d: COMMIT without a BEGIN",
			          runner_section(r)->path, l->items[i].line);
			return false;
		} else if (l->items[i].txn == STMT_TXN_FORBIDDEN) {
			u->last = i;
			u->transaction = false;
			u->single = true;
			i++;
		} else if (no_transaction) {
			/* A no-transaction file needs autocommit only for what cannot
			 * run in a transaction: anything else commits together with
			 * its progress, so no interruption can leave it done but
			 * unrecorded. */
			u->last = i;
			u->transaction = true;
			u->single = true;
			i++;
		} else {
			/* Plain statements between blocks share one implicit transaction. */
			size_t j = i;
			while (j + 1 < l->n && l->items[j + 1].txn == STMT_TXN_NORMAL)
				j++;
			u->last = j;
			u->transaction = true;
			i = j + 1;
		}
	}
	return true;
}

struct runner *runner_new(struct session *s, const struct actor *actor, struct tenant *t,
                          struct migration *m, enum run_direction dir,
                          const struct run_options *opts, const struct run_observer *obs,
                          struct pgstep_error *err)
{
	struct migration_section *sec = dir == RUN_UP ? &m->up : &m->down;
	if (!migration_split_section(sec, err))
		return NULL;
	if (dir == RUN_DOWN && !sec->text && !(opts->use_stored_down && opts->stored_down_sql)) {
		error_set(err, PGSTEP_EXIT_FAILED,
		          "tenant %s: %s is irreversible: it has no down migration", t->name,
		          migration_label(m));
		return NULL;
	}
	struct runner *r = xcalloc(1, sizeof *r);
	r->s = s;
	r->actor = actor;
	r->tenant = t;
	r->m = m;
	r->dir = dir;
	r->opt = *opts;
	if (obs)
		r->obs = *obs;
	r->stmts = &sec->stmts;
	if (!runner_plan_units(r, r->opt.no_transaction, err)) {
		runner_free(&r);
		return NULL;
	}
	r->segmented = r->n_units > 1 || (r->n_units == 1 && !r->units[0].transaction);
	if (r->opt.resume) {
		/* Resume at the unit holding the first statement not done. */
		while (r->unit < r->n_units && r->units[r->unit].last < r->opt.resume_from)
			r->unit++;
		if (r->unit < r->n_units && r->units[r->unit].first < r->opt.resume_from) {
			error_set(err, PGSTEP_EXIT_USAGE,
			          "tenant %s: %s: cannot resume inside a transaction block",
			          t->name, migration_label(m));
			runner_free(&r);
			return NULL;
		}
		r->done = r->opt.resume_from;
		r->segmented = true;
	}
	if (r->segmented && dir == RUN_UP) {
		r->built = xcalloc(r->stmts->n ? r->stmts->n : 1, sizeof *r->built);
		for (size_t i = 0; i < r->stmts->n; i++) {
			/* the splitter's node kind spares parsing the others again */
			const char *kind = r->stmts->items[i].kind;
			if (strcmp(kind, "IndexStmt") == 0 || strcmp(kind, "ReindexStmt") == 0)
				r->built[i].has = inflight_built_index(
				    r->stmts->items[i].sql, &r->built[i].index, &r->built[i].table);
		}
	}
	r->phase = PH_UNIT_START;
	r->attempt = 1;
	clock_gettime(CLOCK_MONOTONIC, &r->started);
	iso_now(r->started_at, sizeof r->started_at);
	session_set_notice_handler(s, runner_on_notice, r);
	return r;
}

void runner_free(struct runner **rp)
{
	struct runner *r = *rp;
	if (!r)
		return;
	session_set_notice_handler(r->s, NULL, NULL);
	for (size_t i = 0; r->built && i < r->stmts->n; i++) {
		rel_name_clear(&r->built[i].index);
		rel_name_clear(&r->built[i].table);
	}
	free(r->built);
	free(r->skipped);
	free(r->units);
	free(r->blockers);
	error_clear(&r->err);
	error_clear(&r->stmt_err);
	error_clear(&r->pause_err);
	error_clear(&r->lost_err);
	for (size_t i = 0; i < r->n_journal; i++) {
		free(r->journal[i].action);
		free(r->journal[i].detail);
	}
	free(r->journal);
	free(r);
	*rp = NULL;
}

static const char *runner_action(const struct runner *r)
{
	return r->dir == RUN_UP ? "apply" : "rollback";
}

/* The migrations row as it stands now, in state st. */
static void runner_fill_row(struct runner *r, struct state_row *row, enum row_state st)
{
	memset(row, 0, sizeof *row);
	row->tenant = r->tenant->name;
	row->version = r->m->version.key;
	row->version_text = r->m->version.text;
	row->name = r->m->name;
	row->phase = r->m->phase;
	row->checksum = r->m->checksum;
	row->state = st;
	row->statements_total = (int)r->stmts->n;
	row->statements_done = (int)r->done;
	row->up_sql = r->m->up.text;
	row->down_sql = r->dir == RUN_DOWN && r->opt.use_stored_down
	                    ? (char *)r->opt.stored_down_sql
	                    : r->m->down.text;
	row->os_user = r->actor->os_user;
	row->client_addr = r->actor->client_addr;
	row->started_at = r->started_at;
	row->duration_ms = ms_since(&r->started);
}

/* An event detail's JSON object, opened with the run's direction. */
static void runner_detail_open(const struct runner *r, struct strbuf *sb, struct json *j)
{
	strbuf_init(sb);
	json_init(j, sb);
	json_begin_object(j);
	json_kv_string(j, "direction", r->dir == RUN_UP ? "up" : "down");
}

static char *runner_detail(struct runner *r, const char *extra_key, const char *extra)
{
	struct strbuf sb;
	struct json j;
	runner_detail_open(r, &sb, &j);
	json_kv_string(&j, "name", r->m->name);
	json_kv_string(&j, "checksum", r->m->checksum);
	json_kv_int(&j, "statements_done", (int64_t)r->done);
	json_kv_int(&j, "statements_total", (int64_t)r->stmts->n);
	json_kv_int(&j, "duration_ms", ms_since(&r->started));
	if (r->opt.previous_checksum)
		json_kv_string(&j, "previous_checksum", r->opt.previous_checksum);
	if (extra_key)
		json_kv_string(&j, extra_key, extra);
	if (r->lost_in_doubt) /* whether it completed is the resume's to find out */
		json_kv_bool(&j, "in_doubt", true);
	json_end_object(&j);
	return strbuf_detach(&sb);
}

/* A statement's event detail: which one (1-based) and its text. */
static char *runner_statement_detail(struct runner *r, size_t i)
{
	struct strbuf sb;
	struct json j;
	runner_detail_open(r, &sb, &j);
	json_kv_string(&j, "checksum", r->m->checksum);
	json_kv_int(&j, "statement", (int64_t)i + 1);
	json_kv_int(&j, "statements_total", (int64_t)r->stmts->n);
	json_kv_string(&j, "sql", r->stmts->items[i].sql);
	json_end_object(&j);
	return strbuf_detach(&sb);
}

/* A failure's event detail, for a failure that leaves the row as it was. */
static char *runner_failure_detail(struct runner *r, const struct pgstep_error *failure)
{
	struct strbuf sb;
	struct json j;
	runner_detail_open(r, &sb, &j);
	json_kv_string(&j, "checksum", r->m->checksum);
	json_kv_int(&j, "statement", (int64_t)r->cur + 1);
	json_kv_int(&j, "statements_total", (int64_t)r->stmts->n);
	if (failure->sqlstate[0])
		json_kv_string(&j, "sqlstate", failure->sqlstate);
	json_kv_string(&j, "error", failure->msg);
	json_end_object(&j);
	return strbuf_detach(&sb);
}

/* Write the row and an event; inside the open transaction when there is one. */
static bool runner_record(struct runner *r, enum row_state st, const char *action,
                          const struct pgstep_error *failure, struct pgstep_error *err)
{
	struct state_row row;
	char finished[40];
	runner_fill_row(r, &row, st);
	iso_now(finished, sizeof finished);
	row.finished_at = st == ROW_DIRTY ? NULL : finished;
	if (failure) {
		row.sqlstate = failure->sqlstate[0] ? (char *)failure->sqlstate : NULL;
		row.error_message = failure->msg;
		row.error_statement = (int)r->cur + 1;
	}
	char *detail = runner_detail(r, failure ? "error" : NULL, failure ? failure->msg : NULL);
	bool ok = state_upsert(r->s, r->actor, &row, action, detail, err);
	free(detail);
	return ok;
}

/* Events about a step-mode run wait for its transaction's end: written
 * inside it when it commits (with the migration they describe), after it
 * when it rolls back, so that neither outcome loses them. */
bool runner_journal(struct runner *r, const char *action, const char *detail,
                    struct pgstep_error *err)
{
	if (!r->in_txn)
		return state_event(r->s, r->actor, r->tenant->name, r->m->version.key, action,
		                   detail, err);
	char when[40];
	iso_now(when, sizeof when);
	XGROW(r->journal, r->cap_journal, r->n_journal + 1);
	struct journal_entry *j = &r->journal[r->n_journal++];
	j->action = xstrdup(action);
	/* The event's own time is when it is written: keep when it happened. */
	j->detail = detail && detail[0] == '{' && detail[1] != '}'
	                ? xasprintf("{\"when\":\"%s\",%s", when, detail + 1)
	                : xasprintf("{\"when\":\"%s\"}", when);
	return true;
}

static bool runner_flush_journal(struct runner *r, struct pgstep_error *err)
{
	bool ok = true;
	for (size_t i = 0; i < r->n_journal; i++) {
		if (ok)
			ok = state_event(r->s, r->actor, r->tenant->name, r->m->version.key,
			                 r->journal[i].action, r->journal[i].detail, err);
		free(r->journal[i].action);
		free(r->journal[i].detail);
	}
	r->n_journal = 0;
	return ok;
}

/* ROLLBACK of our transaction, then what the journal holds. */
static bool runner_rollback_txn(struct runner *r, struct pgstep_error *err)
{
	if (r->in_txn) {
		r->in_txn = false;
		if (!session_exec(r->s, "ROLLBACK", err))
			return false;
	}
	return runner_flush_journal(r, err);
}

static void runner_finish(struct runner *r, enum pgstep_exit code)
{
	r->result = code;
	r->phase = PH_DONE;
}

/* A bookkeeping step failed: nothing more can be trusted on this session. */
static void runner_internal_failure(struct runner *r, struct pgstep_error *e)
{
	struct pgstep_error ignore = {0};
	runner_rollback_txn(r, &ignore);
	error_clear(&ignore);
	error_prefix(e, "tenant %s: %s", r->tenant->name, migration_label(r->m));
	error_set(&r->err, e->code ? e->code : PGSTEP_EXIT_FAILED, "%s", e->msg);
	memcpy(r->err.sqlstate, e->sqlstate, sizeof r->err.sqlstate);
	error_clear(e);
	runner_emit(r, RUN_EV_FAILED, r->err.msg, r->err.sqlstate);
	runner_finish(r, r->err.code);
}

static bool runner_open_unit(struct runner *r, struct pgstep_error *e)
{
	const struct unit *u = &r->units[r->unit];
	char *sql;
	if (r->segmented && !r->announced && !r->opt.resume) {
		/* Announce the run before anything changes, so an interruption of a
		 * segmented migration is always described by a dirty row. */
		if (!runner_record(r, ROW_DIRTY, r->dir == RUN_UP ? "start" : "rollback-start",
		                   NULL, e))
			return false;
	} else if (r->segmented && !r->announced) {
		char *detail = runner_detail(r, NULL, NULL);
		bool ok = state_event(r->s, r->actor, r->tenant->name, r->m->version.key, "resume",
		                      detail, e);
		free(detail);
		if (!ok)
			return false;
	}
	r->announced = true;
	if (u->transaction) {
		/* A DBA reading the next statement is idle in transaction: bounded
		 * (longer than the hold guard), never unlimited. */
		char idle[96] = "";
		if (r->opt.step)
			snprintf(idle, sizeof idle,
			         "; SET LOCAL idle_in_transaction_session_timeout = %lld",
			         (long long)r->opt.step_idle_timeout_ms);
		sql = xasprintf(
		    "BEGIN; SET LOCAL lock_timeout = %lld; SET LOCAL statement_timeout = "
		    "%lld%s%s",
		    (long long)r->opt.lock_timeout_ms, (long long)r->opt.statement_timeout_ms,
		    r->opt.async_commit && !r->segmented ? "; SET LOCAL synchronous_commit = off"
		                                         : "",
		    idle);
		r->in_txn = true;
	} else {
		sql = xasprintf("SET lock_timeout = %lld; SET statement_timeout = %lld",
		                (long long)r->opt.lock_timeout_ms,
		                (long long)r->opt.statement_timeout_ms);
	}
	bool ok = session_exec(r->s, sql, e);
	free(sql);
	if (!ok)
		return false;
	r->cur = u->first;
	return ok;
}

/* A statement outside any transaction commits on its own, and may do so
 * after we are gone: say first that it is in flight, so that a resume looks
 * at the evidence instead of running it twice. */
static bool runner_announce_in_flight(struct runner *r, struct pgstep_error *e)
{
	if (r->in_txn)
		return true;
	char *detail = runner_statement_detail(r, r->cur);
	bool ok = state_event(r->s, r->actor, r->tenant->name, r->m->version.key,
	                      RUN_EVENT_IN_FLIGHT, detail, e);
	free(detail);
	r->flight = ok ? r->cur + 1 : 0;
	return ok;
}

/* Skip statements the runner does not send itself (the file's BEGIN/COMMIT). */
static void runner_skip_control(struct runner *r)
{
	const struct unit *u = &r->units[r->unit];
	while (r->cur <= u->last && (r->stmts->items[r->cur].txn == STMT_TXN_BEGIN ||
	                             r->stmts->items[r->cur].txn == STMT_TXN_COMMIT))
		r->cur++;
}

/* The current unit's statements all succeeded: commit it with its progress. */
static bool runner_close_unit(struct runner *r, struct pgstep_error *e)
{
	const struct unit *u = &r->units[r->unit];
	bool last = r->unit + 1 == r->n_units;
	r->done = u->last + 1;
	if (!runner_flush_journal(r, e))
		return false;
	if (last) {
		enum row_state st = r->dir == RUN_UP ? ROW_APPLIED : ROW_ROLLED_BACK;
		if (!runner_record(r, st, runner_action(r), NULL, e))
			return false;
	} else if (r->segmented) {
		/* The progress and the event that binds it, together. */
		char *detail =
		    u->single ? runner_statement_detail(r, u->first) : runner_detail(r, NULL, NULL);
		bool ok = state_set_progress(
		    r->s, r->actor, r->tenant->name, r->m->version.key, (int)r->done,
		    u->single ? RUN_EVENT_STATEMENT : "progress", detail, e);
		free(detail);
		if (!ok)
			return false;
	}
	if (u->transaction) {
		r->in_txn = false;
		if (!session_exec(r->s, "COMMIT", e))
			return false;
	}
	r->unit++;
	r->attempt = 1;
	r->flight = 0;
	return true;
}

/* The statement failed, or the run was stopped (stop: "cancel", or
 * "discard" when rolled back on request): roll back and record it. */
/* The connection is gone: the server rolled back what was open, nothing
 * can be recorded here, and the statement's own error is what the DBA must
 * read (not the "no connection" of the bookkeeping after it). */
static void runner_fail_lost(struct runner *r, const struct pgstep_error *failure)
{
	r->in_txn = false; /* the journal waits for runner_record_lost */
	r->lost = true;
	r->lost_state = r->segmented ? ROW_DIRTY : ROW_FAILED;
	char *prefix = xasprintf("tenant %s", r->tenant->name);
	const char *why = error_unprefixed(failure->msg, prefix);
	error_set(&r->lost_err, PGSTEP_EXIT_FAILED, "connection lost %s statement %zu: %s",
	          r->lost_at_commit ? "while committing" : "during", r->cur + 1, why);
	free(prefix);
	memcpy(r->lost_err.sqlstate, failure->sqlstate, sizeof r->lost_err.sqlstate);
	char state[120];
	if (r->lost_at_commit)
		snprintf(state, sizeof state,
		         "whether the COMMIT landed is read on connecting again");
	else if (r->dir == RUN_DOWN && !r->segmented)
		snprintf(state, sizeof state,
		         "its transaction was rolled back: nothing was rolled back, it is still "
		         "applied");
	else if (r->segmented)
		snprintf(state, sizeof state, "state is dirty at %zu of %zu statements done",
		         r->done, r->stmts->n);
	else
		snprintf(state, sizeof state,
		         "its transaction was rolled back: nothing was applied");
	error_set(&r->err, PGSTEP_EXIT_FAILED, "tenant %s: %s: %s (%s:%d); %s", r->tenant->name,
	          migration_label(r->m), r->lost_err.msg, runner_section(r)->path,
	          r->stmts->items[r->cur].line, state);
	memcpy(r->err.sqlstate, failure->sqlstate, sizeof r->err.sqlstate);
	runner_emit(r, RUN_EV_FAILED, r->err.msg, r->err.sqlstate);
	runner_finish(r, PGSTEP_EXIT_FAILED);
}

bool runner_lost_connection(const struct runner *r)
{
	return r->lost;
}

bool runner_record_lost(struct runner *r, struct session *s, bool *landed, struct pgstep_error *err)
{
	r->s = s;
	*landed = false;
	size_t cur = r->cur;
	/* What the lost connection committed is the truth, not what the runner
	 * believed as it went: a COMMIT may have landed without its answer, or
	 * not landed after the runner counted its statements done. */
	struct state_rows rows = {0};
	const char *tenant = r->tenant->name;
	if (!state_load(s, &tenant, 1, false, &rows, err))
		return false;
	const struct state_row *row = state_rows_find(&rows, tenant, r->m->version.key);
	enum row_state final = r->dir == RUN_UP ? ROW_APPLIED : ROW_ROLLED_BACK;
	if (row && row->state == final) {
		*landed = true; /* the last unit committed, with its row and events */
		state_rows_clear(&rows);
		return true;
	}
	/* Progress lives in the dirty row a segmented run keeps; any other row
	 * (applied, before a down announced itself) says nothing of this run. */
	r->done = row && r->segmented && row->state == ROW_DIRTY ? (size_t)row->statements_done : 0;
	state_rows_clear(&rows);
	r->lost_in_doubt = r->flight == cur + 1 && r->done == cur;
	if (r->dir == RUN_DOWN && !r->segmented) {
		/* A down in one transaction rolled nothing back: the row stays
		 * applied, and the failure is an event (as runner_fail says). */
		char *detail = runner_failure_detail(r, &r->lost_err);
		bool ok =
		    runner_flush_journal(r, err) &&
		    state_event(s, r->actor, tenant, r->m->version.key, "down-failed", detail, err);
		free(detail);
		r->cur = cur;
		return ok;
	}
	if (r->lost_at_commit) {
		char state[120];
		if (r->segmented)
			snprintf(state, sizeof state,
			         "state is dirty at %zu of %zu statements done", r->done,
			         r->stmts->n);
		else
			snprintf(state, sizeof state, "nothing was applied");
		error_set(&r->err, PGSTEP_EXIT_FAILED,
		          "tenant %s: %s: %s (%s:%d); the COMMIT had not landed: %s", tenant,
		          migration_label(r->m), r->lost_err.msg, runner_section(r)->path,
		          r->stmts->items[cur].line, state);
	}
	/* what the open transaction's journal held (confirmations), then the
	 * failure, as a rollback would have written them */
	bool ok = runner_flush_journal(r, err) &&
	          runner_record(r, r->lost_state, "fail", &r->lost_err, err);
	r->cur = cur;
	return ok;
}

static void runner_fail(struct runner *r, struct pgstep_error *failure, const char *stop)
{
	struct pgstep_error e = {0};
	bool cancelled = stop != NULL;
	if (PQstatus(session_conn(r->s)) == CONNECTION_BAD) {
		runner_fail_lost(r, failure);
		return;
	}
	if (!runner_rollback_txn(r, &e))
		goto internal;
	/* Nothing of a single-transaction migration remains, so its row (if it
	 * had none) records a failure; a segmented one stays dirty at the exact
	 * statement. A cancel is an event, not a failed migration. */
	enum row_state st = r->segmented ? ROW_DIRTY : ROW_FAILED;
	/* A down in one transaction that failed rolled nothing back: the
	 * migration is still applied, so its row stays as it is and only the
	 * failure is recorded (a `failed` row would count it pending and the
	 * next up would run its up again). */
	bool down_kept = r->dir == RUN_DOWN && !r->segmented;
	/* Cancelled before anything ran (or was announced): the row, if any,
	 * still describes the state exactly, so only the cancel is recorded. */
	if ((cancelled || down_kept) && (!r->segmented || !r->announced)) {
		char *detail = cancelled
		                   ? runner_detail(r, "statement", r->stmts->items[r->cur].sql)
		                   : runner_failure_detail(r, failure);
		bool ok = state_event(r->s, r->actor, r->tenant->name, r->m->version.key,
		                      cancelled ? stop : "down-failed", detail, &e);
		free(detail);
		if (!ok)
			goto internal;
	} else if (!runner_record(r, st, cancelled ? stop : "fail", failure, &e)) {
		goto internal;
	}
	error_set(&r->err, PGSTEP_EXIT_FAILED, "tenant %s: %s: statement %zu (%s:%d) %s: %s%s",
	          r->tenant->name, migration_label(r->m), r->cur + 1, runner_section(r)->path,
	          r->stmts->items[r->cur].line,
	          !cancelled                     ? "failed"
	          : strcmp(stop, "discard") == 0 ? "stopped"
	                                         : "cancelled",
	          failure->msg,
	          r->segmented       ? (r->dir == RUN_UP ? "; state is dirty: fix the cause, then "
	                                                   "`pgstep up --resume` or `pgstep repair`"
	                                                 : "; state is dirty: see `pgstep repair`")
	          : r->dir == RUN_UP ? "; nothing was applied"
	                             : "; nothing was rolled back: it is still applied");
	memcpy(r->err.sqlstate, failure->sqlstate, sizeof r->err.sqlstate);
	r->err.position = failure->position;
	runner_emit(r, cancelled ? RUN_EV_CANCELLED : RUN_EV_FAILED, r->err.msg, r->err.sqlstate);
	runner_finish(r, PGSTEP_EXIT_FAILED);
	return;
internal:
	runner_internal_failure(r, &e);
}

/* Record the wait and back off before the next attempt. */
static void runner_backoff(struct runner *r, struct pgstep_error *failure)
{
	struct pgstep_error e = {0};
	r->attempt++;
	int64_t backoff = r->opt.retry_backoff_ms << (r->attempt - 2);
	/* The sessions it waited for, as a watch saw them: for the post-mortem. */
	char *detail =
	    xasprintf("{\"statement\":%zu,\"attempt\":%d,\"backoff_ms\":%lld%s%s}", r->cur + 1,
	              r->attempt, (long long)backoff, r->blockers ? ",\"blockers\":" : "",
	              r->blockers ? r->blockers : "");
	free(r->blockers);
	r->blockers = NULL;
	bool ok = runner_journal(r, "lock-wait", detail, &e);
	free(detail);
	if (!ok) {
		runner_internal_failure(r, &e);
		return;
	}
	runner_emit(r, RUN_EV_LOCK_WAIT, failure->msg, failure->sqlstate);
	clock_gettime(CLOCK_MONOTONIC, &r->backoff_until);
	r->backoff_until.tv_sec += backoff / 1000;
	r->backoff_until.tv_nsec += (backoff % 1000) * 1000000;
	if (r->backoff_until.tv_nsec >= 1000000000) {
		r->backoff_until.tv_sec++;
		r->backoff_until.tv_nsec -= 1000000000;
	}
	r->phase = PH_BACKOFF;
}

static void runner_lock_wait(struct runner *r, struct pgstep_error *failure)
{
	struct pgstep_error e = {0};
	/* Retry the whole unit: holding earlier statements' locks during the
	 * backoff would stall the application behind them. */
	if (!runner_rollback_txn(r, &e)) {
		runner_internal_failure(r, &e);
		return;
	}
	r->pass = true; /* step mode: the retry needs no new go-ahead */
	runner_backoff(r, failure);
}

/* Step mode holds this unit's transaction open across pauses, with a
 * savepoint per statement. A single statement of a no-transaction file is
 * not held: it commits with its progress as soon as it ran, as the file
 * asked (nothing of it can be undone). */
static bool runner_stepped_txn(const struct runner *r)
{
	return r->opt.step && r->in_txn && r->unit < r->n_units && !r->units[r->unit].single;
}

static bool runner_stopping(const struct runner *r)
{
	return r->cancel_requested || r->discard_requested;
}

static const char *runner_stop_action(const struct runner *r)
{
	return r->discard_requested ? "discard" : "cancel";
}

static void runner_pause(struct runner *r, enum run_pause why)
{
	r->phase = PH_PAUSED;
	r->pause = why;
}

static void runner_savepoint(struct runner *r, const char *verb, size_t i, struct pgstep_error *e)
{
	char sql[64];
	snprintf(sql, sizeof sql, "%s pgstep_%zu", verb, i);
	session_exec(r->s, sql, e);
}

/* Step mode, inside a transaction: a statement failed or was cancelled.
 * Only it is rolled back; lock waits retry it alone (the earlier
 * statements' locks stay: the DBA chose to hold them), anything else
 * pauses for the DBA to retry, undo or roll back. */
static void runner_step_failure(struct runner *r, struct pgstep_error *failure, bool cancelled)
{
	struct pgstep_error e = {0};
	runner_savepoint(r, "ROLLBACK TO SAVEPOINT", r->cur, &e);
	if (error_isset(&e)) {
		runner_internal_failure(r, &e);
		return;
	}
	bool lock = strcmp(failure->sqlstate, SQLSTATE_LOCK_NOT_AVAILABLE) == 0;
	if (!cancelled && lock && r->attempt <= r->opt.lock_retries) {
		r->pass = true; /* the retry needs no new go-ahead */
		runner_backoff(r, failure);
		return;
	}
	r->cancel_requested = false;
	error_clear(&r->pause_err);
	if (!cancelled && lock)
		error_set(&r->pause_err, PGSTEP_EXIT_FAILED,
		          "%s (gave up after %d attempts with lock_timeout %lldms)", failure->msg,
		          r->attempt, (long long)r->opt.lock_timeout_ms);
	else
		error_set(&r->pause_err, PGSTEP_EXIT_FAILED, "%s", failure->msg);
	memcpy(r->pause_err.sqlstate, failure->sqlstate, sizeof r->pause_err.sqlstate);
	r->pause_err.position = failure->position;
	struct strbuf sb;
	struct json j;
	strbuf_init(&sb);
	json_init(&j, &sb);
	json_begin_object(&j);
	json_kv_int(&j, "statement", (int64_t)r->cur + 1);
	json_kv_string(&j, "sql", r->stmts->items[r->cur].sql);
	json_kv_string(&j, "error", r->pause_err.msg);
	if (failure->sqlstate[0])
		json_kv_string(&j, "sqlstate", failure->sqlstate);
	json_end_object(&j);
	char *detail = strbuf_detach(&sb);
	bool ok = runner_journal(r, cancelled ? "cancel" : "statement-error", detail, &e);
	free(detail);
	if (!ok) {
		runner_internal_failure(r, &e);
		return;
	}
	r->attempt = 1;
	runner_emit(r, RUN_EV_STATEMENT_FAILED, r->pause_err.msg, r->pause_err.sqlstate);
	runner_pause(r, RUN_PAUSE_FAILED);
}

/* Move to the next statement to send, closing units as they complete. */
static void runner_advance(struct runner *r)
{
	struct pgstep_error e = {0};
	runner_skip_control(r);
	if (r->cur <= r->units[r->unit].last && !runner_stopping(r)) {
		r->phase = PH_STATEMENT;
		return;
	}
	if (runner_stopping(r)) {
		error_set(&e, PGSTEP_EXIT_FAILED, "%s before statement %zu",
		          r->discard_requested ? "rolled back on request" : "cancelled",
		          r->cur + 1);
		if (r->cur >= r->stmts->n)
			r->cur = r->stmts->n - 1;
		runner_fail(r, &e, runner_stop_action(r));
		error_clear(&e);
		return;
	}
	if (r->opt.step && r->units[r->unit].transaction && !r->units[r->unit].single && !r->pass) {
		runner_pause(r, RUN_PAUSE_COMMIT);
		return;
	}
	r->pass = false;
	if (!runner_close_unit(r, &e)) {
		if (PQstatus(session_conn(r->s)) == CONNECTION_BAD) {
			/* it may have committed: runner_record_lost finds out */
			r->cur = r->units[r->unit].last;
			r->lost_at_commit = true;
			runner_fail_lost(r, &e);
			error_clear(&e);
			return;
		}
		runner_internal_failure(r, &e);
		return;
	}
	if (r->unit == r->n_units) {
		runner_emit(r, RUN_EV_DONE, NULL, NULL);
		runner_finish(r, PGSTEP_EXIT_OK);
		return;
	}
	if (r->opt.interrupt_after && r->done >= r->opt.interrupt_after) {
		r->cur = r->done;
		error_set(&e, PGSTEP_EXIT_FAILED, "interrupted before statement %zu", r->done + 1);
		runner_fail(r, &e, "cancel");
		error_clear(&e);
		return;
	}
	r->phase = PH_UNIT_START;
}

/* A statement that built an index succeeded: an INVALID index (left by an
 * earlier interrupted CREATE INDEX CONCURRENTLY and skipped by IF NOT
 * EXISTS) makes it a failure, never an applied migration. */
static void runner_check_built_index(struct runner *r, struct pgstep_error *stmt_err)
{
	if (!r->built || !r->built[r->cur].has)
		return;
	const struct built_index *b = &r->built[r->cur];
	enum index_validity v;
	if (!catalog_index_validity(r->s, &b->index, b->table.name ? &b->table : NULL, &v,
	                            stmt_err)) {
		error_prefix(stmt_err, "checking index %s", b->index.name);
		return;
	}
	if (v == INDEX_INVALID)
		error_set(stmt_err, PGSTEP_EXIT_FAILED,
		          "index %s is INVALID after this statement (an interrupted CREATE INDEX "
		          "CONCURRENTLY leaves one behind): it must be dropped and built again; "
		          "`pgstep up --resume` does that",
		          b->index.name);
}

static void runner_statement_result(struct runner *r, struct pgstep_error *stmt_err)
{
	if (!error_isset(stmt_err) && !r->discard_requested)
		runner_check_built_index(r, stmt_err);
	if (!error_isset(stmt_err) && !r->discard_requested) {
		runner_emit(r, RUN_EV_STATEMENT_DONE, NULL, NULL);
		r->cur++;
		runner_advance(r);
		return;
	}
	/* Nothing can be rolled back to a savepoint or retried on a dead
	 * connection, in step mode or not. */
	if (PQstatus(session_conn(r->s)) == CONNECTION_BAD) {
		runner_fail_lost(r, stmt_err);
		return;
	}
	if (r->discard_requested) {
		struct pgstep_error e = {0};
		error_set(&e, PGSTEP_EXIT_FAILED, "rolled back on request");
		runner_fail(r, &e, "discard");
		error_clear(&e);
		return;
	}
	bool cancelled =
	    r->cancel_requested || strcmp(stmt_err->sqlstate, SQLSTATE_QUERY_CANCELED) == 0;
	if (runner_stepped_txn(r)) {
		runner_step_failure(r, stmt_err, cancelled);
		return;
	}
	if (!cancelled && strcmp(stmt_err->sqlstate, SQLSTATE_LOCK_NOT_AVAILABLE) == 0 &&
	    r->attempt <= r->opt.lock_retries) {
		runner_lock_wait(r, stmt_err);
		return;
	}
	if (!cancelled && strcmp(stmt_err->sqlstate, SQLSTATE_LOCK_NOT_AVAILABLE) == 0) {
		char *msg = xasprintf("%s (gave up after %d attempts with lock_timeout %lldms)",
		                      stmt_err->msg, r->attempt, (long long)r->opt.lock_timeout_ms);
		free(stmt_err->msg);
		stmt_err->msg = msg;
	}
	runner_fail(r, stmt_err, cancelled && r->cancel_requested ? "cancel" : NULL);
}

enum run_status runner_step(struct runner *r)
{
	for (;;) {
		struct pgstep_error e = {0};
		switch (r->phase) {
		case PH_DONE: return RUN_FINISHED;
		case PH_UNIT_START:
			if (r->unit == r->n_units) { /* an empty section */
				if (!runner_record(r,
				                   r->dir == RUN_UP ? ROW_APPLIED : ROW_ROLLED_BACK,
				                   runner_action(r), NULL, &e)) {
					runner_internal_failure(r, &e);
					continue;
				}
				runner_emit(r, RUN_EV_DONE, NULL, NULL);
				runner_finish(r, PGSTEP_EXIT_OK);
				continue;
			}
			if (!r->announced)
				runner_emit(r, RUN_EV_START, NULL, NULL);
			if (runner_stopping(r)) {
				error_set(&e, PGSTEP_EXIT_FAILED, "%s before statement %zu",
				          r->discard_requested ? "rolled back on request"
				                               : "cancelled",
				          r->units[r->unit].first + 1);
				r->cur = r->units[r->unit].first;
				runner_fail(r, &e, runner_stop_action(r));
				error_clear(&e);
				continue;
			}
			if (!runner_open_unit(r, &e)) {
				runner_internal_failure(r, &e);
				continue;
			}
			runner_advance(r);
			continue;
		case PH_STATEMENT:
			if (r->opt.step && !r->pass) {
				runner_pause(r, RUN_PAUSE_STATEMENT);
				continue;
			}
			r->pass = false;
			if (runner_stepped_txn(r)) {
				runner_savepoint(r, "SAVEPOINT", r->cur, &e);
				if (error_isset(&e)) {
					runner_internal_failure(r, &e);
					continue;
				}
			}
			if (!runner_announce_in_flight(r, &e)) {
				runner_internal_failure(r, &e);
				continue;
			}
			runner_emit(r, RUN_EV_STATEMENT, NULL, NULL);
			clock_gettime(CLOCK_MONOTONIC, &r->stmt_started);
			error_clear(&r->stmt_err);
			if (!session_send(r->s, r->stmts->items[r->cur].sql, &e)) {
				runner_statement_result(r, &e);
				error_clear(&e);
				continue;
			}
			r->phase = PH_IN_FLIGHT;
			return RUN_WAIT_SOCKET;
		case PH_IN_FLIGHT:
			if (!session_consume(r->s, &r->stmt_err))
				return RUN_WAIT_SOCKET;
			runner_statement_result(r, &r->stmt_err);
			error_clear(&r->stmt_err);
			continue;
		case PH_BACKOFF:
			if (runner_stopping(r)) {
				error_set(&e, PGSTEP_EXIT_FAILED, "%s while waiting to retry",
				          r->discard_requested ? "rolled back on request"
				                               : "cancelled");
				if (runner_stepped_txn(r) && !r->discard_requested)
					runner_step_failure(r, &e, true);
				else
					runner_fail(r, &e, runner_stop_action(r));
				error_clear(&e);
				continue;
			}
			if (runner_timeout_ms(r) > 0)
				return RUN_WAIT_TIMER;
			/* Step mode retries the statement in its open transaction. */
			r->phase = runner_stepped_txn(r) ? PH_STATEMENT : PH_UNIT_START;
			continue;
		case PH_ADVANCE: runner_advance(r); continue;
		case PH_PAUSED:
			if (runner_stopping(r)) {
				error_set(&e, PGSTEP_EXIT_FAILED, "%s before statement %zu",
				          r->discard_requested ? "rolled back on request"
				                               : "cancelled",
				          r->cur + 1);
				if (r->cur >= r->stmts->n)
					r->cur = r->stmts->n - 1;
				runner_fail(r, &e, runner_stop_action(r));
				error_clear(&e);
				continue;
			}
			return RUN_PAUSED;
		}
	}
}

int runner_timeout_ms(const struct runner *r)
{
	if (r->phase != PH_BACKOFF)
		return -1;
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	int64_t ms = (int64_t)(r->backoff_until.tv_sec - now.tv_sec) * 1000 +
	             (r->backoff_until.tv_nsec - now.tv_nsec) / 1000000;
	return ms > 0 ? (int)ms : 0;
}

void runner_cancel(struct runner *r)
{
	r->cancel_requested = true;
	if (r->phase == PH_IN_FLIGHT)
		session_cancel(r->s);
}

/* The statement before cur in the open transaction, which has a savepoint. */
static bool runner_prev_done(const struct runner *r, size_t *out)
{
	if (!r->in_txn || r->unit >= r->n_units)
		return false;
	size_t first = r->units[r->unit].first;
	for (size_t p = r->cur; p-- > first;)
		if (r->stmts->items[p].txn != STMT_TXN_BEGIN &&
		    r->stmts->items[p].txn != STMT_TXN_COMMIT && !runner_statement_skipped(r, p)) {
			*out = p;
			return true;
		}
	return false;
}

void runner_next(struct runner *r)
{
	if (r->phase != PH_PAUSED)
		return;
	r->pass = true;
	r->phase = r->pause == RUN_PAUSE_COMMIT ? PH_ADVANCE : PH_STATEMENT;
	r->pause = RUN_PAUSE_NONE;
	error_clear(&r->pause_err);
}

bool runner_undo(struct runner *r, struct pgstep_error *err)
{
	if (r->phase != PH_PAUSED) {
		error_set(err, PGSTEP_EXIT_USAGE, "a statement is running: cancel it first");
		return false;
	}
	if (r->pause == RUN_PAUSE_FAILED) {
		/* The failed statement was rolled back already: leave it unrun. */
		error_clear(&r->pause_err);
		r->pause = RUN_PAUSE_STATEMENT;
		return true;
	}
	size_t p;
	if (!runner_prev_done(r, &p)) {
		if (r->unit < r->n_units && !r->units[r->unit].transaction)
			error_set(err, PGSTEP_EXIT_USAGE,
			          "statement %zu ran outside a transaction: it cannot be undone",
			          r->cur);
		else
			error_set(err, PGSTEP_EXIT_USAGE,
			          "nothing to undo: no statement of the open transaction has run");
		return false;
	}
	struct pgstep_error e = {0};
	runner_savepoint(r, "ROLLBACK TO SAVEPOINT", p, &e);
	if (error_isset(&e)) {
		error_set(err, PGSTEP_EXIT_FAILED, "undo of statement %zu: %s", p + 1, e.msg);
		runner_internal_failure(r, &e);
		return false;
	}
	char *detail = runner_detail(r, "sql", r->stmts->items[p].sql);
	bool ok = runner_journal(r, "undo", detail, &e);
	free(detail);
	if (!ok) {
		error_set(err, PGSTEP_EXIT_FAILED, "%s", e.msg);
		runner_internal_failure(r, &e);
		return false;
	}
	/* The skips after it are to be decided again. */
	for (size_t k = p; r->skipped && k < r->stmts->n; k++)
		r->skipped[k] = false;
	r->cur = p;
	r->pause = RUN_PAUSE_STATEMENT;
	r->pass = false;
	runner_emit(r, RUN_EV_UNDONE, NULL, NULL);
	return true;
}

bool runner_skip(struct runner *r, const char *reason, struct pgstep_error *err)
{
	if (r->phase != PH_PAUSED ||
	    (r->pause != RUN_PAUSE_STATEMENT && r->pause != RUN_PAUSE_FAILED)) {
		error_set(err, PGSTEP_EXIT_USAGE, "%s",
		          r->phase == PH_PAUSED ? "no statement is left to skip: c commits"
		                                : "a statement is running: cancel it first");
		return false;
	}
	if (!runner_stepped_txn(r)) {
		error_set(err, PGSTEP_EXIT_USAGE,
		          "statement %zu runs outside a transaction: it cannot be skipped (B stops "
		          "here; `pgstep repair` records how it was resolved)",
		          r->cur + 1);
		return false;
	}
	while (reason && (*reason == ' ' || *reason == '\t'))
		reason++;
	if (!reason || !*reason) {
		error_set(err, PGSTEP_EXIT_USAGE,
		          "skipping statement %zu needs a reason: :skip REASON", r->cur + 1);
		return false;
	}
	struct strbuf sb;
	struct json j;
	strbuf_init(&sb);
	json_init(&j, &sb);
	json_begin_object(&j);
	json_kv_string(&j, "checksum", r->m->checksum);
	json_kv_int(&j, "statement", (int64_t)r->cur + 1);
	json_kv_int(&j, "statements_total", (int64_t)r->stmts->n);
	json_kv_string(&j, "sql", r->stmts->items[r->cur].sql);
	json_kv_string(&j, "reason", reason);
	if (r->pause == RUN_PAUSE_FAILED) {
		json_kv_string(&j, "error", r->pause_err.msg);
		if (r->pause_err.sqlstate[0])
			json_kv_string(&j, "sqlstate", r->pause_err.sqlstate);
	}
	json_end_object(&j);
	char *detail = strbuf_detach(&sb);
	struct pgstep_error e = {0};
	/* With the transaction: a skip that is rolled back was never made, and
	 * one that commits is recorded with the migration it changed. */
	bool ok = runner_journal(r, "skip", detail, &e);
	free(detail);
	if (!ok) {
		error_set(err, PGSTEP_EXIT_FAILED, "%s", e.msg);
		runner_internal_failure(r, &e);
		return false;
	}
	if (!r->skipped)
		r->skipped = xcalloc(r->stmts->n, sizeof *r->skipped);
	r->skipped[r->cur] = true;
	error_clear(&r->pause_err);
	r->cur++;
	r->pause = RUN_PAUSE_NONE;
	r->pass = false;
	r->attempt = 1;
	r->phase = PH_ADVANCE;
	return true;
}

bool runner_statement_skipped(const struct runner *r, size_t i)
{
	return r->skipped && i < r->stmts->n && r->skipped[i];
}

void runner_discard(struct runner *r)
{
	if (r->phase == PH_DONE)
		return;
	r->discard_requested = true;
	if (r->phase == PH_IN_FLIGHT)
		session_cancel(r->s);
}

void runner_position(const struct runner *r, struct run_position *out)
{
	memset(out, 0, sizeof *out);
	size_t p;
	out->pause = r->phase == PH_PAUSED ? r->pause : RUN_PAUSE_NONE;
	out->index = r->phase == PH_DONE && r->result == PGSTEP_EXIT_OK ? r->stmts->n : r->cur;
	out->total = r->stmts->n;
	out->in_flight = r->phase == PH_IN_FLIGHT;
	out->backing_off = r->phase == PH_BACKOFF;
	out->attempt = r->attempt;
	if (out->in_flight)
		out->elapsed_ms = ms_since(&r->stmt_started);
	else if (out->backing_off)
		out->elapsed_ms = runner_timeout_ms(r);
	out->in_transaction = r->in_txn;
	out->can_undo =
	    r->phase == PH_PAUSED && (r->pause == RUN_PAUSE_FAILED || runner_prev_done(r, &p));
	out->error = out->pause == RUN_PAUSE_FAILED ? &r->pause_err : NULL;
}

bool runner_statement_in_transaction(const struct runner *r, size_t i)
{
	for (size_t u = 0; u < r->n_units; u++)
		if (i >= r->units[u].first && i <= r->units[u].last)
			return r->units[u].transaction && !r->units[u].single;
	return false;
}

bool runner_segmented(const struct runner *r)
{
	return r->segmented;
}

enum pgstep_exit runner_result(const struct runner *r, struct pgstep_error *err)
{
	if (r->result != PGSTEP_EXIT_OK && err && r->err.msg) {
		error_set(err, r->result, "%s", r->err.msg);
		memcpy(err->sqlstate, r->err.sqlstate, sizeof err->sqlstate);
		err->position = r->err.position;
	}
	return r->result;
}

void runner_note_blockers(struct runner *r, const struct activity_session *b, size_t n)
{
	free(r->blockers);
	r->blockers = NULL;
	if (!n)
		return;
	struct strbuf sb;
	struct json j;
	strbuf_init(&sb);
	json_init(&j, &sb);
	json_begin_array(&j);
	for (size_t i = 0; i < n; i++) {
		json_begin_object(&j);
		json_kv_int(&j, "pid", b[i].pid);
		json_kv_string(&j, "user", b[i].user);
		json_kv_string(&j, "application", b[i].application);
		json_kv_string(&j, "client", b[i].client);
		json_kv_string(&j, "state", b[i].state);
		json_kv_string(&j, "lock", b[i].mode ? risk_lock_name(b[i].mode) : NULL);
		json_kv_string(&j, "relation", b[i].relation);
		json_kv_string(&j, "query", b[i].query);
		json_end_object(&j);
	}
	json_end_array(&j);
	r->blockers = strbuf_detach(&sb);
}
