/* job: up and down on one tenant as a sequence of runners (see job.h). */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ops_int.h"
#include "pgstep/catalog.h"
#include "pgstep/diff.h"
#include "pgstep/inflight.h"
#include "pgstep/job.h"
#include "pgstep/json.h"
#include "pgstep/settings.h"
#include "pgstep/watch.h"
#include "pgstep/xalloc.h"

struct job_item {
	struct migration *m;      /* what runs */
	struct migration *stored; /* owned when m is a stored text */
	struct run_options ro;
};

struct job {
	struct engine *e;
	struct tenant *t;
	struct job_options o;
	struct run_observer obs;
	struct session *s;
	struct tenant_status ts;
	struct job_item *items;
	size_t n, cur;
	struct runner *r;
	bool cancel_requested, finished;
	enum pgstep_exit result;
	struct pgstep_error err;
};

/* What the runner applies to m's up or down section: settings_of's verdict
 * (a stored down text runs under its file's settings). */
static struct run_options job_run_options(const struct engine *e, const struct migration *m,
                                          bool down)
{
	struct settings s;
	settings_of(e->cfg, m, down, &s);
	struct run_options ro = {
	    .no_transaction = settings_declared_no_transaction(&s),
	    .lock_timeout_ms = s.lock_timeout_ms,
	    .lock_retries = s.lock_retries,
	    .retry_backoff_ms = s.retry_backoff_ms,
	    .statement_timeout_ms = s.statement_timeout_ms,
	    .interrupt_after = e->interrupt_after,
	    .phase = m ? m->phase : NULL,
	};
	return ro;
}

/* A migration left dirty by an interrupted `down` counts statements_done in
 * down statements: `up --resume` would run the up from that index, skipping
 * up statements that never ran, and record the migration applied. The row
 * does not say which direction left it dirty; the event log does (the last
 * start, resume or rollback-start of the version). Such a migration is
 * refused before anything runs and the message points to repair, as the
 * failed `down` itself does. */
static bool job_refuse_dirty_rollback(struct job *j, struct pgstep_error *err)
{
	const struct tenant_status *ts = &j->ts;
	struct migration *target = j->o.to ? migset_resolve(j->e->set, j->o.to) : NULL;
	for (size_t i = 0; i < ts->n; i++) {
		const struct mig_status *ms = &ts->items[i];
		if (!ms->m || ms->m->archived)
			continue;
		if (target && version_cmp(&ms->m->version, &target->version) > 0)
			break;
		if (ms->state != MSTATE_DIRTY)
			continue;
		struct event_rows ev = {0};
		if (!state_load_events(j->s, ts->tenant->name, ms->row->version, &ev, err)) {
			error_prefix(err, "tenant %s", ts->tenant->name);
			return false;
		}
		bool rollback = false;
		for (size_t k = ev.n; k-- > 0;) {
			const char *a = ev.items[k].action;
			if (strcmp(a, "start") == 0 || strcmp(a, "resume") == 0)
				break;
			if (strcmp(a, "rollback-start") == 0) {
				rollback = true;
				break;
			}
		}
		event_rows_clear(&ev);
		if (rollback) {
			error_set(
			    err, PGSTEP_EXIT_FAILED,
			    "tenant %s: %s is dirty from an interrupted rollback: %d of %d down "
			    "statements done%s%s. `pgstep up --resume` cannot continue a rollback. "
			    "Check the database, then record how you resolved it with `pgstep "
			    "repair --tenant %s --version %s --mark applied|rolled_back --reason "
			    "\"...\"`",
			    ts->tenant->name, migration_label(ms->m), ms->row->statements_done,
			    ms->row->statements_total,
			    ms->row->error_message ? "; last error: " : "",
			    ms->row->error_message ? ms->row->error_message : "", ts->tenant->name,
			    ms->m->version.text);
			return false;
		}
	}
	return true;
}

