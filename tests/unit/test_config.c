/* test_config: the INI reader, pgstep.conf's sections and keys, every
 * configuration error with its file, line and exit code, tenants' labels,
 * and that a password never reaches a message. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pgstep/conf.h"
#include "pgstep/ini.h"
#include "pgstep/settings.h"
#include "pgstep/strbuf.h"
#include "tap.h"

static const char *testdata(void)
{
	const char *d = getenv("TESTDATA");
	return d ? d : "tests/data";
}

/* Parse text as "t.conf" in directory "/etc/app"; returns the error message
 * (owned by the caller) or NULL when the config loaded. */
static char *parse_error(const char *text)
{
	struct pgstep_error err = {0};
	struct config *cfg = config_parse("t.conf", text, "/etc/app", &err);
	if (cfg) {
		config_free(&cfg);
		return NULL;
	}
	if (err.code != PGSTEP_EXIT_USAGE)
		printf("# unexpected code %d for: %s\n", err.code, err.msg);
	return err.msg;
}

static void expect_error(const char *text, const char *want, const char *what)
{
	char *msg = parse_error(text);
	is_str(msg, want, "%s", what);
	free(msg);
}

static void test_full_example(void)
{
	char *path = NULL;
	if (asprintf(&path, "%s/config/full.conf", testdata()) < 0)
		return;
	struct pgstep_error err = {0};
	struct config *cfg = config_load(path, &err);
	ok(cfg != NULL, "full example loads");
	if (!cfg) {
		printf("# %s\n", err.msg);
		error_clear(&err);
		free(path);
		return;
	}
	is_str(cfg->path, path, "path kept");
	char *dir = NULL;
	if (asprintf(&dir, "%s/config/migrations", testdata()) >= 0)
		is_str(cfg->migrations_dir, dir, "migrations dir relative to the config file");
	free(dir);

	is_int(cfg->n_phases, 2, "two phases");
	if (cfg->n_phases == 2) {
		is_str(cfg->phases[0].name, "foundation", "phase 0 name");
		is_str(cfg->phases[0].lo.text, "001", "phase 0 lo as written");
		is_str(cfg->phases[0].lo.key, "1", "phase 0 lo key");
		is_str(cfg->phases[0].hi.text, "099", "phase 0 hi as written (comment stripped)");
		is_str(cfg->phases[0].hi.key, "99", "phase 0 hi key");
		is_str(cfg->phases[1].name, "control-plane", "phase 1 name");
		is_str(cfg->phases[1].lo.key, "100", "phase 1 lo");
		is_str(cfg->phases[1].hi.key, "199", "phase 1 hi");
	}
	is_int(cfg->lock_timeout_ms, 3000, "lock_timeout 3s");
	is_int(cfg->lock_retries, 5, "lock_retries");
	is_int(cfg->statement_timeout_ms, 0, "statement_timeout 0");
	is_int(cfg->retry_backoff_ms, 250, "retry_backoff 250ms");

	is_int(cfg->tenants.n, 2, "two tenants");
	struct tenant *acme = tenant_list_find(&cfg->tenants, "acme");
	ok(acme != NULL, "tenant acme");
	if (acme) {
		is_str(acme->conninfo, "service=prod dbname=app", "conninfo without comment");
		is_str(acme->schema, "acme", "schema");
		is_int(acme->n_labels, 2, "two labels");
		is_str(tenant_label(acme, "region"), "eu", "label region");
		is_str(tenant_label(acme, "tier"), "gold", "label tier");
		is_str(tenant_label(acme, "zone"), NULL, "no such label");
		char *origin = NULL;
		if (asprintf(&origin, "%s:13", path) >= 0)
			is_str(acme->origin, origin, "origin names file and line");
		free(origin);
	}
	struct tenant *globex = tenant_list_find(&cfg->tenants, "globex");
	ok(globex != NULL, "tenant globex");
	if (globex) {
		is_str(globex->conninfo, "host=db2.example.com dbname=globex", "globex conninfo");
		is_str(globex->schema, NULL, "database tenant has no schema");
		is_int(globex->n_labels, 0, "no labels");
	}
	ok(tenant_list_find(&cfg->tenants, "initech") == NULL, "unknown tenant not found");
	is_str(cfg->tenants_control, "dbname=control", "tenants control");
	is_str(cfg->tenants_query, "SELECT slug, schema_name, region FROM public.tenants",
	       "tenants query");
	is_int(cfg->tenants_line, 20, "line of [tenants]");
	config_free(&cfg);
	ok(cfg == NULL, "config_free NULLs the pointer");
	free(path);
}

