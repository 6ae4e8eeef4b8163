/* test_agree: every reader of a migration agrees on it. Over every fixture
 * set (tests/data/sets), the risk corpus (tests/risk/corpus, read as a set)
 * and a set of awkward files written here, it compares for each migration:
 *   - the loader's and the runner's statement list (migration_split, the
 *     list runner_new runs),
 *   - the plan's (risk_analyze_migration, which `pgstep plan` and the
 *     interface show),
 *   - lint's (risk_analyze_named on the file, as `pgstep lint FILE`),
 * on the statements (count, offset, line, column, text), the up/down
 * sections, the transaction mode and the pgstep:allow directives. Awkward
 * files also have their expected values checked outright. */
#include "config.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pgstep/migset.h"
#include "pgstep/risk.h"
#include "pgstep/section.h"
#include "pgstep/strbuf.h"
#include "pgstep/xalloc.h"
#include "tap.h"

static const char *testdata;
static size_t reparsed; /* migrations the risk engine parsed again */

/* First difference between a statement list and a risk report, or NULL. */
static char *stmts_differ(const struct statement_list *l, const struct risk_report *r)
{
	if (l->n != r->n_stmts)
		return xasprintf("%zu statements against %zu", l->n, r->n_stmts);
	for (size_t i = 0; i < l->n; i++) {
		const struct statement *a = &l->items[i];
		const struct risk_stmt *b = &r->stmts[i];
		if (a->offset != b->offset || a->line != b->line || a->col != b->col ||
		    strcmp(a->sql, b->sql) != 0)
			return xasprintf(
			    "statement %zu: offset %zu line %d col %d against offset %zu "
			    "line %d col %d",
			    i + 1, a->offset, a->line, a->col, b->offset, b->line, b->col);
	}
	return NULL;
}

static char *allows_differ(const struct risk_report *a, const struct risk_report *b)
{
	if (a->n_allows != b->n_allows)
		return xasprintf("%zu allows against %zu", a->n_allows, b->n_allows);
	for (size_t i = 0; i < a->n_allows; i++)
		if (strcmp(a->allows[i].rule, b->allows[i].rule) != 0 ||
		    a->allows[i].line != b->allows[i].line ||
		    a->allows[i].file_level != b->allows[i].file_level)
			return xasprintf("allow %zu: %s line %d against %s line %d", i + 1,
			                 a->allows[i].rule, a->allows[i].line, b->allows[i].rule,
			                 b->allows[i].line);
	return NULL;
}

static char *read_all(const char *path)
{
	struct strbuf sb;
	strbuf_init(&sb);
	if (strbuf_read_file(&sb, path) != 0) {
		strbuf_release(&sb);
		return NULL;
	}
	char *t = strbuf_detach(&sb);
	strbuf_release(&sb);
	return t;
}

/* Lint's view of m: its up file, and its down file when separate. */
static void lint_view(const struct migration *m, const struct risk_options *o,
                      struct risk_file_report *up_rep, struct risk_report **down)
{
	char *up_text = read_all(m->up.path);
	bool separate = m->down.path && strcmp(m->down.path, m->up.path) != 0;
	risk_analyze_named(m->up.path, up_text ? up_text : "", m->down.text != NULL, NULL, o,
	                   up_rep);
	*down = &up_rep->down;
	if (separate) {
		static struct risk_file_report dr;
		risk_file_report_init(&dr);
		char *dt = read_all(m->down.path);
		risk_analyze_named(m->down.path, dt ? dt : "", true, up_text, o, &dr);
		free(dt);
		*down = &dr.up;
	}
	free(up_text);
}

