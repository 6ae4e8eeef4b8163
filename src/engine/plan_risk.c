/* plan_risk: the connected analysis of a tenant's pending migrations. It
 * owns the read-only session it opens for that, the catalogue over it, and
 * the running of the preflight checks. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "pgstep/catalog.h"
#include "pgstep/plan_risk.h"
#include "pgstep/session.h"
#include "pgstep/xalloc.h"

/* ---- the session ------------------------------------------------------------ */

/* Nothing this session runs may write or wait long: every transaction is
 * read-only, a lock wait ends at the configured lock_timeout (plan must not
 * queue behind an ACCESS EXCLUSIVE request and stall others behind itself),
 * and no query runs longer than the preflight timeout. */
struct session *plan_risk_session(const struct tenant *t, int64_t lock_timeout_ms,
                                  int64_t statement_timeout_ms, struct pgstep_error *err)
{
	struct session *s = session_connect(t->conninfo, t->name, err);
	if (!s)
		return NULL;
	char *set = xasprintf("SET default_transaction_read_only = on; "
	                      "SET standard_conforming_strings = on; "
	                      "SET lock_timeout = %lld; SET statement_timeout = %lld",
	                      (long long)lock_timeout_ms, (long long)statement_timeout_ms);
	bool ok = session_exec(s, set, err);
	free(set);
	if (ok && t->schema)
		ok = session_use_schema(s, t->schema, false, err);
	if (!ok) {
		error_prefix(err, "tenant %s", t->name);
		session_close(&s);
	}
	return s;
}

static struct session *plan_risk_connect(struct engine *e, const struct tenant *t,
                                         int64_t timeout_ms, struct pgstep_error *err)
{
	return plan_risk_session(t, e->cfg->lock_timeout_ms, timeout_ms, err);
}

static bool utc_name(const char *tz)
{
	static const char *const utc[] = {"UTC",       "Etc/UTC",      "GMT",  "Etc/GMT",
	                                  "UCT",       "Etc/UCT",      "Zulu", "Etc/Zulu",
	                                  "Universal", "Etc/Universal"};
	for (size_t i = 0; i < sizeof utc / sizeof *utc; i++)
		if (strcmp(tz, utc[i]) == 0)
			return true;
	return false;
}

static void plan_risk_server(struct session *s, struct risk_options *o)
{
	struct pgstep_error err = {0};
	PGresult *res = session_query(
	    s, "SELECT current_setting('server_version_num')::int, current_setting('TimeZone')", 0,
	    NULL, &err);
	if (res) {
		o->server_version_num = atoi(PQgetvalue(res, 0, 0));
		o->timezone_utc = utc_name(PQgetvalue(res, 0, 1));
		PQclear(res);
	}
	error_clear(&err);
}

void plan_risk_options(const struct engine *e, const struct tenant *t, struct session *s,
                       struct catalog *cat, struct risk_options *ro)
{
	risk_options_init(ro);
	ro->config = e->cfg; /* each migration's timeouts: settings_of() */
	ro->default_schema = t->schema;
	if (cat)
		ro->catalog = catalog_risk(cat);
	if (s)
		plan_risk_server(s, ro);
}

static void note_facts_error(struct plan_risk *r, const char *msg)
{
	if (!r->facts_error && msg)
		r->facts_error = xstrdup(msg);
}

/* ---- live facts ---------------------------------------------------------------- */

bool plan_risk_facts(struct session *s, struct catalog *cat, const struct risk_report *rep,
                     struct activity_facts *out, struct pgstep_error *err)
{
	bool ok = true;
	for (size_t k = 0; k < rep->n_stmts; k++) {
		for (size_t l = 0; l < rep->stmts[k].n_locks; l++) {
			const struct risk_lock_claim *claim = &rep->stmts[k].locks[l];
			/* What the migration creates has no sessions and no size yet. */
			if (claim->new_relation || activity_find(out, claim->relation))
				continue;
			struct activity_relation *a = activity_add(out, claim->relation);
			catalog_relation(cat, claim->relation, &a->size);
			uint32_t oid = 0;
			if (!catalog_oid(cat, claim->relation, &oid) || oid == 0)
				continue;
			struct pgstep_error e = {0};
			if (!activity_relation_load(s, oid, a, &e) && ok) {
				ok = false;
				error_set(err, e.code, "%s", e.msg ? e.msg : "facts query failed");
			}
			error_clear(&e);
		}
	}
	return ok;
}

/* Facts for every relation the plan locks, and the long-running sessions. */
static void gather_facts(struct plan_risk *r, struct session *s, struct catalog *cat)
{
	struct pgstep_error err = {0};
	for (size_t i = 0; i < r->n; i++) {
		if (!plan_risk_facts(s, cat, &r->items[i].rep.up, &r->facts, &err))
			note_facts_error(r, err.msg);
		error_clear(&err);
	}
	if (!activity_long_running_load(s, ACTIVITY_LONG_RUNNING_S, &r->facts, &err))
		note_facts_error(r, err.msg);
	error_clear(&err);
}

