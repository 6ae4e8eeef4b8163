/* test_migset: reading migration sets from tests/data/sets/: every format,
 * pairing, ordering, phases, archive/, directives, checksums, statement
 * lines, and each problem reported with its file, line and message. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pgstep/migset.h"
#include "pgstep/sha256.h"
#include "pgstep/strbuf.h"
#include "pgstep/xalloc.h"
#include "tap.h"

static const char *testdata;

/* Absolute path of a fixture set, or of a file in it (owned by caller). */
static char *fixture(const char *set, const char *file)
{
	if (file)
		return xasprintf("%s/sets/%s/%s", testdata, set, file);
	return xasprintf("%s/sets/%s", testdata, set);
}

static char *read_all(const char *path)
{
	struct strbuf sb;
	strbuf_init(&sb);
	if (strbuf_read_file(&sb, path) != 0)
		printf("# cannot read %s\n", path);
	char *s = strbuf_detach(&sb);
	strbuf_release(&sb);
	return s;
}

static void dump_diags(const struct diag_list *d)
{
	for (size_t i = 0; i < d->n; i++)
		printf("#   [%s] %s:%d: %s\n", diag_level_name(d->items[i].level),
		       d->items[i].file ? d->items[i].file : "-", d->items[i].line,
		       d->items[i].msg);
}

/* Exactly one diagnostic with this level, file (relative to the set), line
 * and message. */
static void has_diag(const struct diag_list *d, const char *set, enum diag_level level,
                     const char *file, int line, const char *msg)
{
	char *path = fixture(set, file);
	int hits = 0;
	for (size_t i = 0; i < d->n; i++) {
		const struct diag *g = &d->items[i];
		hits += g->level == level && g->file && strcmp(g->file, path) == 0 &&
		        g->line == line && strcmp(g->msg, msg) == 0;
	}
	if (!ok(hits == 1, "%s %s:%d: %s", diag_level_name(level), file, line, msg))
		dump_diags(d);
	free(path);
}

static void diag_counts(const struct diag_list *d, size_t errors, size_t warnings, size_t notes,
                        const char *what)
{
	bool good = diag_count(d, DIAG_ERROR) == errors &&
	            diag_count(d, DIAG_WARNING) == warnings && diag_count(d, DIAG_NOTE) == notes;
	if (!ok(good, "%s: %zu errors, %zu warnings, %zu notes", what, errors, warnings, notes))
		dump_diags(d);
}

static struct migset *load(const char *set, const struct migset_options *o, struct diag_list *d)
{
	char *dir = fixture(set, NULL);
	struct pgstep_error err = {0};
	diag_list_init(d);
	struct migset *s = migset_load(dir, o, d, &err);
	if (!ok(s != NULL, "load %s", set))
		printf("#   %s\n", err.msg);
	error_clear(&err);
	free(dir);
	return s;
}

static const struct migset_options split_opts = {.split_statements = true};

static bool ends_with(const char *s, const char *suffix)
{
	size_t a = s ? strlen(s) : 0, b = strlen(suffix);
	return s && a >= b && strcmp(s + a - b, suffix) == 0;
}

static void labels_are(struct migration **items, size_t n, const char *const *want, size_t nw,
                       const char *what)
{
	is_int(n, nw, "%s: count", what);
	for (size_t i = 0; i < n && i < nw; i++)
		is_str(migration_label(items[i]), want[i], "%s: #%zu", what, i);
}

/* ---- formats ------------------------------------------------------------ */

static void test_dbmate(struct migset *s)
{
	struct migration *m = migset_find(s, "1");
	if (!ok(m != NULL, "dbmate 001 found by '1'"))
		return;
	char *path = fixture("formats", "001_tenancy.sql");
	char *file = read_all(path);
	is_int(m->format, FORMAT_DBMATE, "dbmate format");
	is_str(m->name, "tenancy", "dbmate name");
	is_str(m->up.path, path, "up path is the file");
	is_str(m->down.path, path, "down path is the file");
	is_str(m->note, "Adds tenancy tables. Regions are immutable once set.",
	       "two note lines join with a space (one above the marker)");
	is_int(m->lock_timeout_ms, 5000, "lock-timeout under the marker line is read");
	ok(m->up.no_transaction && m->no_transaction, "transaction:false on the up marker");
	ok(!m->down.no_transaction, "down marker without option stays transactional");

	/* The up section starts on the line after the marker. */
	const char *up_start = strstr(file, "-- pgstep:lock-timeout");
	const char *down_marker = strstr(file, "-- migrate:down");
	is_int(m->up.first_line, 4, "up section first line");
	is_int(m->up.file_offset, up_start - file, "up section offset");
	char *up_text = xstrndup(up_start, (size_t)(down_marker - up_start));
	is_str(m->up.text, up_text, "up text runs to the down marker's line");
	char sum[SHA256_HEX_LEN + 1];
	sha256_hex(up_text, strlen(up_text), sum);
	is_str(m->checksum, sum, "checksum is SHA-256 of the up section");
	is_str(m->checksum, "2c209b6863d60845d0c7e9053858a8bc764a360abce22e374a683ae891bb7547",
	       "checksum value");
	is_str(m->down.text, "DROP TABLE tenants;\n", "down text");
	is_int(m->down.first_line, 11, "down section first line");

	/* Statement lines and offsets are file positions, past comments. */
	is_int(m->up.stmts.n, 2, "dbmate up statements");
	if (m->up.stmts.n == 2) {
		is_int(m->up.stmts.items[0].line, 7, "first statement line (after comments)");
		is_int(m->up.stmts.items[0].offset, strstr(file, "CREATE TABLE") - file,
		       "first statement offset in file");
		is_int(m->up.stmts.items[1].line, 8, "second statement line");
		is_str(m->up.stmts.items[1].sql, "CREATE INDEX tenants_region ON tenants (region)",
		       "second statement text");
	}
	is_int(m->down.stmts.n, 1, "dbmate down statements");
	if (m->down.stmts.n == 1)
		is_int(m->down.stmts.items[0].line, 11, "down statement line");
	free(up_text);
	free(file);
	free(path);
}

