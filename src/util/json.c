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

/* The string at p (after its opening quote), unescaped. */
static char *json_unescape(const char *p)
{
	struct strbuf sb;
	strbuf_init(&sb);
	for (; *p && *p != '"'; p++) {
		if (*p != '\\' || !p[1]) {
			strbuf_addc(&sb, *p);
			continue;
		}
		p++;
		switch (*p) {
		case 'n': strbuf_addc(&sb, '\n'); break;
		case 't': strbuf_addc(&sb, '\t'); break;
		case 'r': strbuf_addc(&sb, '\r'); break;
		case 'b': strbuf_addc(&sb, '\b'); break;
		case 'f': strbuf_addc(&sb, '\f'); break;
		case 'u': {
			unsigned c = 0;
			int k = 0;
			for (; k < 4 && isxdigit((unsigned char)p[1]); k++, p++)
				c = c * 16 +
				    (unsigned)(isdigit((unsigned char)*(p + 1))
				                   ? *(p + 1) - '0'
				                   : (tolower((unsigned char)*(p + 1)) - 'a' + 10));
			if (c >= 0xD800 && c <= 0xDBFF && p[1] == '\\' && p[2] == 'u') {
				unsigned lo = (unsigned)strtoul(
				    (char[5]){p[3], p[4], p[5], p[6], 0}, NULL, 16);
				if (lo >= 0xDC00 && lo <= 0xDFFF) {
					c = 0x10000 + ((c - 0xD800) << 10) + (lo - 0xDC00);
					p += 6;
				}
			}
			put_utf8(&sb, c ? c : '?');
			break;
		}
		default: strbuf_addc(&sb, *p); break; /* \" \\ \/ */
		}
	}
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
