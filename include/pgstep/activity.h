/* activity: live facts about a tenant's database that decide whether a
 * migration gets its locks now and what it does to the sessions around it:
 * who holds or waits for a lock on a relation (pg_locks joined to
 * pg_stat_activity, with pg_blocking_pids), the long-running and
 * idle-in-transaction sessions of the database (each of them blocks any
 * ACCESS EXCLUSIVE request, and through the lock queue everyone after it),
 * and INVALID indexes left on a relation by a failed CREATE INDEX
 * CONCURRENTLY. Plain data owned by the structs, filled by queries over a
 * session: the command line prints it, the interface can show it. */
#ifndef PGSTEP_ACTIVITY_H
#define PGSTEP_ACTIVITY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "pgstep/error.h"
#include "pgstep/risk.h"

struct session;

/* Query texts are cut to this many characters ("..." marks a cut), with
 * runs of white space made one space, so that one fits on a line. */
#define ACTIVITY_QUERY_CHARS 160
/* A session whose transaction is older than this is long-running. */
#define ACTIVITY_LONG_RUNNING_S 60

/* One server session (a pg_stat_activity row), or a prepared transaction
 * (pid 0: it holds its locks with no session until COMMIT PREPARED). */
struct activity_session {
	int pid;
	char *user;          /* owned, may be NULL */
	char *application;   /* owned, may be NULL */
	char *client;        /* owned: client address, NULL on a unix socket */
	char *state;         /* owned: "active", "idle in transaction", ... */
	char *query;         /* owned: its current or last query, cut (see above) */
	char *wait_event;    /* owned: "Lock:relation", NULL when not waiting */
	int64_t xact_age_s;  /* seconds since its transaction began; -1 none */
	int64_t state_age_s; /* seconds in its current state; -1 unknown */
	/* On a relation (activity_relation.sessions) only: */
	enum risk_lock mode; /* the strongest mode it holds, or the one it waits for */
	bool granted;        /* holds it (true) or is queued for it */
	/* A run's blocker (activity_watch_rows.blockers): the relation we wait
	 * for; owned, may be NULL. */
	char *relation;
	int *blocked_by; /* owned: pg_blocking_pids */
	size_t n_blocked_by;
};

/* An index that is not valid: queries do not use it, yet writes maintain it,
 * and CREATE INDEX ... IF NOT EXISTS with its name silently does nothing. */
struct activity_index {
	char *name;       /* owned: "schema.name" */
	char *definition; /* owned: pg_get_indexdef; NULL when the table was locked */
	bool building;    /* a CREATE INDEX CONCURRENTLY is building it right now */
};

/* The facts about one relation a migration locks. */
struct activity_relation {
	char *relation;                    /* owned: "schema.name" as the risk report names it */
	struct risk_rel_facts size;        /* exists, relkind, rows, bytes */
	struct activity_session *sessions; /* holding or waiting for a lock on it */
	size_t n_sessions;
	struct activity_index *invalid;
	size_t n_invalid;
};

/* The facts of one tenant. */
struct activity_facts {
	struct activity_relation *rels;
	size_t n_rels, cap_rels;
	/* Older than ACTIVITY_LONG_RUNNING_S, or idle in transaction. */
	struct activity_session *long_running;
	size_t n_long;
};

void activity_facts_init(struct activity_facts *f);
void activity_facts_clear(struct activity_facts *f);
/* The entry of relation, or NULL. */
const struct activity_relation *activity_find(const struct activity_facts *f, const char *relation);
/* A new entry (no facts yet) for relation; the pointer is valid until the
 * next activity_add. */
struct activity_relation *activity_add(struct activity_facts *f, const char *relation);

/* Sessions holding or waiting for locks on the relation with pg_class oid,
 * and its INVALID indexes, into out (whose relation and size the caller
 * fills). This session itself is left out. */
bool activity_relation_load(struct session *s, uint32_t oid, struct activity_relation *out,
                            struct pgstep_error *err);
/* Sessions of the current database in a transaction older than min_age_s,
 * any idle-in-transaction session, and prepared transactions. */
bool activity_long_running_load(struct session *s, int64_t min_age_s, struct activity_facts *out,
                                struct pgstep_error *err);

/* The sessions blocking backend pid's lock request, through
 * pg_blocking_pids, for a live display of a statement that waits: send
 * activity_blockers_sql with the pid as $1 (without blocking: the
 * interface's poll loop), then read its result. */
extern const char activity_blockers_sql[];
struct pg_result;
void activity_blockers_read(const struct pg_result *res, struct activity_session **out, size_t *n);
void activity_sessions_free(struct activity_session **a, size_t *n);

/* What a run's watch asks in one round trip (activity_watch_sql, $1 the
 * run's backend pid): the sessions it waits for, those queued behind it
 * (longest waiting first; state_age_s is how long, mode what they ask
 * for), and its locks stronger than ROW EXCLUSIVE on relations that existed
 * before its transaction. */
struct activity_held {
	char *relation; /* owned: "schema.name" */
	enum risk_lock mode;
};
struct activity_watch_rows {
	struct activity_session *blockers, *waiters; /* owned */
	size_t n_blockers, n_waiters;
	struct activity_held *held; /* owned */
	size_t n_held;
};
extern const char activity_watch_sql[];
/* pg_cancel_backend (cancel its query) or pg_terminate_backend (end its
 * session, rolling its transaction back) of pid; *signalled is the
 * server's answer. */
bool activity_signal_backend(struct session *s, int pid, bool terminate, bool *signalled,
                             struct pgstep_error *err);
void activity_watch_read(const struct pg_result *res, struct activity_watch_rows *out);
void activity_watch_rows_clear(struct activity_watch_rows *w);
void activity_session_clear(struct activity_session *a);
/* A deep copy of src's text fields (not blocked_by) into dst. */
void activity_session_copy(struct activity_session *dst, const struct activity_session *src);

/* Whether the session's lock (held, or queued ahead) conflicts with a
 * request for mode: then the statement waits for it. */
bool activity_session_blocks(const struct activity_session *a, enum risk_lock mode);

#endif
