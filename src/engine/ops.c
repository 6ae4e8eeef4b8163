/* ops: project loading, tenant selection, the plans of up and down, up and
 * down driven to their end for the command line (they run as jobs: job.c),
 * and repair, verify and history, one tenant at a time under its advisory
 * lock. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ops_int.h"
#include "pgstep/job.h"
#include "pgstep/json.h"
#include "pgstep/ops.h"
#include "pgstep/pool.h"
#include "pgstep/session.h"
#include "pgstep/tenant_source.h"
#include "pgstep/xalloc.h"

/* The set loads on a thread of its own while the caller goes on: on a large
 * set the files and libpg_query's scanner take a while, and the servers can
 * answer the tenant and status queries in that time. */
struct set_loader {
	struct pool *pool; /* one item, one worker: the load; NULL once joined */
	char *dir;
	struct migset_options mo;
	struct migset *set;
	struct diag_list *diags; /* the engine's; nobody else's until the join */
	struct pgstep_error err;
};

static void set_loader_load(void *arg, size_t i)
{
	struct set_loader *l = arg;
	(void)i;
	l->set = migset_load(l->dir, &l->mo, l->diags, &l->err);
	if (!l->set && !l->err.code)
		l->err.code = PGSTEP_EXIT_USAGE;
}

static void set_loader_start(struct engine *e)
{
	struct set_loader *l = xcalloc(1, sizeof *l);
	l->dir = xstrdup(e->cfg->migrations_dir);
	l->mo = (struct migset_options){
	    .phases = e->cfg->phases,
	    .n_phases = e->cfg->n_phases,
	    .split_statements = false,
	};
	l->diags = &e->diags;
	l->pool = pool_start(1, 1, set_loader_load, l);
	if (pool_workers(l->pool) == 0 || pool_fd(l->pool) < 0)
		pool_finish(&l->pool); /* no thread or no pipe: load here and now */
	e->loader = l;
}

/* Wait for the set; it becomes e->set, or its error goes to err. */
static bool set_loader_finish(struct engine *e, struct pgstep_error *err)
{
	struct set_loader *l = e->loader;
	if (!l)
		return e->set != NULL;
	pool_finish(&l->pool);
	e->set = l->set;
	bool ok = l->set != NULL;
	if (!ok) {
		error_clear(err);
		*err = l->err;
	}
	free(l->dir);
	free(l);
	e->loader = NULL;
	return ok;
}

bool engine_open_start(struct engine *e, const char *config_path, struct pgstep_error *err)
{
	diag_list_init(&e->diags);
	tenant_list_init(&e->tenants);
	actor_init(&e->actor);
	e->cfg = config_load(config_path, err);
	if (!e->cfg)
		return false;
	/* Before any session: every event written from here on is keyed. */
	if (e->cfg->audit_key_file && !state_audit_key_load(e->cfg->audit_key_file, err))
		return false;
	/* The engine owns the tenants from here on, whatever their source. */
	for (size_t i = 0; i < e->cfg->tenants.n; i++)
		tenant_list_add(&e->tenants, e->cfg->tenants.items[i]);
	e->cfg->tenants.n = 0;

	set_loader_start(e);
	if (e->cfg->tenants_query &&
	    !tenant_source_query(e->cfg->tenants_control, e->cfg->tenants_query,
	                         e->cfg->tenants_timeout_ms, &e->tenants, err)) {
		/* An unusable set is said first, as when the set loaded first. */
		struct pgstep_error set_err = {0};
		if (!set_loader_finish(e, &set_err)) {
			error_clear(err);
			*err = set_err;
		}
		return false;
	}
	return true;
}

int engine_set_fd(const struct engine *e)
{
	return e->loader && e->loader->pool ? pool_fd(e->loader->pool) : -1;
}

bool engine_open_finish(struct engine *e, struct pgstep_error *err)
{
	return set_loader_finish(e, err);
}

bool engine_open(struct engine *e, const char *config_path, struct pgstep_error *err)
{
	return engine_open_start(e, config_path, err) && engine_open_finish(e, err);
}

