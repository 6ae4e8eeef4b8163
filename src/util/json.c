/* json: streaming JSON writer. */
#include "config.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "pgstep/json.h"
#include "pgstep/text.h"
#include "pgstep/xalloc.h"

void json_init(struct json *j, struct strbuf *out)
{
	memset(j, 0, sizeof *j);
	j->out = out;
}

static void json_before_value(struct json *j)
{
	if (j->after_key) {
		j->after_key = false;
		return;
	}
	if (j->depth > 0) {
		if (j->need_comma[j->depth - 1])
			strbuf_addc(j->out, ',');
		j->need_comma[j->depth - 1] = true;
	}
}

static void json_open(struct json *j, char c)
{
	json_before_value(j);
	strbuf_addc(j->out, c);
	if (j->depth < JSON_MAX_DEPTH)
		j->need_comma[j->depth] = false;
	j->depth++;
}

static void json_close(struct json *j, char c)
{
	j->depth--;
	strbuf_addc(j->out, c);
}

void json_begin_object(struct json *j)
{
	json_open(j, '{');
}
void json_end_object(struct json *j)
{
	json_close(j, '}');
}
void json_begin_array(struct json *j)
{
	json_open(j, '[');
}
void json_end_array(struct json *j)
{
	json_close(j, ']');
}

void json_escape(struct strbuf *sb, const char *s)
{
	strbuf_addc(sb, '"');
	const char *run = s;
	const unsigned char *p = (const unsigned char *)s;
	for (;; p++) {
		/* Most bytes need no escape: skip them in one tight test. DEL
		 * and C1 controls (0xC2 0x80..0x9F) are text_control_len's
		 * too: a terminal acts on them when the JSON is shown raw. */
		while (*p >= 0x20 && *p != '"' && *p != '\\' && *p != 0x7F && *p != 0xC2)
			p++;
		if (!*p)
			break;
		char buf[8];
		const char *rep;
		if (*p == 0xC2 && !text_control_len((const char *)p))
			continue; /* a printable character from U+00A0 on */
		if (*p == 0xC2) {
			snprintf(buf, sizeof buf, "\\u%04x", 0x80u | (p[1] & 0x3Fu));
			strbuf_add(sb, run, (size_t)((const char *)p - run));
			strbuf_adds(sb, buf);
			p++;
			run = (const char *)p + 1;
			continue;
		}
		switch (*p) {
		case '"': rep = "\\\""; break;
		case '\\': rep = "\\\\"; break;
		case '\n': rep = "\\n"; break;
		case '\r': rep = "\\r"; break;
		case '\t': rep = "\\t"; break;
		default: snprintf(buf, sizeof buf, "\\u%04x", *p); rep = buf;
		}
		strbuf_add(sb, run, (size_t)((const char *)p - run));
		strbuf_adds(sb, rep);
		run = (const char *)p + 1;
	}
	strbuf_add(sb, run, (size_t)((const char *)p - run));
	strbuf_addc(sb, '"');
}

void json_key(struct json *j, const char *key)
{
	json_before_value(j);
	json_escape(j->out, key);
	strbuf_addc(j->out, ':');
	j->after_key = true;
}

void json_string(struct json *j, const char *s)
{
	if (!s) {
		json_null(j);
		return;
	}
	json_before_value(j);
	json_escape(j->out, s);
}

void json_int(struct json *j, int64_t v)
{
	json_before_value(j);
	strbuf_addf(j->out, "%" PRId64, v);
}

void json_bool(struct json *j, bool v)
{
	json_before_value(j);
	strbuf_adds(j->out, v ? "true" : "false");
}

void json_null(struct json *j)
{
	json_before_value(j);
	strbuf_adds(j->out, "null");
}

void json_kv_string(struct json *j, const char *key, const char *s)
{
	json_key(j, key);
	json_string(j, s);
}

void json_kv_int(struct json *j, const char *key, int64_t v)
{
	json_key(j, key);
	json_int(j, v);
}

void json_kv_bool(struct json *j, const char *key, bool v)
{
	json_key(j, key);
	json_bool(j, v);
}

/* ---- reading one member ------------------------------------------------------ */

static const char *json_skip_string(const char *p)
{
	for (p++; *p && *p != '"'; p++)
		if (*p == '\\' && p[1])
			p++;
	return *p ? p + 1 : p;
}

/* Past the one JSON value at p (nesting and strings followed, nothing
 * validated). */
