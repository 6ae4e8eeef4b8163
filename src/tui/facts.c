/* facts: the live facts of the Risk tab (size, rows, the sessions holding or
 * waiting for locks on each relation the selected migration locks), read on
 * request through the engine's plan_risk_facts over a session of their own.
 *
 * The read blocks: it runs only when asked (`f`, `:facts`), says "reading
 * facts" on screen first, and its session is read-only with a short
 * lock_timeout and statement_timeout, so a server that does not answer costs
 * a few seconds once, never a queue behind an ACCESS EXCLUSIVE request. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pgstep/catalog.h"
#include "pgstep/plan_risk.h"
#include "pgstep/session.h"
#include "pgstep/xalloc.h"
#include "tui_int.h"

/* Each facts query runs under these: the facts are a glance, not a wait. */
#define FACTS_LOCK_TIMEOUT_MS      1000
#define FACTS_STATEMENT_TIMEOUT_MS 5000

void app_facts_clear(struct app *app)
{
	activity_facts_clear(&app->facts);
	activity_facts_init(&app->facts);
	free(app->facts_error);
	app->facts_error = NULL;
	app->facts_for = NULL;
}

const struct activity_facts *app_facts(const struct app *app, const struct migration *m,
                                       const char **error)
{
	if (!m || app->facts_for != m || app->facts_tenant != app->tenant_sel)
		return NULL;
	if (error)
		*error = app->facts_error;
	return &app->facts;
}

void app_facts_refresh(struct app *app)
{
	struct migration *m = app_selected_migration(app);
	struct tenant *t = app_tenant(app);
	if (!m || !t)
		return;
	const struct risk_file_report *r = app_risk(app, m);
	if (app->tab != TAB_RISK) {
		app->tab = TAB_RISK;
		app_invalidate_detail(app);
	}
	/* Blocking from here: show that it is under way first. */
	app_message(app, false, "reading facts of %s on %s%s", migration_label(m), t->name,
	            glyph->ellipsis);
	screen_refresh(app);

	app_facts_clear(app);
	app->facts_for = m;
	app->facts_tenant = app->tenant_sel;
	app->facts_at = time(NULL);
	struct pgstep_error err = {0};
	struct session *s =
	    plan_risk_session(t, FACTS_LOCK_TIMEOUT_MS, FACTS_STATEMENT_TIMEOUT_MS, &err);
	if (s) {
		/* The Risk tab names unqualified relations in the tenant's schema
		 * (app_risk), as the catalogue does. */
		struct catalog *cat = catalog_new(s, t->schema);
		/* A failed catalogue lookup answers "unknown" and the rest goes on;
		 * say so, as a failed sessions query is said. */
		if (plan_risk_facts(s, cat, &r->up, &app->facts, &err) && catalog_error(cat))
			app->facts_error = xstrdup(catalog_error(cat));
		catalog_free(&cat);
		session_close(&s);
	}
	if (err.msg && !app->facts_error)
		app->facts_error = xstrdup(err.msg);
	error_clear(&err);
	if (app->facts_error)
		app_message(app, true, "facts of %s: %s", t->name, app->facts_error);
	else
		app_message(app, false, "facts of %s on %s: %zu relation%s", migration_label(m),
		            t->name, app->facts.n_rels, app->facts.n_rels == 1 ? "" : "s");
	app_invalidate_detail(app);
}