static void test_pair(struct migset *s)
{
	struct migration *m = migset_find(s, "002");
	if (!ok(m != NULL, "pair 002 found"))
		return;
	is_int(m->format, FORMAT_PAIR, "pair format");
	is_str(m->name, "users", "name from the up file");
	ok(ends_with(m->up.path, "/002_users.up.sql"), "up file");
	ok(ends_with(m->down.path, "/002_create-users.down.sql"),
	   "down paired by version though its name differs");
	is_str(m->down.text, "DROP TABLE users;\n", "down text");
	is_int(m->requires.n, 1, "one requires");
	if (m->requires.n == 1)
		is_str(m->requires.items[0], "1", "requires stored as canonical key");
	is_int(m->n_allows, 1, "one allow");
	if (m->n_allows == 1) {
		is_str(m->allows[0].rule, "table-rewrite", "allow rule");
		is_str(m->allows[0].reason, "table is empty in every tenant", "allow reason");
		is_int(m->allows[0].line, 2, "allow line");
	}
	char sum[SHA256_HEX_LEN + 1];
	sha256_hex(m->up.text, strlen(m->up.text), sum);
	is_str(m->checksum, sum, "pair checksum is SHA-256 of the up file");
	is_int(m->up.stmts.n, 1, "pair statements");
	if (m->up.stmts.n == 1)
		is_int(m->up.stmts.items[0].line, 3, "statement line after two directives");
}

static void test_plain_and_others(struct migset *s)
{
	struct migration *m = migset_find(s, "3");
	if (ok(m != NULL, "plain 003 found")) {
		is_int(m->format, FORMAT_PLAIN, "plain format");
		is_str(m->name, "plain", "'-' separator after the version");
		ok(!migration_reversible(m) && m->down.text == NULL, "plain file is irreversible");
		is_int(m->up.stmts.n, 3, "BEGIN, ALTER, COMMIT kept as statements");
		if (m->up.stmts.n == 3) {
			is_str(m->up.stmts.items[0].sql, "BEGIN", "file's own BEGIN kept");
			is_int(m->up.stmts.items[0].txn, STMT_TXN_BEGIN, "BEGIN role");
			is_str(m->up.stmts.items[2].sql, "COMMIT", "file's own COMMIT kept");
			is_int(m->up.stmts.items[2].txn, STMT_TXN_COMMIT, "COMMIT role");
		}
	}

	m = migset_find(s, "4");
	if (ok(m != NULL, "dollar 004 found by '4'")) {
		is_str(m->version.text, "004", "version text as written");
		is_int(m->format, FORMAT_DBMATE, "dbmate with a dollar body");
		is_int(m->up.stmts.n, 1, "dollar body with ';' and marker text is one statement");
		if (m->up.stmts.n == 1) {
			ok(strstr(m->up.stmts.items[0].sql, "-- migrate:down") != NULL,
			   "marker text inside $$ stays in the statement");
			is_int(m->up.stmts.items[0].line, 2, "function statement line");
		}
		is_str(m->down.text, "DROP FUNCTION touch();\n", "real down marker found after $$");
		is_int(m->down.first_line, 9, "down section line");
	}

	m = migset_find(s, "5");
	if (ok(m != NULL, "flyway V5 found")) {
		is_int(m->format, FORMAT_FLYWAY, "flyway format");
		is_str(m->name, "flyway_style", "flyway description");
		ok(ends_with(m->down.path, "/U5__flyway_style.sql"), "U file is the down");
	}

	m = migset_find(s, "2019-01-01-000000");
	if (ok(m != NULL, "diesel found by its dashed version")) {
		ok(m == migset_find(s, "20190101000000"), "dashed == plain timestamp");
		is_int(m->format, FORMAT_DIESEL, "diesel format");
		is_str(m->version.key, "20190101000000", "diesel key");
		is_str(m->name, "diesel_thing", "diesel name");
		ok(ends_with(m->up.path, "2019-01-01-000000_diesel_thing/up.sql"), "diesel up");
		ok(ends_with(m->down.path, "2019-01-01-000000_diesel_thing/down.sql"),
		   "diesel down");
		ok(m->baseline, "baseline directive");
		is_str(migration_label(m), "2019-01-01-000000_diesel_thing", "diesel label");
	}
	ok(migset_find(s, "6") == NULL, "no 006");
	ok(migset_find(s, "x") == NULL, "not a version");
}