static void test_defaults_and_bom(void)
{
	struct pgstep_error err = {0};
	struct config *cfg = config_parse("t.conf", "", NULL, &err);
	ok(cfg != NULL, "empty config loads");
	if (cfg) {
		is_str(cfg->migrations_dir, "migrations", "default migrations dir");
		is_int(cfg->lock_timeout_ms, SETTINGS_DEFAULT_LOCK_TIMEOUT_MS,
		       "default lock_timeout");
		is_int(cfg->lock_retries, SETTINGS_DEFAULT_LOCK_RETRIES, "default lock_retries");
		is_int(cfg->statement_timeout_ms, 0, "default statement_timeout");
		is_int(cfg->retry_backoff_ms, 500, "default retry_backoff");
		is_int(cfg->hold_limit_ms, SETTINGS_DEFAULT_HOLD_LIMIT_MS,
		       "hold_limit is on by default");
		ok(cfg->hold_limit_ms > 0, "hold_limit's default is not 0");
		is_int(cfg->tenants.n, 0, "no tenants");
		is_int(cfg->n_phases, 0, "no phases");
		ok(cfg->tenants_control == NULL && cfg->tenants_query == NULL, "no tenant query");
		is_int(cfg->tenants_line, 0, "no [tenants]");
		config_free(&cfg);
	}

	cfg = config_parse("t.conf", "[migrations]\ndir = /srv/sql\n", "/etc/app", &err);
	if (ok(cfg != NULL, "absolute dir"))
		is_str(cfg->migrations_dir, "/srv/sql", "absolute dir kept");
	config_free(&cfg);

	cfg = config_parse("t.conf", "", NULL, &err);
	ok(cfg && cfg->audit_key_file == NULL, "no audit key by default");
	config_free(&cfg);
	cfg = config_parse("t.conf", "[audit]\nkey_file = keys/audit.key\n", "/etc/app", &err);
	if (ok(cfg != NULL, "[audit] key_file"))
		is_str(cfg->audit_key_file, "/etc/app/keys/audit.key",
		       "key_file relative to the config file");
	config_free(&cfg);
	expect_error("[audit]\nkey = x\n",
	             "t.conf:2: unknown key 'key' in [audit] (known: key_file)",
	             "unknown key in [audit]");

	char *path = NULL;
	if (asprintf(&path, "%s/config/bom.conf", testdata()) < 0)
		return;
	cfg = config_load(path, &err);
	ok(cfg != NULL, "file with a UTF-8 BOM and CRLF lines loads");
	if (cfg) {
		char *want = NULL;
		if (asprintf(&want, "%s/config/sql", testdata()) >= 0)
			is_str(cfg->migrations_dir, want, "value read past BOM, without '\\r'");
		free(want);
	} else {
		printf("# %s\n", err.msg);
	}
	config_free(&cfg);
	free(path);
	error_clear(&err);
}

