/* json: a small streaming JSON writer. Commas and escaping are handled here, so
 * callers only say what comes next. Output is compact and UTF-8. */
#ifndef PGSTEP_JSON_H
#define PGSTEP_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include "pgstep/strbuf.h"

#define JSON_MAX_DEPTH 32

struct json {
	struct strbuf *out;
	int depth;
	bool need_comma[JSON_MAX_DEPTH];
	bool after_key;
};

void json_init(struct json *j, struct strbuf *out);
void json_begin_object(struct json *j);
void json_end_object(struct json *j);
void json_begin_array(struct json *j);
void json_end_array(struct json *j);
void json_key(struct json *j, const char *key);
void json_string(struct json *j, const char *s); /* NULL writes null */
void json_int(struct json *j, int64_t v);
void json_bool(struct json *j, bool v);
void json_null(struct json *j);

/* key + value shorthands */
void json_kv_string(struct json *j, const char *key, const char *s);
void json_kv_int(struct json *j, const char *key, int64_t v);
void json_kv_bool(struct json *j, const char *key, bool v);

/* Append s as a JSON string literal (with quotes) to sb. */
void json_escape(struct strbuf *sb, const char *s);

/* The value of key in the JSON object json (top-level members only):
 * a string unescaped, anything else as its text; NULL when the key is
 * absent, null, or json is not an object. Caller frees. For reading back
 * what pgstep wrote (event details), not a validating parser. */
char *json_get(const char *json, const char *key);
/* A JSON string's content, unescaped (\uXXXX and surrogate pairs to
 * UTF-8), appended to out: *p is just after the opening quote and ends just
 * after the closing one. False for a string left open or a bad escape. */
bool json_read_string(const char **p, struct strbuf *out);

#endif