static void test_formats(void)
{
	struct diag_list d;
	struct migset *s = load("formats", &split_opts, &d);
	if (!s)
		return;
	static const char *const want[] = {"001_tenancy",    "002_users",
	                                   "003_plain",      "004_dollar",
	                                   "5_flyway_style", "2019-01-01-000000_diesel_thing"};
	labels_are(s->items, s->n, want, 6, "mixed directory in version order");
	diag_counts(&d, 0, 1, 0, "formats");
	has_diag(&d, "formats", DIAG_WARNING, "seed.csv", 0, "ignored: not a migration");
	is_int(s->phases.n, 0, "no phases");
	is_int(s->n_archived, 0, "nothing archived");
	ok(s->has_baseline, "the diesel baseline marks the set");
	test_dbmate(s);
	test_pair(s);
	test_plain_and_others(s);
	migset_free(&s);
	ok(s == NULL, "migset_free clears the pointer");
	diag_list_clear(&d);
}

static void test_flyway(void)
{
	struct diag_list d;
	struct migset *s = load("flyway", NULL, &d);
	if (!s)
		return;
	static const char *const want[] = {"1_init", "1.2.3_two", "1_9_nine", "1_10_ten",
	                                   "1.11_eleven"};
	labels_are(s->items, s->n, want, 5, "1 < 1.2.3 < 1_9 < 1_10 < 1.11");
	diag_counts(&d, 0, 0, 0, "flyway");
	struct migration *m = migset_find(s, "1.10");
	ok(m && ends_with(m->down.path, "/U1_10__ten.sql"), "1.10 finds V1_10 with its undo");
	ok(m && m->up.stmts.n == 0 && !m->up.split_done, "not split unless asked");
	ok(migset_find(s, "1.9") && !migration_reversible(migset_find(s, "1.9")),
	   "V without U is irreversible");
	ok(!s->has_baseline, "no baseline");
	/* Ascending keys, present and absent, before, between and after. */
	static const char *const keys[] = {"0.5", "1",    "1.1",    "1.2.3", "1.2.3",
	                                   "1.9", "1.10", "1.10.1", "1.11",  "2"};
	size_t pos = 0;
	bool same = true;
	for (size_t i = 0; i < sizeof keys / sizeof *keys; i++)
		same &= migset_find_key_from(s, keys[i], &pos) == migset_find_key(s, keys[i]);
	ok(same, "migset_find_key_from over ascending keys = migset_find_key");
	/* Every spelling status, the interface and the file names show. */
	static const char *const ten[] = {
	    "1.10", "1_10",           "V1_10",      "1_10_ten",
	    "ten",  "V1_10__ten.sql", "V1_10__ten", "migrations/V1_10__ten.sql"};
	for (size_t i = 0; i < sizeof ten / sizeof *ten; i++)
		ok(migset_resolve(s, ten[i]) == m, "migset_resolve(%s) is 1_10_ten", ten[i]);
	ok(!migset_resolve(s, "V1_10__nine"), "a version with another migration's name: none");
	ok(!migset_resolve(s, "nosuch") && !migset_resolve(s, "") && !migset_resolve(s, "V"),
	   "unknown spellings: none");
	migset_free(&s);
	diag_list_clear(&d);
}

static void test_resolve_formats(void)
{
	struct diag_list d;
	struct migset *s = load("formats", NULL, &d);
	if (!s)
		return;
	struct migration *diesel = migset_find(s, "20190101000000");
	ok(diesel && migset_resolve(s, "2019-01-01-000000_diesel_thing/up.sql") == diesel,
	   "a diesel directory's up.sql names its migration");
	ok(diesel && migset_resolve(s, "2019-01-01-000000_diesel_thing/") == diesel,
	   "and the directory itself");
	struct migration *users = migset_find(s, "2");
	ok(users && migset_resolve(s, "002_users.up.sql") == users, "a pair's up file");
	ok(users && migset_resolve(s, "002_users") == users, "its label");
	migset_free(&s);
	diag_list_clear(&d);
}