/* A migration standing for a row whose file is gone, or whose down must come
 * from the text stored at apply time. */
static struct migration *job_stored_migration(const struct state_row *row, const char *what)
{
	struct migration *m = xcalloc(1, sizeof *m);
	if (!version_parse(row->version_text ? row->version_text : row->version, &m->version))
		version_parse("0", &m->version);
	m->name = xstrdup(row->name ? row->name : "");
	m->phase = xstrdup(row->phase ? row->phase : "");
	m->lock_timeout_ms = -1;
	strvec_init(&m->requires);
	snprintf(m->checksum, sizeof m->checksum, "%s", row->checksum ? row->checksum : "");
	m->up.path = xasprintf("%s (%s)", row->name ? row->name : row->version, what);
	m->up.text = xstrdup(row->up_sql ? row->up_sql : "");
	m->up.first_line = 1;
	m->down.path = xstrdup(m->up.path);
	m->down.text = row->down_sql ? xstrdup(row->down_sql) : NULL;
	m->down.first_line = 1;
	statement_list_init(&m->up.stmts);
	statement_list_init(&m->down.stmts);
	return m;
}

/* --- where a dirty migration resumes ------------------------------------ */

/* The end of job_open's refusal to resume past an INVALID index without
 * rebuild_invalid, which job_refused_invalid_index recognises. */
static const char job_rebuild_needed[] =
    "it must be dropped and built again before the migration can go on";

bool job_refused_invalid_index(const char *msg)
{
	return msg && strstr(msg, job_rebuild_needed) != NULL;
}

/* How the last run of a dirty migration ended, from its last event. A
 * failure or a cancel writes its own event; a run that died silently
 * (kill -9, a lost connection that could not be recorded) ends on its
 * progress. in_flight: that last event is an in-flight one, so the
 * statement after the last one done was sent outside a transaction and
 * nothing was heard of it since. */
static bool job_last_run(struct job *j, const char *version, bool *in_flight, bool *silent,
                         struct pgstep_error *err)
{
	struct event_rows ev = {0};
	if (!state_load_events(j->s, j->t->name, version, &ev, err)) {
		error_prefix(err, "tenant %s", j->t->name);
		return false;
	}
	const char *last = ev.n > 0 ? ev.items[ev.n - 1].action : "";
	*in_flight = strcmp(last, RUN_EVENT_IN_FLIGHT) == 0;
	if (!*in_flight && strcmp(last, "fail") == 0) {
		/* its connection was lost while it was in flight: the failure
		 * says nothing of whether it completed */
		char *v = json_get(ev.items[ev.n - 1].detail, "in_doubt");
		*in_flight = v && strcmp(v, "true") == 0;
		free(v);
	}
	*silent = *in_flight || strcmp(last, RUN_EVENT_STATEMENT) == 0 ||
	          strcmp(last, "start") == 0 || strcmp(last, "resume") == 0;
	event_rows_clear(&ev);
	return true;
}

/* The file changed since the run began: resuming by statement index is
 * only sound when the statements that already ran (or may have) are the
 * same in the stored text and in the file. */
