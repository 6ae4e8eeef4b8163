/* deparse: libpg_query's deparser behind a faithfulness test, and a
 * generic walk over parse-tree messages. */
#include "config.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <pg_query.h>
#include <pg_query/pg_query.pb-c.h>

#include "pgstep/arena.h"
#include "pgstep/deparse.h"
#include "pgstep/pbtree.h"
#include "pgstep/strbuf.h"
#include "pgstep/xalloc.h"

typedef PgQuery__Node Node;

static bool has_text(const char *s)
{
	return s && *s;
}

/* Every message below m, m included (protobuf-c reflection: no traversal
 * per node type to keep up to date). */
void deparse_walk(ProtobufCMessage *m, deparse_visit_fn fn, void *arg)
{
	if (!m)
		return;
	fn(m, arg);
	const ProtobufCMessageDescriptor *d = m->descriptor;
	char *base = (char *)m;
	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		if (f->type != PROTOBUF_C_TYPE_MESSAGE)
			continue;
		if (f->label == PROTOBUF_C_LABEL_REPEATED) {
			size_t n = *(size_t *)(base + f->quantifier_offset);
			ProtobufCMessage **items = *(ProtobufCMessage ***)(base + f->offset);
			for (size_t j = 0; j < n; j++)
				deparse_walk(items[j], fn, arg);
			continue;
		}
		if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
			uint32_t which = *(uint32_t *)(base + f->quantifier_offset);
			if (which != f->id)
				continue;
		}
		deparse_walk(*(ProtobufCMessage **)(base + f->offset), fn, arg);
	}
}

/* Zero every "location" field: two trees of the same SQL text differ only
 * there. */
static void zero_locations(ProtobufCMessage *m, void *arg)
{
	(void)arg;
	const ProtobufCMessageDescriptor *d = m->descriptor;
	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		if (f->type == PROTOBUF_C_TYPE_INT32 && f->label != PROTOBUF_C_LABEL_REPEATED &&
		    strcmp(f->name, "location") == 0)
			*(int32_t *)((char *)m + f->offset) = 0;
	}
}

/* Node -> packed bytes without locations (a copy is changed, not n). */
static uint8_t *node_canonical(const Node *n, size_t *len)
{
	size_t l = pg_query__node__get_packed_size(n);
	uint8_t *buf = xmalloc(l ? l : 1);
	pg_query__node__pack(n, buf);
	Node *copy = pg_query__node__unpack(NULL, l, buf);
	free(buf);
	if (!copy)
		return NULL;
	deparse_walk(&copy->base, zero_locations, NULL);
	*len = pg_query__node__get_packed_size(copy);
	buf = xmalloc(*len ? *len : 1);
	pg_query__node__pack(copy, buf);
	pg_query__node__free_unpacked(copy, NULL);
	return buf;
}

/* ---- deparsing ----------------------------------------------------------------- */

/* "SELECT <n>" through the deparser, or NULL. */
static char *deparse_select_of(const Node *n)
{
	PgQuery__ResTarget rt = PG_QUERY__RES_TARGET__INIT;
	rt.val = (Node *)n;
	Node rtn = PG_QUERY__NODE__INIT;
	rtn.node_case = PG_QUERY__NODE__NODE_RES_TARGET;
	rtn.res_target = &rt;
	Node *targets[1] = {&rtn};
	PgQuery__SelectStmt sel = PG_QUERY__SELECT_STMT__INIT;
	sel.n_target_list = 1;
	sel.target_list = targets;
	sel.limit_option = PG_QUERY__LIMIT_OPTION__LIMIT_OPTION_DEFAULT;
	sel.op = PG_QUERY__SET_OPERATION__SETOP_NONE;
	Node seln = PG_QUERY__NODE__INIT;
	seln.node_case = PG_QUERY__NODE__NODE_SELECT_STMT;
	seln.select_stmt = &sel;
	PgQuery__RawStmt raw = PG_QUERY__RAW_STMT__INIT;
	raw.stmt = &seln;
	PgQuery__RawStmt *raws[1] = {&raw};
	PgQuery__ParseResult pr = PG_QUERY__PARSE_RESULT__INIT;
	pr.version = PG_VERSION_NUM;
	pr.n_stmts = 1;
	pr.stmts = raws;
	size_t len = pg_query__parse_result__get_packed_size(&pr);
	char *buf = xmalloc(len ? len : 1);
	pg_query__parse_result__pack(&pr, (uint8_t *)buf);
	PgQueryProtobuf pb = {.len = len, .data = buf};
	PgQueryDeparseResult d = pg_query_deparse_protobuf(pb);
	free(buf);
	char *out = NULL;
	if (!d.error && d.query && strncmp(d.query, "SELECT ", 7) == 0)
		out = xstrdup(d.query + 7);
	pg_query_free_deparse_result(d);
	return out;
}

