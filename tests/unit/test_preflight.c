/* test_preflight: the SQL of every kind of preflight check, exactly; when a
 * check is skipped and why; plan state across migrations (NOT VALID then
 * VALIDATE, tables created earlier, enum labels from the file or the
 * catalogue); the deparser guard. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <pg_query.h>
#include <pg_query/pg_query.pb-c.h>

#include "pgstep/deparse.h"
#include "pgstep/preflight.h"
#include "pgstep/risk.h"
#include "tap.h"

/* ---- a fake catalogue ------------------------------------------------------------ */

static bool fake_enum(void *ctx, const char *type, struct strvec *out)
{
	(void)ctx;
	if (strcmp(type, "public.mood") != 0)
		return false;
	strvec_push(out, "happy");
	strvec_push(out, "it's ok");
	return true;
}

static bool fake_pk(void *ctx, const char *rel, struct strvec *out)
{
	(void)ctx;
	if (strcmp(rel, "public.parent") == 0 || strcmp(rel, "public.runs") == 0) {
		strvec_push(out, "id");
		return true;
	}
	if (strcmp(rel, "public.pairs") == 0) {
		strvec_push(out, "a");
		strvec_push(out, "b");
		return true;
	}
	return false;
}

static char *fake_condef(void *ctx, const char *rel, const char *name)
{
	(void)ctx;
	if (strcmp(rel, "public.files") == 0 && strcmp(name, "files_kind_check") == 0)
		return strdup("CHECK ((kind = ANY(ARRAY['a'::text, 'b'::text]))) NOT VALID");
	return NULL;
}

static const struct preflight_lookup lookup = {
    .enum_labels = fake_enum,
    .primary_key = fake_pk,
    .constraint_def = fake_condef,
};

/* ---- helpers ------------------------------------------------------------------------ */

/* Analyse text as one migration and generate its checks into out. */
static void gen(struct preflight_plan *p, const char *label, const char *text,
                struct preflight_list *out)
{
	struct risk_options o;
	risk_options_init(&o);
	struct risk_report r;
	risk_report_init(&r);
	risk_analyze(text, &o, &r);
	preflight_generate(p, label, &r, out);
	risk_report_clear(&r);
}

/* The checks of one migration text on a fresh plan. */
static void gen1(const char *text, struct preflight_list *out)
{
	struct preflight_plan *p = preflight_plan_new(NULL, &lookup);
	preflight_list_init(out);
	gen(p, "001_x", text, out);
	preflight_plan_free(&p);
}

static void expect1(const char *text, enum preflight_kind kind, const char *sql, const char *desc)
{
	struct preflight_list l;
	gen1(text, &l);
	if (!sql) {
		is_int(l.n, 0, "%s", desc);
		preflight_list_clear(&l);
		return;
	}
	if (!ok(l.n == 1, "%s: one check (got %zu)", desc, l.n)) {
		preflight_list_clear(&l);
		return;
	}
	ok(l.items[0].kind == kind, "%s: kind %s", desc, preflight_kind_name(l.items[0].kind));
	is_str(l.items[0].sql, sql, "%s: SQL", desc);
	preflight_list_clear(&l);
}

/* ---- the checks ------------------------------------------------------------------------ */