static void test_timestamps(void)
{
	struct diag_list d;
	struct migset *s = load("timestamps", NULL, &d);
	if (!s)
		return;
	static const char *const want[] = {"20250120000000_first", "20250121093000_second"};
	labels_are(s->items, s->n, want, 2, "timestamp versions");
	diag_counts(&d, 0, 0, 0, "timestamps");
	ok(s->n == 2 && !migration_reversible(s->items[1]),
	   "empty dbmate down section is irreversible");
	ok(s->n == 2 && strcmp(s->items[1]->up.text, "CREATE TABLE t2 (id int);\n") == 0,
	   "up section ends at the down marker");
	migset_free(&s);
	diag_list_clear(&d);
}

/* ---- phases and archive ------------------------------------------------- */

static void test_phases(void)
{
	struct diag_list d;
	struct migset *s = load("phases", NULL, &d);
	if (!s)
		return;
	static const char *const want[] = {"001_a", "002_b", "003_jobs", "010_z", "012_zz"};
	labels_are(s->items, s->n, want, 5, "active migrations across phase directories");
	static const char *const phases[] = {"phase-0-foundation", "phase-1-control",
	                                     "phase-2-runtime", "phase-10-late"};
	is_int(s->phases.n, 4, "four phases");
	if (s->phases.n == 4)
		for (size_t i = 0; i < 4; i++)
			is_str(s->phases.items[i], phases[i], "phase %zu in natural order", i);
	for (size_t i = 0; i < s->n && i < 5; i++)
		is_str(s->items[i]->phase, phases[i < 4 ? i : 3], "%s phase", want[i]);
	ok(s->n == 5 && s->items[2]->format == FORMAT_DIESEL, "diesel directory inside a phase");
	ok(s->n == 5 && s->items[2]->no_transaction && s->items[2]->up.no_transaction &&
	       s->items[2]->down.no_transaction,
	   "diesel metadata.toml run_in_transaction = false");

	static const char *const archived[] = {"000_old", "002_retired"};
	labels_are(s->archived, s->n_archived, archived, 2, "archive/ listed");
	ok(s->n_archived == 2 && s->archived[0]->archived && s->archived[1]->archived,
	   "archived flag set");
	ok(migset_find(s, "000") == NULL, "archived migrations are not active");
	ok(migset_find(s, "2") == s->items[1], "active 002 wins over archived 002");

	diag_counts(&d, 0, 3, 1, "phases");
	has_diag(&d, "phases", DIAG_WARNING, "empty-phase", 0,
	         "phase directory holds no migrations");
	char *a = fixture("phases", "archive/000_old.sql");
	char *b = fixture("phases", "archive/000_old_again.sql");
	char *msg = xasprintf("duplicate version 000: %s and %s", a, b);
	has_diag(&d, "phases", DIAG_WARNING, "archive/000_old_again.sql", 0, msg);
	free(msg);
	free(a);
	free(b);
	char *active = fixture("phases", "phase-1-control/002_b.sql");
	msg = xasprintf("version 002 is archived and also active in %s", active);
	has_diag(&d, "phases", DIAG_WARNING, "archive/002_retired.sql", 0, msg);
	free(msg);
	free(active);
	char *dir = fixture("phases", NULL);
	ok(d.n > 0 &&
	       strcmp(d.items[d.n - 1].msg, "gap in versions: nothing between 010 and 012") == 0 &&
	       strcmp(d.items[d.n - 1].file, dir) == 0,
	   "gap inside a phase is a note (003 to 010 crosses phases: none)");
	free(dir);
	migset_free(&s);
	diag_list_clear(&d);
}

static void test_ranges(void)
{
	struct phase_range r[2] = {{.name = "foundation"}, {.name = "control"}};
	version_parse("001", &r[0].lo);
	version_parse("099", &r[0].hi);
	version_parse("100", &r[1].lo);
	version_parse("199", &r[1].hi);
	struct migset_options o = {.phases = r, .n_phases = 2};
	struct diag_list d;
	struct migset *s = load("ranges", &o, &d);
	if (s) {
		static const char *const want[] = {"foundation", "foundation", "control", ""};
		is_int(s->n, 4, "ranges: all listed");
		for (size_t i = 0; i < s->n && i < 4; i++)
			is_str(s->items[i]->phase, want[i], "ranges: phase of %s",
			       migration_label(s->items[i]));
		ok(s->phases.n == 2 && strcmp(s->phases.items[0], "foundation") == 0 &&
		       strcmp(s->phases.items[1], "control") == 0,
		   "phases from ranges in order");
		diag_counts(&d, 1, 0, 1, "ranges");
		has_diag(&d, "ranges", DIAG_ERROR, "500_d.sql", 0,
		         "version 500 is outside every configured phase range "
		         "(foundation 001-099, control 100-199)");
		migset_free(&s);
	}
	diag_list_clear(&d);
	for (int i = 0; i < 2; i++) {
		version_release(&r[i].lo);
		version_release(&r[i].hi);
	}
}