void engine_close(struct engine *e)
{
	struct pgstep_error ignored = {0};
	set_loader_finish(e, &ignored);
	error_clear(&ignored);
	migset_free(&e->set);
	config_free(&e->cfg);
	tenant_list_clear(&e->tenants);
	diag_list_clear(&e->diags);
	actor_release(&e->actor);
	state_audit_key_clear();
}

bool engine_set_has_errors(const struct engine *e)
{
	return diag_count(&e->diags, DIAG_ERROR) > 0;
}

bool engine_reload_set(struct engine *e, struct pgstep_error *err)
{
	struct pgstep_error ignored = {0};
	set_loader_finish(e, &ignored); /* a load still running is superseded */
	error_clear(&ignored);
	struct migset_options mo = {
	    .phases = e->cfg->phases,
	    .n_phases = e->cfg->n_phases,
	};
	struct diag_list diags;
	diag_list_init(&diags);
	struct migset *set = migset_load(e->cfg->migrations_dir, &mo, &diags, err);
	if (!set) {
		if (!err->code)
			err->code = PGSTEP_EXIT_USAGE;
		diag_list_clear(&diags);
		return false;
	}
	migset_free(&e->set);
	diag_list_clear(&e->diags);
	e->set = set;
	e->diags = diags;
	e->sql_checked = false;
	return true;
}

size_t engine_check_sql(struct engine *e)
{
	size_t from = e->diags.n;
	if (e->set && !e->sql_checked)
		migset_split_all(e->set, DIAG_WARNING, &e->diags, ENGINE_KEEP_TREES_BYTES);
	e->sql_checked = true;
	return from;
}

static bool tenant_in_groups(const struct tenant *t, const struct selection *sel)
{
	for (size_t g = 0; g < sel->n_groups; g++) {
		const char *eq = strchr(sel->groups[g], '=');
		char *key = xstrndup(sel->groups[g], (size_t)(eq - sel->groups[g]));
		const char *v = tenant_label(t, key);
		free(key);
		if (!v || strcmp(v, eq + 1) != 0)
			return false;
	}
	return true;
}

bool engine_select(const struct engine *e, const struct selection *sel, bool default_all,
                   struct tenant ***out, size_t *n, struct pgstep_error *err)
{
	*out = xcalloc(e->tenants.n + 1, sizeof **out);
	*n = 0;
	for (size_t g = 0; g < sel->n_groups; g++) {
		const char *eq = strchr(sel->groups[g], '=');
		if (!eq || eq == sel->groups[g]) {
			error_set(err, PGSTEP_EXIT_USAGE, "--group %s: expected key=value",
			          sel->groups[g]);
			goto fail;
		}
	}
	for (size_t i = 0; i < sel->n_names; i++) {
		struct tenant *t = tenant_list_find(&e->tenants, sel->names[i]);
		if (!t) {
			error_set(err, PGSTEP_EXIT_USAGE, "unknown tenant '%s' (%zu configured)",
			          sel->names[i], e->tenants.n);
			goto fail;
		}
		bool dup = false;
		for (size_t k = 0; k < *n; k++)
			dup |= (*out)[k] == t;
		if (!dup)
			(*out)[(*n)++] = t;
	}
	if (sel->n_names)
		return true;
	bool everything = sel->all || sel->n_groups || default_all;
	if (!everything && e->tenants.n > 1) {
		error_set(err, PGSTEP_EXIT_USAGE,
		          "%zu tenants are configured: choose with --tenant NAME, --group "
		          "key=value or --all",
		          e->tenants.n);
		goto fail;
	}
	for (size_t i = 0; i < e->tenants.n; i++)
		if (tenant_in_groups(e->tenants.items[i], sel))
			(*out)[(*n)++] = e->tenants.items[i];
	if (*n == 0 && sel->n_groups) {
		error_set(err, PGSTEP_EXIT_USAGE, "no tenant matches the --group selection");
		goto fail;
	}
	if (*n == 0) {
		error_set(err, PGSTEP_EXIT_USAGE, "no tenants configured in %s", e->cfg->path);
		goto fail;
	}
	return true;
fail:
	free(*out);
	*out = NULL;
	*n = 0;
	return false;
}