static void test_foreign_keys(void)
{
	expect1(
	    "ALTER TABLE tool_calls ADD CONSTRAINT tool_calls_connector_installation_id_fkey\n"
	    "  FOREIGN KEY (connector_installation_id) REFERENCES connector_installations (id);",
	    PREFLIGHT_FK_ORPHANS,
	    "SELECT sum(count(*)) OVER () AS total, c.connector_installation_id::text AS "
	    "sample, count(*) AS n FROM tool_calls c WHERE c.connector_installation_id IS "
	    "NOT NULL AND NOT EXISTS (SELECT FROM connector_installations p WHERE p.id = "
	    "c.connector_installation_id) GROUP BY 2 ORDER BY 3 DESC, 2 LIMIT 5",
	    "foreign key (the sample set's 012)");
	expect1("ALTER TABLE app.\"Child\" ADD FOREIGN KEY (a, \"B\") REFERENCES pairs;",
	        PREFLIGHT_FK_ORPHANS,
	        "SELECT sum(count(*)) OVER () AS total, ROW(c.a, c.\"B\")::text AS sample, "
	        "count(*) AS n FROM app.\"Child\" c WHERE c.a IS NOT NULL AND c.\"B\" IS NOT "
	        "NULL AND NOT EXISTS (SELECT FROM pairs p WHERE p.a = c.a AND p.b = c.\"B\") "
	        "GROUP BY 2 ORDER BY 3 DESC, 2 LIMIT 5",
	        "two-column key, quoted names, referenced primary key from the catalogue");
	expect1("ALTER TABLE c ADD FOREIGN KEY (a, b) REFERENCES pairs (a, b) MATCH FULL;",
	        PREFLIGHT_FK_ORPHANS,
	        "SELECT sum(count(*)) OVER () AS total, ROW(c.a, c.b)::text AS sample, count(*) "
	        "AS n FROM c c WHERE (c.a IS NOT NULL AND c.b IS NOT NULL AND NOT EXISTS (SELECT "
	        "FROM pairs p WHERE p.a = c.a AND p.b = c.b)) OR num_nulls(c.a, c.b) NOT IN (0, "
	        "2) GROUP BY 2 ORDER BY 3 DESC, 2 LIMIT 5",
	        "MATCH FULL also fails on a partly NULL key");

	struct preflight_list l;
	gen1("ALTER TABLE c ADD FOREIGN KEY (x) REFERENCES unknown_parent;", &l);
	ok(l.n == 1 && l.items[0].status == PREFLIGHT_SKIPPED && !l.items[0].sql &&
	       strstr(l.items[0].note, "primary key is not known"),
	   "a referenced table without a known primary key is skipped, saying why");
	preflight_list_clear(&l);
}

static void test_unique(void)
{
	expect1("CREATE UNIQUE INDEX CONCURRENTLY users_email_key ON users (email);",
	        PREFLIGHT_DUPLICATES,
	        "SELECT sum(count(*)) OVER () AS total, email::text AS sample, count(*) AS n "
	        "FROM users WHERE email IS NOT NULL GROUP BY email HAVING count(*) > 1 ORDER BY "
	        "3 DESC, 2 LIMIT 5",
	        "unique index");
	expect1("CREATE UNIQUE INDEX u ON users (lower(email), tenant) WHERE deleted_at IS NULL;",
	        PREFLIGHT_DUPLICATES,
	        "SELECT sum(count(*)) OVER () AS total, ROW((lower(email)), tenant)::text AS "
	        "sample, count(*) AS n FROM users WHERE (lower(email)) IS NOT NULL AND tenant IS "
	        "NOT NULL AND (deleted_at IS NULL) GROUP BY (lower(email)), tenant HAVING "
	        "count(*) > 1 ORDER BY 3 DESC, 2 LIMIT 5",
	        "expression and partial unique index");
	expect1("ALTER TABLE t ADD CONSTRAINT t_k UNIQUE NULLS NOT DISTINCT (k);",
	        PREFLIGHT_DUPLICATES,
	        "SELECT sum(count(*)) OVER () AS total, k::text AS sample, count(*) AS n FROM t "
	        "GROUP BY k HAVING count(*) > 1 ORDER BY 3 DESC, 2 LIMIT 5",
	        "NULLS NOT DISTINCT counts NULLs as equal");
	expect1("CREATE INDEX plain ON users (email);", PREFLIGHT_DUPLICATES, NULL,
	        "a plain index has no check");

	struct preflight_list l;
	gen1("ALTER TABLE runs ADD PRIMARY KEY (id);", &l);
	ok(l.n == 2 && l.items[0].kind == PREFLIGHT_DUPLICATES &&
	       l.items[1].kind == PREFLIGHT_NULLS,
	   "a primary key: duplicates and NULLs");
	if (l.n == 2)
		is_str(l.items[1].sql,
		       "SELECT count(*) OVER () AS total, id::text AS sample FROM runs WHERE id IS "
		       "NULL LIMIT 5",
		       "the NULL check of a primary key column");
	preflight_list_clear(&l);
}

static void test_not_null(void)
{
	expect1("ALTER TABLE runs ALTER COLUMN workflow_version_id SET NOT NULL;", PREFLIGHT_NULLS,
	        "SELECT count(*) OVER () AS total, id::text AS sample FROM runs WHERE "
	        "workflow_version_id IS NULL LIMIT 5",
	        "SET NOT NULL samples the primary key (the sample set's 021)");
	expect1("ALTER TABLE \"select\" ALTER COLUMN \"Order\" SET NOT NULL;", PREFLIGHT_NULLS,
	        "SELECT count(*) OVER () AS total, ctid::text AS sample FROM \"select\" WHERE "
	        "\"Order\" IS NULL LIMIT 5",
	        "keywords and mixed case are quoted; without a primary key the sample is the ctid");
	expect1("ALTER TABLE pairs ADD COLUMN c int NOT NULL;", PREFLIGHT_REQUIRED_COLUMN,
	        "SELECT count(*) OVER () AS total, ROW(a, b)::text AS sample FROM pairs LIMIT 5",
	        "ADD COLUMN NOT NULL without a default fails on any row");

	struct preflight_list l;
	gen1("ALTER TABLE t ADD COLUMN c int NOT NULL DEFAULT 0;\n"
	     "ALTER TABLE t ADD COLUMN d bigint GENERATED ALWAYS AS IDENTITY;",
	     &l);
	is_int(l.n, 0, "a default or an identity gives every row a value: no check");
	preflight_list_clear(&l);
}

