/* tenant_source: tenants listed by a query against a control database. The
 * query's first column names the tenant, the second its schema (NULL for a
 * database tenant), every further column a label named after the column. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "pgstep/session.h"
#include "pgstep/tenant_source.h"
#include "pgstep/text.h"
#include "pgstep/xalloc.h"

/* Turns the query's rows into tenants in list; false with err set on the
 * first bad row. */
static bool tenant_source_rows(const PGresult *res, const char *conninfo,
                               const struct tenant_list *existing, struct tenant_list *list,
                               struct pgstep_error *err)
{
	int ncols = PQnfields(res);
	for (int i = 0; i < PQntuples(res); i++) {
		if (PQgetisnull(res, i, 0) || !*PQgetvalue(res, i, 0)) {
			error_set(err, PGSTEP_EXIT_USAGE,
			          "tenants query: row %d: the name (column \"%s\") is %s", i + 1,
			          PQfname(res, 0), PQgetisnull(res, i, 0) ? "NULL" : "empty");
			return false;
		}
		const char *name = PQgetvalue(res, i, 0);
		const struct tenant *dup = tenant_list_find(list, name);
		if (!dup)
			dup = tenant_list_find(existing, name);
		if (dup) {
			error_set(err, PGSTEP_EXIT_USAGE,
			          "tenants query: row %d: tenant %s is already defined (%s)", i + 1,
			          name, dup->origin ? dup->origin : "query");
			return false;
		}
		/* An empty schema is no schema: a database tenant. */
		const char *schema = PQgetisnull(res, i, 1) || !*PQgetvalue(res, i, 1)
		                         ? NULL
		                         : PQgetvalue(res, i, 1);
		struct tenant *t = tenant_new(name, conninfo, schema);
		free(t->origin);
		t->origin = xstrdup("query");
		for (int c = 2; c < ncols; c++) {
			if (!PQgetisnull(res, i, c))
				tenant_add_label(t, PQfname(res, c), PQgetvalue(res, i, c));
		}
		tenant_list_add(list, t);
	}
	return true;
}

bool tenant_source_query(const char *control_conninfo, const char *query, struct tenant_list *out,
                         struct pgstep_error *err)
{
	struct pgstep_error e = {0};
	struct session *s = session_connect(control_conninfo, "control", &e);
	if (!s) {
		/* session_connect says "tenant control: reason"; here the
		 * control database is not a tenant. */
		const char *reason = e.msg;
		if (text_starts_with(reason, "tenant control: "))
			reason += strlen("tenant control: ");
		error_set(err, PGSTEP_EXIT_CONNECTION, "tenants query: control database: %s",
		          reason);
		error_clear(&e);
		return false;
	}

	/* The query only lists tenants: a mistyped one must not be able to
	 * change the control database. */
	PGresult *res = NULL;
	if (session_exec(s, "SET default_transaction_read_only = on", &e))
		res = session_query(s, query, 0, NULL, &e);
	if (!res) {
		error_set(err, PGSTEP_EXIT_USAGE, "tenants query failed: %s", e.msg);
		if (err)
			memcpy(err->sqlstate, e.sqlstate, sizeof e.sqlstate);
		error_clear(&e);
		session_close(&s);
		return false;
	}

	bool ok = true;
	if (PQnfields(res) < 2) {
		error_set(err, PGSTEP_EXIT_USAGE,
		          "tenants query returns %d column%s: it needs at least two (name, schema)",
		          PQnfields(res), PQnfields(res) == 1 ? "" : "s");
		ok = false;
	}

	/* Collected apart so that a bad row leaves out as it was. */
	struct tenant_list found;
	tenant_list_init(&found);
	if (ok)
		ok = tenant_source_rows(res, control_conninfo, out, &found, err);
	if (ok) {
		for (size_t i = 0; i < found.n; i++)
			tenant_list_add(out, found.items[i]);
		found.n = 0;
	}
	tenant_list_clear(&found);
	PQclear(res);
	session_close(&s);
	return ok;
}
