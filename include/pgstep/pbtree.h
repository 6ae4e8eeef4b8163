/* pbtree: SQL parsed by libpg_query into the protobuf-c structs of its parse
 * tree (PgQuery__ParseResult and below), every allocation in an arena: the
 * tree goes away with arena_release, with no walk over it. The tree is read
 * from libpg_query's JSON output (src/parse/pbtree_json.c says why), or from
 * its protobuf (src/parse/pbtree.c) where the JSON is unsure; packing it
 * with protobuf-c gives libpg_query's own protobuf bytes
 * (tests/unit/test_risk checks that on the corpus).
 *
 * The protobuf decoder: protobuf-c's own unpack, for each message, goes
 * over every field of its descriptor; a Node is a oneof of some 250 message
 * fields, so it did 250 steps per node of the tree. This one reads the wire
 * format once, looks each field up by its number and leaves unset fields to
 * the message's init function. */
#ifndef PGSTEP_PBTREE_H
#define PGSTEP_PBTREE_H

#include <stdbool.h>
#include <stddef.h>
#include <pg_query/pg_query.pb-c.h>

struct arena;

/* NULL when the bytes are not a valid encoding (or nest too deep). */
PgQuery__ParseResult *pbtree_decode(struct arena *a, const void *data, size_t len);

/* libpg_query's parse error: its message (caller frees) and the 1-based
 * character position, or 0 when it names none; -1 when the parser's output
 * did not decode (not an error in the SQL). */
struct pbtree_error {
	char *message;
	int cursorpos;
};

/* sql parsed, the tree in arena a. NULL on a parse error, with *err filled
 * when err is not NULL. */
PgQuery__ParseResult *pbtree_parse(struct arena *a, const char *sql, struct pbtree_error *err);
/* The tree from libpg_query's JSON text; NULL when it does not read. */
PgQuery__ParseResult *pbtree_decode_json(struct arena *a, const char *json);
/* False if two fields of a message of pg_query.proto would take the same
 * JSON key (the decoder then refuses every tree). */
bool pbtree_names_unambiguous(void);

#endif
