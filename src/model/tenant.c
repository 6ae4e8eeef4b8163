/* tenant: tenants, their labels, lists of them, and the redaction of
 * passwords in conninfo strings. A conninfo may carry a password; pgstep
 * accepts it but must never display, log or store it, so every message that
 * mentions a conninfo goes through conninfo_redact or conninfo_scrub. */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libpq-fe.h>

#include "pgstep/strbuf.h"
#include "pgstep/tenant.h"
#include "pgstep/text.h"
#include "pgstep/xalloc.h"

#define REDACTED "********"

struct tenant *tenant_new(const char *name, const char *conninfo, const char *schema)
{
	struct tenant *t = xcalloc(1, sizeof *t);
	t->name = xstrdup(name);
	t->conninfo = conninfo ? xstrdup(conninfo) : NULL;
	t->schema = schema ? xstrdup(schema) : NULL;
	return t;
}

void tenant_free(struct tenant **tp)
{
	struct tenant *t = *tp;
	if (!t)
		return;
	free(t->name);
	free(t->conninfo);
	free(t->schema);
	for (size_t i = 0; i < t->n_labels; i++) {
		free(t->labels[i].key);
		free(t->labels[i].value);
	}
	free(t->labels);
	free(t->origin);
	free(t);
	*tp = NULL;
}

/* Labels are a map: setting a key again replaces its value. */
void tenant_add_label(struct tenant *t, const char *key, const char *value)
{
	for (size_t i = 0; i < t->n_labels; i++) {
		if (strcmp(t->labels[i].key, key) == 0) {
			free(t->labels[i].value);
			t->labels[i].value = xstrdup(value);
			return;
		}
	}
	XGROW(t->labels, t->cap_labels, t->n_labels + 1);
	t->labels[t->n_labels++] = (struct label){.key = xstrdup(key), .value = xstrdup(value)};
}

const char *tenant_label(const struct tenant *t, const char *key)
{
	for (size_t i = 0; i < t->n_labels; i++)
		if (strcmp(t->labels[i].key, key) == 0)
			return t->labels[i].value;
	return NULL;
}

bool tenant_parse_labels(struct tenant *t, const char *text, char **bad_word)
{
	const char *p = text;
	if (bad_word)
		*bad_word = NULL;
	while (*p) {
		while (isspace((unsigned char)*p))
			p++;
		if (!*p)
			break;
		const char *start = p;
		while (*p && !isspace((unsigned char)*p))
			p++;
		const char *eq = memchr(start, '=', (size_t)(p - start));
		if (!eq || eq == start) {
			if (bad_word)
				*bad_word = xstrndup(start, (size_t)(p - start));
			return false;
		}
		char *key = xstrndup(start, (size_t)(eq - start));
		char *value = xstrndup(eq + 1, (size_t)(p - eq - 1));
		tenant_add_label(t, key, value);
		free(key);
		free(value);
	}
	return true;
}

/* ---- checks of names and schemas ---------------------------------------- */

static char *escaped(const char *s)
{
	struct strbuf sb;
	strbuf_init(&sb);
	text_escape_controls(&sb, s);
	return strbuf_detach(&sb);
}

/* "holds a control character (\x1b at byte 4)", or NULL. */
static char *control_problem(const char *what, const char *s)
{
	size_t at;
	if (!text_has_control(s, &at))
		return NULL;
	char *shown = escaped(s);
	size_t len = text_control_len(s + at);
	char *one = escaped((char[]){s[at], len == 2 ? s[at + 1] : '\0', '\0'});
	char *msg = len ? xasprintf("%s \"%s\" holds a control character (%s at byte %zu)", what,
	                            shown, one, at + 1)
	                : xasprintf("%s \"%s\" is not valid UTF-8 (byte %zu)", what, shown, at + 1);
	free(one);
	free(shown);
	return msg;
}

char *tenant_name_problem(const char *name)
{
	return control_problem("tenant name", name);
}