static bool job_same_run_part(struct job *j, struct migration *m, const struct state_row *row,
                              size_t ran, struct pgstep_error *err)
{
	if (!row->checksum || strcmp(row->checksum, m->checksum) == 0)
		return true;
	if (!row->up_sql) {
		error_set(err, PGSTEP_EXIT_FAILED,
		          "tenant %s: %s changed since its run began and the text it began with "
		          "was not stored: cannot tell which statements already ran. Check the "
		          "database, then `pgstep repair`",
		          j->t->name, migration_label(m));
		return false;
	}
	struct migration *old = job_stored_migration(row, "stored when the run began");
	bool ok = migration_split(old, err);
	size_t differs = 0;
	const struct statement_list *a = &old->up.stmts, *b = &m->up.stmts;
	for (; ok && differs < ran; differs++)
		if (differs >= a->n || differs >= b->n ||
		    strcmp(a->items[differs].sql, b->items[differs].sql) != 0)
			break;
	if (ok && differs < ran) {
		/* The difference goes out line by line as notices: an error is one
		 * line, and its text is escaped as a whole. */
		struct strbuf sb;
		strbuf_init(&sb);
		const char *was = differs < a->n ? a->items[differs].sql : "(none)";
		const char *now = differs < b->n ? b->items[differs].sql : "(none)";
		diff_unified(was, now, "statement as it ran", "statement in the file now", 1, &sb);
		for (char *line = sb.buf, *nl; line && *line; line = nl ? nl + 1 : NULL) {
			nl = strchr(line, '\n');
			if (nl)
				*nl = '\0';
			ops_notice(j->e, j->t, line);
		}
		strbuf_release(&sb);
		error_set(err, PGSTEP_EXIT_FAILED,
		          "tenant %s: %s changed since its run began, in a statement that already "
		          "ran: statement %zu of the %zu that ran differs (shown above). Resuming "
		          "by position would run a statement twice or skip one. Restore the file "
		          "as it was, or check the database and record what you did with `pgstep "
		          "repair`",
		          j->t->name, migration_label(m), differs + 1, ran);
		ok = false;
	}
	migration_free(&old);
	return ok;
}

/* Drop the INVALID index an interrupted CREATE INDEX CONCURRENTLY left, so
 * the statement can build it again. */
static bool job_drop_invalid(struct job *j, const struct job_item *it,
                             const struct inflight_check *c, struct pgstep_error *err)
{
	char *name = session_quote_ident(j->s, c->index.name);
	char *schema = c->index.schema ? session_quote_ident(j->s, c->index.schema) : NULL;
	/* Two queries: a multi-statement query is one transaction block. */
	char *set = xasprintf("SET lock_timeout = %lld", (long long)it->ro.lock_timeout_ms);
	char *sql = xasprintf("DROP INDEX CONCURRENTLY IF EXISTS %s%s%s", schema ? schema : "",
	                      schema ? "." : "", name);
	bool ok = session_exec(j->s, set, err) && session_exec(j->s, sql, err);
	free(set);
	free(sql);
	free(schema);
	free(name);
	if (!ok)
		error_prefix(err, "tenant %s: dropping the INVALID index %s", j->t->name,
		             c->index.name);
	return ok;
}

static char *job_resolution_detail(size_t k, const char *decision, const char *evidence)
{
	struct strbuf sb;
	struct json js;
	strbuf_init(&sb);
	json_init(&js, &sb);
	json_begin_object(&js);
	json_kv_int(&js, "statement", (int64_t)k + 1);
	json_kv_string(&js, "decision", decision);
	json_kv_string(&js, "evidence", evidence ? evidence : "repeating it is harmless");
	json_end_object(&js);
	return strbuf_detach(&sb);
}

static bool job_record_resolution(struct job *j, struct migration *m, size_t k,
                                  const char *decision, const char *evidence,
                                  struct pgstep_error *err)
{
	char *detail = job_resolution_detail(k, decision, evidence);
	bool ok =
	    state_event(j->s, &j->e->actor, j->t->name, m->version.key, "resolve", detail, err);
	free(detail);
	return ok;
}

/* A dirty migration resumes after its last done statement; when the next
 * one ran outside a transaction and may have completed, or left an INVALID
 * index, the catalogue decides: done (skip it), run it, or drop what it
 * left and run it. Says which, and records it. */
