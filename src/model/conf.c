/* conf: pgstep.conf. The ini module reads the syntax; this module knows
 * the sections and keys and checks every value where it is written, so a
 * mistake is reported with the file and line that hold it instead of
 * surfacing later as a strange migration run. Nothing unknown is ignored: a
 * misspelt key would otherwise silently leave a safety default in place. */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <libpq-fe.h>

#include "pgstep/conf.h"
#include "pgstep/ini.h"
#include "pgstep/settings.h"
#include "pgstep/strbuf.h"
#include "pgstep/text.h"
#include "pgstep/xalloc.h"

#define DEFAULT_CONFIG_FILE    "pgstep.conf"
#define DEFAULT_MIGRATIONS_DIR "migrations"
#define MAX_LOCK_RETRIES       1000

enum section_kind {
	SEC_MIGRATIONS,
	SEC_PHASE,
	SEC_DEFAULTS,
	SEC_TENANT,
	SEC_TENANTS,
	SEC_AUDIT,
};

/* A key seen in the file, to refuse one given twice (the second would
 * silently win in most INI readers). */
struct seen_key {
	char *id; /* owned: "section\nkey" */
	int line;
};

/* What the reader remembers between the ini module's callbacks. */
struct load_ctx {
	struct config *cfg;
	const char *path;
	const char *base_dir;

	bool in_section;
	enum section_kind kind;
	char *section; /* owned: the current header text, for messages */
	int section_line;
	struct tenant *tenant; /* current [tenant NAME], owned by cfg->tenants */
	const char *name;      /* the NAME of [phase NAME] / [tenant NAME]: points into section */

	struct seen_key *seen;
	size_t n_seen, cap_seen;
	struct seen_key *phases; /* every [phase NAME] header, for duplicates */
	size_t n_phase_headers, cap_phase_headers;
};

static bool fail(struct pgstep_error *err, const char *path, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static bool fail(struct pgstep_error *err, const char *path, int line, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *msg = xvasprintf(fmt, ap);
	va_end(ap);
	error_set(err, PGSTEP_EXIT_USAGE, "%s:%d: %s", path, line, msg);
	free(msg);
	return false;
}

static int seen_find(const struct seen_key *items, size_t n, const char *id)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(items[i].id, id) == 0)
			return items[i].line;
	return 0;
}

/* ---- sections ----------------------------------------------------------- */

/* Checks that need the whole section: run when the next header or the end
 * of the file is reached. */
static bool finish_section(struct load_ctx *c, struct pgstep_error *err)
{
	if (!c->in_section)
		return true;
	if (c->kind == SEC_TENANT && !c->tenant->conninfo)
		return fail(err, c->path, c->section_line,
		            "[%s] has no conninfo (any libpq conninfo, e.g. conninfo = "
		            "service=prod dbname=app)",
		            c->section);
	if (c->kind == SEC_TENANTS && c->cfg->tenants_control && !c->cfg->tenants_query)
		return fail(err, c->path, c->section_line,
		            "[tenants] has a control conninfo but no query (query = SELECT name, "
		            "schema, ... FROM ...)");
	return true;
}

static bool begin_named(struct load_ctx *c, int line, struct pgstep_error *err)
{
	if (c->kind == SEC_PHASE) {
		/* the range is added by its versions key: without one the section
		 * only names a phase that is a sub-directory */
		int first = seen_find(c->phases, c->n_phase_headers, c->name);
		if (first)
			return fail(err, c->path, line, "duplicate phase '%s' (first on line %d)",
			            c->name, first);
		XGROW(c->phases, c->cap_phase_headers, c->n_phase_headers + 1);
		c->phases[c->n_phase_headers++] = (struct seen_key){xstrdup(c->name), line};
		return true;
	}
	/* SEC_TENANT: a name is printed everywhere, before any SQL runs for it */
	char *why = tenant_name_problem(c->name);
	if (why) {
		fail(err, c->path, line, "%s", why);
		free(why);
		return false;
	}
	struct tenant *dup = tenant_list_find(&c->cfg->tenants, c->name);
	if (dup)
		return fail(err, c->path, line, "duplicate tenant '%s' (first at %s)", c->name,
		            dup->origin);
	c->tenant = tenant_new(c->name, NULL, NULL);
	c->tenant->origin = xasprintf("%s:%d", c->path, line);
	tenant_list_add(&c->cfg->tenants, c->tenant);
	return true;
}