static void test_inline_comments(void)
{
	const char *text = "[tenant a]\n"
	                   "conninfo = dbname=a password='x ;y'   ; the quoted ';' stays\n"
	                   "schema = s;t\n"
	                   "labels = note=#1 ; comment\n"
	                   "\t; indented comment\n"
	                   "   # another\n"
	                   "[tenants]   ; header comment\n"
	                   "query = SELECT 1 WHERE x <> ' ;' ; trailing\n";
	struct pgstep_error err = {0};
	struct config *cfg = config_parse("t.conf", text, NULL, &err);
	ok(cfg != NULL, "inline comments parse");
	if (!cfg) {
		printf("# %s\n", err.msg);
		error_clear(&err);
		return;
	}
	struct tenant *a = tenant_list_find(&cfg->tenants, "a");
	if (a) {
		is_str(a->conninfo, "dbname=a password='x ;y'", "' ;' inside quotes kept");
		is_str(a->schema, "s;t", "';' without whitespace before it is not a comment");
		is_str(tenant_label(a, "note"), "#1", "'#' inside a value kept");
	} else {
		ok(0, "tenant a");
	}
	is_str(cfg->tenants_query, "SELECT 1 WHERE x <> ' ;'", "query with quoted ' ;'");
	config_free(&cfg);
}

static void test_long_line(void)
{
	struct strbuf q, text;
	strbuf_init(&q);
	strbuf_init(&text);
	strbuf_adds(&q, "SELECT slug, schema_name, region FROM public.tenants WHERE slug IN (");
	for (int i = 0; i < 200; i++)
		strbuf_addf(&q, "%s'tenant_%03d'", i ? ", " : "", i);
	strbuf_adds(&q, ") ORDER BY slug");
	strbuf_addf(&text, "[tenants]\nquery = %s   ; long\n", q.buf);
	ok(q.len > 2000, "query is %zu bytes", q.len);
	struct pgstep_error err = {0};
	struct config *cfg = config_parse("t.conf", text.buf, NULL, &err);
	if (ok(cfg != NULL, "long line parses")) {
		is_int(strlen(cfg->tenants_query), q.len, "long query kept whole");
		is_str(cfg->tenants_query, q.buf, "long query identical");
	}
	config_free(&cfg);
	strbuf_release(&q);
	strbuf_release(&text);
	error_clear(&err);
}

static void test_hold_limit(void)
{
	struct pgstep_error err = {0};
	struct config *cfg = config_parse("t.conf", "[defaults]\nhold_limit = 2s\n", NULL, &err);
	ok(cfg && cfg->hold_limit_ms == 2000 && cfg->hold_limit_line == 2, "hold_limit 2s, line 2");
	config_free(&cfg);
	cfg = config_parse("t.conf", "[defaults]\nhold_limit = off\n", NULL, &err);
	ok(cfg && cfg->hold_limit_ms == 0, "hold_limit off");
	config_free(&cfg);
	cfg = config_parse("t.conf", "[defaults]\nhold_limit = 0\n", NULL, &err);
	ok(cfg && cfg->hold_limit_ms == 0, "hold_limit 0 is off");
	config_free(&cfg);
	cfg = config_parse("t.conf", "", NULL, &err);
	ok(cfg && cfg->hold_rollback_after_ms == 0, "no automatic rollback by default");
	config_free(&cfg);
	cfg = config_parse("t.conf", "[defaults]\nhold_rollback_after = 30s\n", NULL, &err);
	ok(cfg && cfg->hold_rollback_after_ms == 30000, "hold_rollback_after 30s");
	config_free(&cfg);
	error_clear(&err);
	expect_error("[defaults]\nhold_limit = soon\n",
	             "t.conf:2: bad duration 'soon' for hold_limit in [defaults]: use e.g. 3s, "
	             "500ms, 2min, 1h or 0",
	             "a bad hold_limit names file and line");
}