void ops_notice(struct engine *e, struct tenant *t, const char *msg)
{
	if (!e->obs.event)
		return;
	struct run_event ev = {.kind = RUN_EV_NOTICE, .tenant = t, .message = msg};
	e->obs.event(e->obs.ctx, &ev);
}

/* Connect, set the tenant's schema, create the pgstep schema on first use
 * and take the tenant's lock. */
struct session *ops_open_tenant(struct engine *e, struct tenant *t, bool write,
                                struct pgstep_error *err)
{
	struct session *s = session_connect(t->conninfo, t->name, err);
	if (!s)
		return NULL;
	/* If pgstep dies (kill -9, lost SSH), the server notices within a second
	 * and rolls back, instead of finishing a long statement and holding
	 * its locks and the tenant's advisory lock until then. */
	if (write && !session_exec(s, "SET client_connection_check_interval = 1000", err))
		goto fail;
	if (write && !state_ensure(s, err))
		goto fail;
	/* The tenant's lock comes before its schema is created: two first runs
	 * would otherwise race on CREATE SCHEMA. */
	if (write && !state_lock_tenant(s, t->name, err))
		goto fail;
	if (t->schema && !session_use_schema(s, t->schema, write, err))
		goto fail;
	return s;
fail:
	if (err->code != PGSTEP_EXIT_LOCKED)
		error_prefix(err, "tenant %s", t->name);
	session_close(&s);
	return NULL;
}

void ops_close_tenant(struct session **s, struct tenant *t)
{
	if (*s)
		state_unlock_tenant(*s, t->name);
	session_close(s);
}

bool ops_load_status(struct engine *e, struct session *s, struct tenant *t, bool with_sql,
                     struct tenant_status *ts, struct pgstep_error *err)
{
	memset(ts, 0, sizeof *ts);
	ts->tenant = t;
	const char *name = t->name;
	if (!state_load(s, &name, 1, with_sql, &ts->rows, err))
		return false;
	status_merge(e->set, ts);
	return true;
}

void ops_status_release(struct tenant_status *ts)
{
	free(ts->items);
	free(ts->error);
	state_rows_clear(&ts->rows);
}