/* ---- preflight ------------------------------------------------------------------ */

static bool lk_enum(void *ctx, const char *type, struct strvec *out)
{
	return catalog_enum_labels(ctx, type, out);
}

static bool lk_pk(void *ctx, const char *rel, struct strvec *out)
{
	return catalog_primary_key(ctx, rel, out);
}

static char *lk_condef(void *ctx, const char *rel, const char *name)
{
	return catalog_constraint_def(ctx, rel, name);
}

/* One check in a transaction of its own, read-only, so that a timeout or
 * an error ends only that check. */
static void run_check(struct session *s, struct catalog *cat, int64_t timeout_ms,
                      struct preflight_check *c)
{
	uint32_t oid = 0;
	if (catalog_oid(cat, c->relation, &oid) && oid == 0) {
		c->status = PREFLIGHT_SKIPPED;
		free(c->note);
		c->note = xasprintf("%s does not exist in this database", c->relation);
		return;
	}
	struct pgstep_error err = {0};
	char *timeout = xasprintf("SET LOCAL statement_timeout = %lld", (long long)timeout_ms);
	PGresult *res = NULL;
	if (session_exec(s, "BEGIN TRANSACTION READ ONLY", &err) && session_exec(s, timeout, &err))
		res = session_query(s, c->sql, 0, NULL, &err);
	free(timeout);
	if (res) {
		int n = PQntuples(res);
		c->count = n ? strtoll(PQgetvalue(res, 0, 0), NULL, 10) : 0;
		for (int i = 0; i < n && i < PREFLIGHT_SAMPLES; i++) {
			const char *v = PQgetisnull(res, i, 1) ? "NULL" : PQgetvalue(res, i, 1);
			/* Keep a sample printable on one line. */
			if (strlen(v) > 80)
				strvec_push_owned(&c->samples, xasprintf("%.77s...", v));
			else
				strvec_push(&c->samples, v);
			c->sample_rows[i] =
			    PQnfields(res) > 2 ? strtoll(PQgetvalue(res, i, 2), NULL, 10) : 1;
		}
		c->status = c->count > 0 ? PREFLIGHT_FOUND : PREFLIGHT_OK;
		PQclear(res);
	} else {
		c->status = PREFLIGHT_ERROR;
		c->error = xstrdup(err.msg ? err.msg : "failed");
	}
	error_clear(&err);
	session_exec(s, "ROLLBACK", &err);
	error_clear(&err);
}

static void preflight(struct plan_risk *r, struct session *s, struct catalog *cat,
                      const char *schema)
{
	struct preflight_lookup lk = {.ctx = cat};
	if (cat) {
		lk.enum_labels = lk_enum;
		lk.primary_key = lk_pk;
		lk.constraint_def = lk_condef;
	}
	struct preflight_plan *p = preflight_plan_new(schema, &lk);
	for (size_t i = 0; i < r->n; i++)
		preflight_generate(p, migration_label(r->items[i].m), &r->items[i].rep.up,
		                   &r->items[i].checks);
	preflight_plan_free(&p);
	if (!s)
		return;
	for (size_t i = 0; i < r->n; i++)
		for (size_t k = 0; k < r->items[i].checks.n; k++)
			if (r->items[i].checks.items[k].status == PREFLIGHT_PENDING)
				run_check(s, cat, r->preflight_timeout_ms,
				          &r->items[i].checks.items[k]);
}

void plan_risk_preflight_section(struct session *s, struct catalog *cat, const char *schema,
                                 const char *label, const struct risk_report *rep,
                                 int64_t timeout_ms, struct preflight_list *out)
{
	struct preflight_lookup lk = {.ctx = cat};
	if (cat) {
		lk.enum_labels = lk_enum;
		lk.primary_key = lk_pk;
		lk.constraint_def = lk_condef;
	}
	struct preflight_plan *p = preflight_plan_new(schema, &lk);
	preflight_generate(p, label, rep, out);
	preflight_plan_free(&p);
	for (size_t k = 0; s && k < out->n; k++)
		if (out->items[k].status == PREFLIGHT_PENDING)
			run_check(s, cat, timeout_ms, &out->items[k]);
}

/* ---- the plan ------------------------------------------------------------------- */

/* Every migration `up` could apply when the tenant's state is unknown. */
static bool plan_all(struct engine *e, const struct plan_risk_options *o, struct migration ***out,
                     size_t *n, struct pgstep_error *err)
{
	const struct migration *to = NULL;
	if (o->to && !(to = migset_resolve(e->set, o->to))) {
		error_set(err, PGSTEP_EXIT_USAGE,
		          "--to %s: no such migration in %s (give its version, name or file name "
		          "as status lists it)",
		          o->to, e->set->dir);
		return false;
	}
	*out = xcalloc(e->set->n + 1, sizeof **out);
	*n = 0;
	for (size_t i = 0; i < e->set->n; i++) {
		struct migration *m = e->set->items[i];
		if (to && version_cmp(&m->version, &to->version) > 0)
			break;
		(*out)[(*n)++] = m;
	}
	return true;
}

