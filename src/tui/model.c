/* model: the interface's view of the engine's data: the rows of the
 * migrations pane (phases, folding), the selected tenant's state per
 * migration, risk per migration (computed when first shown, then cached)
 * and the tenants' fetches (rows with stored SQL, events; tenant_fetch). */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pgstep/xalloc.h"
#include "tui_int.h"

const char *tab_name(enum tab t)
{
	static const char *const names[TAB_COUNT] = {"sql", "risk", "diff", "history", "notes"};
	return t < TAB_COUNT ? names[t] : "sql";
}

size_t app_n_sets(const struct app *app)
{
	return app->eng.set->n_archived + app->eng.set->n;
}

struct migration *app_set_item(const struct app *app, size_t i)
{
	const struct migset *set = app->eng.set;
	return i < set->n_archived ? set->archived[i] : set->items[i - set->n_archived];
}

struct tenant *app_tenant(const struct app *app)
{
	return app->eng.tenants.n ? app->eng.tenants.items[app->tenant_sel] : NULL;
}

const struct tenant_status *app_tenant_status(const struct app *app, size_t i)
{
	/* A tenant's own fetch is read after its badge (and again after each
	 * migration a run applies): the newer of the two. */
	if (app->fetches && i < app->eng.tenants.n && app->fetches[i] &&
	    tenant_fetch_done(app->fetches[i]) && !tenant_fetch_error(app->fetches[i]))
		return tenant_fetch_status(app->fetches[i]);
	return app->status ? status_async_get(app->status, i) : NULL;
}

/* Map each migration of the set to the selected tenant's entry for it,
 * from the tenant's fetch (the badges hold only a summary); all unknown
 * until it is in. */
static void app_build_lookup(struct app *app)
{
	const struct tenant_fetch *f = app_fetched(app, NULL);
	const struct tenant_status *ts = f ? tenant_fetch_status(f) : NULL;
	size_t n = app_n_sets(app);
	if (app->n_lookup != n) {
		free(app->lookup);
		app->lookup = xcalloc(n ? n : 1, sizeof *app->lookup);
		app->n_lookup = n;
	}
	memset(app->lookup, 0, (n ? n : 1) * sizeof *app->lookup);
	app->lookup_for = ts;
	if (!ts)
		return;
	size_t k = 0;
	for (size_t i = 0; i < ts->n && k < n; i++) {
		if (!ts->items[i].m)
			continue; /* missing: recorded, no file */
		while (k < n && app_set_item(app, k) != ts->items[i].m)
			k++;
		if (k < n)
			app->lookup[k++] = &ts->items[i];
	}
}

static int app_phase_index(struct app *app, const char *name)
{
	for (size_t i = 0; i < app->n_phases; i++)
		if (strcmp(app->phase_names[i], name) == 0)
			return (int)i;
	return -1;
}

static void app_init_phases(struct app *app)
{
	const struct migset *set = app->eng.set;
	size_t cap = set->phases.n + 2;
	app->phase_names = xcalloc(cap, sizeof *app->phase_names);
	app->folded = xcalloc(cap, sizeof *app->folded);
	if (set->n_archived) {
		app->phase_names[app->n_phases] = (char *)"archive";
		app->folded[app->n_phases++] = true; /* never applied: out of the way */
	}
	for (size_t i = 0; i < set->phases.n; i++)
		app->phase_names[app->n_phases++] = set->phases.items[i];
	if (!set->phases.n)
		app->phase_names[app->n_phases++] = (char *)"migrations";
}

