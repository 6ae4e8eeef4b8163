/* snapshot_compare: what changes from one snapshot to another, object by
 * object, with a line per attribute that differs. Column order is its own
 * change (SNAPSHOT_ORDER) so a front end can show it at low severity: a
 * column added at the end by a migration and in the middle by hand hold the
 * same data. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "pgstep/snapshot.h"
#include "pgstep/strbuf.h"
#include "pgstep/xalloc.h"

/* Attribute values longer than this are not quoted in a detail line. */
#define DETAIL_VALUE_MAX 48

const char *snapshot_change_name(enum snapshot_change_kind k)
{
	switch (k) {
	case SNAPSHOT_ADDED: return "added";
	case SNAPSHOT_REMOVED: return "removed";
	case SNAPSHOT_CHANGED: return "changed";
	case SNAPSHOT_ORDER: return "column order";
	}
	return "?";
}

static struct snapshot_change *change_new(struct snapshot_diff *d, enum snapshot_change_kind what,
                                          const struct snapshot_object *a,
                                          const struct snapshot_object *b)
{
	XGROW(d->items, d->cap, d->n + 1);
	struct snapshot_change *c = &d->items[d->n++];
	*c = (struct snapshot_change){.what = what, .a = a, .b = b};
	return c;
}

static void detail_add(struct snapshot_change *c, char *text)
{
	c->details = xrealloc(c->details, (c->n_details + 1) * sizeof *c->details);
	c->details[c->n_details++] = text;
}

static bool is_flag(const char *v)
{
	return strcmp(v, "t") == 0;
}

static bool short_value(const char *v)
{
	return strlen(v) <= DETAIL_VALUE_MAX && !strchr(v, '\n');
}

/* Attributes are sorted by name: a merge. */
static void attrs_compare(const struct snapshot_object *a, const struct snapshot_object *b,
                          struct snapshot_change *c)
{
	size_t i = 0, k = 0;
	while (i < a->n_attrs || k < b->n_attrs) {
		int cmp = i == a->n_attrs   ? 1
		          : k == b->n_attrs ? -1
		                            : strcmp(a->attrs[i].name, b->attrs[k].name);
		if (cmp < 0) {
			const struct snapshot_attr *x = &a->attrs[i++];
			detail_add(c, is_flag(x->value) || !short_value(x->value)
			                  ? xasprintf("%s removed", x->name)
			                  : xasprintf("%s removed (was %s)", x->name, x->value));
		} else if (cmp > 0) {
			const struct snapshot_attr *y = &b->attrs[k++];
			detail_add(c, is_flag(y->value) || !short_value(y->value)
			                  ? xasprintf("%s added", y->name)
			                  : xasprintf("%s added: %s", y->name, y->value));
		} else {
			const struct snapshot_attr *x = &a->attrs[i++], *y = &b->attrs[k++];
			if (strcmp(x->value, y->value) == 0)
				continue;
			detail_add(
			    c, short_value(x->value) && short_value(y->value)
			           ? xasprintf("%s changed: %s -> %s", x->name, x->value, y->value)
			           : xasprintf("%s changed", x->name));
		}
	}
}

static bool str_eq(const char *a, const char *b)
{
	return a && b ? strcmp(a, b) == 0 : a == b;
}

static void object_compare(const struct snapshot_object *a, const struct snapshot_object *b,
                           struct snapshot_diff *d)
{
	struct snapshot_change tmp = {.what = SNAPSHOT_CHANGED, .a = a, .b = b};
	if (!str_eq(a->def, b->def))
		detail_add(&tmp, xstrdup("definition changed"));
	if (!str_eq(a->parent, b->parent))
		detail_add(&tmp, xasprintf("now belongs to %s", b->parent ? b->parent : "nothing"));
	attrs_compare(a, b, &tmp);
	if (tmp.n_details)
		*change_new(d, SNAPSHOT_CHANGED, a, b) = tmp;
}

/* The columns of table t, in position order. Columns are named
 * "table.column", so they are one run of the sorted list, found by
 * bisection. */
static size_t table_columns(const struct snapshot *s, const struct snapshot_object *t,
                            const struct snapshot_object ***out)
{
	char *prefix = xasprintf("%s.", t->name);
	size_t lo = 0, hi = s->n, tl = strlen(prefix);
	size_t kc = snapshot_kind_order("column");
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct snapshot_object *o = s->items[mid];
		size_t ko = snapshot_kind_order(o->kind);
		int c = ko != kc ? (ko < kc ? -1 : 1) : strcmp(o->kind, "column");
		if (!c)
			c = o->schema && t->schema ? strcmp(o->schema, t->schema)
			                           : (o->schema != NULL) - (t->schema != NULL);
		if (!c)
			c = strcmp(o->name, prefix);
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	size_t n = 0, cap = 0;
	const struct snapshot_object **cols = NULL;
	for (size_t i = lo; i < s->n; i++) {
		const struct snapshot_object *o = s->items[i];
		if (strcmp(o->kind, "column") != 0 || !str_eq(o->schema, t->schema) ||
		    strncmp(o->name, prefix, tl) != 0)
			break;
		XGROW(cols, cap, n + 1);
		cols[n++] = o;
	}
	free(prefix);
	for (size_t i = 1; i < n; i++) /* insertion sort: few columns, mostly sorted */
		for (size_t k = i; k > 0 && cols[k - 1]->position > cols[k]->position; k--) {
			const struct snapshot_object *x = cols[k];
			cols[k] = cols[k - 1];
			cols[k - 1] = x;
		}
	*out = cols;
	return n;
}

