/* highlight: syntax roles for SQL text from libpg_query's scanner
 * (pg_query_scan), so front ends colour exactly what PostgreSQL would read
 * as a keyword, identifier, string, number, comment or operator. */
#ifndef PGSTEP_HIGHLIGHT_H
#define PGSTEP_HIGHLIGHT_H

#include <stdbool.h>
#include <stddef.h>

enum hl_role {
	HL_PLAIN = 0, /* whitespace and anything the scanner skipped */
	HL_KEYWORD,
	HL_IDENT,
	HL_STRING,
	HL_NUMBER,
	HL_COMMENT,
	HL_OPERATOR, /* operators and punctuation */
};

struct hl_span {
	size_t start, end; /* byte offsets into the text, end exclusive */
	enum hl_role role;
};

struct hl_spans {
	struct hl_span *items; /* owned, in text order, not overlapping */
	size_t n, cap;
};

/* Scan text. On a scanner error (an unterminated string, say) the spans
 * found so far are kept and false is returned; bytes not covered by a span
 * are plain. */
bool hl_scan(const char *text, struct hl_spans *out);
void hl_spans_clear(struct hl_spans *s);
const char *hl_role_name(enum hl_role r);

#endif