/* ---- problems ----------------------------------------------------------- */

static void test_pairing_errors(void)
{
	struct diag_list d;
	struct migset *s = load("err_duplicate", NULL, &d);
	if (s) {
		char *a = fixture("err_duplicate", "004_a.sql");
		char *b = fixture("err_duplicate", "4_b.up.sql");
		char *msg = xasprintf("duplicate version 004: %s and %s", a, b);
		diag_counts(&d, 1, 0, 0, "duplicate");
		has_diag(&d, "err_duplicate", DIAG_ERROR, "4_b.up.sql", 0, msg);
		ok(s->n == 1 && !migration_reversible(s->items[0]), "b's down is not given to a");
		free(msg);
		free(a);
		free(b);
		migset_free(&s);
	}
	diag_list_clear(&d);

	s = load("err_unpairable", NULL, &d);
	if (s) {
		diag_counts(&d, 1, 0, 0, "unpairable");
		has_diag(&d, "err_unpairable", DIAG_ERROR, "002_b.down.sql", 0,
		         "unpairable: down file without an up migration of version 002");
		is_int(s->n, 1, "the up migration still listed");
		migset_free(&s);
	}
	diag_list_clear(&d);

	s = load("err_two_downs", NULL, &d);
	if (s) {
		char *a = fixture("err_two_downs", "001_a.down.sql");
		char *b = fixture("err_two_downs", "001_again.down.sql");
		char *msg = xasprintf("two down files for version 001: %s and %s", a, b);
		diag_counts(&d, 1, 0, 0, "two downs");
		has_diag(&d, "err_two_downs", DIAG_ERROR, "001_again.down.sql", 0, msg);
		free(msg);
		free(a);
		free(b);
		migset_free(&s);
	}
	diag_list_clear(&d);
}

static void test_empty(void)
{
	struct diag_list d;
	struct migset *s = load("err_empty", NULL, &d);
	if (!s)
		return;
	diag_counts(&d, 3, 1, 0, "empty");
	has_diag(&d, "err_empty", DIAG_ERROR, "001_empty.sql", 0, "empty file");
	has_diag(&d, "err_empty", DIAG_ERROR, "002_comments.sql", 0,
	         "empty migration: the file holds no SQL");
	has_diag(&d, "err_empty", DIAG_ERROR, "003_empty_up.sql", 1,
	         "empty up section: no SQL after the migrate:up marker");
	has_diag(&d, "err_empty", DIAG_WARNING, "004_ok.down.sql", 0,
	         "empty down file: the migration is irreversible");
	static const char *const want[] = {"004_ok"};
	labels_are(s->items, s->n, want, 1, "only the good migration is active");
	migset_free(&s);
	diag_list_clear(&d);
}

static void test_directive_errors(void)
{
	struct diag_list d;
	struct migset *s = load("err_directives", NULL, &d);
	if (!s)
		return;
	const char *set = "err_directives";
	diag_counts(&d, 7, 1, 0, "directives");
	has_diag(&d, set, DIAG_ERROR, "001_unknown.sql", 2,
	         "unknown directive 'pgstep:frobnicate'");
	has_diag(&d, set, DIAG_ERROR, "002_allow.sql", 3,
	         "pgstep:allow table-rewrite needs 'reason: TEXT'");
	has_diag(&d, set, DIAG_ERROR, "003_timeout.sql", 1,
	         "pgstep:lock-timeout: bad duration 'soon' (e.g. 5s, 500ms, 1min)");
	has_diag(&d, set, DIAG_ERROR, "004_requires.sql", 1, "pgstep:note needs a text");
	has_diag(&d, set, DIAG_ERROR, "004_requires.sql", 2,
	         "pgstep:requires 099: no migration of that version in the set");
	has_diag(&d, set, DIAG_WARNING, "005_late.sql", 2,
	         "directive ignored: pgstep: directives belong in the leading comment block "
	         "of the up migration");
	has_diag(&d, set, DIAG_ERROR, "006_args.sql", 1,
	         "pgstep:no-transaction takes no argument (got 'yes')");
	has_diag(&d, set, DIAG_ERROR, "006_args.sql", 2,
	         "pgstep:requires 007: it does not come before this migration (006)");
	struct migration *m = migset_find(s, "5");
	ok(m && !m->no_transaction, "a directive after SQL has no effect");
	m = migset_find(s, "7");
	ok(m && m->baseline, "baseline");
	m = migset_find(s, "4");
	ok(m && m->requires.n == 2, "requires lists both versions");
	migset_free(&s);
	diag_list_clear(&d);
}

