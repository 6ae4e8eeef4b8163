/* test_risk: the risk engine against the team's corpus (tests/risk/corpus).
 * Each corpus file states on its first line the warn/error rule ids it must
 * produce ("-- expect: a, b" or "-- expect: (none)"; "problem" stands for a
 * parse or directive error), optionally its info ids ("-- info: ...") and the
 * options to lint it with ("-- options: assume-no-timeouts, ..."). Sets must
 * match exactly: no missing id, no extra one. Also checked: the rule table
 * against the catalogue's ids, doc/risk-rules.md against the table, and lock
 * claims against modes measured on PostgreSQL 15. */
#include "config.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <pg_query.h>
#include "pgstep/arena.h"
#include "pgstep/migset.h"
#include "pgstep/pbtree.h"
#include "pgstep/risk.h"
#include "pgstep/strbuf.h"
#include "pgstep/strvec.h"
#include "pgstep/text.h"
#include "pgstep/xalloc.h"
#include "tap.h"

/* Sections 1.1-1.6 and 2 of ../shared/risk-rules.md, in its order. */
static const char *const catalogue_ids[] = {
    "create-index-non-concurrent",
    "drop-index-non-concurrent",
    "reindex-non-concurrent",
    "non-transactional-in-transaction",
    "unique-may-fail-on-duplicates",
    "cic-pg14-corruption",
    "add-column-volatile-default",
    "add-column-serial-or-identity",
    "add-column-generated-stored",
    "add-column-required",
    "json-column",
    "drop-column",
    "rename-column",
    "rename-table",
    "rename-schema",
    "alter-column-type-rewrite",
    "set-not-null-scan",
    "drop-not-null",
    "add-check-without-not-valid",
    "add-fk-without-not-valid",
    "fk-locks-referenced-table",
    "validate-in-same-transaction",
    "add-unique-constraint-blocking",
    "add-primary-key-blocking",
    "pk-using-index-nullable",
    "add-exclusion-constraint",
    "drop-foreign-key",
    "drop-constraint",
    "alter-domain-add-constraint",
    "create-domain-with-constraint",
    "fk-missing-index",
    "drop-table",
    "drop-schema",
    "drop-database",
    "truncate-cascade",
    "rename-enum-value",
    "enum-value-append-order",
    "create-enum",
    "missing-lock-timeout",
    "missing-statement-timeout",
    "lock-held-across-statements",
    "multiple-alter-same-table",
    "uncommitted-transaction",
    "transaction-nesting",
    "non-transactional-mixed",
    "dynamic-sql-unanalyzable",
    "detach-partition-blocking",
    "vacuum-full-or-cluster",
    "set-logged-unlogged",
    "set-access-method",
    "create-trigger-blocks-writes",
    "enum-conversion-via-temp-column",
    "update-without-where",
    "delete-without-where",
    "truncate-table",
    "drop-cascade",
    "drop-column-with-dependents",
    "lock-timeout-disabled",
    "enum-new-value-used-in-transaction",
    "add-column-constrained-domain",
    "attach-partition-scan",
    "create-partition-locks-parent",
    "refresh-matview-blocking",
    "set-tablespace",
    "explicit-lock-table",
    "rls-enabled-without-policy",
    "revoke-privileges",
    "sequence-reset",
    "down-loses-data",
    "irreversible-migration",
    "transaction-control-in-transaction",
    "truncate-referenced-table",
    "detach-concurrently-default-partition",
    "default-partition-scan",
    "alter-type-column-used-by-view",
    "alter-type-index-rebuild",
    "drop-with-dependents",
    "cluster-wide-statement",
};
#define N_CATALOGUE (sizeof catalogue_ids / sizeof catalogue_ids[0])

static const char *top_srcdir(void)
{
	const char *s = getenv("TOP_SRCDIR");
	return s && *s ? s : ".";
}

static void test_table(void)
{
	is_int(risk_rule_count(), N_CATALOGUE, "the table has the catalogue's %zu rules",
	       N_CATALOGUE);
	for (size_t i = 0; i < N_CATALOGUE; i++) {
		const struct risk_rule *r = risk_rule_find(catalogue_ids[i]);
		if (!ok(r, "rule %s is in the table", catalogue_ids[i]))
			continue;
		if (!(r->title[0] && r->explain[0] && r->alternative[0] && r->lock[0]))
			ok(0, "rule %s has every text", r->id);
	}
	for (size_t i = 0; i < risk_rule_count(); i++)
		for (size_t j = i + 1; j < risk_rule_count(); j++)
			if (strcmp(risk_rule_at(i)->id, risk_rule_at(j)->id) == 0)
				ok(0, "rule id %s appears twice", risk_rule_at(i)->id);
	ok(risk_rule_find("ban-drop-column") == NULL, "an unknown id is not found");
	is_str(risk_lock_name(RISK_LOCK_SHARE_UPDATE_EXCLUSIVE), "ShareUpdateExclusiveLock",
	       "lock modes are named as pg_locks names them");
	ok(risk_lock_conflicts(RISK_LOCK_SHARE, RISK_LOCK_ROW_EXCLUSIVE) &&
	       !risk_lock_conflicts(RISK_LOCK_SHARE, RISK_LOCK_SHARE) &&
	       risk_lock_conflicts(RISK_LOCK_SHARE_UPDATE_EXCLUSIVE,
	                           RISK_LOCK_SHARE_UPDATE_EXCLUSIVE) &&
	       !risk_lock_conflicts(RISK_LOCK_ACCESS_SHARE, RISK_LOCK_EXCLUSIVE),
	   "the conflict table matches PostgreSQL's");
}

static void test_doc(void)
{
	struct strbuf want, got;
	strbuf_init(&want);
	strbuf_init(&got);
	char *path = xasprintf("%s/doc/risk-rules.md", top_srcdir());
	int rc = strbuf_read_file(&got, path);
	risk_rules_markdown(&want);
	if (!ok(rc == 0 && strcmp(want.buf, got.buf) == 0,
	        "doc/risk-rules.md is generated from the rule table (make rules-doc)")) {
		size_t i = 0;
		while (i < want.len && i < got.len && want.buf[i] == got.buf[i])
			i++;
		int line, col;
		text_line_col(want.buf, i, &line, &col);
		printf("#   first difference at line %d\n", line);
	}
	free(path);
	strbuf_release(&want);
	strbuf_release(&got);
}