static bool job_resume_point(struct job *j, struct job_item *it, const struct state_row *row,
                             struct pgstep_error *err)
{
	struct migration *m = it->m;
	size_t k = (size_t)row->statements_done;
	bool in_flight, silent;
	if (!job_last_run(j, row->version, &in_flight, &silent, err) ||
	    !job_same_run_part(j, m, row, k + (in_flight ? 1 : 0), err))
		return false;
	if (silent) {
		char *detail = xasprintf("{\"statements_done\":%zu,\"in_flight\":%s,\"note\":"
		                         "\"the last run stopped without recording why (killed, or "
		                         "its connection lost)\"}",
		                         k, in_flight ? "true" : "false");
		bool ok = state_event(j->s, &j->e->actor, j->t->name, m->version.key, "interrupted",
		                      detail, err);
		free(detail);
		if (!ok)
			return false;
	}
	it->ro.resume_from = k;
	if (row->checksum && strcmp(row->checksum, m->checksum) != 0)
		it->ro.previous_checksum = row->checksum;
	if (k >= m->up.stmts.n || m->up.stmts.items[k].txn != STMT_TXN_FORBIDDEN)
		return true; /* it ran in a transaction: it did not happen */

	const char *label = migration_label(m);
	struct inflight_check c;
	inflight_classify(m->up.stmts.items[k].sql, &c);
	enum index_validity v = INDEX_ABSENT;
	bool ok = true;
	char *evidence = NULL, *say = NULL;
	const char *decision = "run";
	if (c.kind == INFLIGHT_CREATE_INDEX || c.kind == INFLIGHT_DROP_INDEX) {
		ok = catalog_index_validity(
		    j->s, &c.index, c.kind == INFLIGHT_CREATE_INDEX ? &c.table : NULL, &v, err);
		if (ok)
			evidence =
			    xasprintf("index %s is %s", c.index.name, index_validity_name(v));
	}
	if (!ok) {
		error_prefix(err, "tenant %s: %s", j->t->name, label);
	} else if (c.kind == INFLIGHT_CREATE_INDEX && v == INDEX_INVALID) {
		if (!j->o.rebuild_invalid) {
			error_set(err, PGSTEP_EXIT_FAILED,
			          "tenant %s: %s: statement %zu (%s) left index %s INVALID: %s",
			          j->t->name, label, k + 1, c.what, c.index.name,
			          job_rebuild_needed);
			ok = false;
		} else {
			decision = "drop-and-rebuild";
			say = xasprintf("statement %zu (%s %s) %s: index %s was left INVALID; "
			                "dropping it and building it again",
			                k + 1, c.what, c.index.name,
			                in_flight ? "was in flight when the run stopped" : "failed",
			                c.index.name);
			ok = job_drop_invalid(j, it, &c, err);
		}
	} else if (!in_flight) {
		decision = NULL; /* it failed and was recorded: simply run it again */
	} else if ((c.kind == INFLIGHT_CREATE_INDEX && v == INDEX_VALID) ||
	           (c.kind == INFLIGHT_DROP_INDEX && v == INDEX_ABSENT)) {
		decision = "done";
		say = xasprintf("statement %zu (%s %s) was in flight when the run stopped and "
		                "completed: %s; going on with statement %zu",
		                k + 1, c.what, c.index.name, evidence, k + 2);
		it->ro.resume_from = k + 1;
		/* the progress row and the event that explains it, together */
		char *detail = job_resolution_detail(k, decision, evidence);
		ok = state_set_progress(j->s, &j->e->actor, j->t->name, row->version, (int)k + 1,
		                        "resolve", detail, err);
		free(detail);
		decision = NULL; /* recorded */
	} else if (c.kind == INFLIGHT_UNKNOWN) {
		error_set(
		    err, PGSTEP_EXIT_FAILED,
		    "tenant %s: %s: statement %zu (line %d, %s) was in flight when the run "
		    "stopped, outside a transaction, and pgstep cannot tell from the catalogue "
		    "whether it completed. Check the database, then record what you find with "
		    "`pgstep repair --tenant %s --version %s --mark applied|rolled_back "
		    "--reason \"...\"`",
		    j->t->name, label, k + 1, m->up.stmts.items[k].line, c.what, j->t->name,
		    m->version.text);
		ok = false;
	} else {
		say = xasprintf("statement %zu (%s) was in flight when the run stopped: %s; "
		                "running it again",
		                k + 1, c.what, evidence ? evidence : "repeating it is harmless");
	}
	if (ok && decision)
		ok = job_record_resolution(j, m, k, decision, evidence, err);
	if (ok && say)
		ops_notice(j->e, j->t, say);
	free(say);
	free(evidence);
	inflight_check_clear(&c);
	return ok;
}