static const char *json_skip(const char *p)
{
	if (*p == '"')
		return json_skip_string(p);
	if (*p != '{' && *p != '[') {
		while (*p && !strchr(",}] \t\n", *p))
			p++;
		return p;
	}
	int depth = 0;
	while (*p) {
		if (*p == '"') {
			p = json_skip_string(p);
			continue;
		}
		if (*p == '{' || *p == '[')
			depth++;
		else if ((*p == '}' || *p == ']') && --depth == 0)
			return p + 1;
		p++;
	}
	return p;
}

static void put_utf8(struct strbuf *sb, unsigned c)
{
	if (c < 0x80) {
		strbuf_addc(sb, (char)c);
	} else if (c < 0x800) {
		strbuf_addc(sb, (char)(0xC0 | c >> 6));
		strbuf_addc(sb, (char)(0x80 | (c & 0x3F)));
	} else if (c < 0x10000) {
		strbuf_addc(sb, (char)(0xE0 | c >> 12));
		strbuf_addc(sb, (char)(0x80 | ((c >> 6) & 0x3F)));
		strbuf_addc(sb, (char)(0x80 | (c & 0x3F)));
	} else {
		strbuf_addc(sb, (char)(0xF0 | c >> 18));
		strbuf_addc(sb, (char)(0x80 | ((c >> 12) & 0x3F)));
		strbuf_addc(sb, (char)(0x80 | ((c >> 6) & 0x3F)));
		strbuf_addc(sb, (char)(0x80 | (c & 0x3F)));
	}
}

/* Four hex digits; stops at the first other character (the text's NUL
 * included), so it never reads past the end. */
static unsigned hex4(const char *p, bool *ok)
{
	unsigned v = 0;
	for (int i = 0; i < 4; i++) {
		char ch = p[i];
		v <<= 4;
		if (ch >= '0' && ch <= '9') {
			v |= (unsigned)(ch - '0');
		} else if (ch >= 'a' && ch <= 'f') {
			v |= (unsigned)(ch - 'a' + 10);
		} else if (ch >= 'A' && ch <= 'F') {
			v |= (unsigned)(ch - 'A' + 10);
		} else {
			*ok = false;
			return 0;
		}
	}
	return v;
}

bool json_read_string(const char **pp, struct strbuf *out)
{
	const char *p = *pp;
	bool ok = true;
	while (ok && *p && *p != '"') {
		if (*p != '\\') {
			strbuf_addc(out, *p++);
			continue;
		}
		p++;
		char e = *p ? *p++ : '\0';
		switch (e) {
		case 'n': strbuf_addc(out, '\n'); break;
		case 't': strbuf_addc(out, '\t'); break;
		case 'r': strbuf_addc(out, '\r'); break;
		case 'b': strbuf_addc(out, '\b'); break;
		case 'f': strbuf_addc(out, '\f'); break;
		case 'u': {
			unsigned cp = hex4(p, &ok);
			if (!ok)
				break;
			p += 4;
			if (cp >= 0xd800 && cp < 0xdc00 && p[0] == '\\' && p[1] == 'u') {
				bool lo_ok = true;
				unsigned lo = hex4(p + 2, &lo_ok);
				if (lo_ok && lo >= 0xdc00 && lo < 0xe000) {
					cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
					p += 6;
				}
			}
			put_utf8(out, cp ? cp : (unsigned)'?'); /* no NUL inside a C string */
			break;
		}
		case '\0': ok = false; break;
		default: strbuf_addc(out, e); break; /* \" \\ \/ */
		}
	}
	if (ok && *p == '"')
		p++;
	else
		ok = false;
	*pp = p;
	return ok;
}

/* The string at p (after its opening quote), unescaped. */
static char *json_unescape(const char *p)
{
	struct strbuf sb;
	strbuf_init(&sb);
	json_read_string(&p, &sb);
	return strbuf_detach(&sb);
}

char *json_get(const char *json, const char *key)
{
	if (!json)
		return NULL;
	const char *p = json;
	while (*p && *p != '{')
		p++;
	if (!*p)
		return NULL;
	p++;
	size_t klen = strlen(key);
	for (;;) {
		while (*p == ' ' || *p == ',' || *p == '\n' || *p == '\t')
			p++;
		if (*p != '"')
			return NULL;
		const char *k = p + 1;
		bool match = strncmp(k, key, klen) == 0 && k[klen] == '"';
		p = json_skip(p);
		while (*p == ' ' || *p == ':')
			p++;
		if (match) {
			if (*p == '"')
				return json_unescape(p + 1);
			if (strncmp(p, "null", 4) == 0)
				return NULL;
			const char *e = json_skip(p);
			return xstrndup(p, (size_t)(e - p));
		}
		p = json_skip(p);
		if (*p != ',')
			return NULL;
	}
}