bool ops_plan_up(struct engine *e, const struct tenant_status *ts, const struct up_options *o,
                 struct migration ***out, size_t *n, struct pgstep_error *err)
{
	*out = xcalloc(ts->n + 1, sizeof **out);
	*n = 0;
	struct version to = {0};
	if (o->to) {
		struct migration *target = migset_resolve(e->set, o->to);
		if (!target) {
			error_set(
			    err, PGSTEP_EXIT_USAGE,
			    "--to %s: no such migration in %s (give its version, name or file "
			    "name as status lists it)",
			    o->to, e->set->dir);
			goto fail;
		}
		version_copy(&to, &target->version);
	}
	/* On an empty tenant a pending baseline stands for every version before
	 * it, and status marks those skipped. `--to` below that baseline cannot
	 * use it: without this, `up --to 1` on a new tenant applied nothing and
	 * said nothing. There the latest baseline at or below --to (if any)
	 * stands in for the versions before it, and the rest up to --to apply
	 * one by one; the later baseline is then skipped as on any used tenant. */
	bool rebase = false;
	const struct version *floor = NULL;
	if (o->to) {
		rebase = true;
		for (size_t i = 0; i < ts->rows.n; i++)
			if (ts->rows.items[i].state == ROW_APPLIED ||
			    ts->rows.items[i].state == ROW_DIRTY)
				rebase = false;
		for (size_t i = 0; i < ts->n && rebase; i++) {
			const struct migration *m = ts->items[i].m;
			if (m && m->baseline && !m->archived && version_cmp(&m->version, &to) <= 0)
				floor = &m->version;
		}
	}
	for (size_t i = 0; i < ts->n; i++) {
		const struct mig_status *ms = &ts->items[i];
		if (!ms->m || ms->m->archived)
			continue;
		if (o->to && version_cmp(&ms->m->version, &to) > 0)
			break;
		if (rebase && ms->state == MSTATE_SKIPPED &&
		    (!floor || version_cmp(&ms->m->version, floor) >= 0)) {
			(*out)[(*n)++] = ms->m;
			continue;
		}
		if (ms->state == MSTATE_DIRTY && !o->resume) {
			error_set(
			    err, PGSTEP_EXIT_FAILED,
			    "tenant %s: %s is dirty: %d of %d statements done%s%s. Check the "
			    "database, then run `pgstep up --resume` to continue after statement "
			    "%d (`pgstep plan --resume` shows what it would run), or `pgstep "
			    "repair` to record how you resolved it",
			    ts->tenant->name, migration_label(ms->m), ms->row->statements_done,
			    ms->row->statements_total,
			    ms->row->error_message ? "; last error: " : "",
			    ms->row->error_message ? ms->row->error_message : "",
			    ms->row->statements_done);
			goto fail;
		}
		if (ms->state == MSTATE_PENDING || ms->state == MSTATE_ROLLED_BACK ||
		    ms->state == MSTATE_FAILED || ms->state == MSTATE_DIRTY)
			(*out)[(*n)++] = ms->m;
	}
	/* requires: each must be applied already or come earlier in this plan. */
	for (size_t i = 0; i < *n; i++) {
		struct migration *m = (*out)[i];
		for (size_t r = 0; r < m->requires.n; r++) {
			const char *key = m->requires.items[r];
			bool ok = false;
			for (size_t k = 0; k < ts->n && !ok; k++)
				ok = ts->items[k].m &&
				     strcmp(ts->items[k].m->version.key, key) == 0 &&
				     ts->items[k].state == MSTATE_APPLIED;
			for (size_t k = 0; k < i && !ok; k++)
				ok = strcmp((*out)[k]->version.key, key) == 0;
			if (!ok) {
				error_set(err, PGSTEP_EXIT_USAGE,
				          "tenant %s: %s requires %s, which is neither applied nor "
				          "planned before it",
				          ts->tenant->name, migration_label(m), key);
				goto fail;
			}
		}
	}
	version_release(&to);
	return true;
fail:
	version_release(&to);
	free(*out);
	*out = NULL;
	*n = 0;
	return false;
}

bool ops_plan_down(struct engine *e, const struct tenant_status *ts, const struct down_options *o,
                   const struct mig_status ***out, size_t *n, struct pgstep_error *err)
{
	*out = xcalloc(ts->n + 1, sizeof **out);
	*n = 0;
	char *to = NULL;
	if (o->to) {
		/* Any spelling of a migration in the set; a version alone may name
		 * one whose file is gone (only its row says what it was). */
		const struct migration *m = migset_resolve(e->set, o->to);
		to = m ? xstrdup(m->version.key) : version_key_of(o->to);
		if (!to) {
			error_set(
			    err, PGSTEP_EXIT_USAGE,
			    "--to %s: not a version, nor a migration of %s (give its version, "
			    "name or file name as status lists it)",
			    o->to, e->set->dir);
			goto fail;
		}
	}
	int steps = o->to ? -1 : (o->steps > 0 ? o->steps : 1);
	for (size_t i = ts->n; i-- > 0 && steps != 0;) {
		const struct mig_status *ms = &ts->items[i];
		if (!ms->row)
			continue;
		if (to && version_key_cmp(ms->row->version, to) <= 0)
			break;
		if (ms->row->state == ROW_DIRTY) {
			error_set(
			    err, PGSTEP_EXIT_FAILED,
			    "tenant %s: version %s is dirty: resolve it first (`pgstep repair "
			    "--mark applied|rolled_back`, or `pgstep up --resume` when an up "
			    "was interrupted)",
			    ts->tenant->name,
			    ms->row->version_text ? ms->row->version_text : ms->row->version);
			goto fail;
		}
		if (ms->row->state != ROW_APPLIED ||
		    (ms->state != MSTATE_APPLIED && ms->state != MSTATE_MISSING))
			continue;
		(*out)[(*n)++] = ms;
		if (steps > 0)
			steps--;
	}
	free(to);
	return true;
fail:
	free(to);
	free(*out);
	*out = NULL;
	*n = 0;
	return false;
}

