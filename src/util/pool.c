/* pool: one thread pool for the loader, lint and the engine's background
 * set loading. Items are coarse (a file, a whole set), so taking one under
 * a mutex costs nothing measurable. */
#include "config.h"

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <unistd.h>

#include "pgstep/pool.h"
#include "pgstep/xalloc.h"

enum item_state { ITEM_FREE, ITEM_TAKEN, ITEM_DONE };

struct pool {
	pool_fn *fn;
	void *ctx;
	size_t n;
	pthread_mutex_t mu;
	pthread_cond_t ran;   /* an item has run */
	unsigned char *state; /* enum item_state per item, under mu */
	size_t next;          /* no free item before it, under mu */
	size_t n_done;        /* under mu */
	int fd[2];            /* pool_fd's pipe, or -1 */
	pthread_t *threads;
	int n_threads;
};

/* Take the first free item (under mu); n when none is left. */
static size_t take(struct pool *p)
{
	while (p->next < p->n && p->state[p->next] != ITEM_FREE)
		p->next++;
	if (p->next == p->n)
		return p->n;
	p->state[p->next] = ITEM_TAKEN;
	return p->next++;
}

static void run(struct pool *p, size_t i)
{
	p->fn(p->ctx, i);
	pthread_mutex_lock(&p->mu);
	p->state[i] = ITEM_DONE;
	if (++p->n_done == p->n && p->fd[1] >= 0) {
		close(p->fd[1]); /* the read end becomes readable */
		p->fd[1] = -1;
	}
	pthread_cond_broadcast(&p->ran);
	pthread_mutex_unlock(&p->mu);
}

/* Run free items until none is left. */
static void drain(struct pool *p)
{
	for (;;) {
		pthread_mutex_lock(&p->mu);
		size_t i = take(p);
		pthread_mutex_unlock(&p->mu);
		if (i == p->n)
			break;
		run(p, i);
	}
}

static void *worker(void *arg)
{
	struct pool *p = arg;
	drain(p);
	/* No pg_query_exit(): libpg_query frees a thread's parser memory when
	 * the thread ends (a pthread key destructor); calling it as well frees
	 * that memory twice (ASan). */
	return NULL;
}

struct pool *pool_start(size_t n, int workers, pool_fn *fn, void *ctx)
{
	struct pool *p = xcalloc(1, sizeof *p);
	p->fn = fn;
	p->ctx = ctx;
	p->n = n;
	p->state = xcalloc(n ? n : 1, sizeof *p->state);
	p->fd[0] = p->fd[1] = -1;
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->ran, NULL);
	if ((size_t)(workers > 0 ? workers : 0) > n)
		workers = (int)n;
	if (workers < 1)
		return p;
	p->threads = xcalloc((size_t)workers, sizeof *p->threads);
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	for (int k = 0; k < workers; k++) {
		if (pthread_create(&p->threads[k], NULL, worker, p) != 0)
			break; /* fewer threads: the caller helps (pool_wait, pool_finish) */
		p->n_threads++;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return p;
}

int pool_workers(const struct pool *p)
{
	return p->n_threads;
}

void pool_wait(struct pool *p, size_t i)
{
	pthread_mutex_lock(&p->mu);
	bool mine = p->state[i] == ITEM_FREE;
	if (mine)
		p->state[i] = ITEM_TAKEN;
	while (!mine && p->state[i] != ITEM_DONE)
		pthread_cond_wait(&p->ran, &p->mu);
	pthread_mutex_unlock(&p->mu);
	if (mine)
		run(p, i);
}

int pool_fd(struct pool *p)
{
	if (p->n_threads == 0)
		return -1;
	pthread_mutex_lock(&p->mu);
	if (p->fd[0] < 0 && pipe(p->fd) == 0 && p->n_done == p->n) {
		close(p->fd[1]);
		p->fd[1] = -1;
	}
	int fd = p->fd[0];
	pthread_mutex_unlock(&p->mu);
	return fd;
}

void pool_finish(struct pool **pp)
{
	struct pool *p = *pp;
	if (!p)
		return;
	drain(p);
	for (int k = 0; k < p->n_threads; k++)
		pthread_join(p->threads[k], NULL);
	if (p->fd[0] >= 0)
		close(p->fd[0]);
	if (p->fd[1] >= 0)
		close(p->fd[1]);
	pthread_cond_destroy(&p->ran);
	pthread_mutex_destroy(&p->mu);
	free(p->threads);
	free(p->state);
	free(p);
	*pp = NULL;
}
