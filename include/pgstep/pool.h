/* pool: worker threads that run fn(ctx, i) once for each i in [0, n), taking
 * the items in order. The caller may wait for one item (running it itself
 * when no worker has taken it yet), for all, or poll a descriptor. */
#ifndef PGSTEP_POOL_H
#define PGSTEP_POOL_H

#include <stddef.h>

struct pool;
typedef void pool_fn(void *ctx, size_t i);

/* Start up to `workers` threads (fewer when creating one fails; 0 is
 * allowed: the caller then runs every item in pool_wait/pool_finish). The
 * threads block every signal, so signals stay with the caller's thread. */
struct pool *pool_start(size_t n, int workers, pool_fn *fn, void *ctx);
/* The threads that did start. */
int pool_workers(const struct pool *p);
/* Return once item i has run. */
void pool_wait(struct pool *p, size_t i);
/* A descriptor that becomes readable once every item has run (the pool owns
 * it); -1 when there are no workers, where nothing runs until pool_finish. */
int pool_fd(struct pool *p);
/* Run what no worker has taken, wait for the rest, join and free; NULLs *pp. */
void pool_finish(struct pool **pp);

#endif
