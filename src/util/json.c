/* json: streaming JSON writer. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "pgstep/json.h"
#include "pgstep/text.h"

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