void app_rebuild_rows(struct app *app)
{
	if (!app->phase_names)
		app_init_phases(app);
	struct migration *keep = app_selected_migration(app);
	int keep_phase = app->n_rows ? app->rows_v[app->mig_sel].phase : -1;
	app_build_lookup(app);
	app->n_rows = 0;
	int last = -1;
	size_t n = app_n_sets(app);
	for (size_t i = 0; i < n; i++) {
		struct migration *m = app_set_item(app, i);
		int ph = m->archived ? 0
		                     : app_phase_index(app, m->phase && *m->phase ? m->phase
		                                                                  : "migrations");
		if (ph < 0)
			ph = (int)app->n_phases - 1;
		if (ph != last) {
			XGROW(app->rows_v, app->cap_rows, app->n_rows + 1);
			app->rows_v[app->n_rows++] =
			    (struct mig_row){.kind = ROW_PHASE, .phase = ph};
			last = ph;
		}
		if (app->folded[ph])
			continue;
		XGROW(app->rows_v, app->cap_rows, app->n_rows + 1);
		app->rows_v[app->n_rows++] =
		    (struct mig_row){.kind = ROW_MIGRATION, .phase = ph, .m = m, .set_index = i};
	}
	if (!app->worst) {
		app->worst = xmalloc(n ? n : 1);
		memset(app->worst, -2, n ? n : 1);
	}
	/* Keep the selection on the same migration (or its phase). */
	size_t sel = 0;
	bool found = false;
	for (size_t i = 0; i < app->n_rows && keep; i++)
		if (app->rows_v[i].m == keep) {
			sel = i;
			found = true;
		}
	for (size_t i = 0; i < app->n_rows && !found && keep_phase >= 0; i++)
		if (app->rows_v[i].kind == ROW_PHASE && app->rows_v[i].phase == keep_phase) {
			sel = i;
			found = true;
		}
	if (!found && !keep) {
		/* First time: the first migration that is not archived. */
		for (size_t i = 0; i < app->n_rows; i++)
			if (app->rows_v[i].kind == ROW_MIGRATION) {
				sel = i;
				break;
			}
	}
	app->mig_sel = app->n_rows ? (sel < app->n_rows ? sel : app->n_rows - 1) : 0;
	if (app->to_pending && app->lookup_for) {
		app->to_pending = false;
		bool moved = app->mig_sel != app->to_pending_from;
		for (size_t i = 0; i < app->n_rows && !moved; i++) {
			const struct mig_row *r = &app->rows_v[i];
			const struct mig_status *ms =
			    r->kind == ROW_MIGRATION && r->set_index < app->n_lookup
			        ? app->lookup[r->set_index]
			        : NULL;
			if (ms && ms->state != MSTATE_APPLIED && ms->state != MSTATE_ARCHIVED &&
			    ms->state != MSTATE_SKIPPED && ms->state != MSTATE_MISSING) {
				app->mig_sel = i;
				break;
			}
		}
	}
	app->panes[PANE_MIGRATIONS].dirty = true;
}

struct migration *app_selected_migration(const struct app *app)
{
	if (!app->n_rows || app->mig_sel >= app->n_rows)
		return NULL;
	return app->rows_v[app->mig_sel].kind == ROW_MIGRATION ? app->rows_v[app->mig_sel].m : NULL;
}

const struct mig_status *app_selected_status(const struct app *app)
{
	if (!app_selected_migration(app))
		return NULL;
	size_t i = app->rows_v[app->mig_sel].set_index;
	return i < app->n_lookup ? app->lookup[i] : NULL;
}

static void app_risk_options(const struct app *app, struct risk_options *o)
{
	risk_options_init(o);
	o->config = app->eng.cfg; /* each migration's timeouts: settings_of() */
	/* A schema tenant's unqualified names are in its schema (issue 11). */
	const struct tenant *t = app_tenant(app);
	o->default_schema = t ? t->schema : NULL;
}

const struct risk_file_report *app_risk(struct app *app, struct migration *m)
{
	if (app->risk_for == m && app->risk_tenant == app->tenant_sel)
		return &app->risk;
	risk_file_report_clear(&app->risk);
	risk_file_report_init(&app->risk);
	struct risk_options o;
	app_risk_options(app, &o);
	risk_analyze_migration(m, &o, &app->risk);
	app->risk_for = m;
	app->risk_tenant = app->tenant_sel;
	return &app->risk;
}

int app_migration_worst(struct app *app, size_t i)
{
	if (i >= app_n_sets(app))
		return -1;
	if (app->worst[i] == -2) {
		struct risk_file_report r;
		risk_file_report_init(&r);
		struct risk_options o;
		app_risk_options(app, &o);
		risk_analyze_migration(app_set_item(app, i), &o, &r);
		/* The column answers "what does applying it risk?", as the Risk
		 * tab's first line does; rolling back has its own line there. */
		app->worst[i] = (signed char)risk_report_worst(&r.up);
		risk_file_report_clear(&r);
	}
	return app->worst[i];
}