static void test_errors(void)
{
	expect_error("[defaults]\nlock_timeout = 3s\nlock_timout = 5s\n",
	             "t.conf:3: unknown key 'lock_timout' in [defaults] (known: lock_timeout, "
	             "lock_retries, statement_timeout, retry_backoff, hold_limit, "
	             "hold_rollback_after)",
	             "unknown key names file, line, key and section");
	expect_error("[tenant acme]\nconninfo = dbname=a\npassword = x\n",
	             "t.conf:3: unknown key 'password' in [tenant acme] (known: conninfo, schema, "
	             "labels)",
	             "unknown key in a named section");
	expect_error("[migrations]\ndir = m\n\n[shadow]\nconninfo = dbname=s\n",
	             "t.conf:4: unknown section [shadow] (known: [migrations], [phase NAME], "
	             "[defaults], [tenant NAME], [tenants], [audit])",
	             "unknown section");
	expect_error("[defaults extra]\n",
	             "t.conf:1: unknown section [defaults extra] (known: [migrations], [phase "
	             "NAME], [defaults], [tenant NAME], [tenants], [audit])",
	             "unnamed section given a name");
	expect_error("[tenant]\nconninfo = x\n", "t.conf:1: [tenant] needs a name: [tenant NAME]",
	             "tenant without a name");
	expect_error("[migrations]\ndir migrations\n",
	             "t.conf:2: expected 'key = value', a [section] header or a ';' comment",
	             "line without '='");
	expect_error("\n[migrations\ndir = m\n", "t.conf:2: section header without ']'",
	             "header without ']'");
	expect_error("[ ]\n", "t.conf:1: empty section header '[]'", "empty header");
	expect_error("[migrations] dir = m\n",
	             "t.conf:1: unexpected text after the section header's ']'",
	             "text after a header");
	expect_error("dir = m\n", "t.conf:1: key 'dir' before any [section]",
	             "key before any section");
	expect_error("[migrations]\n = m\n", "t.conf:2: missing key before '='", "missing key");
	expect_error("[migrations]\ndir =   ; nothing\n",
	             "t.conf:2: empty value for 'dir' in [migrations]", "empty value");
	expect_error("[defaults]\nlock_retries = 2\nlock_retries = 3\n",
	             "t.conf:3: duplicate key 'lock_retries' in [defaults] (first on line 2)",
	             "duplicate key");

	expect_error("[tenant acme]\nschema = acme\n\n[tenant b]\nconninfo = dbname=b\n",
	             "t.conf:1: [tenant acme] has no conninfo (any libpq conninfo, e.g. conninfo "
	             "= service=prod dbname=app)",
	             "missing conninfo names the section's line");
	expect_error("[tenant b]\nconninfo = dbname=b\n[tenant acme]\nlabels = a=b\n",
	             "t.conf:3: [tenant acme] has no conninfo (any libpq conninfo, e.g. conninfo "
	             "= service=prod dbname=app)",
	             "missing conninfo in the last section");
	expect_error("[tenant a]\nconninfo = dbname=a\n[tenant b]\nconninfo = dbname=b\n"
	             "[tenant a]\nconninfo = dbname=c\n",
	             "t.conf:5: duplicate tenant 'a' (first at t.conf:1)", "duplicate tenant");
	expect_error("[tenant a b]\nconninfo = x\n",
	             "t.conf:1: [tenant a b]: a tenant name is one word without spaces",
	             "tenant name with a space");
	expect_error("[tenant a]\nconninfo = dbname=a\nlabels = region=eu gold\n",
	             "t.conf:3: bad label 'gold' in [tenant a]: expected key=value words, e.g. "
	             "labels = region=eu tier=gold",
	             "bad label");
	expect_error("[tenant a]\nconninfo = dbname=a nosuchoption=1\n",
	             "t.conf:2: bad conninfo in [tenant a]: invalid connection option "
	             "\"nosuchoption\"",
	             "bad conninfo checked by libpq");
	expect_error("[tenants]\ncontrol = dbname=control\n",
	             "t.conf:1: [tenants] has a control conninfo but no query (query = SELECT "
	             "name, schema, ... FROM ...)",
	             "control without a query");

	expect_error("[defaults]\nlock_timeout = 3 seconds\n",
	             "t.conf:2: bad duration '3 seconds' for lock_timeout in [defaults]: use e.g. "
	             "3s, 500ms, 2min, 1h or 0",
	             "bad duration");
	expect_error("[defaults]\nstatement_timeout = -1\n",
	             "t.conf:2: bad duration '-1' for statement_timeout in [defaults]: use e.g. "
	             "3s, 500ms, 2min, 1h or 0",
	             "negative duration");
	expect_error("[defaults]\nlock_timeout = 0\n",
	             "t.conf:2: lock_timeout must be > 0: pgstep always sets one",
	             "lock_timeout 0 refused");
	expect_error("[defaults]\nlock_timeout = 0ms\n",
	             "t.conf:2: lock_timeout must be > 0: pgstep always sets one",
	             "lock_timeout 0ms refused");
	expect_error("[defaults]\nlock_retries = five\n",
	             "t.conf:2: bad number 'five' for lock_retries in [defaults]: expected 0 to "
	             "1000",
	             "bad lock_retries");

	expect_error("[phase a]\nversions = 001 to 099\n",
	             "t.conf:2: bad version range '001 to 099' in [phase a]: expected LOW-HIGH, "
	             "e.g. 001-099",
	             "bad range");
	expect_error("[phase a]\nversions = 099-001\n",
	             "t.conf:2: bad version range '099-001' in [phase a]: 099 is after 001",
	             "reversed range");
	expect_error("[phase a]\nversions = 001-099\n[phase b]\nversions = 050-150\n",
	             "t.conf:4: versions 050-150 of phase 'b' overlap phase 'a' (001-099)",
	             "overlapping ranges");
	expect_error("[phase a]\nversions = 1-9\n[phase a]\n",
	             "t.conf:3: duplicate phase 'a' (first on line 1)", "duplicate phase");

	/* a range of Diesel versions, whose dashes are part of the version */
	struct pgstep_error err = {0};
	struct config *cfg = config_parse(
	    "t.conf", "[phase d]\nversions = 2019-01-01-000000 - 2019-12-31-235959\n", NULL, &err);
	if (ok(cfg != NULL, "Diesel range parses") && cfg->n_phases == 1) {
		is_str(cfg->phases[0].lo.text, "2019-01-01-000000", "Diesel lo");
		is_str(cfg->phases[0].hi.text, "2019-12-31-235959", "Diesel hi");
	} else {
		printf("# %s\n", err.msg);
	}
	config_free(&cfg);
	error_clear(&err);
}

