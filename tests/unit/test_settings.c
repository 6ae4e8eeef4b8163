/* test_settings: settings_of(), the one rule for what applies when a
 * migration runs, and why: directive over pgstep.conf over the built-in
 * default; pgstep:lock-timeout 0 refused by the loader as pgstep.conf
 * refuses lock_timeout 0; the transaction mode from directive, marker,
 * statements and BEGIN blocks; the short texts. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "pgstep/conf.h"
#include "pgstep/migset.h"
#include "pgstep/settings.h"
#include "pgstep/strbuf.h"
#include "pgstep/xalloc.h"
#include "tap.h"

static struct migration *load(const char *path, const char *text, struct diag_list *d)
{
	struct migration *m = xcalloc(1, sizeof *m);
	m->lock_timeout_ms = -1;
	strvec_init(&m->requires);
	m->up.path = xstrdup(path);
	m->up.text = xstrdup(text);
	m->up.first_line = 1;
	migration_parse_directives(m, path, text, d);
	m->no_transaction = m->up.no_transaction = m->up.no_transaction || m->no_transaction;
	return m;
}

static struct config *conf(const char *text)
{
	struct pgstep_error err = {0};
	struct config *cfg = config_parse("/etc/app/pgstep.conf", text, "/etc/app", &err);
	ok(cfg != NULL, "config parses: %s", err.msg ? err.msg : "");
	error_clear(&err);
	return cfg;
}

static char *lt_text(const struct settings *s)
{
	struct strbuf sb;
	strbuf_init(&sb);
	settings_lock_timeout_text(&sb, s);
	return strbuf_detach(&sb);
}

static void is_text(char *got, const char *want, const char *what)
{
	is_str(got, want, "%s", what);
	free(got);
}

static void test_sources(void)
{
	struct diag_list d;
	diag_list_init(&d);
	struct migration *plain = load("migrations/001_plain.sql", "SELECT 1;\n", &d);
	struct migration *dir =
	    load("migrations/012_x.sql",
	         "-- pgstep:note x\n-- pgstep:lock-timeout 500ms\nSELECT 1;\n", &d);
	is_int(d.n, 0, "no diagnostics");

	struct settings s;
	settings_of(NULL, plain, false, &s);
	is_int(s.lock_timeout_ms, SETTINGS_DEFAULT_LOCK_TIMEOUT_MS, "no config: the default");
	is_int(s.lock_timeout_from.source, SETTING_DEFAULT, "said to be the default");
	is_text(lt_text(&s), "lock_timeout 3s (built-in default)", "default text");
	is_int(s.lock_retries, SETTINGS_DEFAULT_LOCK_RETRIES, "default retries");
	is_int(s.statement_timeout_ms, 0, "no statement_timeout by default");

	struct config *cfg = conf("[migrations]\ndir = m\n[defaults]\nlock_retries = 7\n");
	settings_of(cfg, plain, false, &s);
	is_int(s.lock_timeout_ms, 3000, "a config without lock_timeout: the default");
	is_int(s.lock_timeout_from.source, SETTING_DEFAULT, "still said to be the default");
	is_int(s.lock_retries, 7, "the configured retries");
	is_int(s.lock_retries_from.source, SETTING_CONFIG, "from the config");
	is_int(s.lock_retries_from.line, 4, "its line");
	config_free(&cfg);

	cfg = conf("[defaults]\nlock_timeout = 2s\nstatement_timeout = 90s\n");
	settings_of(cfg, plain, false, &s);
	is_int(s.lock_timeout_ms, 2000, "the configured lock_timeout");
	is_text(lt_text(&s), "lock_timeout 2s (from pgstep.conf:2)", "config text with line");
	struct strbuf sb;
	strbuf_init(&sb);
	settings_statement_timeout_text(&sb, &s);
	is_str(sb.buf, "statement_timeout 90s (from pgstep.conf:3)", "statement_timeout text");
	strbuf_release(&sb);

	settings_of(cfg, dir, false, &s);
	is_int(s.lock_timeout_ms, 500, "the directive wins over the config");
	is_int(s.lock_timeout_from.source, SETTING_DIRECTIVE, "said to be the directive");
	is_int(s.lock_timeout_from.line, 2, "the directive's line");
	is_text(lt_text(&s), "lock_timeout 500ms (pgstep:lock-timeout, 012_x.sql:2)",
	        "directive text with file and line");
	is_int(s.statement_timeout_ms, 90000, "the rest still from the config");
	settings_of(cfg, dir, true, &s);
	is_int(s.lock_timeout_ms, 500, "the down runs with the same lock_timeout");
	config_free(&cfg);

	migration_free(&plain);
	migration_free(&dir);
	diag_list_clear(&d);
}

static void test_zero(void)
{
	struct diag_list d;
	diag_list_init(&d);
	const char *zeros[] = {"0", "0ms", "0s", "0.0001s"};
	for (size_t i = 0; i < sizeof zeros / sizeof *zeros; i++) {
		char *text = xasprintf("-- pgstep:lock-timeout %s\nSELECT 1;\n", zeros[i]);
		struct migration *m = load("z.sql", text, &d);
		is_int(d.n, 1, "lock-timeout %s: one error", zeros[i]);
		if (d.n == 1) {
			is_int(d.items[0].level, DIAG_ERROR, "an error, not a warning");
			is_int(d.items[0].line, 1, "at the directive's line");
			char *want = xasprintf("pgstep:lock-timeout %s: lock_timeout must be > 0: "
			                       "pgstep always sets one",
			                       zeros[i]);
			is_str(d.items[0].msg, want, "the rule pgstep.conf follows");
			free(want);
		}
		is_int(m->lock_timeout_ms, -1, "and no value recorded");
		migration_free(&m);
		free(text);
		diag_list_clear(&d);
	}
	ok(settings_lock_timeout_refusal(1) == NULL, "1 ms is a lock_timeout");
	ok(settings_lock_timeout_refusal(0) != NULL, "0 is not");
}

static void add_stmt(struct migration_section *sec, int line, enum stmt_txn txn)
{
	struct statement_list *l = &sec->stmts;
	XGROW(l->items, l->cap, l->n + 1);
	l->items[l->n++] =
	    (struct statement){.sql = xstrdup("x"), .line = line, .txn = txn, .kind = xstrdup("x")};
}

static char *txn_text(const struct settings *s)
{
	struct strbuf sb;
	strbuf_init(&sb);
	settings_txn_text(&sb, s);
	return strbuf_detach(&sb);
}

static void test_transaction(void)
{
	struct diag_list d;
	diag_list_init(&d);
	struct settings s;

	struct migration *m = load("m/001_a.sql", "SELECT 1;\n", &d);
	add_stmt(&m->up, 1, STMT_TXN_NORMAL);
	settings_of(NULL, m, false, &s);
	is_str(settings_txn_name(s.txn), "single", "plain statements: one transaction");
	is_text(txn_text(&s), "one transaction (built-in default)", "single text");
	add_stmt(&m->up, 2, STMT_TXN_BEGIN);
	add_stmt(&m->up, 3, STMT_TXN_NORMAL);
	add_stmt(&m->up, 4, STMT_TXN_COMMIT);
	settings_of(NULL, m, false, &s);
	is_str(settings_txn_name(s.txn), "file", "BEGIN in the file: its blocks");
	is_text(txn_text(&s), "the file's BEGIN/COMMIT blocks (BEGIN, 001_a.sql:2)", "file text");
	add_stmt(&m->up, 5, STMT_TXN_FORBIDDEN);
	settings_of(NULL, m, false, &s);
	is_str(settings_txn_name(s.txn), "none", "a statement that cannot run in one: none");
	is_int(s.txn_from.source, SETTING_STATEMENT, "because of the statement");
	is_int(s.txn_from.line, 5, "at its line");
	migration_free(&m);

	m = load("m/002_b.sql", "-- pgstep:no-transaction\nSELECT 1;\n", &d);
	settings_of(NULL, m, false, &s);
	is_str(settings_txn_name(s.txn), "none", "the directive: none");
	is_text(txn_text(&s), "no transaction (pgstep:no-transaction, 002_b.sql:1)",
	        "directive text");
	migration_free(&m);

	/* dbmate's marker option covers its own section. */
	m = load("m/003_c.sql", "SELECT 1;\n", &d);
	m->format = FORMAT_DBMATE;
	m->no_transaction = m->up.no_transaction = true;
	m->up.first_line = 2;
	settings_of(NULL, m, false, &s);
	is_text(txn_text(&s), "no transaction (transaction:false, 003_c.sql:1)", "marker text");
	m->down.path = xstrdup("m/003_c.sql");
	m->down.text = xstrdup("SELECT 2;\n");
	m->down.first_line = 4;
	settings_of(NULL, m, true, &s);
	is_str(settings_txn_name(s.txn), "single", "the down without the option: one transaction");
	migration_free(&m);
	is_int(d.n, 0, "no diagnostics");
	diag_list_clear(&d);
}

static void test_durations(void)
{
	static const struct {
		int64_t ms;
		const char *text;
	} cases[] = {{0, "off"},     {1, "1ms"},        {500, "500ms"}, {1000, "1s"},
	             {1500, "1.5s"}, {1250, "1250ms"},  {3000, "3s"},   {60000, "1min"},
	             {90000, "90s"}, {3600000, "60min"}};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		struct strbuf sb;
		strbuf_init(&sb);
		settings_duration_text(&sb, cases[i].ms);
		is_str(sb.buf, cases[i].text, "%lld ms reads %s", (long long)cases[i].ms,
		       cases[i].text);
		strbuf_release(&sb);
	}
}

int main(void)
{
	test_sources();
	test_zero();
	test_transaction();
	test_durations();
	return done_testing();
}