/* Compare every reader on every migration of dir; n_checked counts them. */
static void agree_on_set(const char *dir, size_t *n_checked, size_t *n_failed)
{
	struct diag_list d;
	diag_list_init(&d);
	struct pgstep_error err = {0};
	struct migset_options mo = {.split_statements = true};
	struct migset *s = migset_load(dir, &mo, &d, &err);
	if (!s) {
		ok(0, "%s loads: %s", dir, err.msg);
		error_clear(&err);
		diag_list_clear(&d);
		return;
	}
	struct risk_options o;
	risk_options_init(&o);
	for (size_t i = 0; i < s->n; i++) {
		struct migration *m = s->items[i];
		if (!migration_split(m, &err)) { /* reported by the loader */
			error_clear(&err);
			continue;
		}
		struct risk_file_report plan, lint;
		risk_file_report_init(&plan);
		risk_file_report_init(&lint);
		struct sql_feed_stats fs;
		sql_feed_stats(&fs, true);
		risk_analyze_migration(m, &o, &plan);
		sql_feed_stats(&fs, true);
		/* the runner's split parsed it; plan and preflight walk those trees */
		reparsed += fs.parses != 0;
		struct risk_report *lint_down;
		lint_view(m, &o, &lint, &lint_down);
		char *why = NULL;
		const char *what = "";
		if ((why = stmts_differ(&m->up.stmts, &plan.up)))
			what = "runner/plan up";
		else if ((why = stmts_differ(&m->down.stmts, &plan.down)))
			what = "runner/plan down";
		else if ((why = stmts_differ(&m->up.stmts, &lint.up)))
			what = "runner/lint up";
		else if (m->down.text && (why = stmts_differ(&m->down.stmts, lint_down)))
			what = "runner/lint down";
		else if (!m->down.text && lint.has_down_section)
			why = xstrdup("lint sees a down section the loader does not"),
			what = "sections";
		else if (plan.up.runs_in_transaction != lint.up.runs_in_transaction)
			why = xasprintf("plan %d, lint %d", plan.up.runs_in_transaction,
			                lint.up.runs_in_transaction),
			what = "transaction mode";
		else if ((why = allows_differ(&plan.up, &lint.up)))
			what = "allows";
		(*n_checked)++;
		if (why) {
			(*n_failed)++;
			ok(0, "%s: %s disagree: %s", m->up.path, what, why);
			free(why);
		}
		risk_file_report_clear(&plan);
		risk_file_report_clear(&lint);
		if (lint_down != &lint.down)
			risk_file_report_clear((struct risk_file_report *)lint_down);
	}
	migset_free(&s);
	diag_list_clear(&d);
}