static void test_marker_errors(void)
{
	struct diag_list d;
	struct migset *s = load("err_markers", NULL, &d);
	if (!s)
		return;
	const char *set = "err_markers";
	diag_counts(&d, 3, 2, 0, "markers");
	has_diag(&d, set, DIAG_ERROR, "001_down_first.sql", 1,
	         "migrate:down marker before the migrate:up marker (line 3)");
	has_diag(&d, set, DIAG_ERROR, "002_sql_first.sql", 2,
	         "SQL before the migrate:up marker belongs to no section");
	has_diag(&d, set, DIAG_ERROR, "003_two_downs.sql", 5,
	         "second migrate:down marker (first at line 3)");
	has_diag(&d, set, DIAG_WARNING, "004_options.sql", 1,
	         "unknown dbmate option 'frob:1' ignored");
	struct migration *m = migset_find(s, "4");
	ok(m && m->up.no_transaction && m->down.no_transaction,
	   "transaction:false on both markers");
	has_diag(&d, set, DIAG_WARNING, "005_inline.sql", 2,
	         "marker ignored: dbmate markers must begin a line");
	m = migset_find(s, "5");
	ok(m && m->format == FORMAT_DBMATE && !migration_reversible(m),
	   "a marker after SQL on the same line is not a marker");
	is_int(s->n, 2, "broken files are not active");
	migset_free(&s);
	diag_list_clear(&d);
}

static void test_name_errors(void)
{
	struct diag_list d;
	struct migset *s = load("err_names", NULL, &d);
	if (!s)
		return;
	const char *set = "err_names";
	diag_counts(&d, 3, 1, 0, "names");
	has_diag(&d, set, DIAG_ERROR, "seed.sql", 0,
	         "no version in file name (expected NNN_name.sql, NNN_name.up.sql, "
	         "NNN_name.down.sql or V<version>__name.sql)");
	has_diag(&d, set, DIAG_ERROR, "R__views.sql", 0,
	         "Flyway repeatable migrations (R__) are not supported");
	has_diag(&d, set, DIAG_ERROR, "002_nodown", 0, "unpairable: down.sql without up.sql");
	has_diag(&d, set, DIAG_WARNING, "data.csv", 0, "ignored: not a migration");
	migset_free(&s);
	diag_list_clear(&d);
}

static void test_parse_errors(void)
{
	struct diag_list d;
	struct migset *s = load("err_parse", &split_opts, &d);
	if (s) {
		diag_counts(&d, 1, 0, 0, "parse error while loading");
		has_diag(&d, "err_parse", DIAG_ERROR, "001_bad.sql", 4,
		         "line 4, column 8: syntax error at or near \"TABEL\"");
		migset_free(&s);
	}
	diag_list_clear(&d);

	/* Without split_statements the error surfaces from migration_split. */
	s = load("err_parse", NULL, &d);
	if (s) {
		diag_counts(&d, 0, 0, 0, "no parse while loading");
		struct pgstep_error err = {0};
		struct migration *ok_m = migset_find(s, "2");
		ok(ok_m && migration_split(ok_m, &err) && ok_m->up.split_done &&
		       ok_m->up.stmts.n == 1,
		   "migration_split on a good file");
		ok(ok_m && migration_split(ok_m, &err) && ok_m->up.stmts.n == 1,
		   "a second split is a no-op");
		struct migration *bad = migset_find(s, "1");
		char *path = fixture("err_parse", "001_bad.sql");
		char *want =
		    xasprintf("%s: line 4, column 8: syntax error at or near \"TABEL\"", path);
		ok(bad && !migration_split(bad, &err), "migration_split fails on bad SQL");
		is_str(err.msg, want, "split error names file, line and column");
		ok(bad && !bad->up.split_done && bad->up.stmts.n == 0, "nothing half split");
		free(want);
		free(path);
		error_clear(&err);
		migset_free(&s);
	}
	diag_list_clear(&d);
}

static void write_file(const char *dir, const char *name, const char *data, size_t n)
{
	char *path = xasprintf("%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	if (f) {
		fwrite(data, 1, n, f);
		fclose(f);
	}
	free(path);
}

static void test_utf8(void)
{
	char tmpl[] = "/tmp/pgstep-test-XXXXXX";
	char *dir = mkdtemp(tmpl);
	if (!ok(dir != NULL, "temporary directory"))
		return;
	static const char bad[] = "CREATE TABLE a (id int);\n-- caf\xe9\n";
	static const char good[] = "CREATE TABLE b (id int);\n";
	write_file(dir, "001_latin1.sql", bad, sizeof bad - 1);
	write_file(dir, "002_good.sql", good, sizeof good - 1);
	struct diag_list d;
	diag_list_init(&d);
	struct pgstep_error err = {0};
	struct migset *s = migset_load(dir, NULL, &d, &err);
	char *path = xasprintf("%s/001_latin1.sql", dir);
	if (ok(s != NULL, "load temporary set")) {
		ok(d.n == 1 && d.items[0].level == DIAG_ERROR &&
		       strcmp(d.items[0].file, path) == 0 && d.items[0].line == 2 &&
		       strcmp(d.items[0].msg, "not valid UTF-8: byte 0xE9 at line 2, column 7") ==
		           0,
		   "non-UTF-8 file: error with line of the first bad byte");
		if (d.n != 1)
			dump_diags(&d);
		ok(s->n == 1 && strcmp(s->items[0]->version.text, "002") == 0,
		   "the good file is still read");
		migset_free(&s);
	}
	unlink(path);
	free(path);
	path = xasprintf("%s/002_good.sql", dir);
	unlink(path);
	free(path);
	rmdir(dir);
	diag_list_clear(&d);
}