char *tenant_schema_problem(const char *schema)
{
	char *msg = control_problem("schema", schema);
	if (msg)
		return msg;
	size_t n = strlen(schema);
	if (n > TENANT_MAX_SCHEMA_BYTES)
		return xasprintf(
		    "schema \"%s\" is %zu bytes: PostgreSQL keeps %d and cuts the rest", schema, n,
		    TENANT_MAX_SCHEMA_BYTES);
	if (strcmp(schema, TENANT_STATE_SCHEMA) == 0)
		return xasprintf("schema \"%s\" is pgstep's own state schema", schema);
	return NULL;
}

void tenant_list_init(struct tenant_list *l)
{
	l->items = NULL;
	l->n = l->cap = 0;
}

void tenant_list_clear(struct tenant_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		tenant_free(&l->items[i]);
	free(l->items);
	tenant_list_init(l);
}

void tenant_list_add(struct tenant_list *l, struct tenant *t)
{
	XGROW(l->items, l->cap, l->n + 1);
	l->items[l->n++] = t;
}

struct tenant *tenant_list_find(const struct tenant_list *l, const char *name)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->items[i]->name, name) == 0)
			return l->items[i];
	return NULL;
}

/* ---- one schema, one tenant ------------------------------------------- */

static const char *conninfo_opt(const PQconninfoOption *opts, const char *kw)
{
	for (const PQconninfoOption *o = opts; o && o->keyword; o++)
		if (strcmp(o->keyword, kw) == 0)
			return o->val && o->val[0] ? o->val : NULL;
	return NULL;
}

char *tenant_database_key(const char *conninfo)
{
	char *errmsg = NULL;
	PQconninfoOption *opts = PQconninfoParse(conninfo ? conninfo : "", &errmsg);
	PQfreemem(errmsg);
	if (!opts)
		return NULL;
	PQconninfoOption *defs = PQconndefaults();
	const char *service = conninfo_opt(opts, "service");
	if (!service)
		service = conninfo_opt(defs, "service");
	/* With a service, libpq reads what is missing from the service file
	 * before the environment: unknown here, so left empty. */
	const PQconninfoOption *fallback = service ? NULL : defs;
	static const char *const kws[] = {"host", "hostaddr", "port", "dbname"};
	const char *v[4];
	for (size_t i = 0; i < 4; i++) {
		v[i] = conninfo_opt(opts, kws[i]);
		if (!v[i])
			v[i] = conninfo_opt(fallback, kws[i]);
	}
	if (!v[3] && fallback) {
		/* libpq's default database is the user's name */
		v[3] = conninfo_opt(opts, "user");
		if (!v[3])
			v[3] = conninfo_opt(defs, "user");
	}
	struct strbuf sb;
	strbuf_init(&sb);
	if (service) {
		strbuf_adds(&sb, "service=");
		conninfo_append_value(&sb, service);
	}
	for (size_t i = 0; i < 4; i++) {
		if (!v[i])
			continue;
		strbuf_addf(&sb, "%s%s=", sb.len ? " " : "", kws[i]);
		conninfo_append_value(&sb, v[i]);
	}
	PQconninfoFree(opts);
	PQconninfoFree(defs);
	return strbuf_detach(&sb);
}

struct schema_use {
	char *db; /* owned: tenant_database_key of the tenant's conninfo */
	const char *schema;
	const struct tenant *t;
	size_t order; /* existing first, then added, in list order */
	bool added;
};

static int schema_use_cmp(const void *a, const void *b)
{
	const struct schema_use *x = a, *y = b;
	int c = strcmp(x->schema, y->schema);
	if (!c)
		c = strcmp(x->db, y->db);
	return c ? c : x->order < y->order ? -1 : x->order > y->order;
}