/* "a, b , c" into a sorted set. */
static void parse_list(const char *s, struct strvec *out)
{
	char *copy = xstrdup(s);
	for (char *tok = strtok(copy, ", \t\r"); tok; tok = strtok(NULL, ", \t\r"))
		if (strcmp(tok, "(none)") != 0 && strvec_find(out, tok) < 0)
			strvec_push(out, tok);
	free(copy);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static char *join_sorted(struct strvec *v)
{
	if (v->n)
		qsort(v->items, v->n, sizeof *v->items, cmp_str);
	struct strbuf sb;
	strbuf_init(&sb);
	for (size_t i = 0; i < v->n; i++)
		strbuf_addf(&sb, "%s%s", i ? ", " : "", v->items[i]);
	if (v->n == 0)
		strbuf_adds(&sb, "(none)");
	return strbuf_detach(&sb);
}

static void collect(const struct risk_report *r, struct strvec *risky, struct strvec *info)
{
	if (r->n_problems && strvec_find(risky, "problem") < 0)
		strvec_push(risky, "problem");
	for (size_t i = 0; i < r->n_stmts; i++)
		for (size_t j = 0; j < r->stmts[i].n_findings; j++) {
			const struct risk_finding *f = &r->stmts[i].findings[j];
			struct strvec *into = f->severity == RISK_INFO ? info : risky;
			if (!f->allowed && strvec_find(into, f->rule->id) < 0)
				strvec_push(into, f->rule->id);
		}
}

static bool explains_ok(const struct risk_report *r)
{
	for (size_t i = 0; i < r->n_stmts; i++) {
		const char *e = r->stmts[i].explain;
		if (!e || strlen(e) < 10 || e[strlen(e) - 1] != '.')
			return false;
	}
	return true;
}

/* Header line "-- key: value" among the first lines; NULL when absent. */
static char *header(const char *text, const char *key)
{
	char *want = xasprintf("-- %s:", key);
	const char *p = text;
	char *val = NULL;
	for (int line = 0; line < 4 && p && *p; line++) {
		const char *eol = strchr(p, '\n');
		size_t n = eol ? (size_t)(eol - p) : strlen(p);
		if (text_starts_with(p, want) && n >= strlen(want)) {
			val = xstrndup(p + strlen(want), n - strlen(want));
			break;
		}
		p = eol ? eol + 1 : NULL;
	}
	free(want);
	return val;
}

static void test_corpus(struct strvec *seen_risky, struct strvec *seen_info, size_t *n_files)
{
	char *dir = xasprintf("%s/tests/risk/corpus", top_srcdir());
	DIR *d = opendir(dir);
	if (!ok(d != NULL, "corpus directory %s opens", dir)) {
		free(dir);
		return;
	}
	struct strvec names;
	strvec_init(&names);
	struct dirent *e;
	while ((e = readdir(d)) != NULL)
		if (text_ends_with(e->d_name, ".sql"))
			strvec_push(&names, e->d_name);
	closedir(d);
	if (names.n)
		qsort(names.items, names.n, sizeof *names.items, cmp_str);
	*n_files = names.n;

	for (size_t i = 0; i < names.n; i++) {
		char *path = xasprintf("%s/%s", dir, names.items[i]);
		struct strbuf text;
		strbuf_init(&text);
		if (strbuf_read_file(&text, path) != 0) {
			ok(0, "%s is readable", names.items[i]);
			free(path);
			continue;
		}
		char *expect = header(text.buf, "expect");
		char *info = header(text.buf, "info");
		char *opts = header(text.buf, "options");
		if (!ok(expect && text_starts_with(text.buf, "-- expect:"),
		        "%s states its expectation on line 1", names.items[i])) {
			free(expect);
			free(info);
			free(opts);
			strbuf_release(&text);
			free(path);
			continue;
		}

		/* pgstep lint's defaults, unless the file asks otherwise. */
		struct risk_options o;
		risk_options_init(&o);
		o.lock_timeout_ms = 3000;
		if (opts && strstr(opts, "assume-no-timeouts"))
			o.lock_timeout_ms = 0;
		if (opts && strstr(opts, "assume-in-transaction"))
			o.txn = RISK_TXN_WRAPPED;
		const char *sv = opts ? strstr(opts, "server=") : NULL;
		if (sv)
			o.server_version_num = atoi(sv + 7);

		struct risk_file_report rep;
		risk_file_report_init(&rep);
		risk_analyze_file(text.buf, &o, &rep);

		struct strvec want, got, want_info, got_info;
		strvec_init(&want);
		strvec_init(&got);
		strvec_init(&want_info);
		strvec_init(&got_info);
		parse_list(expect, &want);
		collect(&rep.up, &got, &got_info);
		collect(&rep.down, &got, &got_info);
		char *w = join_sorted(&want), *g = join_sorted(&got);
		is_str(g, w, "%s: warn/error rules", names.items[i]);
		if (info) {
			parse_list(info, &want_info);
			char *wi = join_sorted(&want_info), *gi = join_sorted(&got_info);
			is_str(gi, wi, "%s: info rules", names.items[i]);
			free(wi);
			free(gi);
		}
		if (!rep.up.parse_failed)
			ok(explains_ok(&rep.up) && explains_ok(&rep.down),
			   "%s: every statement is explained", names.items[i]);
		for (size_t k = 0; k < want.n; k++)
			if (strvec_find(seen_risky, want.items[k]) < 0)
				strvec_push(seen_risky, want.items[k]);
		for (size_t k = 0; k < want_info.n; k++)
			if (strvec_find(seen_info, want_info.items[k]) < 0)
				strvec_push(seen_info, want_info.items[k]);
		free(w);
		free(g);
		strvec_clear(&want);
		strvec_clear(&got);
		strvec_clear(&want_info);
		strvec_clear(&got_info);
		risk_file_report_clear(&rep);
		free(expect);
		free(info);
		free(opts);
		strbuf_release(&text);
		free(path);
	}
	strvec_clear(&names);
	free(dir);
}

/* Every rule is exercised by the corpus, at its severity. */
static void test_coverage(const struct strvec *risky, const struct strvec *info, size_t n_files)
{
	ok(n_files >= 120, "the corpus has at least 120 files (%zu)", n_files);
	for (size_t i = 0; i < risk_rule_count(); i++) {
		const struct risk_rule *r = risk_rule_at(i);
		const struct strvec *v = r->severity == RISK_INFO ? info : risky;
		ok(strvec_find(v, r->id) >= 0, "the corpus expects %s somewhere", r->id);
	}
}

/* Lock claims for single statements, measured on PostgreSQL 15: the
 * strongest mode the backend held on each relation. */
static const struct {
	const char *sql;
	const char *locks; /* "rel=Mode rel=Mode" */
	bool rewrite;
} lock_cases[] = {
    {"ALTER TABLE parent ADD COLUMN z int", "public.parent=AccessExclusiveLock", false},
    {"ALTER TABLE parent ADD COLUMN q uuid DEFAULT gen_random_uuid()",
     "public.parent=AccessExclusiveLock", true},
    {"ALTER TABLE parent ALTER COLUMN name SET STATISTICS 100",
     "public.parent=ShareUpdateExclusiveLock", false},
    {"ALTER TABLE parent SET (fillfactor = 70)", "public.parent=ShareUpdateExclusiveLock", false},
    {"ALTER TABLE child DISABLE TRIGGER ALL", "public.child=ShareRowExclusiveLock", false},
    {"ALTER TABLE child ADD CONSTRAINT fk FOREIGN KEY (parent_id) REFERENCES parent (id) NOT VALID",
     "public.child=ShareRowExclusiveLock public.parent=ShareRowExclusiveLock", false},
    {"ALTER TABLE parent ADD COLUMN z int REFERENCES child (id)",
     "public.parent=AccessExclusiveLock public.child=ShareRowExclusiveLock", false},
    {"ALTER TABLE child VALIDATE CONSTRAINT child_parent_fkey",
     "public.child=ShareUpdateExclusiveLock", false},
    {"ALTER TABLE pt ATTACH PARTITION pt2 FOR VALUES FROM (100) TO (200)",
     "public.pt=ShareUpdateExclusiveLock public.pt2=AccessExclusiveLock", false},
    {"ALTER TABLE pt DETACH PARTITION pt1",
     "public.pt=AccessExclusiveLock public.pt1=AccessExclusiveLock", false},
    {"CREATE INDEX ON child (note)", "public.child=ShareLock", false},
    {"CREATE INDEX CONCURRENTLY ON child (note)", "public.child=ShareUpdateExclusiveLock", false},
    {"ALTER INDEX child_note_idx RENAME TO foo", "public.child_note_idx=ShareUpdateExclusiveLock",
     false},
    {"ALTER INDEX child_note_idx SET TABLESPACE fast_disk",
     "public.child_note_idx=AccessExclusiveLock", true},
    {"COMMENT ON COLUMN parent.name IS 'x'", "public.parent=ShareUpdateExclusiveLock", false},
    {"CREATE STATISTICS st1 ON id, name FROM parent", "public.parent=ShareUpdateExclusiveLock",
     false},
    {"CREATE TRIGGER t1 BEFORE INSERT ON parent FOR EACH ROW EXECUTE FUNCTION f()",
     "public.parent=ShareRowExclusiveLock", false},
    {"CREATE POLICY p1 ON parent USING (true)", "public.parent=AccessExclusiveLock", false},
    {"CREATE RULE r1 AS ON INSERT TO parent DO ALSO NOTIFY x", "public.parent=AccessExclusiveLock",
     false},
    {"TRUNCATE child", "public.child=AccessExclusiveLock", true},
    {"REFRESH MATERIALIZED VIEW mv", "public.mv=AccessExclusiveLock", true},
    {"REFRESH MATERIALIZED VIEW CONCURRENTLY mv", "public.mv=ExclusiveLock", false},
    {"CLUSTER child USING child_pkey",
     "public.child=AccessExclusiveLock public.child_pkey=AccessExclusiveLock", true},
    {"LOCK TABLE parent", "public.parent=AccessExclusiveLock", false},
    {"LOCK TABLE parent IN ROW EXCLUSIVE MODE", "public.parent=RowExclusiveLock", false},
    {"CREATE TABLE c2 (id int REFERENCES parent (id))", "public.parent=ShareRowExclusiveLock",
     false},
    {"CREATE TABLE pt3 PARTITION OF pt FOR VALUES FROM (300) TO (400)",
     "public.pt=AccessExclusiveLock", false},
    {"CREATE TABLE c3 (id int) INHERITS (parent)", "public.parent=ShareUpdateExclusiveLock", false},
    {"CREATE TABLE x (LIKE parent INCLUDING ALL)", "public.parent=AccessShareLock", false},
    {"CREATE VIEW v1 AS SELECT * FROM parent", "public.parent=AccessShareLock", false},
    {"ALTER TABLE parent ADD CONSTRAINT u UNIQUE (name)", "public.parent=AccessExclusiveLock",
     false},
    {"ALTER TABLE child DROP CONSTRAINT child_parent_fkey", "public.child=AccessExclusiveLock",
     false},
    {"ALTER SEQUENCE s1 RESTART", "public.s1=ShareRowExclusiveLock", true},
    {"UPDATE parent SET name = 'x'", "public.parent=RowExclusiveLock", false},
    {"DELETE FROM child WHERE id = 1", "public.child=RowExclusiveLock", false},
    {"INSERT INTO child SELECT * FROM child2",
     "public.child=RowExclusiveLock public.child2=AccessShareLock", false},
    {"SELECT * FROM parent FOR UPDATE", "public.parent=RowShareLock", false},
    {"ANALYZE parent", "public.parent=ShareUpdateExclusiveLock", false},
    {"ALTER TABLE parent RENAME TO parent2", "public.parent=AccessExclusiveLock", false},
    {"ALTER TABLE parent RENAME COLUMN name TO name2", "public.parent=AccessExclusiveLock", false},
    {"ALTER TABLE app.parent SET SCHEMA public", "app.parent=AccessExclusiveLock", false},
    {"DROP TABLE parent", "public.parent=AccessExclusiveLock", false},
};

static void test_locks(void)
{
	for (size_t i = 0; i < sizeof lock_cases / sizeof lock_cases[0]; i++) {
		struct risk_options o;
		risk_options_init(&o);
		o.lock_timeout_ms = 3000;
		struct risk_report r;
		risk_report_init(&r);
		risk_analyze(lock_cases[i].sql, &o, &r);
		struct strvec want, got;
		strvec_init(&want);
		strvec_init(&got);
		parse_list(lock_cases[i].locks, &want);
		bool rewrite = false;
		if (r.n_stmts == 1) {
			for (size_t k = 0; k < r.stmts[0].n_locks; k++) {
				const struct risk_lock_claim *l = &r.stmts[0].locks[k];
				strvec_push_owned(
				    &got, xasprintf("%s=%s", l->relation, risk_lock_name(l->mode)));
			}
			rewrite = r.stmts[0].effects & RISK_FX_REWRITE;
		}
		char *w = join_sorted(&want), *g = join_sorted(&got);
		is_str(g, w, "locks of: %s", lock_cases[i].sql);
		ok(rewrite == lock_cases[i].rewrite, "rewrite flag of: %s", lock_cases[i].sql);
		free(w);
		free(g);
		strvec_clear(&want);
		strvec_clear(&got);
		risk_report_clear(&r);
	}
}

/* Details the corpus's id sets do not show. */
static void test_details(void)
{
	struct risk_options o;
	risk_options_init(&o);
	o.lock_timeout_ms = 3000;
	struct risk_report r;
	risk_report_init(&r);
	const char *sql = "-- header\n\nSELECT 1;\n  /* c */ ALTER TABLE t\n  DROP COLUMN x;\n";
	risk_analyze(sql, &o, &r);
	ok(r.n_stmts == 2 && r.stmts[1].line == 4 && r.stmts[1].col == 11,
	   "statements start at their first token");
	ok(r.n_stmts == 2 && strcmp(r.stmts[1].sql, "ALTER TABLE t\n  DROP COLUMN x") == 0,
	   "statement text has no comments around it and no ';'");
	ok(r.n_stmts == 2 && r.stmts[1].n_findings >= 1 &&
	       strcmp(r.stmts[1].findings[0].rule->id, "drop-column") == 0 &&
	       r.stmts[1].findings[0].line == 4 && r.stmts[1].findings[0].col == 23,
	   "the finding points at the relation");
	ok(r.runs_in_transaction, "a plain file runs in one transaction");
	risk_report_clear(&r);

	risk_analyze("SELECT 1;\nALTER TABLE t ADD COLUMN;", &o, &r);
	ok(r.parse_failed && r.n_problems == 1 && r.problems[0].line == 2 &&
	       r.problems[0].col == 25,
	   "a parse error names line and column");
	risk_report_clear(&r);

	risk_analyze("-- pgstep:allow drop-table reason: scratch table\n\nDROP TABLE scratch;", &o,
	             &r);
	ok(r.n_allows == 1 && r.allows[0].file_level && r.allows[0].used &&
	       strcmp(r.allows[0].reason, "scratch table") == 0,
	   "a file-level allow is recorded with its reason");
	risk_report_clear(&r);

	risk_analyze("CREATE INDEX CONCURRENTLY i ON t (a);\nDROP INDEX CONCURRENTLY j;", &o, &r);
	ok(!r.runs_in_transaction && (r.stmts[0].effects & RISK_FX_NO_TXN),
	   "CONCURRENTLY makes the file run statement by statement");
	risk_report_clear(&r);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

static bool has_rule(const struct risk_report *r, const char *id)
{
	for (size_t i = 0; i < r->n_stmts; i++)
		for (size_t j = 0; j < r->stmts[i].n_findings; j++)
			if (!r->stmts[i].findings[j].allowed &&
			    strcmp(r->stmts[i].findings[j].rule->id, id) == 0)
				return true;
	return false;
}

static bool has_warn(const struct risk_stmt *st)
{
	for (size_t i = 0; i < st->n_findings; i++)
		if (st->findings[i].severity >= RISK_WARN)
			return true;
	return false;
}

/* A catalog that knows two tables: one empty, one big. */
static bool fake_relation(void *ctx, const char *rel, struct risk_rel_facts *out)
{
	if (strcmp(rel, "public.empty") == 0) {
		out->exists = true;
		out->rows = 0;
		out->bytes = 8192;
		return true;
	}
	if (strcmp(rel, "public.big") == 0) {
		out->exists = true;
		out->rows = 5000000;
		out->bytes = 3LL << 30;
		return true;
	}
	if (strcmp(rel, "public.absent") == 0) {
		out->exists = false;
		return true;
	}
	return false;
}

static bool fake_column(void *ctx, const char *rel, const char *col, struct risk_col_facts *out)
{
	if (strcmp(rel, "public.big") != 0)
		return false;
	out->exists = true;
	out->not_null = strcmp(col, "id") == 0;
	out->has_valid_not_null_check = strcmp(col, "checked") == 0;
	snprintf(out->type, sizeof out->type, "%s", strcmp(col, "v") == 0 ? "varchar(20)" : "text");
	return true;
}

static void test_catalog(void)
{
	struct risk_catalog cat = {.relation = fake_relation, .column = fake_column};
	struct risk_options o;
	risk_options_init(&o);
	o.lock_timeout_ms = 3000;
	o.catalog = &cat;
	struct risk_report r;
	risk_report_init(&r);
	risk_analyze("ALTER TABLE empty ALTER COLUMN a SET NOT NULL;\n"
	             "ALTER TABLE big ALTER COLUMN a SET NOT NULL;\n",
	             &o, &r);
	ok(r.n_stmts == 2 && r.stmts[0].findings[0].severity == RISK_INFO,
	   "connected: a scan of an empty table is info");
	ok(r.n_stmts == 2 && r.stmts[1].findings[0].severity == RISK_WARN &&
	       strstr(r.stmts[1].findings[0].message, "about 5000000 rows, 3.0 GB"),
	   "connected: a big table's finding says how big");
	risk_report_clear(&r);
	risk_analyze("ALTER TABLE big ALTER COLUMN checked SET NOT NULL;\n"
	             "ALTER TABLE big ALTER COLUMN v TYPE varchar(40);\n"
	             "ALTER TABLE big ALTER COLUMN w TYPE varchar(40);\n",
	             &o, &r);
	ok(r.n_stmts == 3 && !has_warn(&r.stmts[0]) && !has_warn(&r.stmts[1]) &&
	       has_warn(&r.stmts[2]) &&
	       strcmp(r.stmts[2].findings[r.stmts[2].n_findings - 1].rule->id,
	              "alter-column-type-rewrite") == 0,
	   "connected: column facts decide SET NOT NULL and type changes");
	risk_report_clear(&r);
	/* CREATE TABLE IF NOT EXISTS: the catalogue says whether it happens. */
	risk_analyze("CREATE TABLE IF NOT EXISTS empty (id int REFERENCES big (id));\n"
	             "CREATE TABLE IF NOT EXISTS absent (id int REFERENCES big (id));\n"
	             "ALTER TABLE absent ADD COLUMN t int NOT NULL;\n",
	             &o, &r);
	ok(r.n_stmts == 3 && r.stmts[0].n_locks == 0 && strstr(r.stmts[0].explain, "nothing"),
	   "connected: IF NOT EXISTS on an existing table does nothing and locks nothing");
	ok(r.n_stmts == 3 && r.stmts[1].n_locks == 1 && !has_warn(&r.stmts[2]),
	   "connected: IF NOT EXISTS on an absent table creates it, new and empty");
	risk_report_clear(&r);
}

/* A few thousand statements of varied DDL through the engine, in mixes no
 * corpus file has (issue 15): generated from templates over a few tables,
 * and the corpus files concatenated in shuffled groups, so one file's state
 * meets another's statements. Under ASan and UBSan a report fails the run. */
static unsigned bulk_rand(unsigned *seed)
{
	*seed = *seed * 1103515245u + 12345u;
	return (*seed >> 16) & 0x7fff;
}

static void test_bulk(void)
{
	static const char *const tmpl[] = {
	    "CREATE TABLE IF NOT EXISTS %s (id bigint PRIMARY KEY, c%u int, d text)",
	    "CREATE TABLE %s (id bigint PRIMARY KEY, p bigint REFERENCES t%u (id))",
	    "CREATE TABLE %s (id int, at int) PARTITION BY RANGE (at)",
	    "CREATE TABLE %s_p%u PARTITION OF %s FOR VALUES FROM (%u) TO (%u)",
	    "CREATE TABLE %s_d PARTITION OF %s DEFAULT",
	    "ALTER TABLE %s ATTACH PARTITION t%u DEFAULT",
	    "ALTER TABLE %s DETACH PARTITION t%u CONCURRENTLY",
	    "ALTER TABLE %s ADD COLUMN c%u int NOT NULL DEFAULT 0",
	    "ALTER TABLE %s ALTER COLUMN c%u TYPE bigint",
	    "ALTER TABLE %s ALTER COLUMN d TYPE text COLLATE \"C\"",
	    "ALTER TABLE %s ALTER COLUMN d TYPE varchar(%u)",
	    "ALTER TABLE %s DROP COLUMN c%u CASCADE",
	    "CREATE INDEX ON %s (c%u)",
	    "CREATE UNIQUE INDEX %s_u%u ON %s (d)",
	    "CREATE VIEW %s_v AS SELECT id, d, f%u(d) FROM %s",
	    "DROP VIEW IF EXISTS %s_v",
	    "CREATE FUNCTION f%u(text) RETURNS text LANGUAGE sql AS $$ SELECT lower($1) $$",
	    "CREATE TRIGGER tr%u BEFORE UPDATE ON %s FOR EACH ROW EXECUTE FUNCTION f%u()",
	    "DROP FUNCTION f%u(text)",
	    "DROP FUNCTION f%u(text) CASCADE",
	    "DROP TABLE %s%s",
	    "TRUNCATE %s, t%u",
	    "TRUNCATE %s",
	    "UPDATE %s SET d = 'x' WHERE c%u > 0",
	    "DELETE FROM %s",
	    "SELECT set_config('lock_timeout', '%u', false)",
	    "SET lock_timeout = %u",
	    "DO $$ BEGIN UPDATE %s SET d = 'y'; COMMIT; END $$",
	    "CREATE PROCEDURE pr%u() LANGUAGE plpgsql AS $$ BEGIN ROLLBACK; END $$",
	    "CALL pr%u()",
	    "CREATE ROLE r%u",
	    "CREATE PUBLICATION pub%u FOR TABLE %s",
	    "BEGIN",
	    "COMMIT",
	    "ALTER TABLE %s ADD CONSTRAINT k%u FOREIGN KEY (id) REFERENCES t%u (id) NOT VALID",
	    "ALTER TABLE %s VALIDATE CONSTRAINT k%u",
	    "DROP TYPE IF EXISTS ty%u CASCADE",
	};
	size_t n_t = sizeof tmpl / sizeof tmpl[0];
	unsigned seed = 15;
	size_t stmts = 0, texts = 0, bad = 0;
	for (int round = 0; round < 60; round++) {
		struct strbuf sb;
		strbuf_init(&sb);
		for (int k = 0; k < 50; k++) {
			const char *t = tmpl[bulk_rand(&seed) % n_t];
			char rel[16];
			snprintf(rel, sizeof rel, "t%u", bulk_rand(&seed) % 5);
			unsigned a = bulk_rand(&seed) % 5, b = bulk_rand(&seed) % 300;
			/* Every %s is a relation (or "" / " CASCADE"), every %u a small number. */
			const char *args_s[3] = {rel, rel, rel};
			if (strstr(t, "%s%s"))
				args_s[1] = bulk_rand(&seed) % 2 ? " CASCADE" : "";
			struct strbuf l;
			strbuf_init(&l);
			size_t si = 0, ui = 0;
			for (const char *p = t; *p; p++) {
				if (p[0] == '%' && p[1] == 's') {
					strbuf_adds(&l, args_s[si < 3 ? si : 2]);
					si++;
					p++;
				} else if (p[0] == '%' && p[1] == 'u') {
					strbuf_addf(&l, "%u", ui++ == 0 ? a : b + (unsigned)ui);
					p++;
				} else {
					strbuf_addf(&l, "%c", *p);
				}
			}
			/* A text that does not parse has no statements: keep each valid. */
			PgQueryParseResult pr = pg_query_parse(l.buf);
			if (!pr.error)
				strbuf_addf(&sb, "%s;\n", l.buf);
			else if (bad++ < 3)
				printf("# bulk: does not parse: %s\n", l.buf);
			pg_query_free_parse_result(pr);
			strbuf_release(&l);
		}
		struct risk_options o;
		risk_options_init(&o);
		o.lock_timeout_ms = round % 3 ? 3000 : 0;
		if (round % 4 == 1)
			o.txn = RISK_TXN_WRAPPED;
		struct risk_file_report rep;
		risk_file_report_init(&rep);
		risk_analyze_file(sb.buf, &o, &rep);
		stmts += rep.up.n_stmts + rep.down.n_stmts;
		texts++;
		risk_file_report_clear(&rep);
		strbuf_release(&sb);
	}

	/* The corpus in shuffled groups of six files. */
	char *dir = xasprintf("%s/tests/risk/corpus", top_srcdir());
	DIR *d = opendir(dir);
	struct strvec files;
	strvec_init(&files);
	struct dirent *e;
	while (d && (e = readdir(d)) != NULL)
		if (text_ends_with(e->d_name, ".sql"))
			strvec_push_owned(&files, xasprintf("%s/%s", dir, e->d_name));
	if (d)
		closedir(d);
	if (files.n)
		qsort(files.items, files.n, sizeof *files.items, cmp_str);
	for (size_t i = files.n; i > 1; i--) {
		size_t j = bulk_rand(&seed) % i;
		char *tmp = files.items[i - 1];
		files.items[i - 1] = files.items[j];
		files.items[j] = tmp;
	}
	for (size_t i = 0; i < files.n; i += 6) {
		struct strbuf sb;
		strbuf_init(&sb);
		for (size_t k = i; k < i + 6 && k < files.n; k++) {
			struct strbuf one;
			strbuf_init(&one);
			if (strbuf_read_file(&one, files.items[k]) == 0)
				strbuf_addf(&sb, "%s\n;\n", one.buf);
			strbuf_release(&one);
		}
		struct risk_options o;
		risk_options_init(&o);
		o.lock_timeout_ms = 3000;
		struct risk_file_report rep;
		risk_file_report_init(&rep);
		risk_analyze_file(sb.buf, &o, &rep);
		stmts += rep.up.n_stmts + rep.down.n_stmts;
		texts++;
		risk_file_report_clear(&rep);
		strbuf_release(&sb);
	}
	strvec_clear(&files);
	free(dir);
	ok(stmts >= 3000, "bulk: %zu statements in %zu texts analysed without a sanitizer report",
	   stmts, texts);
}

/* lock-held-across-statements: one finding per transaction, naming every
 * lock held and every slow statement under them (issue 11). */
static void test_held(void)
{
	struct risk_options o;
	risk_options_init(&o);
	o.lock_timeout_ms = 3000;
	struct risk_report r;
	risk_report_init(&r);
	risk_analyze("BEGIN;\n"
	             "ALTER TABLE orders ADD COLUMN note text;\n"
	             "ALTER TABLE users ADD COLUMN bio text;\n"
	             "UPDATE orders SET note = 'x';\n"
	             "UPDATE users SET bio = 'y';\n"
	             "COMMIT;\n"
	             "BEGIN;\n"
	             "ALTER TABLE users ADD COLUMN x int;\n"
	             "UPDATE orders SET note = 'z';\n"
	             "COMMIT;\n",
	             &o, &r);
	size_t n = 0;
	const char *msg = "";
	for (size_t i = 0; i < r.n_stmts; i++)
		for (size_t k = 0; k < r.stmts[i].n_findings; k++)
			if (strcmp(r.stmts[i].findings[k].rule->id,
			           "lock-held-across-statements") == 0 &&
			    n++ == 0)
				msg = r.stmts[i].findings[k].message;
	is_int(n, 2, "lock-held-across-statements: one finding per transaction");
	ok(strstr(msg, "public.orders ACCESS EXCLUSIVE (line 2)") &&
	       strstr(msg, "public.users ACCESS EXCLUSIVE (line 3)") &&
	       strstr(msg, "line 4 (public.orders)") && strstr(msg, "line 5 (public.users)"),
	   "... naming every lock held and every slow statement: %s", msg);
	risk_report_clear(&r);
}

/* risk_analyze_migration over a set read by migset: directives before a
 * dbmate marker, the down section of a pair. */
static void test_migrations(void)
{
	char dir[] = "/tmp/pgstep-risk-XXXXXX";
	if (!ok(mkdtemp(dir) != NULL, "a scratch directory"))
		return;
	char *a = xasprintf("%s/001_users.sql", dir);
	char *b = xasprintf("%s/002_bio.up.sql", dir);
	char *bd = xasprintf("%s/002_bio.down.sql", dir);
	write_file(a, "-- pgstep:note Users.\n"
	              "-- pgstep:allow drop-column reason: the down of a new column\n"
	              "-- migrate:up\n"
	              "CREATE TABLE users (id bigint PRIMARY KEY);\n"
	              "ALTER TABLE users ADD COLUMN email text;\n"
	              "-- migrate:down\n"
	              "DROP TABLE users;\n");
	write_file(b, "ALTER TABLE users ADD COLUMN bio text;\n");
	write_file(bd, "ALTER TABLE users DROP COLUMN bio;\n");
	struct diag_list diags;
	struct pgstep_error err = {0};
	struct migset_options mo = {0};
	diag_list_init(&diags);
	struct migset *set = migset_load(dir, &mo, &diags, &err);
	if (ok(set && set->n == 2, "the set loads")) {
		struct risk_options o;
		risk_options_init(&o);
		o.lock_timeout_ms = 3000;
		struct risk_file_report r;
		risk_file_report_init(&r);
		risk_analyze_migration(set->items[0], &o, &r);
		ok(r.up.n_stmts == 2 && r.up.stmts[0].line == 4,
		   "dbmate up: statements on their file lines");
		ok(r.has_down_section && has_rule(&r.down, "down-loses-data") &&
		       r.down.stmts[0].line == 7,
		   "dbmate down: down-loses-data on line 7");
		ok(r.up.n_allows == 1 && r.up.allows[0].line == 2,
		   "an allow before the marker is read");
		risk_file_report_clear(&r);
		risk_analyze_migration(set->items[1], &o, &r);
		ok(has_rule(&r.down, "down-loses-data") && !has_rule(&r.down, "drop-column"),
		   "pair: the down file knows what the up added");
		risk_file_report_clear(&r);
	}
	migset_free(&set);
	diag_list_clear(&diags);
	error_clear(&err);
	remove(a);
	remove(b);
	remove(bd);
	rmdir(dir);
	free(a);
	free(b);
	free(bd);
}

/* The foreign keys an up section adds reach its down section whole, even
 * when a table name holds a space (they were once "rel name ref" strings
 * read back with sscanf). */
static void test_down_foreign_keys(void)
{
	static const char *const texts[] = {
	    /* the referencing table's name has a space */
	    "-- migrate:up\n"
	    "CREATE TABLE parent (id bigint PRIMARY KEY);\n"
	    "CREATE TABLE \"my tab\" (id bigint, parent_id bigint);\n"
	    "ALTER TABLE \"my tab\" ADD CONSTRAINT my_fk FOREIGN KEY (parent_id)\n"
	    "  REFERENCES parent (id);\n"
	    "-- migrate:down\n"
	    "ALTER TABLE \"my tab\" DROP CONSTRAINT my_fk;\n",
	    /* the referenced table's name has a space */
	    "-- migrate:up\n"
	    "CREATE TABLE \"my tab\" (id bigint PRIMARY KEY);\n"
	    "CREATE TABLE child (id bigint, tab_id bigint);\n"
	    "ALTER TABLE child ADD CONSTRAINT my_fk FOREIGN KEY (tab_id)\n"
	    "  REFERENCES \"my tab\" (id);\n"
	    "-- migrate:down\n"
	    "ALTER TABLE child DROP CONSTRAINT my_fk;\n",
	};
	static const char *const what[] = {"referencing", "referenced"};
	for (size_t t = 0; t < sizeof texts / sizeof *texts; t++) {
		struct risk_options o;
		risk_options_init(&o);
		o.lock_timeout_ms = 3000;
		struct risk_file_report r;
		risk_file_report_init(&r);
		ok(risk_analyze_file(texts[t], &o, &r) && r.has_down_section && r.down.n_stmts == 1,
		   "%s table \"my tab\": the file analyses", what[t]);
		const struct risk_finding *fk = NULL;
		for (size_t j = 0; r.down.n_stmts && j < r.down.stmts[0].n_findings; j++)
			if (strcmp(r.down.stmts[0].findings[j].rule->id, "drop-foreign-key") == 0)
				fk = &r.down.stmts[0].findings[j];
		ok(fk != NULL && !has_rule(&r.down, "drop-constraint"),
		   "%s table \"my tab\": the down drops a foreign key, not a constraint", what[t]);
		ok(fk && strstr(fk->message, t == 0 ? " and public.parent " : "my tab ACCESS"),
		   "%s table \"my tab\": the message names the other table (%s)", what[t],
		   fk ? fk->message : "no finding");
		risk_file_report_clear(&r);
	}
}

/* Bytes of t packed by protobuf-c equal to libpg_query's protobuf of sql. */
static bool packs_as_libpg_query(const PgQuery__ParseResult *t, const char *sql)
{
	PgQueryProtobufParseResult r = pg_query_parse_protobuf(sql);
	bool same = false;
	if (!r.error && t) {
		size_t size = pg_query__parse_result__get_packed_size(t);
		uint8_t *again = xmalloc(size + 1);
		pg_query__parse_result__pack(t, again);
		same = size == r.parse_tree.len && memcmp(again, r.parse_tree.data, size) == 0;
		free(again);
	}
	pg_query_free_protobuf_parse_result(r);
	return same;
}

/* pbtree reads libpg_query's JSON into the same structs as its protobuf:
 * packing the result gives libpg_query's protobuf bytes, for every file of
 * the risk corpus, the fuzz seeds and the sample migrations. A truncated or
 * altered text is refused, not misread. */
static void test_pbtree(void)
{
	ok(pbtree_names_unambiguous(), "pbtree: every JSON key names one field of its message");
	const char *dirs[] = {"tests/risk/corpus",
	                      "tests/fuzz/corpus/split",
	                      "tests/fuzz/corpus/migset",
	                      "migrations/phase-0-foundation",
	                      "migrations/phase-1-control-plane",
	                      "migrations/phase-2-data-boundaries",
	                      "migrations/phase-3-hardening"};
	size_t n = 0, same = 0, refused = 0, damaged = 0;
	for (size_t k = 0; k < sizeof dirs / sizeof *dirs; k++) {
		char *dir = xasprintf("%s/%s", top_srcdir(), dirs[k]);
		DIR *d = opendir(dir);
		struct dirent *e;
		while (d && (e = readdir(d)) != NULL) {
			if (!text_ends_with(e->d_name, ".sql"))
				continue;
			char *path = xasprintf("%s/%s", dir, e->d_name);
			struct strbuf text;
			strbuf_init(&text);
			struct arena a;
			arena_init(&a);
			PgQuery__ParseResult *t = strbuf_read_file(&text, path) == 0
			                              ? pbtree_parse(&a, text.buf, NULL)
			                              : NULL;
			if (t) {
				n++;
				bool eq = packs_as_libpg_query(t, text.buf);
				same += eq;
				if (!eq)
					printf("# pbtree: %s does not pack back\n", path);
				PgQueryParseResult j = pg_query_parse(text.buf);
				size_t len = j.parse_tree ? strlen(j.parse_tree) : 0;
				if (len > 4) {
					/* cut in the middle of the last statement */
					j.parse_tree[len - 3] = '\0';
					damaged++;
					refused += pbtree_decode_json(&a, j.parse_tree) == NULL;
				}
				pg_query_free_parse_result(j);
			}
			arena_release(&a);
			strbuf_release(&text);
			free(path);
		}
		if (d)
			closedir(d);
		free(dir);
	}
	ok(n >= 200 && same == n, "pbtree: %zu of %zu trees pack to libpg_query's bytes", same, n);
	ok(refused == damaged, "pbtree: %zu of %zu truncated trees are refused", refused, damaged);

	struct arena a;
	arena_init(&a);
	const char *hard = "SELECT E'\\u00e9\\n\"<&>', 1.5e300, -2147483648, true, "
	                   "$q$ x $q$, B'101', x'ff', U&\"d\\0061t\" FROM \"Mixed\"\"Case\" "
	                   "WHERE a IS NOT DISTINCT FROM b ORDER BY 1 NULLS FIRST;"
	                   "CREATE TABLE t (a int GENERATED ALWAYS AS (1) STORED) PARTITION BY "
	                   "RANGE (a); ALTER TABLE t ALTER a SET DEFAULT 9223372036854775807;";
	ok(packs_as_libpg_query(pbtree_parse(&a, hard, NULL), hard),
	   "pbtree: escapes, numbers, quoted names and enums read back exactly");
	/* Integers of 0 or below, which the JSON does not write, in statements
	 * after the first (their locations move back by the statement's offset) */
	const char *negative =
	    "SELECT 1;\n  ALTER SEQUENCE s INCREMENT BY -1 MINVALUE -100;\n"
	    "CREATE TABLE t (a text[], b int DEFAULT -5 CHECK (b > -1), "
	    "c text ARRAY, d int[3][], e int DEFAULT 0);\n"
	    "ALTER TABLE t ALTER a SET STATISTICS -1; SELECT -0, x[-2:-1] FROM t";
	PgQuery__ParseResult *nt = pbtree_parse(&a, negative, NULL);
	ok(packs_as_libpg_query(nt, negative),
	   "pbtree: negative numbers and array bounds read back exactly, at their places");
	PgQueryProtobufParseResult pb = pg_query_parse_protobuf("CREATE TABLE t (a text[])");
	size_t cut = pb.parse_tree.len > 3 ? pb.parse_tree.len - 3 : 0;
	ok(pbtree_decode(&a, pb.parse_tree.data, cut) == NULL,
	   "pbtree: a truncated protobuf encoding is refused");
	pg_query_free_protobuf_parse_result(pb);
	static const uint8_t junk[] = {0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x01};
	ok(pbtree_decode(&a, junk, sizeof junk) == NULL,
	   "pbtree: a length past the end is refused");
	ok(pbtree_decode(&a, "", 0) != NULL, "pbtree: no bytes are an empty tree");
	ok(pbtree_decode_json(&a, "{\"version\":150001,\"nosuchfield\":1}") == NULL,
	   "pbtree: a key that names no field is refused");
	ok(pbtree_decode_json(&a, "{\"stmts\":[{\"stmt\":{\"NoSuchNode\":{}}}]}") == NULL,
	   "pbtree: a node type it does not know is refused");
	ok(pbtree_decode_json(&a, "{\"stmts\":[{\"stmt\":{\"SelectStmt\":{\"op\":\"NOPE\"}}}]}") ==
	       NULL,
	   "pbtree: an enum value it does not know is refused");
	ok(pbtree_decode_json(&a, "{}") != NULL, "pbtree: an empty object is an empty tree");
	struct pbtree_error pe = {0};
	bool refused_bad = pbtree_parse(&a, "SELECT FROM WHERE;", &pe) == NULL;
	ok(refused_bad && pe.message && strstr(pe.message, "syntax error") && pe.cursorpos == 13,
	   "pbtree: a parse error keeps libpg_query's message and position (%d)", pe.cursorpos);
	free(pe.message);
	arena_release(&a);
}

/* Which statements the step runner asks about, and what must be typed. */
static void test_confirm(void)
{
	static const struct {
		const char *sql; /* a section; the last statement is judged */
		enum risk_confirm_kind kind;
		const char *relation; /* the locked relation, or NULL */
		const char *typed;    /* the name to type, or NULL */
	} cases[] = {
	    {"SELECT 1", RISK_CONFIRM_NONE, NULL, NULL},
	    {"INSERT INTO items VALUES (1)", RISK_CONFIRM_NONE, NULL, NULL},
	    {"ALTER TABLE items ADD COLUMN flag boolean", RISK_CONFIRM_LOCK, "public.items", NULL},
	    {"CREATE INDEX items_name ON items (name)", RISK_CONFIRM_LOCK, "public.items", NULL},
	    {"CREATE TABLE a (id int); ALTER TABLE a ADD COLUMN b int", RISK_CONFIRM_NONE, NULL,
	     NULL},
	    {"ALTER TABLE items DROP COLUMN note", RISK_CONFIRM_TYPED, "public.items", "items"},
	    {"DROP TABLE app.orders", RISK_CONFIRM_TYPED, "app.orders", "orders"},
	    {"TRUNCATE items", RISK_CONFIRM_TYPED, "public.items", "items"},
	    {"DELETE FROM items", RISK_CONFIRM_TYPED, NULL, "items"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct risk_options o;
		risk_options_init(&o);
		o.lock_timeout_ms = 3000;
		struct risk_report r;
		risk_report_init(&r);
		risk_analyze(cases[i].sql, &o, &r);
		struct risk_confirm c = {0};
		if (r.n_stmts)
			risk_stmt_confirm(&r.stmts[r.n_stmts - 1], &c);
		ok(c.kind == cases[i].kind, "confirm kind %d of: %s", (int)c.kind, cases[i].sql);
		if (cases[i].relation)
			is_str(c.lock_relation ? c.lock_relation : "(none)", cases[i].relation,
			       "the strong lock of: %s", cases[i].sql);
		if (cases[i].typed)
			is_str(c.typed_name ? c.typed_name : "(none)", cases[i].typed,
			       "the name to type for: %s", cases[i].sql);
		risk_report_clear(&r);
	}
}

/* The claim of statement i on rel, or NULL. */
static const struct risk_lock_claim *claim_on(const struct risk_report *r, size_t i,
                                              const char *rel)
{
	if (i >= r->n_stmts)
		return NULL;
	for (size_t k = 0; k < r->stmts[i].n_locks; k++)
		if (strcmp(r->stmts[i].locks[k].relation, rel) == 0)
			return &r->stmts[i].locks[k];
	return NULL;
}

/* Claims the corpus's id sets do not show (issue 15, "Wrong claims"). */
static void test_claims(void)
{
	struct risk_options o;
	risk_options_init(&o);
	o.lock_timeout_ms = 3000;
	struct risk_report r;
	risk_report_init(&r);

	risk_analyze("VACUUM FULL pg_class;\nSELECT 1 FROM pg_orders;", &o, &r);
	const struct risk_lock_claim *l = claim_on(&r, 0, "pg_catalog.pg_class");
	ok(l && l->catalog && l->mode == RISK_LOCK_ACCESS_EXCLUSIVE,
	   "VACUUM FULL of a catalog lists its lock, marked as a catalog");
	l = claim_on(&r, 1, "public.pg_orders");
	ok(l && !l->catalog, "a user table named pg_orders is not a catalog");
	risk_report_clear(&r);

	risk_analyze("ALTER TABLE payments ADD COLUMN split money_pair;\n"
	             "ALTER TYPE money_pair DROP ATTRIBUTE note;",
	             &o, &r);
	ok(r.n_stmts == 2 && r.stmts[1].n_findings >= 1 &&
	       strstr(r.stmts[1].findings[0].message, "public.payments.split") &&
	       !(r.stmts[1].effects & RISK_FX_REWRITE),
	   "dropping an attribute of a composite type names the column that stores it");
	risk_report_clear(&r);

	risk_analyze("ALTER TABLE d ADD COLUMN at timestamp;\nSET TIME ZONE 'UTC';\n"
	             "ALTER TABLE d ALTER COLUMN at TYPE timestamptz;",
	             &o, &r);
	ok(r.n_stmts == 3 && !(r.stmts[2].effects & RISK_FX_REWRITE) &&
	       strstr(r.stmts[2].explain, "rebuilds every index on the column"),
	   "timestamp to timestamptz under UTC: no rewrite, the column's indexes are rebuilt");
	risk_report_clear(&r);

	risk_analyze("ALTER TABLE t ADD CONSTRAINT t_code_key UNIQUE (code);\n"
	             "DROP INDEX t_code_key;\nCREATE TABLE a (id int PRIMARY KEY);\n"
	             "CREATE TABLE b (a_id int REFERENCES a);\nDROP TABLE a CASCADE;\n"
	             "DROP TABLE b;",
	             &o, &r);
	ok(claim_on(&r, 1, "public.t") && (r.stmts[1].effects & RISK_FX_CAN_FAIL),
	   "DROP INDEX of a constraint's index claims the table, and fails");
	ok(claim_on(&r, 4, "public.b") && claim_on(&r, 5, "public.b") &&
	       !claim_on(&r, 5, "public.a"),
	   "DROP TABLE ... CASCADE locks the referencing table and drops its foreign key");
	risk_report_clear(&r);

	risk_analyze("SELECT 1;\nCREATE TABLE a (id int PRIMARY KEY);\nCREATE TABLE b (\n"
	             "  id int,\n  a_id int\n    REFERENCES a (id)\n);",
	             &o, &r);
	const struct risk_finding *fk = NULL;
	for (size_t i = 0; i < r.n_stmts; i++)
		for (size_t j = 0; j < r.stmts[i].n_findings; j++)
			if (strcmp(r.stmts[i].findings[j].rule->id, "fk-missing-index") == 0)
				fk = &r.stmts[i].findings[j];
	ok(fk && fk->line == 6 && fk->col == 5,
	   "fk-missing-index points at the constraint (line %d, column %d)", fk ? fk->line : 0,
	   fk ? fk->col : 0);
	risk_report_clear(&r);
}

int main(void)
{
	struct strvec risky, info;
	size_t n_files = 0;
	strvec_init(&risky);
	strvec_init(&info);
	test_table();
	test_doc();
	test_corpus(&risky, &info, &n_files);
	test_coverage(&risky, &info, n_files);
	test_locks();
	test_details();
	test_claims();
	test_confirm();
	test_migrations();
	test_down_foreign_keys();
	test_catalog();
	test_held();
	test_bulk();
	test_pbtree();
	strvec_clear(&risky);
	strvec_clear(&info);
	return done_testing();
}
