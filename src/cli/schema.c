/* schema: `pgstep schema` prints a tenant's live schema as the snapshot
 * sees it (objects grouped by kind, a table's columns under it, the kinds
 * not compared), and with --compare the differences between two tenants'
 * live schemas. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "pgstep/json.h"
#include "pgstep/session.h"
#include "pgstep/snapshot.h"
#include "pgstep/snapshot_read.h"
#include "pgstep/strbuf.h"
#include "pgstep/xalloc.h"

#define WIDTH 80

/* Kinds whose definition is short enough to show on the object's line
 * (a view's or a function's is shown by --json). */
static bool def_inline(const char *kind)
{
	static const char *const kinds[] = {"constraint", "index",     "trigger", "rule",
	                                    "policy",     "aggregate", NULL};
	for (size_t i = 0; kinds[i]; i++)
		if (strcmp(kinds[i], kind) == 0)
			return true;
	return false;
}

/* s with runs of white space as one space. */
static void add_collapsed(struct strbuf *sb, const char *s)
{
	bool space = false;
	for (; *s; s++) {
		if (*s == ' ' || *s == '\n' || *s == '\t' || *s == '\r') {
			space = true;
			continue;
		}
		if (space && sb->len && sb->buf[sb->len - 1] != ' ')
			strbuf_addc(sb, ' ');
		space = false;
		strbuf_addc(sb, *s);
	}
}

static void add_attrs(struct strbuf *sb, const struct snapshot_object *o, const char *const *skip)
{
	for (size_t i = 0; i < o->n_attrs; i++) {
		const struct snapshot_attr *a = &o->attrs[i];
		bool skipped = false;
		for (size_t k = 0; skip && skip[k]; k++)
			skipped |= strcmp(skip[k], a->name) == 0;
		if (skipped)
			continue;
		if (sb->len)
			strbuf_adds(sb, ", ");
		if (strcmp(a->value, "t") == 0) {
			strbuf_adds(sb, a->name);
		} else {
			strbuf_addf(sb, "%s ", a->name);
			add_collapsed(sb, a->value);
		}
	}
}

/* A column as its table's definition would say it, then the rest. */
static void column_summary(struct strbuf *sb, const struct snapshot_object *o)
{
	static const char *const shown[] = {"type",      "collation", "NOT NULL", "default",
	                                    "generated", "identity",  NULL};
	const char *v;
	strbuf_adds(sb, snapshot_object_get(o, "type") ? snapshot_object_get(o, "type") : "?");
	if ((v = snapshot_object_get(o, "collation")))
		strbuf_addf(sb, " COLLATE %s", v);
	if (snapshot_object_get(o, "NOT NULL"))
		strbuf_adds(sb, " NOT NULL");
	if ((v = snapshot_object_get(o, "default"))) {
		strbuf_adds(sb, " DEFAULT ");
		add_collapsed(sb, v);
	}
	if ((v = snapshot_object_get(o, "generated"))) {
		strbuf_adds(sb, " GENERATED ALWAYS AS (");
		add_collapsed(sb, v);
		strbuf_adds(sb, ") STORED");
	}
	if ((v = snapshot_object_get(o, "identity")))
		strbuf_addf(sb, " GENERATED %s AS IDENTITY",
		            strcmp(v, "always") == 0 ? "ALWAYS" : "BY DEFAULT");
	struct strbuf rest;
	strbuf_init(&rest);
	add_attrs(&rest, o, shown);
	if (rest.len)
		strbuf_addf(sb, "; %s", rest.buf);
	strbuf_release(&rest);
}

/* "name  text", text wrapped at word boundaries to WIDTH columns, the
 * continuation lines indented under it. */
static void print_item(int indent, const char *name, const char *text)
{
	const char *sname = cli_safe(name);
	int col = printf("%*s%s", indent, "", sname);
	if (!text || !*text) {
		printf("\n");
		return;
	}
	const char *s = cli_safe(text);
	int lead = indent + 4;
	if (col + 2 + (int)strlen(s) <= WIDTH) {
		printf("  %s\n", s);
		return;
	}
	printf("\n%*s", lead, "");
	col = lead;
	while (*s) {
		size_t w = strcspn(s, " ");
		if (col > lead && col + 1 + (int)w > WIDTH) {
			printf("\n%*s", lead, "");
			col = lead;
		} else if (col > lead) {
			putchar(' ');
			col++;
		}
		fwrite(s, 1, w, stdout);
		col += (int)w;
		s += w;
		while (*s == ' ')
			s++;
	}
	printf("\n");
}