bool tenant_list_check_distinct(const struct tenant_list *existing, const struct tenant_list *added,
                                struct pgstep_error *err)
{
	size_t n_old = existing ? existing->n : 0, n = n_old + added->n;
	struct schema_use *u = xcalloc(n ? n : 1, sizeof *u);
	const char *last_conninfo = NULL;
	const char *last_db = NULL;
	for (size_t i = 0; i < n; i++) {
		const struct tenant *t = i < n_old ? existing->items[i] : added->items[i - n_old];
		const char *ci = t->conninfo ? t->conninfo : "";
		char *db;
		if (last_conninfo && strcmp(last_conninfo, ci) == 0) {
			db = xstrdup(last_db); /* the query's tenants share one conninfo */
		} else {
			db = tenant_database_key(ci);
			if (!db) /* libpq says why when it connects */
				db = xstrdup(ci);
		}
		last_conninfo = ci;
		last_db = db;
		u[i] = (struct schema_use){.db = db,
		                           .schema = t->schema ? t->schema : "public",
		                           .t = t,
		                           .order = i,
		                           .added = i >= n_old};
	}
	qsort(u, n, sizeof *u, schema_use_cmp);
	bool ok = true;
	for (size_t i = 1; i < n && ok; i++) {
		bool same =
		    strcmp(u[i - 1].schema, u[i].schema) == 0 && strcmp(u[i - 1].db, u[i].db) == 0;
		if (!same || !(u[i - 1].added || u[i].added))
			continue;
		const struct tenant *a = u[i - 1].t, *b = u[i].t;
		const char *db_tenant = !a->schema ? a->name : !b->schema ? b->name : NULL;
		error_set(err, PGSTEP_EXIT_USAGE,
		          "tenants %s (%s) and %s (%s) would migrate the same schema \"%s\" of "
		          "one database (%s)%s%s%s",
		          a->name, a->origin ? a->origin : "?", b->name,
		          b->origin ? b->origin : "?", u[i].schema,
		          u[i].db[0] ? u[i].db : "libpq's defaults", db_tenant ? ": " : "",
		          db_tenant ? db_tenant : "",
		          db_tenant ? " has no schema, so it uses public" : "");
		ok = false;
	}
	for (size_t i = 0; i < n; i++)
		free(u[i].db);
	free(u);
	return ok;
}

/* ---- redaction ---------------------------------------------------------- */

/* libpq options whose values are secrets: the server password and the
 * passphrase of the client's SSL key. */
static bool is_secret_keyword(const char *kw)
{
	return strcmp(kw, "password") == 0 || strcmp(kw, "sslpassword") == 0;
}

struct span {
	size_t start, end; /* byte range of a secret in the conninfo text */
};

struct spans {
	struct span *items;
	size_t n, cap;
};

static void spans_add(struct spans *sp, size_t start, size_t end)
{
	if (end <= start)
		return;
	XGROW(sp->items, sp->cap, sp->n + 1);
	sp->items[sp->n++] = (struct span){start, end};
}

static int span_cmp(const void *a, const void *b)
{
	const struct span *x = a, *y = b;
	return x->start < y->start ? -1 : x->start > y->start;
}

static bool is_uri(const char *s)
{
	return strncmp(s, "postgresql://", 13) == 0 || strncmp(s, "postgres://", 11) == 0;
}

/* The password of a URI's user info: "postgresql://user:SECRET@host". */
static void find_uri_userinfo(const char *s, struct spans *sp)
{
	const char *auth = strstr(s, "://") + 3;
	size_t auth_len = strcspn(auth, "/?");
	const char *at = NULL;
	for (size_t i = 0; i < auth_len; i++)
		if (auth[i] == '@')
			at = auth + i;
	if (!at)
		return;
	const char *colon = memchr(auth, ':', (size_t)(at - auth));
	if (colon)
		spans_add(sp, (size_t)(colon + 1 - s), (size_t)(at - s));
}

/* Every "password = value" (and sslpassword) in s, found leniently: this also
 * runs on strings libpq refuses to parse, whose secrets must stay hidden in
 * the error message that names them. Key=value values may be quoted with
 * backslash escapes; URI query values end at '&'. */