static void test_check(void)
{
	expect1("ALTER TABLE api_keys ADD CONSTRAINT api_keys_key_type_check\n"
	        "  CHECK (key_type IN ('user', 'admin', 'agent', 'service', 'gateway'));",
	        PREFLIGHT_CHECK,
	        "SELECT sum(count(*)) OVER () AS total, key_type::text AS sample, count(*) AS n "
	        "FROM api_keys WHERE (key_type IN ('user', 'admin', 'agent', 'service', "
	        "'gateway')) IS FALSE GROUP BY 2 ORDER BY 3 DESC, 2 LIMIT 5",
	        "CHECK: rows where it is false (NULL passes), grouped by its column");
	expect1("ALTER TABLE m ADD CHECK (lo <= hi OR hi IS NULL);", PREFLIGHT_CHECK,
	        "SELECT sum(count(*)) OVER () AS total, ROW(lo, hi)::text AS sample, count(*) AS "
	        "n FROM m WHERE (lo <= hi OR hi IS NULL) IS FALSE GROUP BY 2 ORDER BY 3 DESC, 2 "
	        "LIMIT 5",
	        "a two-column CHECK: the OR stays inside the parentheses");

	struct preflight_list l;
	gen1("ALTER TABLE m ADD CONSTRAINT m_c CHECK (lo > 0) NOT VALID;", &l);
	is_int(l.n, 0, "NOT VALID checks no existing row: nothing now");
	preflight_list_clear(&l);
}

static void test_enum(void)
{
	expect1("CREATE TYPE role_agent_status AS ENUM ('active', 'inactive', 'suspended', "
	        "'retired');\n"
	        "ALTER TABLE role_agents ALTER COLUMN status TYPE role_agent_status\n"
	        "  USING status::role_agent_status;",
	        PREFLIGHT_ENUM_UNMAPPED,
	        "SELECT sum(count(*)) OVER () AS total, (status)::text AS sample, count(*) AS n "
	        "FROM role_agents WHERE (status)::text NOT IN ('active', 'inactive', "
	        "'suspended', 'retired') GROUP BY 2 ORDER BY 3 DESC, 2 LIMIT 5",
	        "USING col::enum, labels from the CREATE TYPE in the file (archive 902)");
	expect1("ALTER TYPE mood ADD VALUE 'sad';\n"
	        "ALTER TABLE people ALTER COLUMN feeling TYPE mood USING lower(feeling)::mood;",
	        PREFLIGHT_ENUM_UNMAPPED,
	        "SELECT sum(count(*)) OVER () AS total, (lower(feeling))::text AS sample, "
	        "count(*) AS n FROM people WHERE (lower(feeling))::text NOT IN ('happy', 'it''s "
	        "ok', 'sad') GROUP BY 2 ORDER BY 3 DESC, 2 LIMIT 5",
	        "labels from the catalogue plus ADD VALUE; the USING cast's argument is checked");
	expect1("ALTER TABLE t ALTER COLUMN n TYPE bigint;", PREFLIGHT_ENUM_UNMAPPED, NULL,
	        "a built-in type has no check");
}