static void test_missing_dir(void)
{
	struct diag_list d;
	diag_list_init(&d);
	struct pgstep_error err = {0};
	char *dir = fixture("no-such-set", NULL);
	ok(migset_load(dir, NULL, &d, &err) == NULL, "missing directory: NULL");
	char *want = xasprintf("%s: cannot read migrations directory: %s", dir, strerror(ENOENT));
	is_str(err.msg, want, "missing directory: message names it");
	is_int(err.code, PGSTEP_EXIT_USAGE, "missing directory: usage error");
	free(want);
	free(dir);
	error_clear(&err);

	dir = fixture("formats", "003-plain.sql");
	ok(migset_load(dir, NULL, &d, &err) == NULL, "a file is not a set");
	want = xasprintf("%s: cannot read migrations directory: %s", dir, strerror(ENOTDIR));
	is_str(err.msg, want, "not a directory: message");
	free(want);
	free(dir);
	error_clear(&err);
	diag_list_clear(&d);
}

/* ---- directives on their own -------------------------------------------- */

static struct migration *blank_migration(void)
{
	struct migration *m = xcalloc(1, sizeof *m);
	m->lock_timeout_ms = -1;
	strvec_init(&m->requires);
	return m;
}

static void test_directives_api(void)
{
	struct migration *m = blank_migration();
	struct diag_list d;
	diag_list_init(&d);
	const char *text = "-- pgstep:note One.\n"
	                   "--pgstep:note   Two.\n"
	                   "/* a block comment */\n"
	                   "-- pgstep:requires 003, 4 1_10\n"
	                   "-- pgstep:no-transaction\n"
	                   "-- pgstep:lock-timeout 500ms\n"
	                   "-- pgstep:allow drop-column  reason:  nobody reads it\n"
	                   "-- pgstep:baseline\n"
	                   "SELECT '-- pgstep:bogus', $$\n-- pgstep:bogus\n$$;\n";
	ok(migration_parse_directives(m, "t.sql", text, &d), "all directives parse");
	is_int(d.n, 0, "no diagnostics (directive text in literals is not a directive)");
	dump_diags(&d);
	is_str(m->note, "One. Two.", "notes joined");
	ok(m->requires.n == 3 && strcmp(m->requires.items[0], "3") == 0 &&
	       strcmp(m->requires.items[1], "4") == 0 && strcmp(m->requires.items[2], "1.10") == 0,
	   "requires keys 3, 4, 1.10");
	ok(m->no_transaction, "no-transaction");
	is_int(m->lock_timeout_ms, 500, "lock-timeout 500ms");
	ok(m->n_allows == 1 && strcmp(m->allows[0].rule, "drop-column") == 0 &&
	       strcmp(m->allows[0].reason, "nobody reads it") == 0 && m->allows[0].line == 7,
	   "allow rule, reason, line");
	ok(m->baseline, "baseline");
	migration_free(&m);
	ok(m == NULL, "migration_free clears the pointer");
	diag_list_clear(&d);

	/* The form the risk engine reads (tests/risk/corpus/181): the loader
	 * refused it, so `up` refused a set lint passed. */
	m = blank_migration();
	ok(migration_parse_directives(
	       m, "t.sql",
	       "-- pgstep:allow truncate-table, truncate-cascade reason: cache tables\nSELECT 1;\n",
	       &d),
	   "allow with several rules parses");
	is_int(d.n, 0, "no diagnostics");
	ok(m->n_allows == 2 && strcmp(m->allows[0].rule, "truncate-table") == 0 &&
	       strcmp(m->allows[1].rule, "truncate-cascade") == 0 &&
	       strcmp(m->allows[1].reason, "cache tables") == 0 && m->allows[1].line == 1,
	   "one allow per rule, each with the reason and line");
	migration_free(&m);
	diag_list_clear(&d);

	m = blank_migration();
	ok(!migration_parse_directives(m, "t.sql",
	                               "-- pgstep:allow lock-table reason:\n"
	                               "-- pgstep:lock-timeout 1s\n-- pgstep:lock-timeout 2s\n"
	                               "-- pgstep:requires 1, x2\n"
	                               "-- pgstep:Note capital\nSELECT 1;\n",
	                               &d),
	   "bad directives fail");
	is_int(d.n, 4, "four errors");
	if (d.n == 4) {
		is_str(d.items[0].msg, "pgstep:allow lock-table needs 'reason: TEXT'",
		       "empty reason");
		is_int(d.items[0].line, 1, "empty reason line");
		is_str(d.items[1].msg, "pgstep:lock-timeout given twice", "repeated lock-timeout");
		is_int(d.items[1].line, 3, "repeated lock-timeout line");
		is_str(d.items[2].msg, "pgstep:requires: 'x2' is not a version", "bad requires");
		is_str(d.items[3].msg, "unknown directive 'pgstep:Note'",
		       "directives are lower case");
		is_str(d.items[3].file, "t.sql", "file named");
		is_int(d.items[3].line, 5, "line counted");
	} else {
		dump_diags(&d);
	}
	is_int(m->lock_timeout_ms, 1000, "first lock-timeout kept");
	is_int(m->n_allows, 0, "allow without reason not recorded");
	migration_free(&m);
	diag_list_clear(&d);
}