static void find_keyword_values(const char *s, bool uri, struct spans *sp)
{
	static const char *const words[] = {"password", "sslpassword"};
	size_t n = strlen(s);
	for (size_t i = 0; i < n; i++) {
		bool boundary = i == 0 || isspace((unsigned char)s[i - 1]) ||
		                (uri && (s[i - 1] == '?' || s[i - 1] == '&'));
		if (!boundary)
			continue;
		for (size_t w = 0; w < sizeof words / sizeof words[0]; w++) {
			size_t wl = strlen(words[w]);
			if (strncasecmp(s + i, words[w], wl) != 0)
				continue;
			size_t j = i + wl;
			while (!uri && isspace((unsigned char)s[j]))
				j++;
			if (s[j] != '=')
				continue;
			j++;
			while (!uri && isspace((unsigned char)s[j]))
				j++;
			size_t v = j;
			if (!uri && s[j] == '\'') {
				v = ++j;
				while (s[j] && s[j] != '\'')
					j += s[j] == '\\' && s[j + 1] ? 2 : 1;
			} else {
				while (s[j] && !(uri ? s[j] == '&' || s[j] == '#'
				                     : isspace((unsigned char)s[j])))
					j += !uri && s[j] == '\\' && s[j + 1] ? 2 : 1;
			}
			spans_add(sp, v, j);
		}
	}
}

static void find_secret_spans(const char *s, struct spans *sp)
{
	bool uri = is_uri(s);
	if (uri)
		find_uri_userinfo(s, sp);
	find_keyword_values(s, uri, sp);
	if (sp->n > 1)
		qsort(sp->items, sp->n, sizeof *sp->items, span_cmp);
}

/* s with every span replaced by REDACTED. */
static char *mask_spans(const char *s, const struct spans *sp)
{
	struct strbuf sb;
	strbuf_init(&sb);
	size_t pos = 0;
	for (size_t i = 0; i < sp->n; i++) {
		if (sp->items[i].start < pos) /* overlapping: already masked */
			continue;
		strbuf_add(&sb, s + pos, sp->items[i].start - pos);
		strbuf_adds(&sb, REDACTED);
		pos = sp->items[i].end;
	}
	strbuf_adds(&sb, s + pos);
	char *out = strbuf_detach(&sb);
	strbuf_release(&sb); /* detach leaves sb initialised */
	return out;
}

static bool has_secret(const PQconninfoOption *opts)
{
	for (const PQconninfoOption *o = opts; o->keyword; o++)
		if (is_secret_keyword(o->keyword) && o->val && o->val[0])
			return true;
	return false;
}

/* True when masked parses to the same options as orig, secrets aside, and
 * holds no secret but REDACTED: then the textual mask, which keeps the
 * user's own spelling, is safe to show. */
static bool mask_verified(const char *masked, const PQconninfoOption *orig)
{
	char *errmsg = NULL;
	PQconninfoOption *m = PQconninfoParse(masked, &errmsg);
	if (!m) {
		PQfreemem(errmsg);
		return false;
	}
	bool ok = true;
	for (size_t i = 0; ok && orig[i].keyword; i++) {
		const char *a = orig[i].val, *b = m[i].val;
		if (!m[i].keyword || strcmp(orig[i].keyword, m[i].keyword) != 0)
			ok = false;
		else if (is_secret_keyword(orig[i].keyword))
			ok = !b || strcmp(b, REDACTED) == 0;
		else
			ok = (!a && !b) || (a && b && strcmp(a, b) == 0);
	}
	PQconninfoFree(m);
	return ok;
}

void conninfo_append_value(struct strbuf *sb, const char *v)
{
	bool plain = v[0] != '\0';
	for (const char *p = v; *p && plain; p++)
		plain = !isspace((unsigned char)*p) && *p != '\'' && *p != '\\';
	if (plain) {
		strbuf_adds(sb, v);
		return;
	}
	strbuf_addc(sb, '\'');
	for (const char *p = v; *p; p++) {
		if (*p == '\'' || *p == '\\')
			strbuf_addc(sb, '\\');
		strbuf_addc(sb, *p);
	}
	strbuf_addc(sb, '\'');
}