/* The object's name as shown: unqualified in the tenant's own schema. */
static char *shown_name(const struct snapshot *snap, const struct snapshot_object *o)
{
	if (!o->schema || (snap->tenant_schema && strcmp(o->schema, SNAPSHOT_TENANT_SCHEMA) == 0))
		return xstrdup(o->name);
	return snapshot_object_qualified(o);
}

static void print_columns(const struct snapshot *snap, const struct snapshot_object *t)
{
	/* The parent reads "table schema.name" with the schema quoted; match by
	 * name prefix and schema instead. */
	size_t tl = strlen(t->name);
	const struct snapshot_object **cols = NULL;
	size_t n = 0, cap = 0;
	for (size_t i = 0; i < snap->n; i++) {
		const struct snapshot_object *o = snap->items[i];
		if (strcmp(o->kind, "column") != 0 || !o->parent ||
		    strncmp(o->parent, "table ", 6) != 0 || !o->schema || !t->schema ||
		    strcmp(o->schema, t->schema) != 0 || strncmp(o->name, t->name, tl) != 0 ||
		    o->name[tl] != '.')
			continue;
		XGROW(cols, cap, n + 1);
		size_t k = n++;
		while (k > 0 && cols[k - 1]->position > o->position) {
			cols[k] = cols[k - 1];
			k--;
		}
		cols[k] = o;
	}
	for (size_t i = 0; i < n; i++) {
		struct strbuf sb;
		strbuf_init(&sb);
		column_summary(&sb, cols[i]);
		print_item(4, cols[i]->name + tl + 1, sb.buf);
		strbuf_release(&sb);
	}
	free(cols);
}

static void print_uncompared(const struct snapshot *snap)
{
	printf("not compared (kinds pgstep does not model):\n");
	struct strbuf off, present, absent;
	strbuf_init(&off);
	strbuf_init(&present);
	strbuf_init(&absent);
	for (size_t i = 0; i < snap->n_uncompared; i++) {
		const struct snapshot_uncompared *u = &snap->uncompared[i];
		struct strbuf *sb = u->count < 0 ? &off : u->count > 0 ? &present : &absent;
		if (sb->len)
			strbuf_adds(sb, ", ");
		if (u->count > 0)
			strbuf_addf(sb, "%s %ld", u->kind, u->count);
		else
			strbuf_adds(sb, u->kind);
	}
	if (present.len)
		print_item(2, "present:", present.buf);
	if (off.len)
		print_item(2, "switched off:", off.buf);
	if (absent.len)
		print_item(2, "none here:", absent.buf);
	strbuf_release(&off);
	strbuf_release(&present);
	strbuf_release(&absent);
}

static void snapshot_text(const struct tenant *t, const struct snapshot *snap)
{
	printf("tenant %s", cli_safe(t->name));
	if (snap->tenant_schema)
		printf(" (schema %s, written %s)", cli_safe(snap->tenant_schema),
		       SNAPSHOT_TENANT_SCHEMA);
	printf(": %zu objects, %d round trip%s, %.1f ms\n", snap->n, snap->round_trips,
	       snap->round_trips == 1 ? "" : "s", snap->read_ms);
	if (snap->tenant_schema && !snapshot_find(snap, "schema", NULL, SNAPSHOT_TENANT_SCHEMA))
		printf("(schema %s does not exist)\n", cli_safe(snap->tenant_schema));
	for (size_t k = 0; snapshot_kinds[k]; k++) {
		const char *kind = snapshot_kinds[k];
		if (strcmp(kind, "column") == 0)
			continue; /* under their table */
		size_t count = 0;
		for (size_t i = 0; i < snap->n; i++)
			count += strcmp(snap->items[i]->kind, kind) == 0;
		if (!count)
			continue;
		printf("\n%s (%zu)\n", kind, count);
		for (size_t i = 0; i < snap->n; i++) {
			const struct snapshot_object *o = snap->items[i];
			if (strcmp(o->kind, kind) != 0)
				continue;
			struct strbuf sb;
			strbuf_init(&sb);
			if (o->def && def_inline(kind))
				add_collapsed(&sb, o->def);
			add_attrs(&sb, o, NULL);
			char *name = shown_name(snap, o);
			print_item(2, name, sb.buf);
			free(name);
			strbuf_release(&sb);
			if (strcmp(kind, "table") == 0)
				print_columns(snap, o);
		}
	}
	printf("\n");
	print_uncompared(snap);
}