static void test_case_else(void)
{
	expect1("UPDATE billing_transactions SET status_new =\n"
	        "    CASE\n"
	        "        WHEN status = 'pending'   THEN 'pending'::billing_tx_status\n"
	        "        WHEN status = 'confirmed' THEN 'confirmed'::billing_tx_status\n"
	        "        WHEN status = 'failed'    THEN 'failed'::billing_tx_status\n"
	        "        ELSE 'pending'::billing_tx_status\n"
	        "    END;",
	        PREFLIGHT_CASE_ELSE,
	        "SELECT sum(count(*)) OVER () AS total, (status)::text AS sample, count(*) AS n "
	        "FROM billing_transactions WHERE (status = 'pending') IS NOT TRUE AND (status = "
	        "'confirmed') IS NOT TRUE AND (status = 'failed') IS NOT TRUE GROUP BY 2 ORDER "
	        "BY 3 DESC, 2 LIMIT 5",
	        "the seeds' UPDATE ... CASE ... ELSE mapping (013)");
	expect1("UPDATE t AS x SET k = CASE x.kind WHEN 'a' THEN 1 WHEN 'b' THEN 2 END "
	        "WHERE x.id > 10;",
	        PREFLIGHT_CASE_ELSE,
	        "SELECT sum(count(*)) OVER () AS total, (x.kind)::text AS sample, count(*) AS n "
	        "FROM t x WHERE ((x.kind) = ('a')) IS NOT TRUE AND ((x.kind) = ('b')) IS NOT "
	        "TRUE AND (x.id > 10) GROUP BY 2 ORDER BY 3 DESC, 2 LIMIT 5",
	        "simple CASE without ELSE (rows become NULL), alias and WHERE kept");

	struct preflight_list l;
	gen1("UPDATE t SET k = CASE WHEN a = 1 THEN 'x' ELSE k END;\n"
	     "UPDATE t SET k = CASE WHEN a = 1 THEN 'x' ELSE 'y' END FROM u WHERE u.id = t.id;",
	     &l);
	is_int(l.n, 0, "ELSE keeping the column, or an UPDATE ... FROM, has no check");
	preflight_list_clear(&l);
	gen1("UPDATE t SET k = CASE WHEN a = 1 OR b = 2 THEN 'x' ELSE 'y' END;", &l);
	ok(l.n == 1 && l.items[0].sql && l.items[0].severity == RISK_WARN &&
	       strstr(l.items[0].what, "are set to 'y'"),
	   "a silent change is a warning that names the ELSE value");
	if (l.n == 1)
		is_str(l.items[0].sql,
		       "SELECT count(*) OVER () AS total, ctid::text AS sample FROM t WHERE (a = 1 "
		       "OR b = 2) IS NOT TRUE LIMIT 5",
		       "conditions over two columns sample the row");
	preflight_list_clear(&l);
}

/* A materialized view created WITH DATA has rows: not "empty" (issue 11). */
static void test_matview(void)
{
	struct preflight_list l;
	gen1("CREATE MATERIALIZED VIEW mv AS SELECT a FROM t;\n"
	     "CREATE UNIQUE INDEX mv_a ON mv (a);\n",
	     &l);
	ok(l.n == 1 && l.items[0].status == PREFLIGHT_SKIPPED &&
	       strstr(l.items[0].note, "filled from its query") &&
	       !strstr(l.items[0].note, "empty"),
	   "a unique index on a matview created WITH DATA: its rows exist, not checkable yet (%s)",
	   l.n ? l.items[0].note : "no check");
	preflight_list_clear(&l);
	gen1("CREATE MATERIALIZED VIEW mv AS SELECT a FROM t WITH NO DATA;\n"
	     "CREATE UNIQUE INDEX mv_a ON mv (a);\n",
	     &l);
	ok(l.n == 1 && l.items[0].status == PREFLIGHT_SKIPPED &&
	       strstr(l.items[0].note, "empty, there is nothing to check"),
	   "WITH NO DATA: it is empty");
	preflight_list_clear(&l);
}

/* ---- plan state ---------------------------------------------------------------------- */