static bool on_section(void *ctx, const char *section, int line, struct pgstep_error *err)
{
	struct load_ctx *c = ctx;
	if (!finish_section(c, err))
		return false;
	free(c->section);
	c->section = xstrdup(section);
	c->section_line = line;
	c->tenant = NULL;
	c->in_section = true;

	/* the ini module gives "kind name" with exactly one space */
	const char *space = strchr(c->section, ' ');
	size_t kind_len = space ? (size_t)(space - c->section) : strlen(c->section);
	c->name = space ? space + 1 : NULL;
	static const struct {
		const char *word;
		enum section_kind kind;
		bool named;
	} kinds[] = {
	    {"migrations", SEC_MIGRATIONS, false}, {"phase", SEC_PHASE, true},
	    {"defaults", SEC_DEFAULTS, false},     {"tenant", SEC_TENANT, true},
	    {"tenants", SEC_TENANTS, false},       {"audit", SEC_AUDIT, false},
	};
	for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
		if (strlen(kinds[i].word) != kind_len ||
		    strncmp(section, kinds[i].word, kind_len) != 0)
			continue;
		c->kind = kinds[i].kind;
		if (c->kind == SEC_TENANTS && !c->cfg->tenants_line)
			c->cfg->tenants_line = line;
		if (kinds[i].named && !c->name)
			return fail(err, c->path, line, "[%s] needs a name: [%s NAME]", section,
			            section);
		if (kinds[i].named && strchr(c->name, ' '))
			return fail(err, c->path, line,
			            "[%s]: a %s name is one word without spaces", section,
			            kinds[i].word);
		if (!kinds[i].named && c->name)
			break; /* "[defaults x]" is no section we know */
		return kinds[i].named ? begin_named(c, line, err) : true;
	}
	c->in_section = false;
	return fail(err, c->path, line,
	            "unknown section [%s] (known: [migrations], [phase NAME], [defaults], "
	            "[tenant NAME], [tenants], [audit])",
	            section);
}

/* ---- values ------------------------------------------------------------- */

static char *resolve_dir(const char *base_dir, const char *dir)
{
	if (dir[0] == '/' || !base_dir || !base_dir[0] || strcmp(base_dir, ".") == 0)
		return xstrdup(dir);
	return xasprintf("%s/%s", base_dir, dir);
}

/* Split "001-099" at the one '-' that leaves a version on both sides (Diesel
 * versions such as 2019-01-01-000000 hold dashes themselves). */
static bool parse_range(const char *value, struct version *lo, struct version *hi)
{
	int found = 0;
	for (const char *d = strchr(value, '-'); d; d = strchr(d + 1, '-')) {
		char *a = text_trim(xstrndup(value, (size_t)(d - value)));
		char *b = text_trim(xstrdup(d + 1));
		struct version va, vb;
		if (version_parse(a, &va)) {
			if (version_parse(b, &vb)) {
				if (found++) {
					version_release(lo);
					version_release(hi);
				}
				*lo = va;
				*hi = vb;
			} else {
				version_release(&va);
			}
		}
		free(a);
		free(b);
	}
	if (found == 1)
		return true;
	if (found > 1) {
		version_release(lo);
		version_release(hi);
	}
	return false;
}

static bool set_phase_versions(struct load_ctx *c, const char *value, int line,
                               struct pgstep_error *err)
{
	struct version lo, hi;
	if (!parse_range(value, &lo, &hi))
		return fail(err, c->path, line,
		            "bad version range '%s' in [%s]: expected LOW-HIGH, e.g. 001-099",
		            value, c->section);
	if (version_cmp(&lo, &hi) > 0) {
		fail(err, c->path, line, "bad version range '%s' in [%s]: %s is after %s", value,
		     c->section, lo.text, hi.text);
		goto bad;
	}
	struct config *cfg = c->cfg;
	for (size_t i = 0; i < cfg->n_phases; i++) {
		const struct phase_range *p = &cfg->phases[i];
		if (version_cmp(&lo, &p->hi) <= 0 && version_cmp(&p->lo, &hi) <= 0) {
			fail(err, c->path, line,
			     "versions %s-%s of phase '%s' overlap phase '%s' (%s-%s)", lo.text,
			     hi.text, c->name, p->name, p->lo.text, p->hi.text);
			goto bad;
		}
	}
	XGROW(cfg->phases, cfg->cap_phases, cfg->n_phases + 1);
	cfg->phases[cfg->n_phases++] = (struct phase_range){xstrdup(c->name), lo, hi};
	return true;
bad:
	version_release(&lo);
	version_release(&hi);
	return false;
}

static bool parse_duration(struct load_ctx *c, const char *key, const char *value, int line,
                           int64_t *out, struct pgstep_error *err)
{
	if (!text_parse_duration_ms(value, out))
		return fail(err, c->path, line,
		            "bad duration '%s' for %s in [%s]: use e.g. 3s, 500ms, 2min, 1h or 0",
		            value, key, c->section);
	return true;
}

