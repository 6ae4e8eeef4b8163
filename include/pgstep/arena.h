/* arena: a bump allocator for data that dies all at once, such as the
 * unpacked parse trees of the risk engine (tens of thousands of small nodes
 * per file). Allocation is a pointer bump; arena_release frees everything in
 * one pass instead of walking the tree. One arena per thread of work. */
#ifndef PGSTEP_ARENA_H
#define PGSTEP_ARENA_H

#include <stddef.h>

struct arena_chunk;

struct arena {
	struct arena_chunk *chunks; /* owned; the newest first */
	char *next;                 /* free space in the newest chunk */
	size_t left;
};

void arena_init(struct arena *a);
/* n bytes aligned for any type; aborts like xmalloc when memory runs out. */
void *arena_alloc(struct arena *a, size_t n);
/* Free everything allocated; the arena can be used again. */
void arena_release(struct arena *a);

#endif