static void test_plan_state(void)
{
	struct preflight_plan *p = preflight_plan_new(NULL, &lookup);
	struct preflight_list l;
	preflight_list_init(&l);
	gen(p, "015_new",
	    "CREATE TABLE contracts (id int PRIMARY KEY, ws int);\n"
	    "CREATE UNIQUE INDEX contracts_ws ON contracts (ws);\n",
	    &l);
	gen(p, "016_cols",
	    "ALTER TABLE files ADD COLUMN contract_id int;\n"
	    "ALTER TABLE files ADD CONSTRAINT files_contract_fkey FOREIGN KEY (workspace_id)\n"
	    "  REFERENCES workspaces (id) NOT VALID;\n"
	    "ALTER TABLE files ADD CONSTRAINT files_c FOREIGN KEY (contract_id)\n"
	    "  REFERENCES contracts (id) NOT VALID;\n",
	    &l);
	gen(p, "017_data", "UPDATE files SET contract_id = 1 WHERE contract_id IS NULL;\n", &l);
	gen(p, "020_validate",
	    "ALTER TABLE files VALIDATE CONSTRAINT files_contract_fkey;\n"
	    "ALTER TABLE files VALIDATE CONSTRAINT files_c;\n"
	    "ALTER TABLE files VALIDATE CONSTRAINT files_kind_check;\n"
	    "ALTER TABLE files VALIDATE CONSTRAINT no_such;\n",
	    &l);
	is_int(l.n, 4, "one check in 015, none for NOT VALID, three for the VALIDATEs");
	if (l.n == 4) {
		ok(l.items[0].status == PREFLIGHT_SKIPPED &&
		       strstr(l.items[0].note, "created earlier in this migration"),
		   "an index on a table created in the same migration is skipped: it is empty");
		ok(l.items[1].kind == PREFLIGHT_FK_ORPHANS &&
		       l.items[1].status == PREFLIGHT_PENDING && l.items[1].line == 1 &&
		       strstr(l.items[1].note, "approximate: 017_data line 1"),
		   "VALIDATE of a NOT VALID key added earlier in the plan is checked, noting that "
		   "017 changes rows first (%s)",
		   l.items[1].note ? l.items[1].note : "");
		ok(l.items[2].status == PREFLIGHT_SKIPPED &&
		       strstr(l.items[2].note, "created by a migration earlier in this plan"),
		   "a key to a table an earlier migration creates cannot be checked yet");
		ok(l.items[3].kind == PREFLIGHT_CHECK && l.items[3].line == 3,
		   "VALIDATE of an existing constraint reads its definition from the catalogue");
		is_str(l.items[3].sql,
		       "SELECT sum(count(*)) OVER () AS total, kind::text AS sample, count(*) AS n "
		       "FROM "
		       "files WHERE (kind = ANY(ARRAY['a'::text, 'b'::text])) IS FALSE GROUP BY 2 "
		       "ORDER "
		       "BY 3 DESC, 2 LIMIT 5",
		       "the catalogue's CHECK definition becomes the query");
	}
	preflight_list_clear(&l);

	gen(p, "021_rename",
	    "ALTER TABLE api_keys RENAME COLUMN type TO key_type;\n"
	    "ALTER TABLE api_keys ADD CONSTRAINT k CHECK (key_type IN ('user'));\n"
	    "ALTER TABLE api_keys ALTER COLUMN type SET NOT NULL;\n",
	    &l);
	ok(l.n == 2 && l.items[0].status == PREFLIGHT_SKIPPED &&
	       strstr(l.items[0].note, "public.api_keys.key_type is added or renamed") &&
	       l.items[1].status == PREFLIGHT_PENDING,
	   "a CHECK on a column renamed earlier is skipped; other columns are checked");
	preflight_list_clear(&l);
	preflight_plan_free(&p);
}

/* ---- the deparser guard ------------------------------------------------------------- */

static char *deparse_of(const char *expr)
{
	char *sql = malloc(strlen(expr) + 8);
	strcpy(sql, "SELECT ");
	strcat(sql, expr);
	PgQueryProtobufParseResult r = pg_query_parse_protobuf(sql);
	free(sql);
	char *out = NULL;
	if (!r.error) {
		PgQuery__ParseResult *p = pg_query__parse_result__unpack(
		    NULL, r.parse_tree.len, (const uint8_t *)r.parse_tree.data);
		out = deparse_expr(p->stmts[0]->stmt->select_stmt->target_list[0]->res_target->val);
		pg_query__parse_result__free_unpacked(p, NULL);
	}
	pg_query_free_protobuf_parse_result(r);
	return out;
}

static void test_deparse(void)
{
	char *s = deparse_of("(a OR b) IS FALSE");
	ok(s == NULL, "an expression the deparser would change is refused (got %s)",
	   s ? s : "NULL");
	free(s);
	s = deparse_of("\"Mixed\" ->> 'k' = 'v'");
	is_str(s, "(\"Mixed\" ->> 'k') = 'v'", "a faithful deparse is used");
	free(s);

	struct preflight_list l;
	gen1("ALTER TABLE t ADD CHECK ((a OR b) IS NOT NULL);", &l);
	ok(l.n == 1 && l.items[0].status == PREFLIGHT_SKIPPED && !l.items[0].sql,
	   "a CHECK the deparser cannot reproduce is skipped, not run wrong");
	preflight_list_clear(&l);
}

int main(void)
{
	test_foreign_keys();
	test_unique();
	test_not_null();
	test_check();
	test_enum();
	test_case_else();
	test_matview();
	test_plan_state();
	test_deparse();
	return done_testing();
}