static void test_files(void)
{
	struct pgstep_error err = {0};
	char cwd[4096];
	char tmpl[] = "/tmp/pgstep-test-config-XXXXXX";
	if (!getcwd(cwd, sizeof cwd) || !mkdtemp(tmpl) || chdir(tmpl) != 0) {
		ok(0, "temporary directory");
		return;
	}
	ok(config_load(NULL, &err) == NULL, "no ./pgstep.conf");
	is_str(err.msg, "pgstep.conf: No such file or directory (create one or pass -c FILE)",
	       "missing default config says what to do");
	is_int(err.code, PGSTEP_EXIT_USAGE, "missing config is a usage error");

	ok(config_load("other.conf", &err) == NULL, "missing -c file");
	is_str(err.msg, "other.conf: No such file or directory", "missing -c file named");

	FILE *f = fopen("pgstep.conf", "w");
	if (f) {
		fputs("[migrations]\ndir = db/migrations\n", f);
		fclose(f);
	}
	struct config *cfg = config_load(NULL, &err);
	if (ok(cfg != NULL, "./pgstep.conf found")) {
		is_str(cfg->path, "pgstep.conf", "default path");
		is_str(cfg->migrations_dir, "db/migrations",
		       "dir relative to the working directory");
	}
	config_free(&cfg);

	f = fopen("latin1.conf", "w");
	if (f) {
		fputs("[tenant a]\nconninfo = dbname=a\nlabels = city=M\xfcnchen\n", f);
		fclose(f);
	}
	ok(config_load("latin1.conf", &err) == NULL, "non-UTF-8 config refused");
	is_str(err.msg, "latin1.conf:3: invalid UTF-8", "invalid UTF-8 names the line");
	is_int(err.code, PGSTEP_EXIT_USAGE, "invalid UTF-8 is a usage error");

	ok(config_load(".", &err) == NULL, "directory refused");
	is_str(err.msg, ".: is a directory, not a config file", "directory named");

	unlink("pgstep.conf");
	unlink("latin1.conf");
	if (chdir(cwd) != 0)
		ok(0, "back to %s", cwd);
	rmdir(tmpl);
	error_clear(&err);
}