static void object_json(struct json *j, const struct snapshot_object *o)
{
	json_begin_object(j);
	json_kv_string(j, "kind", o->kind);
	json_kv_string(j, "schema", o->schema);
	json_kv_string(j, "name", o->name);
	json_kv_string(j, "parent", o->parent);
	if (o->position)
		json_kv_int(j, "position", o->position);
	json_kv_string(j, "definition", o->def);
	json_key(j, "attributes");
	json_begin_object(j);
	for (size_t i = 0; i < o->n_attrs; i++) {
		if (strcmp(o->attrs[i].value, "t") == 0)
			json_kv_bool(j, o->attrs[i].name, true);
		else
			json_kv_string(j, o->attrs[i].name, o->attrs[i].value);
	}
	json_end_object(j);
	json_end_object(j);
}

/* The tenant's members of the JSON object (inside it). */
static void snapshot_json(struct json *j, const struct tenant *t, const struct snapshot *snap,
                          bool objects)
{
	json_kv_string(j, "name", t->name);
	json_kv_string(j, "schema", snap->tenant_schema);
	json_kv_string(j, "schema_placeholder",
	               snap->tenant_schema ? SNAPSHOT_TENANT_SCHEMA : NULL);
	json_kv_int(j, "server_version", snap->server_version);
	json_kv_int(j, "round_trips", snap->round_trips);
	json_kv_int(j, "read_us", (int64_t)(snap->read_ms * 1000));
	json_kv_int(j, "object_count", (int64_t)snap->n);
	if (objects) {
		json_key(j, "objects");
		json_begin_array(j);
		for (size_t i = 0; i < snap->n; i++)
			object_json(j, snap->items[i]);
		json_end_array(j);
	}
	json_key(j, "not_compared");
	json_begin_array(j);
	for (size_t i = 0; i < snap->n_uncompared; i++) {
		const struct snapshot_uncompared *u = &snap->uncompared[i];
		json_begin_object(j);
		json_kv_string(j, "kind", u->kind);
		if (u->count >= 0)
			json_kv_int(j, "count", u->count);
		else
			json_kv_string(j, "count", NULL);
		json_kv_string(j, "why", u->why);
		json_end_object(j);
	}
	json_end_array(j);
}

static bool take_snapshot(struct tenant *t, const struct snapshot_read_options *o,
                          struct snapshot *snap, struct pgstep_error *err)
{
	struct session *s = session_connect(t->conninfo, t->name, err);
	if (!s)
		return false;
	bool ok = snapshot_read(s, t->schema, o, snap, err);
	session_close(&s);
	return ok;
}

/* Two schema tenants of one database, other schemas. */
static bool same_database(const struct tenant *a, const struct tenant *b)
{
	if (!a->schema || !b->schema || strcmp(a->schema, b->schema) == 0)
		return false;
	char *ka = tenant_database_key(a->conninfo), *kb = tenant_database_key(b->conninfo);
	bool same = ka && kb && strcmp(ka, kb) == 0;
	free(ka);
	free(kb);
	return same;
}

/* Both in the same read (one round trip, one snapshot of the catalogs). */
static bool take_two(struct tenant *t, struct tenant *other, const struct snapshot_read_options *o,
                     struct snapshot *a, struct snapshot *b, struct pgstep_error *err)
{
	struct session *s = session_connect(t->conninfo, t->name, err);
	if (!s)
		return false;
	const char *schemas[2] = {t->schema, other->schema};
	struct snapshot outs[2];
	bool ok = snapshot_read_schemas(s, schemas, 2, o, outs, err);
	session_close(&s);
	if (ok) {
		*a = outs[0];
		*b = outs[1];
	}
	return ok;
}

static const struct snapshot_object *change_object(const struct snapshot_change *c)
{
	return c->b ? c->b : c->a;
}

static void diff_text(const struct tenant *ta, const struct tenant *tb, const struct snapshot *a,
                      const struct snapshot *b, const struct snapshot_diff *d)
{
	size_t sig = snapshot_diff_significant(d);
	printf("%s -> %s: ", cli_safe(ta->name), cli_safe(tb->name));
	if (d->n == 0)
		printf("no differences (%zu objects compared)\n", a->n);
	else
		printf("%zu difference%s%s (added: only in %s; removed: only in %s)\n", sig,
		       sig == 1 ? "" : "s", d->n > sig ? ", and column order" : "",
		       cli_safe(tb->name), cli_safe(ta->name));
	for (size_t i = 0; i < d->n; i++) {
		const struct snapshot_change *c = &d->items[i];
		const struct snapshot_object *o = change_object(c);
		char *name = snapshot_object_qualified(o);
		char *label = xasprintf(
		    "%-8s %s %s", c->what == SNAPSHOT_ORDER ? "low" : snapshot_change_name(c->what),
		    o->kind, name);
		print_item(2, label, NULL);
		for (size_t k = 0; k < c->n_details; k++)
			print_item(11, c->details[k], NULL);
		free(label);
		free(name);
	}
	if (d->uncompared_differ) {
		printf("not compared, and different in number:\n");
		for (size_t i = 0; i < a->n_uncompared; i++)
			for (size_t k = 0; k < b->n_uncompared; k++)
				if (strcmp(a->uncompared[i].kind, b->uncompared[k].kind) == 0 &&
				    a->uncompared[i].count != b->uncompared[k].count)
					printf("  %s: %ld -> %ld\n", a->uncompared[i].kind,
					       a->uncompared[i].count, b->uncompared[k].count);
	}
	struct strbuf kinds;
	strbuf_init(&kinds);
	for (size_t i = 0; i < a->n_uncompared; i++)
		strbuf_addf(&kinds, "%s%s", i ? ", " : "", a->uncompared[i].kind);
	print_item(0, "not compared:", kinds.buf);
	strbuf_release(&kinds);
}