static bool job_plan_up(struct job *j, struct pgstep_error *err)
{
	struct up_options uo = {.to = j->o.to, .resume = j->o.resume};
	struct migration **plan = NULL;
	size_t n = 0;
	if (!job_refuse_dirty_rollback(j, err) || !ops_plan_up(j->e, &j->ts, &uo, &plan, &n, err))
		return false;
	j->items = xcalloc(n + 1, sizeof *j->items);
	for (size_t i = 0; i < n; i++) {
		struct job_item *it = &j->items[j->n++];
		it->m = plan[i];
		it->ro = job_run_options(j->e, plan[i], false);
		it->ro.async_commit = i + 1 < n && !j->o.step;
		for (size_t k = 0; k < j->ts.n; k++)
			if (j->ts.items[k].m == plan[i] && j->ts.items[k].state == MSTATE_DIRTY) {
				it->ro.resume = true;
				if (!job_resume_point(j, it, j->ts.items[k].row, err)) {
					free(plan);
					return false;
				}
			}
	}
	free(plan);
	return true;
}

static bool job_plan_down(struct job *j, struct pgstep_error *err)
{
	struct down_options dop = {.to = j->o.to, .steps = j->o.steps, .use_file = j->o.use_file};
	const struct mig_status **plan = NULL;
	size_t n = 0;
	if (!ops_plan_down(j->e, &j->ts, &dop, &plan, &n, err))
		return false;
	if (n == 0)
		ops_notice(j->e, j->t, "nothing to roll back");
	j->items = xcalloc(n + 1, sizeof *j->items);
	bool ok = true;
	for (size_t i = 0; i < n && ok; i++) {
		const struct mig_status *ms = plan[i];
		struct job_item *it = &j->items[j->n++];
		it->m = ms->m;
		if (!ms->m) {
			it->m = it->stored =
			    job_stored_migration(ms->row, "file missing, stored at apply time");
			ops_notice(j->e, j->t,
			           "the file is gone: using the down SQL stored at apply time");
		} else if (!ms->checksum_ok && !j->o.use_file && ms->row->down_sql) {
			it->m = it->stored = job_stored_migration(ms->row, "stored at apply time");
			char *msg =
			    xasprintf("%s changed since it was applied: running the down SQL "
			              "stored at apply time (use --use-file for the file's)",
			              migration_label(ms->m));
			ops_notice(j->e, j->t, msg);
			free(msg);
		}
		struct pgstep_error perr = {0};
		if (!it->m->down.text) {
			error_set(err, PGSTEP_EXIT_FAILED,
			          "tenant %s: %s is irreversible: it has no down migration; "
			          "nothing was rolled back",
			          j->t->name, migration_label(it->m));
			ok = false;
		} else if (!migration_split_section(&it->m->down, &perr)) {
			/* Found before any down runs, not after the ones above it. */
			error_set(
			    err, PGSTEP_EXIT_USAGE,
			    "tenant %s: the down of %s does not parse: %s; nothing was rolled back",
			    j->t->name, migration_label(it->m), perr.msg);
			error_clear(&perr);
			ok = false;
		}
		it->ro = job_run_options(j->e, ms->m ? ms->m : it->m, true);
		it->ro.phase = it->m->phase;
	}
	free(plan);
	return ok;
}