/* No message may show a password, whatever the error. */
static void test_password_never_shown(void)
{
	static const char *const texts[] = {
	    /* libpq quotes the whole URI in this error */
	    "[tenant a]\nconninfo = postgresql://alice:s3cretpw@[::1/app\n",
	    "[tenant a]\nconninfo = postgresql://alice:s3cretpw@db/app?bogus=1\n",
	    "[tenant a]\nconninfo = host=db password=s3cretpw nosuch=1\n",
	    "[tenant a]\nconninfo = host=db password='s3cretpw\n",
	    "[tenants]\ncontrol = postgresql://u:s3cretpw@h:notaport/x%zz\n",
	    "[tenant a]\nconninfo = host=db password=s3cretpw\nschema = \n",
	    "[tenant a]\nconninfo = host=db password=s3cretpw\npasword = s\n",
	    "[tenant a]\nconninfo = host=db password=s3cretpw\n[tenant a]\n",
	    "[tenant a]\npassword s3cretpw\n",
	};
	for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
		char *msg = parse_error(texts[i]);
		ok(msg && !strstr(msg, "s3cretpw"), "no password in: %s", msg ? msg : "(loaded)");
		free(msg);
	}
	char *msg = parse_error(texts[0]);
	is_str(msg,
	       "t.conf:2: bad conninfo in [tenant a]: end of string reached when looking for "
	       "matching \"]\" in IPv6 host address in URI: "
	       "\"postgresql://alice:********@[::1/app\"",
	       "URI shown redacted");
	free(msg);
}

/* Found by fuzz_config: a secret that is part of the mask ("*") was found
 * again in the masks already written, once per repetition, so six of them
 * made the message 8^6 times longer and a few more hung config reading. */
static void test_scrub_does_not_grow(void)
{
	char *msg = parse_error("[tenant a]\nconninfo = host=x password= * password= * "
	                        "password= * password= * password= * password= * j*nk\n");
	is_str(msg,
	       "t.conf:2: bad conninfo in [tenant a]: missing \"=\" after \"j********nk\" in "
	       "connection info string",
	       "a secret found inside a mask is not masked again");
	ok(msg && strlen(msg) < 200, "the message stays short (%zu bytes)", msg ? strlen(msg) : 0);
	free(msg);
}