/* The command line's way: open, run to the end (a signal cancels), close. */
static enum pgstep_exit ops_job(struct engine *e, struct tenant *t, const struct job_options *jo,
                                struct pgstep_error *err)
{
	struct job *j = job_open(e, t, jo, &e->obs, err);
	if (!j)
		return err->code ? err->code : PGSTEP_EXIT_FAILED;
	enum pgstep_exit rc = job_run(j, e->interrupted, err);
	job_close(&j);
	return rc;
}

enum pgstep_exit ops_up(struct engine *e, struct tenant *t, const struct up_options *o,
                        struct pgstep_error *err)
{
	/* Asking `up --resume` is the go-ahead to rebuild an index that an
	 * interrupted build left INVALID; the interface asks on its own. */
	struct job_options jo = {
	    .kind = JOB_UP, .to = o->to, .resume = o->resume, .rebuild_invalid = true};
	return ops_job(e, t, &jo, err);
}

enum pgstep_exit ops_down(struct engine *e, struct tenant *t, const struct down_options *o,
                          struct pgstep_error *err)
{
	struct job_options jo = {
	    .kind = JOB_DOWN, .to = o->to, .steps = o->steps, .use_file = o->use_file};
	return ops_job(e, t, &jo, err);
}

enum pgstep_exit ops_repair(struct engine *e, struct tenant *t, const char *version,
                            const char *reason, bool mark_applied, struct pgstep_error *err)
{
	if (!reason || !*reason) {
		error_set(err, PGSTEP_EXIT_USAGE, "repair needs --reason \"...\": it is recorded");
		return PGSTEP_EXIT_USAGE;
	}
	char *key = version_key_of(version);
	if (!key) {
		error_set(err, PGSTEP_EXIT_USAGE, "--version %s: not a version", version);
		return PGSTEP_EXIT_USAGE;
	}
	struct session *s = ops_open_tenant(e, t, true, err);
	if (!s) {
		free(key);
		return err->code;
	}
	struct tenant_status ts;
	enum pgstep_exit rc = PGSTEP_EXIT_OK;
	if (!ops_load_status(e, s, t, true, &ts, err)) {
		rc = err->code ? err->code : PGSTEP_EXIT_FAILED;
		goto out;
	}
	struct state_row *row = state_rows_find(&ts.rows, t->name, key);
	if (!row || (row->state != ROW_DIRTY && row->state != ROW_FAILED)) {
		error_set(err, PGSTEP_EXIT_USAGE,
		          "tenant %s: version %s is %s: only a dirty or failed migration can be "
		          "repaired",
		          t->name, version, row ? row_state_name(row->state) : "not recorded");
		rc = PGSTEP_EXIT_USAGE;
		goto out;
	}
	const char *before = row_state_name(row->state);
	char *detail = NULL;
	if (!session_exec(s, "BEGIN", err))
		goto failed;
	row->state = mark_applied ? ROW_APPLIED : ROW_ROLLED_BACK;
	if (mark_applied)
		row->statements_done = row->statements_total;
	free(row->os_user);
	row->os_user = e->actor.os_user ? xstrdup(e->actor.os_user) : NULL;
	free(row->client_addr);
	row->client_addr = e->actor.client_addr ? xstrdup(e->actor.client_addr) : NULL;
	free(row->db_user);
	row->db_user = NULL;
	struct strbuf sb;
	struct json j;
	strbuf_init(&sb);
	json_init(&j, &sb);
	json_begin_object(&j);
	json_kv_string(&j, "reason", reason);
	json_kv_string(&j, "from", before);
	json_kv_string(&j, "to", row_state_name(row->state));
	json_end_object(&j);
	detail = strbuf_detach(&sb);
	strbuf_release(&sb);
	if (!state_upsert(s, &e->actor, row, "repair", detail, err) ||
	    !session_exec(s, "COMMIT", err))
		goto failed;
	free(detail);
	goto out;
failed:
	free(detail);
	{
		struct pgstep_error ignore = {0};
		session_exec(s, "ROLLBACK", &ignore);
		error_clear(&ignore);
	}
	error_prefix(err, "tenant %s: repair %s", t->name, version);
	rc = PGSTEP_EXIT_FAILED;
out:
	free(key);
	ops_status_release(&ts);
	ops_close_tenant(&s, t);
	return rc;
}