/* A conninfo is checked by libpq when it is read, so a typo is reported
 * with its line; libpq's message is scrubbed because for URIs it quotes the
 * whole string, password included. */
static bool check_conninfo(struct load_ctx *c, const char *value, int line,
                           struct pgstep_error *err)
{
	char *errmsg = NULL;
	PQconninfoOption *opts = PQconninfoParse(value, &errmsg);
	if (opts) {
		PQconninfoFree(opts);
		return true;
	}
	char *msg = xstrdup(errmsg ? errmsg : "cannot parse");
	PQfreemem(errmsg);
	text_trim(msg);
	char *safe = conninfo_scrub(value, msg);
	fail(err, c->path, line, "bad conninfo in [%s]: %s", c->section, safe);
	free(safe);
	free(msg);
	return false;
}

/* ---- keys --------------------------------------------------------------- */

typedef bool (*key_fn)(struct load_ctx *c, const char *value, int line, struct pgstep_error *err);

static bool set_migrations_dir(struct load_ctx *c, const char *value, int line,
                               struct pgstep_error *err)
{
	free(c->cfg->migrations_dir);
	c->cfg->migrations_dir = resolve_dir(c->base_dir, value);
	return true;
}

static bool set_lock_timeout(struct load_ctx *c, const char *value, int line,
                             struct pgstep_error *err)
{
	int64_t ms;
	if (!parse_duration(c, "lock_timeout", value, line, &ms, err))
		return false;
	const char *refusal = settings_lock_timeout_refusal(ms);
	if (refusal)
		return fail(err, c->path, line, "%s", refusal);
	c->cfg->lock_timeout_ms = ms;
	c->cfg->lock_timeout_line = line;
	return true;
}

static bool set_lock_retries(struct load_ctx *c, const char *value, int line,
                             struct pgstep_error *err)
{
	char *end;
	errno = 0;
	long n = strtol(value, &end, 10);
	if (errno || *end || n < 0 || n > MAX_LOCK_RETRIES)
		return fail(err, c->path, line,
		            "bad number '%s' for lock_retries in [%s]: expected 0 to %d", value,
		            c->section, MAX_LOCK_RETRIES);
	c->cfg->lock_retries = (int)n;
	c->cfg->lock_retries_line = line;
	return true;
}

static bool set_statement_timeout(struct load_ctx *c, const char *value, int line,
                                  struct pgstep_error *err)
{
	if (!parse_duration(c, "statement_timeout", value, line, &c->cfg->statement_timeout_ms,
	                    err))
		return false;
	c->cfg->statement_timeout_line = line;
	return true;
}

static bool set_retry_backoff(struct load_ctx *c, const char *value, int line,
                              struct pgstep_error *err)
{
	if (!parse_duration(c, "retry_backoff", value, line, &c->cfg->retry_backoff_ms, err))
		return false;
	c->cfg->retry_backoff_line = line;
	return true;
}

static bool set_hold_limit(struct load_ctx *c, const char *value, int line,
                           struct pgstep_error *err)
{
	if (strcmp(value, "off") == 0)
		c->cfg->hold_limit_ms = 0;
	else if (!parse_duration(c, "hold_limit", value, line, &c->cfg->hold_limit_ms, err))
		return false;
	c->cfg->hold_limit_line = line;
	return true;
}

static bool set_hold_rollback_after(struct load_ctx *c, const char *value, int line,
                                    struct pgstep_error *err)
{
	if (strcmp(value, "off") == 0)
		c->cfg->hold_rollback_after_ms = 0;
	else if (!parse_duration(c, "hold_rollback_after", value, line,
	                         &c->cfg->hold_rollback_after_ms, err))
		return false;
	c->cfg->hold_rollback_after_line = line;
	return true;
}

static bool set_tenant_conninfo(struct load_ctx *c, const char *value, int line,
                                struct pgstep_error *err)
{
	if (!check_conninfo(c, value, line, err))
		return false;
	c->tenant->conninfo = xstrdup(value);
	return true;
}

static bool set_tenant_schema(struct load_ctx *c, const char *value, int line,
                              struct pgstep_error *err)
{
	char *why = tenant_schema_problem(value);
	if (why) {
		fail(err, c->path, line, "tenant %s: %s", c->name, why);
		free(why);
		return false;
	}
	c->tenant->schema = xstrdup(value);
	return true;
}