/* The first target of "SELECT <text>" parsed again, canonical; NULL when it
 * does not parse to exactly one target. */
static uint8_t *reparse_canonical(const char *text, size_t *len)
{
	char *sql = xasprintf("SELECT %s", text);
	struct arena arena;
	arena_init(&arena);
	PgQuery__ParseResult *p = pbtree_parse(&arena, sql, NULL);
	free(sql);
	uint8_t *out = NULL;
	if (p && p->n_stmts == 1 && p->stmts[0]->stmt &&
	    p->stmts[0]->stmt->node_case == PG_QUERY__NODE__NODE_SELECT_STMT) {
		const PgQuery__SelectStmt *s = p->stmts[0]->stmt->select_stmt;
		if (s->n_target_list == 1 &&
		    s->target_list[0]->node_case == PG_QUERY__NODE__NODE_RES_TARGET &&
		    s->target_list[0]->res_target->val)
			out = node_canonical(s->target_list[0]->res_target->val, len);
	}
	arena_release(&arena);
	return out;
}

char *deparse_expr(const Node *n)
{
	if (!n)
		return NULL;
	char *text = deparse_select_of(n);
	if (!text)
		return NULL;
	/* The deparser writes "(a OR b) IS FALSE" as "a OR b IS FALSE": only a
	 * text that parses back to the same tree is used. */
	size_t la = 0, lb = 0;
	uint8_t *a = node_canonical(n, &la);
	uint8_t *b = reparse_canonical(text, &lb);
	bool same = a && b && la == lb && memcmp(a, b, la) == 0;
	free(a);
	free(b);
	if (!same) {
		free(text);
		return NULL;
	}
	return text;
}

char *deparse_name(const char *a, const char *b)
{
	PgQuery__String sa = PG_QUERY__STRING__INIT, sb = PG_QUERY__STRING__INIT;
	Node na = PG_QUERY__NODE__INIT, nb = PG_QUERY__NODE__INIT;
	Node *fields[2];
	size_t n = 0;
	if (has_text(a)) {
		sa.sval = (char *)a;
		na.node_case = PG_QUERY__NODE__NODE_STRING;
		na.string = &sa;
		fields[n++] = &na;
	}
	sb.sval = (char *)b;
	nb.node_case = PG_QUERY__NODE__NODE_STRING;
	nb.string = &sb;
	fields[n++] = &nb;
	PgQuery__ColumnRef cr = PG_QUERY__COLUMN_REF__INIT;
	cr.n_fields = n;
	cr.fields = fields;
	Node crn = PG_QUERY__NODE__INIT;
	crn.node_case = PG_QUERY__NODE__NODE_COLUMN_REF;
	crn.column_ref = &cr;
	char *out = deparse_expr(&crn);
	if (out)
		return out;
	/* Not expected; a fully quoted name is always correct. */
	struct strbuf q;
	strbuf_init(&q);
	for (size_t i = 0; i < n; i++) {
		const char *s = i == 0 && n == 2 ? a : b;
		if (i)
			strbuf_addc(&q, '.');
		strbuf_addc(&q, '"');
		for (; *s; s++) {
			if (*s == '"')
				strbuf_addc(&q, '"');
			strbuf_addc(&q, *s);
		}
		strbuf_addc(&q, '"');
	}
	return strbuf_detach(&q);
}