struct job *job_open(struct engine *e, struct tenant *t, const struct job_options *o,
                     const struct run_observer *obs, struct pgstep_error *err)
{
	if (o->kind == JOB_UP) {
		if (engine_set_has_errors(e)) {
			error_set(err, PGSTEP_EXIT_USAGE,
			          "the migration set has errors: nothing applied");
			return NULL;
		}
		/* Parse everything before touching the database: a syntax error in
		 * the fifth migration must not be found after four were applied.
		 * The trees of this check are not kept: the whole set's would cost
		 * some forty times its text for the length of the run. */
		for (size_t i = 0; i < e->set->n; i++) {
			struct migration *m = e->set->items[i];
			bool fresh = !m->up.split_done;
			if (!migration_split_section(&m->up, err))
				return NULL;
			if (fresh)
				migration_drop_trees(m);
		}
	}
	struct job *j = xcalloc(1, sizeof *j);
	j->e = e;
	j->t = t;
	j->o = *o;
	if (obs)
		j->obs = *obs;
	j->s = ops_open_tenant(e, t, true, err);
	if (!j->s ||
	    /* the texts: a down may run the stored one, a resume compares */
	    !ops_load_status(e, j->s, t, o->kind == JOB_DOWN || o->resume, &j->ts, err) ||
	    !(o->kind == JOB_UP ? job_plan_up(j, err) : job_plan_down(j, err))) {
		if (!err->code)
			err->code = PGSTEP_EXIT_FAILED;
		job_close(&j);
		return NULL;
	}
	return j;
}

void job_close(struct job **jp)
{
	struct job *j = *jp;
	if (!j)
		return;
	if (j->r) {
		/* Whatever is open is rolled back and recorded before we go. */
		runner_discard(j->r);
		j->cancel_requested = true;
		struct pgstep_error ignore = {0};
		job_run(j, NULL, &ignore);
		error_clear(&ignore);
	}
	for (size_t i = 0; i < j->n; i++)
		migration_free(&j->items[i].stored);
	free(j->items);
	ops_status_release(&j->ts);
	ops_close_tenant(&j->s, j->t);
	error_clear(&j->err);
	free(j);
	*jp = NULL;
}

size_t job_count(const struct job *j)
{
	return j->n;
}

struct migration *job_migration(const struct job *j, size_t i, bool *stored)
{
	if (i >= j->n)
		return NULL;
	if (stored)
		*stored = j->items[i].stored != NULL;
	return j->items[i].m;
}

size_t job_current(const struct job *j)
{
	return j->cur;
}

struct runner *job_runner(struct job *j)
{
	return j->r;
}

enum job_kind job_kind(const struct job *j)
{
	return j->o.kind;
}

int job_backend_pid(const struct job *j)
{
	return session_backend_pid(j->s);
}

static void job_finish(struct job *j, enum pgstep_exit rc)
{
	j->finished = true;
	j->result = rc;
}

/* Stopped between migrations: record it. This synchronous commit also makes
 * the asynchronous ones before it durable. */
static void job_stopped_between(struct job *j)
{
	struct migration *last = j->items[j->cur - 1].m;
	size_t left = j->n - j->cur;
	char *detail =
	    xasprintf("{\"stopped_after\":\"%s\",\"not_applied\":%zu}", last->version.key, left);
	struct pgstep_error ignore = {0};
	state_event(j->s, &j->e->actor, j->t->name, NULL, "cancel", detail, &ignore);
	error_clear(&ignore);
	free(detail);
	error_set(&j->err, PGSTEP_EXIT_FAILED, "tenant %s: interrupted after %s; %zu not %s",
	          j->t->name, migration_label(last), left,
	          j->o.kind == JOB_UP ? "applied" : "rolled back");
	job_finish(j, PGSTEP_EXIT_FAILED);
}

/* The connection died under a statement: connect again (the tenant's lock
 * died with it, so take it again) and record the failure with the
 * statement's own error. A server that is restarting gets a few seconds. */