static void test_redact(void)
{
	static const struct {
		const char *in, *want, *what;
	} cases[] = {
	    {"host=db password=s3cret dbname=app", "host=db password=******** dbname=app",
	     "key=value"},
	    {"host=db password = 'it\\'s secret' dbname=app",
	     "host=db password = '********' dbname=app", "quoted value with escapes"},
	    {"postgresql://alice:s3cret@db.example.com:5432/app?sslmode=require",
	     "postgresql://alice:********@db.example.com:5432/app?sslmode=require", "URI userinfo"},
	    {"postgres://alice:p%40ss@db/app", "postgres://alice:********@db/app",
	     "URI with percent-encoded password"},
	    {"postgresql://db/app?user=bob&password=s3cret&sslmode=require",
	     "postgresql://db/app?user=bob&password=********&sslmode=require",
	     "URI query password"},
	    {"host=db sslpassword=keypass", "host=db sslpassword=********", "sslpassword"},
	    {"service=prod dbname=app", "service=prod dbname=app", "no password unchanged"},
	    {"postgresql://alice@db/app", "postgresql://alice@db/app", "URI without password"},
	    {"host=db password=s3cret 'broken", "host=db password=******** 'broken",
	     "unparsable: password word masked"},
	    {"postgresql://alice:s3cret@db/app?pass%77ord=other",
	     "user=alice password=******** dbname=app host=db",
	     "percent-encoded keyword: rebuilt by libpq"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *r = conninfo_redact(cases[i].in);
		is_str(r, cases[i].want, "conninfo_redact: %s", cases[i].what);
		free(r);
	}
	char *s = conninfo_scrub("postgresql://u:p%40ss@h/db", "bad \"p%40ss\" and p@ss");
	is_str(s, "bad \"********\" and ********", "scrub hides raw and decoded password");
	free(s);
}

static void test_labels(void)
{
	struct tenant *t = tenant_new("acme", "dbname=a", NULL);
	char *bad = NULL;
	ok(tenant_parse_labels(t, "  region=eu\ttier=gold  empty= ", &bad), "labels parse");
	is_int(t->n_labels, 3, "three labels");
	is_str(tenant_label(t, "empty"), "", "empty value allowed");
	ok(tenant_parse_labels(t, "region=us", &bad), "relabel");
	is_str(tenant_label(t, "region"), "us", "a key set again replaces its value");
	is_int(t->n_labels, 3, "still three labels");
	ok(!tenant_parse_labels(t, "a=b =c", &bad), "label without a key refused");
	is_str(bad, "=c", "bad word returned");
	free(bad);
	struct tenant_list l;
	tenant_list_init(&l);
	tenant_list_add(&l, t);
	tenant_list_add(&l, tenant_new("globex", NULL, "globex"));
	ok(tenant_list_find(&l, "globex") == l.items[1], "find by name");
	tenant_list_clear(&l);
	is_int(l.n, 0, "list cleared");
}

/* The INI reader alone: sections and keys reach the handlers with lines. */
struct ini_log {
	struct strbuf sb;
};

static bool log_section(void *ctx, const char *section, int line, struct pgstep_error *err)
{
	struct ini_log *l = ctx;
	strbuf_addf(&l->sb, "%d[%s]", line, section);
	return true;
}

static bool log_key(void *ctx, const char *section, const char *key, const char *value, int line,
                    struct pgstep_error *err)
{
	struct ini_log *l = ctx;
	strbuf_addf(&l->sb, "%d%s.%s=<%s>", line, section, key, value);
	if (strcmp(key, "stop") == 0) {
		error_set(err, PGSTEP_EXIT_USAGE, "stopped at %d", line);
		return false;
	}
	return true;
}

static void test_ini(void)
{
	struct ini_log l;
	strbuf_init(&l.sb);
	struct pgstep_error err = {0};
	ok(ini_parse("x.ini", "[  kind   name  ]\n a=1\n\nb = two words ;c\nc=\n", log_section,
	             log_key, &l, &err),
	   "ini parses");
	is_str(l.sb.buf, "1[kind name]2kind name.a=<1>4kind name.b=<two words>5kind name.c=<>",
	       "headers normalised, values trimmed, lines counted");
	strbuf_reset(&l.sb);
	ok(!ini_parse("x.ini", "[s]\nstop = 1\nnever = 2\n", NULL, log_key, &l, &err),
	   "a handler stops the reader");
	is_str(err.msg, "stopped at 2", "handler's error kept");
	is_str(l.sb.buf, "2s.stop=<1>", "no key after the stop");
	strbuf_release(&l.sb);
	error_clear(&err);
}

/* Tenants PostgreSQL would put in one schema, and names that would act on
 * a terminal, are refused where they are written. */
static void test_tenant_isolation(void)
{
	expect_error(
	    "[tenant a]\nconninfo = dbname=app\n"
	    "schema = tenant_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx_acme\n",
	    "t.conf:3: tenant a: schema "
	    "\"tenant_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx_acme\" is "
	    "72 bytes: PostgreSQL keeps 63 and cuts the rest",
	    "a schema over 63 bytes names file, line and tenant");
	char *msg =
	    parse_error("[tenant a]\nconninfo = dbname=app\nschema = "
	                "s12345678901234567890123456789012345678901234567890123456789012\n");
	ok(!msg, "a schema of exactly 63 bytes is fine");
	free(msg);
	expect_error("[tenant a]\nconninfo = dbname=app\nschema = pgstep\n",
	             "t.conf:3: tenant a: schema \"pgstep\" is pgstep's own state schema",
	             "the state schema is no tenant's");
	/* ports given: PGPORT must not change the answer */
	expect_error("[tenant a]\nconninfo = dbname=app host=/tmp port=5432\n\n"
	             "[tenant b]\nconninfo = host=/tmp port=5432 dbname=app\nschema = public\n",
	             "tenants a (t.conf:1) and b (t.conf:4) would migrate the same schema "
	             "\"public\" of one database (host=/tmp port=5432 dbname=app): a has no "
	             "schema, so it uses public",
	             "a database tenant and a public schema tenant of one database");
	expect_error("[tenant a]\nconninfo = dbname=app host=/tmp port=5432\nschema = s\n\n"
	             "[tenant b]\nconninfo = postgresql://:5432/app?host=/tmp\nschema = s\n",
	             "tenants a (t.conf:1) and b (t.conf:5) would migrate the same schema \"s\" "
	             "of one database (host=/tmp port=5432 dbname=app)",
	             "one database spelt as key=value and as a URI");
	msg = parse_error("[tenant a]\nconninfo = dbname=app host=/tmp\nschema = s\n\n"
	                  "[tenant b]\nconninfo = dbname=other host=/tmp\nschema = s\n\n"
	                  "[tenant c]\nconninfo = dbname=app host=/tmp port=5433\nschema = s\n");
	ok(!msg, "one schema name in other databases or on another port is fine: %s",
	   msg ? msg : "");
	free(msg);
	expect_error("[tenant bad\x1b[31m\x07]\nconninfo = dbname=app\n",
	             "t.conf:1: tenant name \"bad\\x1b[31m\\x07\" holds a control character "
	             "(\\x1b at byte 4)",
	             "a control character in a tenant name, shown escaped");
	expect_error("[tenant a]\nconninfo = dbname=app\nschema = s\x7f\n",
	             "t.conf:3: tenant a: schema \"s\\x7f\" holds a control character (\\x7f at "
	             "byte 2)",
	             "DEL in a schema");
	expect_error("[tenants]\nquery = SELECT 1, 2\ntimeout = 0\n",
	             "t.conf:3: timeout must be > 0: the tenants query always has one",
	             "the tenants query always has a timeout");
	struct pgstep_error err = {0};
	struct config *cfg = config_parse("t.conf", "[tenants]\nquery = SELECT 1, 2\n", NULL, &err);
	ok(cfg && cfg->tenants_timeout_ms == 30000,
	   "the tenants query's timeout is 30 s by default");
	config_free(&cfg);
	cfg =
	    config_parse("t.conf", "[tenants]\nquery = SELECT 1, 2\ntimeout = 2min\n", NULL, &err);
	ok(cfg && cfg->tenants_timeout_ms == 120000, "[tenants] timeout = 2min");
	config_free(&cfg);
	error_clear(&err);
}

int main(void)
{
	test_full_example();
	test_defaults_and_bom();
	test_hold_limit();
	test_inline_comments();
	test_long_line();
	test_errors();
	test_files();
	test_password_never_shown();
	test_scrub_does_not_grow();
	test_redact();
	test_labels();
	test_ini();
	test_tenant_isolation();
	return done_testing();
}
