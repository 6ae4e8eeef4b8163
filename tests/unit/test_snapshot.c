/* test_snapshot: the schema snapshot model and its comparison, without a
 * server (snapshot.h). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "pgstep/snapshot.h"
#include "pgstep/xalloc.h"
#include "tap.h"

static struct snapshot_object *column(struct snapshot *s, const char *table, const char *col,
                                      int pos, const char *type)
{
	char *name = xasprintf("%s.%s", table, col);
	char *parent = xasprintf("table @schema.%s", table);
	struct snapshot_object *o = snapshot_add(s, "column", "@schema", name, parent, NULL);
	o->position = pos;
	snapshot_object_set(o, "type", type);
	free(name);
	free(parent);
	return o;
}

/* A small schema: table runs (id, workflow_version_id, note), an index. */
static void base(struct snapshot *s)
{
	snapshot_init(s);
	snapshot_add(s, "schema", NULL, "@schema", NULL, NULL);
	snapshot_add(s, "table", "@schema", "runs", NULL, NULL);
	struct snapshot_object *id = column(s, "runs", "id", 1, "bigint");
	snapshot_object_set(id, "NOT NULL", "t");
	column(s, "runs", "workflow_version_id", 2, "bigint");
	column(s, "runs", "note", 3, "text");
	snapshot_add(s, "index", "@schema", "runs_note_idx", "table @schema.runs",
	             "CREATE INDEX runs_note_idx ON @schema.runs USING btree (note)");
	snapshot_add_uncompared(s, "publications", 0, "not modelled");
	snapshot_sort(s);
}

static struct snapshot_object *find(struct snapshot *s, const char *kind, const char *name)
{
	return (struct snapshot_object *)snapshot_find(s, kind, "@schema", name);
}

static const struct snapshot_change *only_change(const struct snapshot_diff *d)
{
	return d->n == 1 ? &d->items[0] : NULL;
}

static void test_equal(void)
{
	struct snapshot a, b;
	struct snapshot_diff d;
	base(&a);
	base(&b);
	snapshot_compare(&a, &b, &d);
	is_int(d.n, 0, "two equal snapshots: no difference");
	ok(!d.uncompared_differ, "nor in the kinds not compared");
	snapshot_diff_clear(&d);
	snapshot_clear(&a);
	snapshot_clear(&b);
}

static void test_not_null_added(void)
{
	struct snapshot a, b;
	struct snapshot_diff d;
	base(&a);
	base(&b);
	snapshot_object_set(find(&b, "column", "runs.workflow_version_id"), "NOT NULL", "t");
	snapshot_compare(&a, &b, &d);
	const struct snapshot_change *c = only_change(&d);
	ok(c && c->what == SNAPSHOT_CHANGED, "a column changed");
	if (c) {
		is_str(c->b->name, "runs.workflow_version_id", "the column is named");
		is_int(c->n_details, 1, "one detail");
		is_str(c->n_details ? c->details[0] : NULL, "NOT NULL added", "NOT NULL added");
	}
	snapshot_diff_clear(&d);
	/* and the other way round */
	snapshot_compare(&b, &a, &d);
	c = only_change(&d);
	is_str(c && c->n_details ? c->details[0] : NULL, "NOT NULL removed", "NOT NULL removed");
	snapshot_diff_clear(&d);
	snapshot_clear(&a);
	snapshot_clear(&b);
}

static void test_type_and_default(void)
{
	struct snapshot a, b;
	struct snapshot_diff d;
	base(&a);
	base(&b);
	struct snapshot_object *o = find(&b, "column", "runs.note");
	snapshot_object_set(o, "type", "character varying(200)");
	snapshot_object_set(o, "default", "'x'::text");
	snapshot_compare(&a, &b, &d);
	const struct snapshot_change *c = only_change(&d);
	ok(c && c->n_details == 2, "two details");
	if (c && c->n_details == 2) {
		/* attributes in name order */
		is_str(c->details[0], "default added: 'x'::text", "default added, with its value");
		is_str(c->details[1], "type changed: text -> character varying(200)",
		       "type changed, before and after");
	}
	snapshot_diff_clear(&d);
	snapshot_clear(&a);
	snapshot_clear(&b);
}