/* The scale lint, plan and the rule table use (error, warn, info): one
 * word for one severity everywhere. */
const char *risk_word(int worst)
{
	return worst < 0 ? "" : risk_severity_name((enum risk_severity)worst);
}

enum role risk_role(int worst)
{
	switch (worst) {
	case RISK_ERROR: return ROLE_RISK_HIGH;
	case RISK_WARN: return ROLE_RISK_MEDIUM;
	case RISK_INFO: return ROLE_RISK_LOW;
	default: return ROLE_NORMAL;
	}
}

/* How many tenants' fetches are kept: moving through the list starts one
 * per tenant passed, and each holds the tenant's items (one per migration). */
#define APP_FETCH_KEEP 8

static void app_fetch_evict(struct app *app)
{
	size_t oldest = SIZE_MAX;
	for (size_t i = 0; i < app->eng.tenants.n; i++)
		if (app->fetches[i] && i != app->tenant_sel &&
		    (oldest == SIZE_MAX || app->fetch_used[i] < app->fetch_used[oldest]))
			oldest = i;
	if (oldest != SIZE_MAX) {
		tenant_fetch_free(&app->fetches[oldest]);
		app->n_fetches--;
	}
}

static struct tenant_fetch *app_fetch_of(struct app *app, size_t i)
{
	if (i >= app->eng.tenants.n)
		return NULL;
	struct tenant *t = app->eng.tenants.items[i];
	if (!app->fetches) {
		app->fetches = xcalloc(app->eng.tenants.n, sizeof *app->fetches);
		app->fetch_used = xcalloc(app->eng.tenants.n, sizeof *app->fetch_used);
	}
	app->fetch_used[i] = ++app->fetch_tick;
	if (!app->fetches[i]) {
		while (app->n_fetches >= APP_FETCH_KEEP)
			app_fetch_evict(app);
		app->fetches[i] = tenant_fetch_start(app->eng.set, t);
		app->n_fetches++;
	}
	return app->fetches[i];
}

struct tenant_fetch *app_fetch(struct app *app)
{
	return app_tenant(app) ? app_fetch_of(app, app->tenant_sel) : NULL;
}

void app_refetch(struct app *app, size_t i)
{
	if (app->fetches && i < app->eng.tenants.n && app->fetches[i]) {
		tenant_fetch_free(&app->fetches[i]);
		app->n_fetches--;
	}
	app_fetch_of(app, i);
	app->panes[PANE_TENANTS].dirty = true;
}

const struct tenant_fetch *app_fetched(struct app *app, const char **why)
{
	const struct tenant_fetch *f = app_fetch(app);
	const char *w = NULL;
	if (!f)
		w = "no tenant";
	else if (!tenant_fetch_done(f))
		w = "loading";
	else if (tenant_fetch_error(f))
		w = tenant_fetch_error(f);
	if (why)
		*why = w;
	return w ? NULL : f;
}

size_t app_fetch_fds(struct app *app, struct pollfd *fds, size_t cap, int *timeout)
{
	size_t k = 0;
	for (size_t i = 0; app->fetches && i < app->eng.tenants.n && k < cap; i++) {
		if (!app->fetches[i] || !tenant_fetch_pollfd(app->fetches[i], &fds[k]))
			continue;
		int t = tenant_fetch_timeout_ms(app->fetches[i]);
		if (t >= 0 && (*timeout < 0 || t < *timeout))
			*timeout = t;
		k++;
	}
	return k;
}

bool app_fetch_step(struct app *app, const struct pollfd *fds, size_t nfds)
{
	/* The same walk as app_fetch_fds, so entry k is the k-th running fetch. */
	bool sel_done = false;
	size_t k = 0;
	for (size_t i = 0; app->fetches && i < app->eng.tenants.n; i++) {
		struct pollfd pfd;
		if (!app->fetches[i] || !tenant_fetch_pollfd(app->fetches[i], &pfd))
			continue;
		short rev = k < nfds ? fds[k].revents : 0;
		k++;
		if (tenant_fetch_step(app->fetches[i], rev)) {
			app->panes[PANE_TENANTS].dirty = true; /* its badge: app_tenant_status */
			sel_done |= i == app->tenant_sel;
		}
		/* The server's notices go to the message line, never the tty. */
		const struct strvec *nv = tenant_fetch_notices(app->fetches[i]);
		if (i == app->tenant_sel && nv->n > app->notices_shown) {
			app_message(app, false, "%s: %s", app_tenant(app)->name,
			            nv->items[nv->n - 1]);
			app->notices_shown = nv->n;
		}
	}
	return sel_done;
}