static void diff_json(struct json *j, const struct snapshot_diff *d)
{
	json_key(j, "differences");
	json_begin_array(j);
	for (size_t i = 0; i < d->n; i++) {
		const struct snapshot_change *c = &d->items[i];
		const struct snapshot_object *o = change_object(c);
		json_begin_object(j);
		json_kv_string(j, "change",
		               c->what == SNAPSHOT_ORDER ? "column order"
		                                         : snapshot_change_name(c->what));
		json_kv_string(j, "severity", c->what == SNAPSHOT_ORDER ? "low" : "normal");
		json_kv_string(j, "kind", o->kind);
		json_kv_string(j, "schema", o->schema);
		json_kv_string(j, "name", o->name);
		json_key(j, "details");
		json_begin_array(j);
		for (size_t k = 0; k < c->n_details; k++)
			json_string(j, c->details[k]);
		json_end_array(j);
		json_end_object(j);
	}
	json_end_array(j);
	json_kv_bool(j, "not_compared_differ", d->uncompared_differ);
}

int cli_schema(const struct cli_globals *g, int argc, char **argv)
{
	struct cli_command c;
	int rc = cli_parse(argc, argv, OPT_TENANT | OPT_COMPARE | OPT_PRIVILEGE,
	                   "schema [--tenant T] [--compare T2] [--privileges] [--json]", &c.o);
	if (rc >= 0)
		return rc;
	if (c.o.n_tenants > 1) {
		fprintf(stderr, "pgstep schema: one --tenant at a time\n");
		return PGSTEP_EXIT_USAGE;
	}
	if ((rc = cli_command_open(g, &c, false)) >= 0)
		return rc;
	struct tenant *other = NULL;
	if (c.o.compare && !(other = tenant_list_find(&c.e.tenants, c.o.compare))) {
		fprintf(stderr, "pgstep schema: --compare %s: no such tenant\n",
		        cli_safe(c.o.compare));
		cli_command_close(&c);
		return PGSTEP_EXIT_USAGE;
	}
	struct tenant *t = c.ts[0];
	struct snapshot a, b;
	struct pgstep_error err = {0};
	snapshot_init(&a);
	snapshot_init(&b);
	struct snapshot_read_options ro = {.privileges = c.o.privileges};
	if (!(other && same_database(t, other)
	          ? take_two(t, other, &ro, &a, &b, &err)
	          : take_snapshot(t, &ro, &a, &err) &&
	                (!other || take_snapshot(other, &ro, &b, &err)))) {
		rc = cli_fail(&err);
		goto out;
	}
	rc = PGSTEP_EXIT_OK;
	struct strbuf sb;
	struct json j;
	if (g->json) {
		cli_json_tenants_begin(&j, &sb);
		json_begin_object(&j);
		snapshot_json(&j, t, &a, !other);
		json_end_object(&j);
		if (other) {
			json_begin_object(&j);
			snapshot_json(&j, other, &b, false);
			json_end_object(&j);
		}
		json_end_array(&j);
	}
	if (other) {
		struct snapshot_diff d;
		snapshot_compare(&a, &b, &d);
		/* Column order alone is no difference; a kind not compared that
		 * has more objects on one side is. */
		if (snapshot_diff_significant(&d) || d.uncompared_differ)
			rc = PGSTEP_EXIT_DRIFT;
		if (g->json)
			diff_json(&j, &d);
		else
			diff_text(t, other, &a, &b, &d);
		snapshot_diff_clear(&d);
	} else if (!g->json) {
		snapshot_text(t, &a);
	}
	if (g->json) {
		json_end_object(&j);
		printf("%s\n", sb.buf);
		strbuf_release(&sb);
	}
out:
	error_clear(&err);
	snapshot_clear(&a);
	snapshot_clear(&b);
	cli_command_close(&c);
	return rc;
}