enum pgstep_exit ops_verify(struct engine *e, struct tenant *t, const struct chain_head *anchor,
                            struct chain_head *head, struct diag_list *problems,
                            struct pgstep_error *err)
{
	struct session *s = ops_open_tenant(e, t, false, err);
	if (!s)
		return err->code;
	struct tenant_status ts;
	size_t before = problems->n;
	enum pgstep_exit rc = PGSTEP_EXIT_OK;
	if (!ops_load_status(e, s, t, false, &ts, err)) {
		rc = err->code ? err->code : PGSTEP_EXIT_FAILED;
		goto out;
	}
	for (size_t i = 0; i < ts.n; i++) {
		const struct mig_status *ms = &ts.items[i];
		if (ms->state == MSTATE_APPLIED && !ms->checksum_ok) {
			diag_add(problems, DIAG_ERROR, ms->m->up.path, ms->m->up.first_line,
			         "tenant %s: %s changed since it was applied (checksum %.12s, "
			         "applied %.12s)",
			         t->name, migration_label(ms->m), ms->m->checksum,
			         ms->row->checksum);
			diag_set_fields(problems, "checksum", ms->m->version.text,
			                ms->row->checksum, ms->m->checksum);
		} else if (ms->state == MSTATE_MISSING && ms->row->state == ROW_APPLIED) {
			const char *v =
			    ms->row->version_text ? ms->row->version_text : ms->row->version;
			diag_add(problems, DIAG_ERROR, NULL, 0,
			         "tenant %s: version %s (%s) is applied but its file is missing",
			         t->name, v, ms->row->name ? ms->row->name : "");
			diag_set_fields(problems, "missing-file", v, NULL, NULL);
		} else if (ms->state == MSTATE_DIRTY) {
			diag_add(problems, DIAG_ERROR, ms->m->up.path, 0,
			         "tenant %s: %s is dirty at statement %d of %d", t->name,
			         migration_label(ms->m), ms->row->statements_done + 1,
			         ms->row->statements_total);
			diag_set_fields(problems, "dirty", ms->m->version.text, NULL, NULL);
		}
	}
	state_verify_events(s, t->name, anchor, head, problems, err);
	if (error_isset(err))
		rc = err->code ? err->code : PGSTEP_EXIT_FAILED;
	else if (problems->n > before)
		rc = PGSTEP_EXIT_DRIFT;
out:
	ops_status_release(&ts);
	session_close(&s);
	return rc;
}

enum pgstep_exit ops_history(struct engine *e, struct tenant *t, const char *version,
                             struct event_rows *out, struct pgstep_error *err)
{
	(void)e;
	struct session *s = ops_open_tenant(e, t, false, err);
	if (!s)
		return err->code;
	char *key = version ? version_key_of(version) : NULL;
	bool exists = false;
	enum pgstep_exit rc = PGSTEP_EXIT_OK;
	if (version && !key) {
		error_set(err, PGSTEP_EXIT_USAGE, "--version %s: not a version", version);
		rc = PGSTEP_EXIT_USAGE;
	} else if (!state_exists(s, &exists, err) ||
	           (exists && !state_load_events(s, t->name, key, out, err))) {
		error_prefix(err, "tenant %s", t->name);
		rc = err->code ? err->code : PGSTEP_EXIT_FAILED;
	}
	free(key);
	session_close(&s);
	return rc;
}
