/* watch: what a run does to the sessions around it, seen from a second,
 * read-only session on the same database: who the running statement waits
 * for, which locks stronger than ROW EXCLUSIVE the run holds and since
 * when, and who queues behind them. Non-blocking (send, then read when the
 * socket is readable), so the interface's poll loop and the command line's
 * can both drive it. It never prints: the front ends say what it saw. */
#ifndef PGSTEP_WATCH_H
#define PGSTEP_WATCH_H

#include <stdbool.h>
#include <stdint.h>

#include "pgstep/activity.h"
#include "pgstep/error.h"

struct session;

/* How often a watch asks, at most. */
#define WATCH_EVERY_MS 500

struct watch_state {
	struct activity_watch_rows rows; /* the last answer */
	/* Since when (watch_now_ms clock) the run holds a strong lock; 0: it
	 * holds none. */
	int64_t held_since_ms;
	/* The longest the run held strong locks in the transaction so far
	 * (kept after they are released, for the report), ms. */
	int64_t held_ms;
	bool answered; /* at least one answer since watch_reset */
};

struct watch;

/* A watch over s (borrowed: the caller keeps and closes it). */
struct watch *watch_new(struct session *s);
/* A watch with a read-only session of its own on tenant t (closed by
 * watch_free), for a driver without one (the command line's up). */
struct tenant;
struct watch *watch_open_tenant(const struct tenant *t, struct pgstep_error *err);
/* One line about the first session the statement waits for ("pid 5234
 * (reporting) holds AccessShareLock on acme.items: we wait for it; user
 * ..., idle in transaction, transaction 12s: SELECT ..."); NULL when none.
 * Caller frees. */
char *watch_blocker_text(const struct watch_state *st);
void watch_free(struct watch **w);
int64_t watch_now_ms(void);
/* Ask again about backend pid when the last answer is WATCH_EVERY_MS old
 * and nothing is in flight. started_ms: when the run's current statement
 * began (a lock seen held first is dated back to it), or 0. */
bool watch_tick(struct watch *w, int pid, int64_t started_ms, struct pgstep_error *err);
bool watch_busy(const struct watch *w);
int watch_socket(const struct watch *w);
/* Read what arrived; true when a new answer is in watch_state. */
bool watch_read(struct watch *w);
/* Wait for the query in flight (short: the session has timeouts), so that
 * the session can be used for something else. */
void watch_drain(struct watch *w);
/* A new statement: who the last one waited for no longer matters. */
void watch_forget_blockers(struct watch *w);
/* The run's transaction ended: forget its locks. */
void watch_reset(struct watch *w);
const struct watch_state *watch_state(const struct watch *w);

#endif