static void job_record_lost(struct job *j)
{
	struct pgstep_error e = {0};
	struct session *s = NULL;
	for (int attempt = 0; attempt < 4 && !s; attempt++) {
		if (attempt) { /* 250 ms, 500 ms, 1 s */
			long ms = 250L << (attempt - 1);
			struct timespec pause = {.tv_sec = ms / 1000,
			                         .tv_nsec = ms % 1000 * 1000000L};
			nanosleep(&pause, NULL);
		}
		error_clear(&e);
		s = ops_open_tenant(j->e, j->t, true, &e);
		if (!s && e.code == PGSTEP_EXIT_LOCKED)
			break;
	}
	char *prefix = xasprintf("tenant %s", j->t->name);
	char *msg;
	bool landed = false;
	if (s && runner_record_lost(j->r, s, &landed, &e)) {
		struct migration *m = j->items[j->cur].m;
		msg = landed ? xasprintf("tenant %s: %s: the connection was lost as it committed, "
		                         "and the commit had landed: it is %s",
		                         j->t->name, migration_label(m),
		                         j->o.kind == JOB_UP ? "applied" : "rolled back")
		             : NULL;
		if (!landed) { /* what the runner learnt on connecting again */
			runner_result(j->r, &j->err);
			msg = xasprintf("%s (recorded after connecting again)", j->err.msg);
		}
		session_close(&j->s); /* dead, and its lock with it */
		j->s = s;
	} else {
		msg = xasprintf("%s; it could not be recorded (%s): the next `pgstep up --resume` "
		                "records it",
		                j->err.msg,
		                error_unprefixed(e.msg ? e.msg : "no connection", prefix));
		if (s)
			ops_close_tenant(&s, j->t);
	}
	free(j->err.msg);
	j->err.msg = msg;
	free(prefix);
	error_clear(&e);
}

enum run_status job_step(struct job *j)
{
	while (!j->finished) {
		if (!j->r) {
			if (j->cur == j->n) {
				job_finish(j, PGSTEP_EXIT_OK);
				break;
			}
			if (j->cancel_requested && j->cur > 0) {
				job_stopped_between(j);
				break;
			}
			struct job_item *it = &j->items[j->cur];
			struct run_options ro = it->ro;
			ro.step = j->o.step;
			ro.step_idle_timeout_ms = j->o.step_idle_timeout_ms;
			ro.use_stored_down = it->stored != NULL;
			ro.stored_down_sql = it->stored ? it->stored->down.text : NULL;
			j->r = runner_new(j->s, &j->e->actor, j->t, it->m,
			                  j->o.kind == JOB_UP ? RUN_UP : RUN_DOWN, &ro, &j->obs,
			                  &j->err);
			if (!j->r) {
				job_finish(j, j->err.code ? j->err.code : PGSTEP_EXIT_FAILED);
				break;
			}
			if (j->cancel_requested)
				runner_cancel(j->r);
		}
		enum run_status st = runner_step(j->r);
		if (st != RUN_FINISHED)
			return st;
		enum pgstep_exit rc = runner_result(j->r, &j->err);
		if (rc != PGSTEP_EXIT_OK && runner_lost_connection(j->r))
			job_record_lost(j);
		runner_free(&j->r);
		if (rc != PGSTEP_EXIT_OK) {
			job_finish(j, rc);
			break;
		}
		j->cur++;
	}
	return RUN_FINISHED;
}

int job_socket(const struct job *j)
{
	return session_socket(j->s);
}

int job_timeout_ms(const struct job *j)
{
	return j->r ? runner_timeout_ms(j->r) : -1;
}

void job_cancel(struct job *j)
{
	j->cancel_requested = true;
	if (j->r)
		runner_cancel(j->r);
}

enum pgstep_exit job_result(const struct job *j, struct pgstep_error *err)
{
	if (j->result != PGSTEP_EXIT_OK && err && j->err.msg) {
		error_set(err, j->result, "%s", j->err.msg);
		memcpy(err->sqlstate, j->err.sqlstate, sizeof err->sqlstate);
		err->position = j->err.position;
	}
	return j->result;
}