/* A large set read on several threads gives exactly what a serial read
 * gives: the same migrations in the same order, the same diagnostics in the
 * same order. */
static void test_parallel_load(void)
{
	char tmpl[] = "/tmp/pgstep-test-XXXXXX";
	char *dir = mkdtemp(tmpl);
	if (!ok(dir != NULL, "temporary directory"))
		return;
	enum { N = 600 };
	for (int i = 1; i <= N; i++) {
		char name[64];
		char *text;
		if (i % 97 == 0) /* an unknown directive now and then */
			text =
			    xasprintf("-- pgstep:frobnicate %d\n-- migrate:up\nSELECT %d;\n", i, i);
		else
			text =
			    xasprintf("-- pgstep:note Table %d.\n-- migrate:up\nCREATE TABLE t%d "
			              "(id int);\n-- migrate:down\nDROP TABLE t%d;\n",
			              i, i, i);
		snprintf(name, sizeof name, "%04d_t%d.sql", i, i);
		write_file(dir, name, text, strlen(text));
		free(text);
	}
	write_file(dir, "0300_again.sql", "SELECT 1;\n", 10); /* a duplicate version */
	struct diag_list d1, d4;
	diag_list_init(&d1);
	diag_list_init(&d4);
	struct pgstep_error err = {0};
	struct migset_options serial = {.jobs = 1}, threads = {.jobs = 4};
	struct migset *s1 = migset_load(dir, &serial, &d1, &err);
	struct migset *s4 = migset_load(dir, &threads, &d4, &err);
	if (ok(s1 && s4, "both loads succeed")) {
		is_int(s4->n, s1->n, "same number of migrations");
		bool same = s1->n == s4->n;
		for (size_t i = 0; same && i < s1->n; i++)
			same = strcmp(migration_label(s1->items[i]),
			              migration_label(s4->items[i])) == 0 &&
			       strcmp(s1->items[i]->checksum, s4->items[i]->checksum) == 0 &&
			       strcmp(s1->items[i]->up.path, s4->items[i]->up.path) == 0 &&
			       (s1->items[i]->note && s4->items[i]->note
			            ? strcmp(s1->items[i]->note, s4->items[i]->note) == 0
			            : s1->items[i]->note == s4->items[i]->note);
		ok(same, "same migrations, order, checksums, paths and notes");
		ok(d1.n == d4.n && d1.n >= 7, "same number of diagnostics (%zu)", d1.n);
		bool same_diags = d1.n == d4.n;
		for (size_t i = 0; same_diags && i < d1.n; i++)
			same_diags = d1.items[i].level == d4.items[i].level &&
			             d1.items[i].line == d4.items[i].line &&
			             strcmp(d1.items[i].msg, d4.items[i].msg) == 0 &&
			             strcmp(d1.items[i].file ? d1.items[i].file : "",
			                    d4.items[i].file ? d4.items[i].file : "") == 0;
		ok(same_diags, "same diagnostics in the same order");
		if (!same_diags) {
			dump_diags(&d1);
			dump_diags(&d4);
		}
	}
	migset_free(&s1);
	migset_free(&s4);
	diag_list_clear(&d1);
	diag_list_clear(&d4);
	for (int i = 1; i <= N; i++) {
		char *path = xasprintf("%s/%04d_t%d.sql", dir, i, i);
		unlink(path);
		free(path);
	}
	char *path = xasprintf("%s/0300_again.sql", dir);
	unlink(path);
	free(path);
	rmdir(dir);
}

int main(void)
{
	testdata = getenv("TESTDATA");
	if (!testdata)
		testdata = "tests/data";
	test_formats();
	test_flyway();
	test_resolve_formats();
	test_timestamps();
	test_phases();
	test_ranges();
	test_pairing_errors();
	test_empty();
	test_directive_errors();
	test_marker_errors();
	test_name_errors();
	test_parse_errors();
	test_utf8();
	test_missing_dir();
	test_directives_api();
	test_parallel_load();
	return done_testing();
}