static void test_fixture_sets(void)
{
	char *sets = xasprintf("%s/sets", testdata);
	DIR *dh = opendir(sets);
	if (!ok(dh != NULL, "fixture sets found"))
		return;
	size_t checked = 0, failed = 0, n_sets = 0;
	struct dirent *e;
	while ((e = readdir(dh)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		char *dir = xasprintf("%s/%s", sets, e->d_name);
		struct stat st;
		if (stat(dir, &st) == 0 && S_ISDIR(st.st_mode)) {
			agree_on_set(dir, &checked, &failed);
			n_sets++;
		}
		free(dir);
	}
	closedir(dh);
	free(sets);
	ok(failed == 0 && checked > 20, "fixture sets: %zu migrations of %zu sets, %zu disagree",
	   checked, n_sets, failed);
	ok(reparsed == 0, "the risk engine parsed %zu of them again after the runner's split",
	   reparsed);
}

static void test_corpus(void)
{
	char *dir = xasprintf("%s/../risk/corpus", testdata);
	size_t checked = 0, failed = 0;
	reparsed = 0;
	agree_on_set(dir, &checked, &failed);
	ok(failed == 0 && checked > 150, "risk corpus: %zu files, %zu disagree", checked, failed);
	ok(reparsed == 0, "... parsed once: %zu parsed again", reparsed);
	free(dir);
}

/* ---- awkward files ------------------------------------------------------- */

struct awkward {
	const char *name, *text;
};

static const struct awkward awkward[] = {
    /* the case: a marker line inside a $$ body */
    {"001_fn.sql", "-- migrate:up\n"
                   "CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $$\n"
                   "BEGIN\n"
                   "-- migrate:down\n"
                   "  RETURN 1;\n"
                   "END\n"
                   "$$;\n"
                   "\n"
                   "-- migrate:down\n"
                   "DROP TABLE users;\n"},
    /* a marker inside a block comment is no marker */
    {"002_block.sql", "-- migrate:up\n"
                      "CREATE TABLE b (id int);\n"
                      "/*\n"
                      "-- migrate:down\n"
                      "*/\n"
                      "CREATE INDEX b_id ON b (id);\n"
                      "-- migrate:down\n"
                      "DROP TABLE b;\n"},
    /* a directive after the leading comment block */
    {"003_late.sql", "-- pgstep:allow drop-column reason: unused\n"
                     "ALTER TABLE users DROP COLUMN a;\n"
                     "-- pgstep:allow drop-column reason: unused too\n"
                     "ALTER TABLE users DROP COLUMN b;\n"
                     "-- pgstep:lock-timeout 0\n"
                     "ALTER TABLE users DROP COLUMN c;\n"},
    /* CRLF line ends */
    {"004_crlf.sql", "-- migrate:up\r\n"
                     "CREATE TABLE c (id int);\r\n"
                     "\r\n"
                     "ALTER TABLE c ADD COLUMN n text;\r\n"
                     "-- migrate:down\r\n"
                     "DROP TABLE c;\r\n"},
    /* a byte-order mark */
    {"005_bom.sql", "\xEF\xBB\xBF"
                    "CREATE TABLE d (id int); CREATE TABLE e (id int);\n"},
    /* tabs and multi-byte characters before a statement */
    {"006_cols.sql", "\t/* é */ CREATE TABLE f (id int);\n"
                     "SELECT 'ü'; \t SELECT 2;\n"},
    /* goose */
    {"007_goose.sql", "-- +goose Up\n"
                      "-- +goose StatementBegin\n"
                      "CREATE TABLE g (id int);\n"
                      "-- +goose StatementEnd\n"
                      "\n"
                      "-- +goose Down\n"
                      "DROP TABLE g;\n"},
    /* two rules in one allow: the loader took "drop-column," for a rule and
       refused the file, the risk engine read both */
    {"009_allow2.sql", "-- pgstep:allow drop-column, drop-table reason: cleanup\n"
                       "ALTER TABLE users DROP COLUMN a;\n"
                       "DROP TABLE old;\n"},
    /* the loader's pgstep:no-transaction, read once */
    {"010_notx.sql", "-- pgstep:no-transaction\n"
                     "CREATE TABLE h (id int);\n"
                     "CREATE INDEX CONCURRENTLY h_id ON h (id);\n"},
};

static void write_file(const char *dir, const char *name, const char *data)
{
	char *path = xasprintf("%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	if (f) {
		fputs(data, f);
		fclose(f);
	}
	free(path);
}

static const struct statement *stmt(const struct migration *m, bool down, size_t i)
{
	const struct statement_list *l = down ? &m->down.stmts : &m->up.stmts;
	return i < l->n ? &l->items[i] : NULL;
}

#define AT(m, down, i, ln, cl)                                                                     \
	ok(stmt(m, down, i) && stmt(m, down, i)->line == (ln) && stmt(m, down, i)->col == (cl),    \
	   "%s %s statement %d at %d:%d", (m)->up.path, (down) ? "down" : "up", (i) + 1, ln, cl)

static void test_awkward(void)
{
	char tmpl[] = "/tmp/pgstep-agree-XXXXXX";
	char *dir = mkdtemp(tmpl);
	if (!ok(dir != NULL, "scratch directory"))
		return;
	size_t n = sizeof awkward / sizeof awkward[0];
	for (size_t i = 0; i < n; i++)
		write_file(dir, awkward[i].name, awkward[i].text);
	size_t checked = 0, failed = 0;
	agree_on_set(dir, &checked, &failed);
	ok(failed == 0 && checked == n, "awkward files: %zu of %zu checked, %zu disagree", checked,
	   n, failed);

	struct diag_list d;
	diag_list_init(&d);
	struct pgstep_error err = {0};
	struct migset_options mo = {.split_statements = true};
	struct migset *s = migset_load(dir, &mo, &d, &err);
	if (!ok(s && s->n == n, "awkward set loads whole")) {
		for (size_t i = 0; i < d.n; i++)
			printf("# %s:%d: %s\n", d.items[i].file, d.items[i].line, d.items[i].msg);
		migset_free(&s);
		diag_list_clear(&d);
		return;
	}
	struct migration *m = s->items[0]; /* 001_fn */
	ok(m->up.stmts.n == 1 && m->down.stmts.n == 1, "$$ body: one up, one down statement");
	AT(m, true, 0, 10, 1);
	m = s->items[1]; /* 002_block */
	ok(m->up.stmts.n == 2 && m->down.stmts.n == 1, "marker in a block comment: no section");
	AT(m, false, 1, 6, 1);
	m = s->items[2]; /* 003_late */
	ok(m->lock_timeout_ms == -1, "a lock-timeout after the leading block is not applied");
	bool warned = false;
	for (size_t i = 0; i < d.n; i++)
		warned |= strstr(d.items[i].file, "003_late.sql") && d.items[i].line == 5 &&
		          d.items[i].level == DIAG_WARNING;
	ok(warned, "... and the loader says so, at its line");
	m = s->items[3]; /* 004_crlf */
	ok(m->up.stmts.n == 2 && m->down.stmts.n == 1, "CRLF: both sections");
	AT(m, false, 1, 4, 1);
	AT(m, true, 0, 6, 1);
	m = s->items[4]; /* 005_bom */
	AT(m, false, 0, 1, 1);
	AT(m, false, 1, 1, 26);
	ok(stmt(m, false, 0) && stmt(m, false, 0)->offset == 3, "BOM: the offset counts its bytes");
	m = s->items[5]; /* 006_cols */
	AT(m, false, 0, 1, 10);
	AT(m, false, 1, 2, 1);
	AT(m, false, 2, 2, 15);
	m = s->items[6]; /* 007_goose */
	ok(m->format == FORMAT_GOOSE && m->up.stmts.n == 1 && m->down.stmts.n == 1,
	   "goose: both sections");
	AT(m, true, 0, 7, 1);
	m = s->items[8]; /* 010_notx */
	ok(m->no_transaction, "pgstep:no-transaction read by the loader");
	m = s->items[7]; /* 009_allow2 */
	ok(m->n_allows == 2 && strcmp(m->allows[1].rule, "drop-table") == 0,
	   "one allow, two rules, as the risk engine reads it");

	/* lint on the $$ file sees the down's DROP TABLE (the bug) */
	struct risk_file_report r;
	risk_file_report_init(&r);
	struct risk_options o;
	risk_options_init(&o);
	char *text = read_all(s->items[0]->up.path);
	risk_analyze_named(s->items[0]->up.path, text, false, NULL, &o, &r);
	bool drop = r.down.n_stmts == 1 && r.down.stmts[0].n_findings > 0 &&
	            strcmp(r.down.stmts[0].findings[0].rule->id, "drop-table") == 0;
	ok(r.up.n_problems == 0 && drop, "lint: no parse error in the $$ body, drop-table in down");
	risk_file_report_clear(&r);
	free(text);

	migset_free(&s);
	diag_list_clear(&d);
	for (size_t i = 0; i < n; i++) {
		char *p = xasprintf("%s/%s", dir, awkward[i].name);
		unlink(p);
		free(p);
	}
	rmdir(dir);
}

int main(void)
{
	testdata = getenv("TESTDATA");
	if (!testdata)
		testdata = "tests/data";
	test_fixture_sets();
	test_corpus();
	test_awkward();
	return done_testing();
}