/* The command line has no screen to show who a statement waits for: once it
 * has waited JOB_WATCH_AFTER_MS, a watch asks, and each new first blocker
 * is said once (RUN_EV_WAITING) and noted for the lock-wait event. */
#define JOB_WATCH_AFTER_MS 1000
static void job_watch(struct job *j, struct watch **w, int *said_pid)
{
	struct run_position pos;
	runner_position(j->r, &pos);
	if (!pos.in_flight || pos.elapsed_ms < JOB_WATCH_AFTER_MS) {
		if (!pos.in_flight)
			*said_pid = 0;
		return;
	}
	struct pgstep_error e = {0};
	if (!*w && !(*w = watch_open_tenant(j->t, &e))) {
		error_clear(&e);
		*said_pid = -1; /* no second session: not again */
		return;
	}
	if (watch_busy(*w)) {
		struct pollfd p = {.fd = watch_socket(*w), .events = POLLIN};
		if (poll(&p, 1, 0) > 0 && watch_read(*w)) {
			const struct watch_state *st = watch_state(*w);
			if (st->rows.n_blockers) {
				runner_note_blockers(j->r, st->rows.blockers, st->rows.n_blockers);
				if (st->rows.blockers[0].pid != *said_pid && j->obs.event) {
					*said_pid = st->rows.blockers[0].pid;
					char *msg = watch_blocker_text(st);
					struct run_event ev = {
					    .kind = RUN_EV_WAITING,
					    .tenant = j->t,
					    .migration = j->items[j->cur].m,
					    .direction = j->o.kind == JOB_UP ? RUN_UP : RUN_DOWN,
					    .index = pos.index,
					    .total = pos.total,
					    .elapsed_ms = pos.elapsed_ms,
					    .message = msg};
					j->obs.event(j->obs.ctx, &ev);
					free(msg);
				}
			}
		}
	} else {
		watch_tick(*w, session_backend_pid(j->s), 0, &e);
	}
	error_clear(&e);
}

static enum pgstep_exit job_run_loop(struct job *j, volatile sig_atomic_t *interrupted,
                                     struct watch **w, int *said_pid, struct pgstep_error *err);

enum pgstep_exit job_run(struct job *j, volatile sig_atomic_t *interrupted,
                         struct pgstep_error *err)
{
	struct watch *w = NULL;
	int said_pid = 0;
	enum pgstep_exit rc = job_run_loop(j, interrupted, &w, &said_pid, err);
	watch_free(&w);
	return rc;
}

static enum pgstep_exit job_run_loop(struct job *j, volatile sig_atomic_t *interrupted,
                                     struct watch **w, int *said_pid, struct pgstep_error *err)
{
	for (;;) {
		if (interrupted && *interrupted && !j->cancel_requested)
			job_cancel(j);
		enum run_status st = job_step(j);
		if (st == RUN_FINISHED)
			return job_result(j, err);
		if (st == RUN_PAUSED) { /* this driver does not stop at pauses */
			runner_next(j->r);
			continue;
		}
		struct pollfd pfd = {.fd = job_socket(j), .events = POLLIN};
		/* Wake up regularly so a signal that arrived between the flag check
		 * and poll() is seen within 100 ms. */
		int timeout = 100;
		if (st == RUN_WAIT_TIMER) {
			int t = job_timeout_ms(j);
			timeout = t < timeout ? t : timeout;
		}
		if (st == RUN_WAIT_SOCKET && j->r && *said_pid >= 0)
			job_watch(j, w, said_pid);
		int n = poll(st == RUN_WAIT_SOCKET ? &pfd : NULL, st == RUN_WAIT_SOCKET ? 1 : 0,
		             timeout);
		if (n < 0 && errno != EINTR) {
			error_set(err, PGSTEP_EXIT_FAILED, "poll: %s", strerror(errno));
			return PGSTEP_EXIT_FAILED;
		}
	}
}
