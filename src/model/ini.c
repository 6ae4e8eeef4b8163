/* ini: the INI dialect of pgstep.conf. Written here rather than taken from
 * inih because inih cuts lines at a fixed length (a long tenant query would
 * be silently truncated) and its handlers do not get line numbers, which
 * every configuration message needs. The reader works on the whole text in
 * place of a line buffer, so there is no length limit at all. */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "pgstep/ini.h"
#include "pgstep/strbuf.h"
#include "pgstep/xalloc.h"

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

/* Length of s[0..n) without an inline comment: a ';' preceded by
 * whitespace and outside single quotes. Quotes matter because values are
 * conninfo strings and SQL, where "password='a ;b'" or "WHERE x <> ' ;'"
 * must reach libpq or the server whole. Inside quotes a backslash escapes
 * the next character, as in libpq's conninfo syntax. */
static size_t strip_inline_comment(const char *s, size_t n)
{
	bool quoted = false;
	for (size_t i = 0; i < n; i++) {
		if (quoted) {
			if (s[i] == '\\' && i + 1 < n)
				i++;
			else if (s[i] == '\'')
				quoted = false;
		} else if (s[i] == '\'') {
			quoted = true;
		} else if (s[i] == ';' && i > 0 && is_blank(s[i - 1])) {
			return i;
		}
	}
	return n;
}

/* Copy s[0..n) with surrounding whitespace removed. */
static char *trimmed_copy(const char *s, size_t n)
{
	while (n > 0 && is_blank(*s))
		s++, n--;
	while (n > 0 && is_blank(s[n - 1]))
		n--;
	return xstrndup(s, n);
}

/* "[ tenant   acme ]" -> "tenant acme": one space between kind and name so
 * handlers can compare header texts. NULL when the header is empty. */
static char *normalize_header(const char *s, size_t n)
{
	struct strbuf sb;
	strbuf_init(&sb);
	size_t i = 0;
	while (i < n) {
		while (i < n && is_blank(s[i]))
			i++;
		size_t start = i;
		while (i < n && !is_blank(s[i]))
			i++;
		if (i > start) {
			if (sb.len)
				strbuf_addc(&sb, ' ');
			strbuf_add(&sb, s + start, i - start);
		}
	}
	if (sb.len == 0) {
		strbuf_release(&sb);
		return NULL;
	}
	char *out = strbuf_detach(&sb);
	strbuf_release(&sb); /* detach leaves sb initialised */
	return out;
}

struct ini_state {
	const char *path;
	ini_section_handler on_section;
	ini_handler on_key;
	void *ctx;
	struct pgstep_error *err;
	char *section; /* owned: current header text, NULL before the first */
};

static bool syntax_error(struct ini_state *st, int line, const char *msg)
{
	error_set(st->err, PGSTEP_EXIT_USAGE, "%s:%d: %s", st->path, line, msg);
	return false;
}

static bool parse_header(struct ini_state *st, const char *s, size_t n, int line)
{
	/* s starts with '['; an inline comment may follow the ']' */
	const char *close = memchr(s, ']', n);
	if (!close)
		return syntax_error(st, line, "section header without ']'");
	const char *after = close + 1;
	while (after < s + n && is_blank(*after))
		after++;
	if (after < s + n && *after != ';' && *after != '#')
		return syntax_error(st, line, "unexpected text after the section header's ']'");
	char *name = normalize_header(s + 1, (size_t)(close - s - 1));
	if (!name)
		return syntax_error(st, line, "empty section header '[]'");
	free(st->section);
	st->section = name;
	if (st->on_section && !st->on_section(st->ctx, st->section, line, st->err))
		return false;
	return true;
}

static bool parse_key(struct ini_state *st, const char *s, size_t n, int line)
{
	const char *eq = memchr(s, '=', n);
	if (!eq)
		return syntax_error(st, line,
		                    "expected 'key = value', a [section] header or a ';' comment");
	char *key = trimmed_copy(s, (size_t)(eq - s));
	bool ok = true;
	if (!key[0]) {
		ok = syntax_error(st, line, "missing key before '='");
	} else if (!st->section) {
		error_set(st->err, PGSTEP_EXIT_USAGE, "%s:%d: key '%s' before any [section]",
		          st->path, line, key);
		ok = false;
	} else {
		const char *v = eq + 1;
		size_t vn = n - (size_t)(v - s);
		char *value = trimmed_copy(v, strip_inline_comment(v, vn));
		ok = st->on_key(st->ctx, st->section, key, value, line, st->err);
		free(value);
	}
	free(key);
	return ok;
}

bool ini_parse(const char *path, const char *text, ini_section_handler on_section,
               ini_handler on_key, void *ctx, struct pgstep_error *err)
{
	struct ini_state st = {
	    .path = path ? path : "(config)",
	    .on_section = on_section,
	    .on_key = on_key,
	    .ctx = ctx,
	    .err = err,
	    .section = NULL,
	};
	const char *p = text;
	if (strncmp(p, "\xEF\xBB\xBF", 3) == 0) /* editors on Windows add a BOM */
		p += 3;
	bool ok = true;
	for (int line = 1; ok && *p; line++) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		const char *s = p;
		p = nl ? nl + 1 : p + n;

		while (n > 0 && is_blank(*s))
			s++, n--;
		while (n > 0 && is_blank(s[n - 1]))
			n--;
		if (n == 0 || s[0] == ';' || s[0] == '#')
			continue;
		if (s[0] == '[')
			ok = parse_header(&st, s, n, line);
		else
			ok = parse_key(&st, s, n, line);
	}
	free(st.section);
	return ok;
}