/* key=value form of parsed options, secrets replaced. */
static char *rebuild_redacted(const PQconninfoOption *opts)
{
	struct strbuf sb;
	strbuf_init(&sb);
	for (const PQconninfoOption *o = opts; o->keyword; o++) {
		if (!o->val)
			continue;
		if (sb.len)
			strbuf_addc(&sb, ' ');
		strbuf_addf(&sb, "%s=", o->keyword);
		conninfo_append_value(&sb, is_secret_keyword(o->keyword) ? REDACTED : o->val);
	}
	char *out = strbuf_detach(&sb);
	strbuf_release(&sb); /* detach leaves sb initialised */
	return out;
}

char *conninfo_redact(const char *conninfo)
{
	if (!conninfo)
		return xstrdup("");
	struct spans sp = {0};
	find_secret_spans(conninfo, &sp);
	char *masked = mask_spans(conninfo, &sp);
	free(sp.items);

	char *errmsg = NULL;
	PQconninfoOption *opts = PQconninfoParse(conninfo, &errmsg);
	if (!opts) {
		/* libpq cannot tell us where the password is: the lenient mask is
		 * all we have */
		PQfreemem(errmsg);
		return masked;
	}
	char *out;
	if (!has_secret(opts)) {
		out = xstrdup(conninfo);
		free(masked);
	} else if (mask_verified(masked, opts)) {
		out = masked;
	} else {
		/* e.g. a percent-encoded keyword in a URI: fall back to libpq's
		 * own reading of the string */
		out = rebuild_redacted(opts);
		free(masked);
	}
	PQconninfoFree(opts);
	return out;
}

/* Mark every byte of text that lies in an occurrence of needle. */
static void mark_all(const char *text, bool *hidden, const char *needle)
{
	size_t nl = strlen(needle);
	if (!nl)
		return;
	for (const char *hit = strstr(text, needle); hit; hit = strstr(hit + 1, needle))
		memset(hidden + (hit - text), 1, nl);
}

char *conninfo_scrub(const char *conninfo, const char *text)
{
	char *out = xstrdup(text ? text : "");
	if (!conninfo)
		return out;
	/* Every occurrence of every secret is hidden, so a password that
	 * contains another one is not left half visible. Both the raw spelling
	 * (which libpq echoes in URI errors) and the decoded value are hidden. */
	struct strvec secrets;
	strvec_init(&secrets);
	struct spans sp = {0};
	find_secret_spans(conninfo, &sp);
	for (size_t i = 0; i < sp.n; i++)
		strvec_push_owned(&secrets, xstrndup(conninfo + sp.items[i].start,
		                                     sp.items[i].end - sp.items[i].start));
	free(sp.items);
	char *errmsg = NULL;
	PQconninfoOption *opts = PQconninfoParse(conninfo, &errmsg);
	PQfreemem(errmsg);
	for (const PQconninfoOption *o = opts; o && o->keyword; o++)
		if (is_secret_keyword(o->keyword) && o->val && o->val[0])
			strvec_push(&secrets, o->val);
	PQconninfoFree(opts);
	/* Every occurrence is found in the text as given, and each run of
	 * hidden bytes becomes one mask: replacing secret after secret in the
	 * growing output would find a secret such as "*" again inside the masks
	 * already written, multiplying the text with every repetition. */
	size_t n = strlen(out);
	bool *hidden = xcalloc(n + 1, sizeof *hidden);
	for (size_t i = 0; i < secrets.n; i++)
		mark_all(out, hidden, secrets.items[i]);
	strvec_clear(&secrets);
	struct strbuf sb;
	strbuf_init(&sb);
	for (size_t i = 0; i < n; i++) {
		if (!hidden[i])
			strbuf_addc(&sb, out[i]);
		else if (i == 0 || !hidden[i - 1])
			strbuf_adds(&sb, REDACTED);
	}
	free(hidden);
	free(out);
	out = strbuf_detach(&sb);
	strbuf_release(&sb);
	return out;
}