bool plan_risk_tenant(struct engine *e, const struct tenant_status *ts,
                      const struct plan_risk_options *o, struct plan_risk *out,
                      struct pgstep_error *err)
{
	memset(out, 0, sizeof *out);
	activity_facts_init(&out->facts);
	out->tenant = ts->tenant;
	out->preflight_timeout_ms = e->cfg->statement_timeout_ms > 0 ? e->cfg->statement_timeout_ms
	                                                             : PLAN_RISK_DEFAULT_TIMEOUT_MS;
	struct migration **plan = NULL;
	size_t n = 0;
	struct up_options uo = {.to = o->to, .resume = o->resume};
	out->state_known = ts->state != TSTATE_UNREACHABLE;
	if (!out->state_known) {
		out->offline_reason = xstrdup(ts->error ? ts->error : "unreachable");
		out->offline_code = ts->error_code ? ts->error_code : PGSTEP_EXIT_CONNECTION;
		if (!plan_all(e, o, &plan, &n, err))
			return false;
	} else if (!ops_plan_up(e, ts, &uo, &plan, &n, err)) {
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		/* the up is what runs; a broken down is the set check's to report */
		if (!migration_split_section(&plan[i]->up, err)) {
			free(plan);
			return false;
		}
	}

	struct session *s = NULL;
	if (out->state_known) {
		struct pgstep_error cerr = {0};
		s = plan_risk_connect(e, ts->tenant, out->preflight_timeout_ms, &cerr);
		if (!s) {
			out->offline_reason = xstrdup(cerr.msg ? cerr.msg : "connection failed");
			out->offline_code = cerr.code ? cerr.code : PGSTEP_EXIT_CONNECTION;
		}
		error_clear(&cerr);
	}
	out->connected = s != NULL;

	const char *schema = ts->tenant->schema;
	struct risk_options ro;
	struct catalog *cat = s ? catalog_new(s, schema) : NULL;
	plan_risk_options(e, ts->tenant, s, cat, &ro);

	out->items = xcalloc(n ? n : 1, sizeof *out->items);
	out->n = n;
	/* What earlier migrations of this plan create is new and empty when a
	 * later one changes it: a plan on a fresh database is not a list of
	 * warnings about tables that do not exist yet (issue 11). */
	struct strvec created;
	strvec_init(&created);
	/* Unknown state: the set is not a plan, earlier migrations may be applied. */
	ro.plan_created = out->state_known ? &created : NULL;
	for (size_t i = 0; i < n; i++) {
		struct plan_risk_item *it = &out->items[i];
		it->m = plan[i];
		risk_file_report_init(&it->rep);
		preflight_list_init(&it->checks);
		risk_analyze_migration(plan[i], &ro, &it->rep);
		for (size_t k = 0; k < it->rep.up.n_stmts; k++) {
			const struct risk_stmt *st = &it->rep.up.stmts[k];
			for (size_t l = 0; l < st->n_locks; l++) {
				const char *rel = st->locks[l].relation;
				if (ro.plan_created && strvec_find(&created, rel) >= 0 &&
				    strvec_find(&it->rep.up.created_relations, rel) < 0 &&
				    strvec_find(&out->plan_new, rel) < 0)
					strvec_push(&out->plan_new, rel);
			}
		}
		const struct strvec *cr = &it->rep.up.created_relations;
		for (size_t k = 0; k < cr->n; k++)
			if (strvec_find(&created, cr->items[k]) < 0)
				strvec_push(&created, cr->items[k]);
	}
	strvec_clear(&created);
	ro.plan_created = NULL;
	free(plan);

	if (s)
		gather_facts(out, s, cat);
	if (o->preflight)
		preflight(out, s, cat, schema);
	if (cat)
		note_facts_error(out, catalog_error(cat));
	catalog_free(&cat);
	session_close(&s);
	return true;
}

void plan_risk_clear(struct plan_risk *r)
{
	for (size_t i = 0; i < r->n; i++) {
		risk_file_report_clear(&r->items[i].rep);
		preflight_list_clear(&r->items[i].checks);
	}
	free(r->items);
	activity_facts_clear(&r->facts);
	free(r->offline_reason);
	free(r->facts_error);
	strvec_clear(&r->plan_new);
	memset(r, 0, sizeof *r);
}

int plan_risk_worst(const struct plan_risk *r)
{
	int worst = -1;
	for (size_t i = 0; i < r->n; i++) {
		int w = risk_report_worst(&r->items[i].rep.up);
		if (w > worst)
			worst = w;
		for (size_t k = 0; k < r->items[i].checks.n; k++) {
			const struct preflight_check *c = &r->items[i].checks.items[k];
			if (c->status == PREFLIGHT_FOUND && (int)c->severity > worst)
				worst = (int)c->severity;
		}
	}
	return worst;
}