static bool has_column(const struct snapshot_object **cols, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(cols[i]->name, name) == 0)
			return true;
	return false;
}

static void column_list(struct strbuf *sb, const struct snapshot_object **cols, size_t n,
                        const struct snapshot_object **other, size_t n_other, size_t skip)
{
	const char *sep = "";
	for (size_t i = 0; i < n; i++) {
		if (!has_column(other, n_other, cols[i]->name))
			continue;
		strbuf_addf(sb, "%s%s", sep, cols[i]->name + skip);
		sep = ", ";
	}
}

/* Compare the order of the columns both sides have. */
static void order_compare(const struct snapshot *sa, const struct snapshot *sb,
                          const struct snapshot_object *ta, const struct snapshot_object *tb,
                          struct snapshot_diff *d)
{
	const struct snapshot_object **ca, **cb;
	size_t na = table_columns(sa, ta, &ca), nb = table_columns(sb, tb, &cb);
	size_t i = 0, k = 0;
	bool differ = false;
	while (!differ) {
		while (i < na && !has_column(cb, nb, ca[i]->name))
			i++;
		while (k < nb && !has_column(ca, na, cb[k]->name))
			k++;
		if (i == na || k == nb)
			break;
		differ = strcmp(ca[i++]->name, cb[k++]->name) != 0;
	}
	if (differ) {
		struct snapshot_change *c = change_new(d, SNAPSHOT_ORDER, ta, tb);
		struct strbuf text;
		strbuf_init(&text);
		size_t skip = strlen(ta->name) + 1;
		strbuf_adds(&text, "columns in order ");
		column_list(&text, cb, nb, ca, na, skip);
		strbuf_adds(&text, " (was ");
		column_list(&text, ca, na, cb, nb, skip);
		strbuf_adds(&text, ")");
		detail_add(c, strbuf_detach(&text));
	}
	free(ca);
	free(cb);
}

static bool uncompared_equal(const struct snapshot *a, const struct snapshot *b)
{
	if (a->n_uncompared != b->n_uncompared)
		return false;
	for (size_t i = 0; i < a->n_uncompared; i++)
		if (strcmp(a->uncompared[i].kind, b->uncompared[i].kind) != 0 ||
		    a->uncompared[i].count != b->uncompared[i].count)
			return false;
	return true;
}

void snapshot_compare(const struct snapshot *a, const struct snapshot *b, struct snapshot_diff *out)
{
	memset(out, 0, sizeof *out);
	size_t i = 0, k = 0;
	while (i < a->n || k < b->n) {
		const struct snapshot_object *x = i < a->n ? a->items[i] : NULL;
		const struct snapshot_object *y = k < b->n ? b->items[k] : NULL;
		int c = !x ? 1 : !y ? -1 : 0;
		if (x && y) {
			size_t kx = snapshot_kind_order(x->kind), ky = snapshot_kind_order(y->kind);
			c = kx != ky ? (kx < ky ? -1 : 1) : strcmp(x->kind, y->kind);
			if (!c)
				c = x->schema && y->schema
				        ? strcmp(x->schema, y->schema)
				        : (x->schema != NULL) - (y->schema != NULL);
			if (!c)
				c = strcmp(x->name, y->name);
		}
		if (c < 0) {
			change_new(out, SNAPSHOT_REMOVED, x, NULL);
			i++;
		} else if (c > 0) {
			change_new(out, SNAPSHOT_ADDED, NULL, y);
			k++;
		} else {
			object_compare(x, y, out);
			if (strcmp(x->kind, "table") == 0)
				order_compare(a, b, x, y, out);
			i++;
			k++;
		}
	}
	out->uncompared_differ = !uncompared_equal(a, b);
}

void snapshot_diff_clear(struct snapshot_diff *d)
{
	for (size_t i = 0; i < d->n; i++) {
		for (size_t k = 0; k < d->items[i].n_details; k++)
			free(d->items[i].details[k]);
		free(d->items[i].details);
	}
	free(d->items);
	memset(d, 0, sizeof *d);
}

size_t snapshot_diff_significant(const struct snapshot_diff *d)
{
	size_t n = 0;
	for (size_t i = 0; i < d->n; i++)
		n += d->items[i].what != SNAPSHOT_ORDER;
	return n;
}