void app_fetch_forget(struct app *app)
{
	for (size_t i = 0; app->fetches && i < app->eng.tenants.n; i++)
		tenant_fetch_free(&app->fetches[i]);
	app->n_fetches = 0;
}

void app_invalidate_detail(struct app *app)
{
	app->doc_valid = false;
	app->panes[PANE_DETAIL].dirty = true;
	app->panes[PANE_DETAIL].top = 0;
}

void app_select_tenant(struct app *app, size_t i)
{
	app->deferred = ACT_NONE; /* it was for the tenant selected before */
	if (i >= app->eng.tenants.n)
		return;
	app->tenant_sel = i;
	/* Notices are news once: a kept fetch's were shown when they came. */
	app->notices_shown =
	    app->fetches && app->fetches[i] ? tenant_fetch_notices(app->fetches[i])->n : 0;
	app->panes[PANE_TENANTS].dirty = true;
	app->to_pending = true;
	app->to_pending_from = app->mig_sel;
	app_rebuild_rows(app);
	app_invalidate_detail(app);
	app->title_dirty = true;
	const struct tenant_status *ts = app_tenant_status(app, i);
	app->sel_known = ts != NULL;
	if (ts && ts->state == TSTATE_UNREACHABLE)
		app_message(app, true, "%s", ts->error ? ts->error : "unreachable");
}

bool app_reload_files(struct app *app)
{
	struct migration *sel = app_selected_migration(app);
	char *keep = sel ? xstrdup(sel->version.key) : NULL;
	/* Everything that points into the set goes first. */
	status_async_free(&app->status);
	app_fetch_forget(app);
	app_facts_clear(app);
	risk_file_report_clear(&app->risk);
	risk_file_report_init(&app->risk);
	app->risk_for = app->doc_for = NULL;
	app->n_rows = 0;
	app->lookup_for = NULL;
	/* Phases may come or go: folding is kept by name (the names are the
	 * old set's, so copied). */
	struct strvec old_names;
	strvec_init(&old_names);
	for (size_t i = 0; i < app->n_phases; i++)
		strvec_push(&old_names, app->phase_names[i]);
	bool *old_folded = app->folded;
	free(app->phase_names);
	app->phase_names = NULL;
	app->folded = NULL;
	app->n_phases = 0;
	struct pgstep_error err = {0};
	bool ok = engine_reload_set(&app->eng, &err);
	if (!ok)
		app_message(app, true, "the migration files cannot be read again: %s",
		            err.msg ? err.msg : "failed");
	error_clear(&err);
	free(app->worst);
	app->worst = NULL;
	app_rebuild_rows(app);
	for (size_t i = 0; i < app->n_phases; i++)
		for (size_t k = 0; k < old_names.n; k++)
			if (strcmp(app->phase_names[i], old_names.items[k]) == 0)
				app->folded[i] = old_folded[k];
	strvec_clear(&old_names);
	free(old_folded);
	app_rebuild_rows(app);
	struct migration *m = keep ? migset_find_key(app->eng.set, keep) : NULL;
	free(keep);
	for (size_t i = 0; i < app->n_rows && m; i++)
		if (app->rows_v[i].m == m)
			app->mig_sel = i;
	app->status =
	    status_async_start(app->eng.set, app->eng.tenants.items, app->eng.tenants.n, 0);
	app->sel_known = false;
	app->notices_shown = 0;
	app_invalidate_detail(app);
	screen_mark_all(app);
	return ok;
}

void app_free_model(struct app *app)
{
	free(app->phase_names);
	free(app->folded);
	free(app->rows_v);
	free(app->lookup);
	free(app->worst);
	doc_clear(&app->doc);
	risk_file_report_clear(&app->risk);
	app_facts_clear(app);
	app_fetch_forget(app);
	free(app->fetches);
	free(app->fetch_used);
	free(app->msg);
	free(app->search);
}
