/* test_highlight: token roles from libpg_query's scanner (src/sql/highlight.c). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "pgstep/highlight.h"
#include "tap.h"

static const char *role_at(const struct hl_spans *s, const char *text, const char *word)
{
	size_t off = (size_t)(strstr(text, word) - text);
	for (size_t i = 0; i < s->n; i++)
		if (s->items[i].start == off)
			return hl_role_name(s->items[i].role);
	return "none";
}

int main(void)
{
	const char *sql = "-- add a column\nALTER TABLE accounts ADD COLUMN n int DEFAULT 42 "
	                  "CHECK (n >= 0); /* c */ SELECT 'x''y', 1.5;";
	struct hl_spans s = {0};
	ok(hl_scan(sql, &s), "the text scans");
	is_str(role_at(&s, sql, "-- add"), "comment", "a line comment");
	is_str(role_at(&s, sql, "ALTER"), "keyword", "ALTER is a keyword");
	is_str(role_at(&s, sql, "accounts"), "ident", "a table name is an identifier");
	is_str(role_at(&s, sql, "int "), "keyword", "int is a (type) keyword");
	is_str(role_at(&s, sql, "42"), "number", "an integer");
	is_str(role_at(&s, sql, "1.5"), "number", "a decimal");
	is_str(role_at(&s, sql, ">="), "operator", "an operator");
	is_str(role_at(&s, sql, "/* c */"), "comment", "a block comment");
	is_str(role_at(&s, sql, "'x''y'"), "string", "a string with a doubled quote");
	bool ordered = true;
	for (size_t i = 1; i < s.n; i++)
		if (s.items[i].start < s.items[i - 1].end)
			ordered = false;
	ok(ordered, "spans are in order and do not overlap");
	hl_spans_clear(&s);
	ok(!hl_scan("SELECT 'unterminated", &s), "an unterminated string is a scanner error");
	hl_spans_clear(&s);
	ok(hl_scan("", &s) && s.n == 0, "empty text: no spans");
	hl_spans_clear(&s);
	return done_testing();
}
