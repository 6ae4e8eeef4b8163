/* arena: a bump allocator over a list of chunks (see arena.h). */
#include "config.h"

#include <stdalign.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "pgstep/arena.h"
#include "pgstep/xalloc.h"

/* Big enough that a migration's parse tree takes a few chunks. */
#define ARENA_CHUNK (64 * 1024)
#define ARENA_ALIGN alignof(max_align_t)

struct arena_chunk {
	struct arena_chunk *next;
	alignas(max_align_t) char data[];
};

void arena_init(struct arena *a)
{
	a->chunks = NULL;
	a->next = NULL;
	a->left = 0;
}

void *arena_alloc(struct arena *a, size_t n)
{
	n = (n + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
	if (n == 0)
		n = ARENA_ALIGN;
	if (n > a->left) {
		/* A request bigger than a chunk gets a chunk of its own, behind
		 * the current one, so the current one's free space stays usable. */
		size_t size = n > ARENA_CHUNK / 4 ? n : ARENA_CHUNK;
		struct arena_chunk *c = xmalloc(sizeof *c + size);
		if (size != ARENA_CHUNK && a->chunks) {
			c->next = a->chunks->next;
			a->chunks->next = c;
			return c->data;
		}
		c->next = a->chunks;
		a->chunks = c;
		a->next = c->data;
		a->left = size;
	}
	void *p = a->next;
	a->next += n;
	a->left -= n;
	return p;
}

void arena_release(struct arena *a)
{
	struct arena_chunk *c = a->chunks;
	while (c) {
		struct arena_chunk *next = c->next;
		free(c);
		c = next;
	}
	arena_init(a);
}