static bool set_tenant_labels(struct load_ctx *c, const char *value, int line,
                              struct pgstep_error *err)
{
	char *bad = NULL;
	if (tenant_parse_labels(c->tenant, value, &bad))
		return true;
	fail(err, c->path, line,
	     "bad label '%s' in [%s]: expected key=value words, e.g. labels = region=eu tier=gold",
	     bad, c->section);
	free(bad);
	return false;
}

static bool set_tenants_control(struct load_ctx *c, const char *value, int line,
                                struct pgstep_error *err)
{
	if (!check_conninfo(c, value, line, err))
		return false;
	c->cfg->tenants_control = xstrdup(value);
	return true;
}

static bool set_tenants_query(struct load_ctx *c, const char *value, int line,
                              struct pgstep_error *err)
{
	c->cfg->tenants_query = xstrdup(value);
	return true;
}

static bool set_tenants_timeout(struct load_ctx *c, const char *value, int line,
                                struct pgstep_error *err)
{
	int64_t ms;
	if (!parse_duration(c, "timeout", value, line, &ms, err))
		return false;
	/* a tenants query that hangs would hang every command */
	if (ms == 0)
		return fail(err, c->path, line,
		            "timeout must be > 0: the tenants query always has one");
	c->cfg->tenants_timeout_ms = ms;
	return true;
}

static bool set_audit_key_file(struct load_ctx *c, const char *value, int line,
                               struct pgstep_error *err)
{
	/* Read (and its mode checked) when the engine opens, not here: the
	 * config is also parsed where no key is needed. */
	free(c->cfg->audit_key_file);
	c->cfg->audit_key_file = resolve_dir(c->base_dir, value);
	return true;
}

/* Every key pgstep.conf knows, by section: the reader and the "known:" hint
 * of an unknown key come from this one table. */
static const struct key_rule {
	enum section_kind kind;
	const char *key;
	key_fn set;
} key_rules[] = {
    {.kind = SEC_MIGRATIONS, .key = "dir", .set = set_migrations_dir},
    {.kind = SEC_PHASE, .key = "versions", .set = set_phase_versions},
    {.kind = SEC_DEFAULTS, .key = "lock_timeout", .set = set_lock_timeout},
    {.kind = SEC_DEFAULTS, .key = "lock_retries", .set = set_lock_retries},
    {.kind = SEC_DEFAULTS, .key = "statement_timeout", .set = set_statement_timeout},
    {.kind = SEC_DEFAULTS, .key = "retry_backoff", .set = set_retry_backoff},
    {.kind = SEC_DEFAULTS, .key = "hold_limit", .set = set_hold_limit},
    {.kind = SEC_DEFAULTS, .key = "hold_rollback_after", .set = set_hold_rollback_after},
    {.kind = SEC_TENANT, .key = "conninfo", .set = set_tenant_conninfo},
    {.kind = SEC_TENANT, .key = "schema", .set = set_tenant_schema},
    {.kind = SEC_TENANT, .key = "labels", .set = set_tenant_labels},
    {.kind = SEC_TENANTS, .key = "control", .set = set_tenants_control},
    {.kind = SEC_TENANTS, .key = "query", .set = set_tenants_query},
    {.kind = SEC_TENANTS, .key = "timeout", .set = set_tenants_timeout},
    {.kind = SEC_AUDIT, .key = "key_file", .set = set_audit_key_file},
};

static bool unknown_key(struct load_ctx *c, const char *key, int line, struct pgstep_error *err)
{
	struct strbuf known;
	strbuf_init(&known);
	for (size_t i = 0; i < sizeof key_rules / sizeof key_rules[0]; i++) {
		if (key_rules[i].kind != c->kind)
			continue;
		strbuf_addf(&known, "%s%s", known.len ? ", " : "", key_rules[i].key);
	}
	fail(err, c->path, line, "unknown key '%s' in [%s] (known: %s)", key, c->section,
	     known.buf);
	strbuf_release(&known);
	return false;
}

static bool on_key(void *ctx, const char *section, const char *key, const char *value, int line,
                   struct pgstep_error *err)
{
	struct load_ctx *c = ctx;
	const struct key_rule *rule = NULL;
	for (size_t i = 0; i < sizeof key_rules / sizeof key_rules[0] && !rule; i++)
		if (key_rules[i].kind == c->kind && strcmp(key_rules[i].key, key) == 0)
			rule = &key_rules[i];
	if (!rule)
		return unknown_key(c, key, line, err);

