/* snapshot: the schema of a tenant as plain data, and its comparison.
 *
 * A snapshot is a list of objects (a table, a column, an index, a
 * function...), each with a kind, a schema, a name unique within its kind
 * and schema, the object it belongs to (a column's table), a canonical
 * definition printed by the server and named attributes ("type", "NOT
 * NULL", "default", "comment"). It is read by snapshot_read (db layer);
 * this module only holds, looks up and compares, so the comparison is
 * testable without a server.
 *
 * A schema tenant's schema name is abstracted: it reads as
 * SNAPSHOT_TENANT_SCHEMA in schemas, names and definitions, so the
 * snapshots of two tenants built by the same migrations are equal.
 *
 * Kinds pgstep does not model are listed in not_compared with how many
 * objects of that kind exist in scope: they are "not compared", never
 * silently "no difference". */
#ifndef PGSTEP_SNAPSHOT_H
#define PGSTEP_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>

#define SNAPSHOT_TENANT_SCHEMA "@schema"

struct snapshot_attr {
	char *name;  /* owned: "type", "NOT NULL", ... */
	char *value; /* owned: "t" for a flag that is set; absent attributes are not stored */
};

struct snapshot_object {
	char *kind;   /* owned: "table", "column", "index", ... (snapshot_kinds) */
	char *schema; /* owned: NULL for kinds outside schemas */
	char *name;   /* owned: "runs", "runs.id" (column), "f(integer)" (function) */
	char *parent; /* owned: "table @schema.runs" for a column, or NULL */
	char *def;    /* owned: the server's definition text, or NULL */
	int position; /* a column's place among its table's columns (1-based), else 0 */
	struct snapshot_attr *attrs; /* owned, sorted by name */
	size_t n_attrs, cap_attrs;
};

struct snapshot_uncompared {
	char *kind; /* owned: "publications", "privileges", ... */
	long count; /* objects of that kind in scope; -1 when not counted */
	char *why;  /* owned: "not modelled", "switched off" */
};

struct snapshot {
	char *tenant_schema; /* owned: the abstracted schema's real name, NULL for a database */
	struct snapshot_object **items; /* owned, sorted by kind order, schema, name */
	size_t n, cap;
	struct snapshot_uncompared *uncompared; /* owned */
	size_t n_uncompared, cap_uncompared;
	int server_version; /* server_version_num, 0 when not read */
	int round_trips;    /* to the server while reading */
	double read_ms;     /* wall time of the read */
};

/* The kinds in display order ("schema", "extension", ... "comment" is an
 * attribute, not a kind), NULL-terminated. */
extern const char *const snapshot_kinds[];
/* Index of kind in snapshot_kinds, or the count for an unknown kind. */
size_t snapshot_kind_order(const char *kind);

void snapshot_init(struct snapshot *s);
void snapshot_clear(struct snapshot *s);
/* A new object owned by s (strings copied; schema, parent, def may be NULL). */
struct snapshot_object *snapshot_add(struct snapshot *s, const char *kind, const char *schema,
                                     const char *name, const char *parent, const char *def);
/* Set an attribute (value NULL: nothing is stored). */
void snapshot_object_set(struct snapshot_object *o, const char *name, const char *value);
const char *snapshot_object_get(const struct snapshot_object *o, const char *name);
void snapshot_add_uncompared(struct snapshot *s, const char *kind, long count, const char *why);
/* Sort items (after adding); lookups need it. */
void snapshot_sort(struct snapshot *s);
const struct snapshot_object *snapshot_find(const struct snapshot *s, const char *kind,
                                            const char *schema, const char *name);
/* "@schema.runs" or "runs" (schema NULL): xmalloc'd. */
char *snapshot_object_qualified(const struct snapshot_object *o);

/* text with every reference to a schema replaced by SNAPSHOT_TENANT_SCHEMA:
 * quoted is the schema's name as the server quotes it (quote_ident), and a
 * reference is quoted followed by a dot, not preceded by an identifier
 * character. quoted NULL: a copy. xmalloc'd; text NULL gives NULL. */
char *snapshot_abstract(const char *text, const char *quoted);

/* ---- comparison ---------------------------------------------------------- */

enum snapshot_change_kind {
	SNAPSHOT_ADDED,   /* in b only */
	SNAPSHOT_REMOVED, /* in a only */
	SNAPSHOT_CHANGED, /* in both, different */
	SNAPSHOT_ORDER,   /* a table's columns in another order (low severity) */
};

struct snapshot_change {
	enum snapshot_change_kind what;
	const struct snapshot_object *a, *b; /* borrowed from the snapshots; NULL when absent */
	char **details; /* owned: "NOT NULL added", "definition changed", ... */
	size_t n_details;
};

struct snapshot_diff {
	struct snapshot_change *items; /* owned, in snapshot order */
	size_t n, cap;
	bool uncompared_differ; /* the kinds not compared or their counts differ */
};

/* What changes from a to b. Both must be sorted and outlive the diff. */
void snapshot_compare(const struct snapshot *a, const struct snapshot *b,
                      struct snapshot_diff *out);
void snapshot_diff_clear(struct snapshot_diff *d);
/* Changes other than column order. */
size_t snapshot_diff_significant(const struct snapshot_diff *d);
const char *snapshot_change_name(enum snapshot_change_kind k);

#endif
