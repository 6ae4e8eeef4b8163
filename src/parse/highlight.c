/* highlight: pg_query_scan's protobuf token list mapped to a handful of
 * display roles. Keywords are what the scanner classed as keywords of any
 * kind; the rest goes by token number. */
#include "config.h"

#include <pg_query.h>
#include <pg_query/pg_query.pb-c.h>
#include <stdlib.h>

#include "pgstep/highlight.h"
#include "pgstep/xalloc.h"

static enum hl_role hl_role_of(const PgQuery__ScanToken *t)
{
	if (t->keyword_kind != PG_QUERY__KEYWORD_KIND__NO_KEYWORD)
		return HL_KEYWORD;
	switch (t->token) {
	case PG_QUERY__TOKEN__IDENT:
	case PG_QUERY__TOKEN__UIDENT: return HL_IDENT;
	case PG_QUERY__TOKEN__SCONST:
	case PG_QUERY__TOKEN__USCONST:
	case PG_QUERY__TOKEN__BCONST:
	case PG_QUERY__TOKEN__XCONST: return HL_STRING;
	case PG_QUERY__TOKEN__ICONST:
	case PG_QUERY__TOKEN__FCONST:
	case PG_QUERY__TOKEN__PARAM: return HL_NUMBER;
	case PG_QUERY__TOKEN__SQL_COMMENT:
	case PG_QUERY__TOKEN__C_COMMENT: return HL_COMMENT;
	default: return HL_OPERATOR;
	}
}

bool hl_scan(const char *text, struct hl_spans *out)
{
	PgQueryScanResult r = pg_query_scan(text ? text : "");
	bool ok = r.error == NULL;
	PgQuery__ScanResult *sr = NULL;
	if (ok)
		sr = pg_query__scan_result__unpack(NULL, r.pbuf.len, (const uint8_t *)r.pbuf.data);
	if (sr) {
		for (size_t i = 0; i < sr->n_tokens; i++) {
			const PgQuery__ScanToken *t = sr->tokens[i];
			if (t->start < 0 || t->end <= t->start)
				continue;
			XGROW(out->items, out->cap, out->n + 1);
			out->items[out->n++] = (struct hl_span){.start = (size_t)t->start,
			                                        .end = (size_t)t->end,
			                                        .role = hl_role_of(t)};
		}
		pg_query__scan_result__free_unpacked(sr, NULL);
	} else {
		ok = false;
	}
	pg_query_free_scan_result(r);
	return ok;
}

void hl_spans_clear(struct hl_spans *s)
{
	free(s->items);
	s->items = NULL;
	s->n = s->cap = 0;
}

const char *hl_role_name(enum hl_role r)
{
	switch (r) {
	case HL_PLAIN: return "plain";
	case HL_KEYWORD: return "keyword";
	case HL_IDENT: return "ident";
	case HL_STRING: return "string";
	case HL_NUMBER: return "number";
	case HL_COMMENT: return "comment";
	case HL_OPERATOR: return "operator";
	}
	return "plain";
}