	char *id = xasprintf("%s\n%s", section, key);
	int first = seen_find(c->seen, c->n_seen, id);
	if (first) {
		free(id);
		return fail(err, c->path, line, "duplicate key '%s' in [%s] (first on line %d)",
		            key, section, first);
	}
	XGROW(c->seen, c->cap_seen, c->n_seen + 1);
	c->seen[c->n_seen++] = (struct seen_key){id, line};

	/* every key takes a value: an empty one is a mistake, not a request
	 * for the default */
	if (!value[0])
		return fail(err, c->path, line, "empty value for '%s' in [%s]", key, section);
	return rule->set(c, value, line, err);
}

/* ---- loading ------------------------------------------------------------ */

static struct config *config_new(const char *path, const char *base_dir)
{
	struct config *cfg = xcalloc(1, sizeof *cfg);
	cfg->path = xstrdup(path);
	cfg->migrations_dir = resolve_dir(base_dir, DEFAULT_MIGRATIONS_DIR);
	cfg->lock_timeout_ms = SETTINGS_DEFAULT_LOCK_TIMEOUT_MS;
	cfg->lock_retries = SETTINGS_DEFAULT_LOCK_RETRIES;
	cfg->statement_timeout_ms = SETTINGS_DEFAULT_STATEMENT_TIMEOUT_MS;
	cfg->retry_backoff_ms = SETTINGS_DEFAULT_RETRY_BACKOFF_MS;
	cfg->hold_limit_ms = SETTINGS_DEFAULT_HOLD_LIMIT_MS;
	cfg->tenants_timeout_ms = CONFIG_DEFAULT_TENANTS_TIMEOUT_MS;
	tenant_list_init(&cfg->tenants);
	return cfg;
}

struct config *config_parse(const char *path, const char *text, const char *base_dir,
                            struct pgstep_error *err)
{
	if (!path)
		path = DEFAULT_CONFIG_FILE;
	struct config *cfg = config_new(path, base_dir);
	struct load_ctx c = {.cfg = cfg, .path = cfg->path, .base_dir = base_dir};
	bool ok = ini_parse(cfg->path, text, on_section, on_key, &c, err) &&
	          finish_section(&c, err) && tenant_list_check_distinct(NULL, &cfg->tenants, err);
	free(c.section);
	for (size_t i = 0; i < c.n_seen; i++)
		free(c.seen[i].id);
	free(c.seen);
	for (size_t i = 0; i < c.n_phase_headers; i++)
		free(c.phases[i].id);
	free(c.phases);
	if (!ok)
		config_free(&cfg);
	return cfg;
}

static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	if (!slash)
		return xstrdup(".");
	if (slash == path)
		return xstrdup("/");
	return xstrndup(path, (size_t)(slash - path));
}

struct config *config_load(const char *path, struct pgstep_error *err)
{
	bool implicit = !path;
	if (implicit)
		path = DEFAULT_CONFIG_FILE;
	struct stat st;
	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
		error_set(err, PGSTEP_EXIT_USAGE, "%s: is a directory, not a config file", path);
		return NULL;
	}
	struct strbuf sb;
	strbuf_init(&sb);
	int rc = strbuf_read_file(&sb, path);
	if (rc) {
		strbuf_release(&sb);
		if (rc == ENOENT && implicit)
			error_set(err, PGSTEP_EXIT_USAGE, "%s: %s (create one or pass -c FILE)",
			          path, strerror(rc));
		else
			error_set(err, PGSTEP_EXIT_USAGE, "%s: %s", path, strerror(rc));
		return NULL;
	}
	size_t bad;
	if (!text_utf8_valid(sb.buf, sb.len, &bad)) {
		int line;
		text_line_col(sb.buf, bad, &line, NULL);
		error_set(err, PGSTEP_EXIT_USAGE, "%s:%d: %s", path, line,
		          sb.buf[bad] ? "invalid UTF-8" : "NUL byte in a text file");
		strbuf_release(&sb);
		return NULL;
	}
	char *base_dir = dir_of(path);
	struct config *cfg = config_parse(path, sb.buf, base_dir, err);
	free(base_dir);
	strbuf_release(&sb);
	return cfg;
}

void config_free(struct config **cfgp)
{
	struct config *cfg = *cfgp;
	if (!cfg)
		return;
	free(cfg->path);
	free(cfg->migrations_dir);
	for (size_t i = 0; i < cfg->n_phases; i++) {
		free(cfg->phases[i].name);
		version_release(&cfg->phases[i].lo);
		version_release(&cfg->phases[i].hi);
	}
	free(cfg->phases);
	tenant_list_clear(&cfg->tenants);
	free(cfg->tenants_control);
	free(cfg->tenants_query);
	free(cfg->audit_key_file);
	free(cfg);
	*cfgp = NULL;
}
