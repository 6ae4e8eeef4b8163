/* pbtree: libpg_query's protobuf parse tree decoded into the protobuf-c
 * structs (PgQuery__ParseResult and below), every allocation in an arena.
 *
 * protobuf-c's own unpack, for each message, goes over every field of its
 * descriptor; a Node is a oneof of some 250 message fields, so it did 250
 * steps per node of the tree, and freeing the tree did the same again. This
 * decoder reads the wire format once, looks each field up by its number and
 * leaves unset fields to the message's init function; the tree goes away
 * with arena_release. The result is the same tree: packing it again with
 * protobuf-c gives back the input bytes (tests/unit/test_risk checks that on
 * the corpus). */
#ifndef PGSTEP_PBTREE_H
#define PGSTEP_PBTREE_H

#include <stddef.h>
#include <stdint.h>
#include <pg_query/pg_query.pb-c.h>

struct arena;

/* NULL when the bytes are not a valid encoding (or nest too deep). */
PgQuery__ParseResult *pbtree_decode(struct arena *a, const void *data, size_t len);

#endif