static void test_added_removed_definition(void)
{
	struct snapshot a, b;
	struct snapshot_diff d;
	base(&a);
	base(&b);
	/* b: the index dropped, another added, the table gets a comment */
	snapshot_clear(&b);
	snapshot_init(&b);
	snapshot_add(&b, "schema", NULL, "@schema", NULL, NULL);
	struct snapshot_object *t = snapshot_add(&b, "table", "@schema", "runs", NULL, NULL);
	snapshot_object_set(t, "comment", "the runs");
	snapshot_object_set(column(&b, "runs", "id", 1, "bigint"), "NOT NULL", "t");
	column(&b, "runs", "workflow_version_id", 2, "bigint");
	column(&b, "runs", "note", 3, "text");
	snapshot_add(&b, "index", "@schema", "runs_id_idx", "table @schema.runs",
	             "CREATE INDEX runs_id_idx ON @schema.runs USING btree (id)");
	snapshot_add_uncompared(&b, "publications", 0, "not modelled");
	snapshot_sort(&b);
	snapshot_compare(&a, &b, &d);
	is_int(d.n, 3, "three changes");
	if (d.n == 3) {
		ok(d.items[0].what == SNAPSHOT_CHANGED && strcmp(d.items[0].a->kind, "table") == 0,
		   "the table changed first (kind order)");
		is_str(d.items[0].details[0], "comment added: the runs", "its comment added");
		ok(d.items[1].what == SNAPSHOT_ADDED &&
		       strcmp(d.items[1].b->name, "runs_id_idx") == 0,
		   "runs_id_idx added");
		ok(d.items[2].what == SNAPSHOT_REMOVED &&
		       strcmp(d.items[2].a->name, "runs_note_idx") == 0,
		   "runs_note_idx removed");
	}
	snapshot_diff_clear(&d);

	/* an index redefined */
	snapshot_clear(&b);
	base(&b);
	struct snapshot_object *ix = find(&b, "index", "runs_note_idx");
	free(ix->def);
	ix->def = xstrdup("CREATE INDEX runs_note_idx ON @schema.runs USING btree (note, id)");
	snapshot_compare(&a, &b, &d);
	const struct snapshot_change *c = only_change(&d);
	is_str(c && c->n_details ? c->details[0] : NULL, "definition changed",
	       "index definition changed");
	snapshot_diff_clear(&d);
	snapshot_clear(&a);
	snapshot_clear(&b);
}

static void test_column_order(void)
{
	struct snapshot a, b;
	struct snapshot_diff d;
	base(&a);
	base(&b);
	/* b: note before workflow_version_id, plus a column only b has */
	find(&b, "column", "runs.note")->position = 2;
	find(&b, "column", "runs.workflow_version_id")->position = 4;
	column(&b, "runs", "extra", 3, "int");
	snapshot_sort(&b);
	snapshot_compare(&a, &b, &d);
	is_int(d.n, 2, "the added column and the order");
	is_int(snapshot_diff_significant(&d), 1, "the order is not significant");
	const struct snapshot_change *ord = NULL;
	for (size_t i = 0; i < d.n; i++)
		if (d.items[i].what == SNAPSHOT_ORDER)
			ord = &d.items[i];
	ok(ord != NULL, "a column order change");
	if (ord)
		is_str(ord->details[0],
		       "columns in order id, note, workflow_version_id"
		       " (was id, workflow_version_id, note)",
		       "order of the common columns, before and after");
	snapshot_diff_clear(&d);

	/* a column dropped and added again at the end is not an order change
	 * of the columns both have */
	snapshot_clear(&b);
	base(&b);
	find(&b, "column", "runs.id")->position = 4;
	snapshot_compare(&a, &b, &d);
	is_int(d.n, 1, "id moved to the end: an order change");
	snapshot_diff_clear(&d);
	snapshot_clear(&a);
	snapshot_clear(&b);
}

static void test_uncompared(void)
{
	struct snapshot a, b;
	struct snapshot_diff d;
	base(&a);
	base(&b);
	b.uncompared[0].count = 2;
	snapshot_compare(&a, &b, &d);
	is_int(d.n, 0, "no object differs");
	ok(d.uncompared_differ, "but the kinds not compared do");
	snapshot_diff_clear(&d);
	snapshot_clear(&a);
	snapshot_clear(&b);
}

static void test_abstract(void)
{
	struct {
		const char *text, *quoted, *want;
	} cases[] = {
	    {"CREATE INDEX i ON acme.runs USING btree (x)", "acme",
	     "CREATE INDEX i ON @schema.runs USING btree (x)"},
	    {"nextval('acme.runs_id_seq'::regclass)", "acme",
	     "nextval('@schema.runs_id_seq'::regclass)"},
	    /* a name that ends with the schema's is not it */
	    {"REFERENCES notacme.t(id)", "acme", "REFERENCES notacme.t(id)"},
	    /* nor the schema's name not followed by a dot */
	    {"CHECK (acme > 0)", "acme", "CHECK (acme > 0)"},
	    {"ON \"Acme\".runs", "\"Acme\"", "ON @schema.runs"},
	    /* a quoted identifier ending in the name */
	    {"ON \"x acme\".runs", "acme", "ON \"x acme\".runs"},
	    {"a acme.t, acme.u", "acme", "a @schema.t, @schema.u"},
	    {"acme.t", NULL, "acme.t"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		char *got = snapshot_abstract(cases[i].text, cases[i].quoted);
		is_str(got, cases[i].want, "abstract: %s", cases[i].text);
		free(got);
	}
}

static void test_attrs_sorted(void)
{
	struct snapshot s;
	snapshot_init(&s);
	struct snapshot_object *o = snapshot_add(&s, "column", "@schema", "t.c", NULL, NULL);
	snapshot_object_set(o, "type", "int");
	snapshot_object_set(o, "NOT NULL", "t");
	snapshot_object_set(o, "default", "1");
	snapshot_object_set(o, "default", NULL);
	is_int(o->n_attrs, 2, "setting NULL removes an attribute");
	is_str(o->attrs[0].name, "NOT NULL", "attributes sorted by name");
	is_str(snapshot_object_get(o, "type"), "int", "get");
	snapshot_clear(&s);
}

int main(void)
{
	test_equal();
	test_not_null_added();
	test_type_and_default();
	test_added_removed_definition();
	test_column_order();
	test_uncompared();
	test_abstract();
	test_attrs_sorted();
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}
