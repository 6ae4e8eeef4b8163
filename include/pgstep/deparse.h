/* deparse: parse-tree nodes turned back into SQL text by libpg_query's
 * deparser, for queries built from a migration's own expressions (the
 * preflight checks). The deparser drops parentheses it needs in a few places
 * ("(a OR b) IS FALSE" comes out as "a OR b IS FALSE"), so a text is only
 * returned when parsing it again gives the same tree; callers put each
 * expression in parentheses of their own. Also a walk over any parse-tree
 * message, by protobuf-c reflection. */
#ifndef PGSTEP_DEPARSE_H
#define PGSTEP_DEPARSE_H

struct PgQuery__Node;
struct ProtobufCMessage;

/* The expression as SQL (xmalloc'd), or NULL when the deparser cannot
 * reproduce it faithfully. */
char *deparse_expr(const struct PgQuery__Node *n);
/* An identifier, qualified by prefix when prefix is not NULL or "" (a schema
 * or an alias), quoted only where needed: keywords and names that are not
 * lower case are quoted, as PostgreSQL's quote_ident does. xmalloc'd. */
char *deparse_name(const char *prefix, const char *name);

/* Call fn for m and every message below it. */
typedef void (*deparse_visit_fn)(struct ProtobufCMessage *m, void *arg);
void deparse_walk(struct ProtobufCMessage *m, deparse_visit_fn fn, void *arg);

#endif
