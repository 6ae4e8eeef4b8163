/* snapshot: the schema of a tenant as plain data (see snapshot.h); the
 * comparison is in snapshot_compare.c. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "pgstep/snapshot.h"
#include "pgstep/strbuf.h"
#include "pgstep/xalloc.h"

const char *const snapshot_kinds[] = {
    "schema",
    "extension",
    "enum",
    "domain",
    "composite type",
    "range type",
    "sequence",
    "table",
    "column",
    "constraint",
    "index",
    "view",
    "materialized view",
    "function",
    "procedure",
    "aggregate",
    "trigger",
    "rule",
    "policy",
    NULL,
};

size_t snapshot_kind_order(const char *kind)
{
	size_t i = 0;
	for (; snapshot_kinds[i]; i++)
		if (strcmp(snapshot_kinds[i], kind) == 0)
			break;
	return i;
}

void snapshot_init(struct snapshot *s)
{
	memset(s, 0, sizeof *s);
}

static void object_free(struct snapshot_object *o)
{
	free(o->kind);
	free(o->schema);
	free(o->name);
	free(o->parent);
	free(o->def);
	for (size_t i = 0; i < o->n_attrs; i++) {
		free(o->attrs[i].name);
		free(o->attrs[i].value);
	}
	free(o->attrs);
	free(o);
}

void snapshot_clear(struct snapshot *s)
{
	for (size_t i = 0; i < s->n; i++)
		object_free(s->items[i]);
	free(s->items);
	for (size_t i = 0; i < s->n_uncompared; i++) {
		free(s->uncompared[i].kind);
		free(s->uncompared[i].why);
	}
	free(s->uncompared);
	free(s->tenant_schema);
	memset(s, 0, sizeof *s);
}

static char *dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

struct snapshot_object *snapshot_add(struct snapshot *s, const char *kind, const char *schema,
                                     const char *name, const char *parent, const char *def)
{
	struct snapshot_object *o = xcalloc(1, sizeof *o);
	o->kind = xstrdup(kind);
	o->schema = dup_or_null(schema);
	o->name = xstrdup(name);
	o->parent = dup_or_null(parent);
	o->def = dup_or_null(def);
	XGROW(s->items, s->cap, s->n + 1);
	s->items[s->n++] = o;
	return o;
}

void snapshot_object_set(struct snapshot_object *o, const char *name, const char *value)
{
	size_t i = 0;
	while (i < o->n_attrs && strcmp(o->attrs[i].name, name) < 0)
		i++;
	if (i < o->n_attrs && strcmp(o->attrs[i].name, name) == 0) {
		free(o->attrs[i].value);
		if (value) {
			o->attrs[i].value = xstrdup(value);
			return;
		}
		free(o->attrs[i].name);
		memmove(&o->attrs[i], &o->attrs[i + 1], (o->n_attrs - i - 1) * sizeof *o->attrs);
		o->n_attrs--;
		return;
	}
	if (!value)
		return;
	XGROW(o->attrs, o->cap_attrs, o->n_attrs + 1);
	memmove(&o->attrs[i + 1], &o->attrs[i], (o->n_attrs - i) * sizeof *o->attrs);
	o->attrs[i] = (struct snapshot_attr){.name = xstrdup(name), .value = xstrdup(value)};
	o->n_attrs++;
}

const char *snapshot_object_get(const struct snapshot_object *o, const char *name)
{
	for (size_t i = 0; i < o->n_attrs; i++)
		if (strcmp(o->attrs[i].name, name) == 0)
			return o->attrs[i].value;
	return NULL;
}

void snapshot_add_uncompared(struct snapshot *s, const char *kind, long count, const char *why)
{
	XGROW(s->uncompared, s->cap_uncompared, s->n_uncompared + 1);
	s->uncompared[s->n_uncompared++] = (struct snapshot_uncompared){
	    .kind = xstrdup(kind), .count = count, .why = xstrdup(why)};
}

static int cmp_null_first(const char *a, const char *b)
{
	if (!a || !b)
		return (a != NULL) - (b != NULL);
	return strcmp(a, b);
}

static int key_cmp(const char *kind_a, const char *schema_a, const char *name_a, const char *kind_b,
                   const char *schema_b, const char *name_b)
{
	size_t ka = snapshot_kind_order(kind_a), kb = snapshot_kind_order(kind_b);
	if (ka != kb)
		return ka < kb ? -1 : 1;
	int c = strcmp(kind_a, kind_b);
	if (c)
		return c;
	if ((c = cmp_null_first(schema_a, schema_b)))
		return c;
	return strcmp(name_a, name_b);
}

static int object_cmp(const void *pa, const void *pb)
{
	const struct snapshot_object *a = *(struct snapshot_object *const *)pa;
	const struct snapshot_object *b = *(struct snapshot_object *const *)pb;
	return key_cmp(a->kind, a->schema, a->name, b->kind, b->schema, b->name);
}

void snapshot_sort(struct snapshot *s)
{
	if (s->n > 1)
		qsort(s->items, s->n, sizeof *s->items, object_cmp);
}

const struct snapshot_object *snapshot_find(const struct snapshot *s, const char *kind,
                                            const char *schema, const char *name)
{
	size_t lo = 0, hi = s->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct snapshot_object *o = s->items[mid];
		int c = key_cmp(kind, schema, name, o->kind, o->schema, o->name);
		if (c == 0)
			return o;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

char *snapshot_object_qualified(const struct snapshot_object *o)
{
	return o->schema ? xasprintf("%s.%s", o->schema, o->name) : xstrdup(o->name);
}

/* Bytes that continue an identifier (non-ASCII bytes included: letters of
 * other scripts are identifier characters to PostgreSQL). */
static bool ident_byte(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '$' || c >= 0x80;
}

char *snapshot_abstract(const char *text, const char *schema)
{
	if (!text)
		return NULL;
	if (!schema || !*schema)
		return xstrdup(text);
	size_t ls = strlen(schema);
	struct strbuf sb;
	strbuf_init(&sb);
	const char *p = text, *from = text;
	while ((p = strstr(p, schema))) {
		bool starts = p == text || (!ident_byte((unsigned char)p[-1]) &&
		                            (schema[0] == '"' || p[-1] != '"'));
		if (starts && p[ls] == '.') {
			strbuf_add(&sb, from, (size_t)(p - from));
			strbuf_adds(&sb, SNAPSHOT_TENANT_SCHEMA);
			p += ls;
			from = p;
		} else {
			p++;
		}
	}
	strbuf_adds(&sb, from);
	return strbuf_detach(&sb);
}
