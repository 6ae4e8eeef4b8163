/* state: the pgstep schema in each target database. pgstep.migrations holds
 * one row per tenant and version; pgstep.events is an append-only log whose
 * rows are chained by SHA-256 (HMAC-SHA256 with an audit key; computed here
 * with libcrypto) per tenant; each migrations row is bound to the event that
 * last wrote it (the event holds the hash of the row's canonical text);
 * pgstep.heads keeps each chain's last event, so a truncation shows;
 * pgstep.meta holds the schema's own version for later upgrades. */
#ifndef PGSTEP_STATE_H
#define PGSTEP_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "pgstep/error.h"
#include "pgstep/session.h"

#define STATE_SCHEMA_VERSION 2

enum row_state { ROW_APPLIED, ROW_ROLLED_BACK, ROW_FAILED, ROW_DIRTY };

const char *row_state_name(enum row_state s);
bool row_state_parse(const char *s, enum row_state *out);

struct state_row {
	char *tenant;
	char *version;      /* canonical key, e.g. "1.10" */
	char *version_text; /* as in the file name, e.g. "1_10" */
	char *name;
	char *phase;
	char *checksum;
	enum row_state state;
	int statements_total;
	int statements_done;
	char *up_sql; /* NULL unless loaded with texts */
	char *down_sql;
	char *db_user;
	char *os_user;
	char *client_addr;
	char *started_at; /* ISO 8601 text */
	char *finished_at;
	int64_t duration_ms;
	char *sqlstate; /* failure details; NULL when none */
	char *error_message;
	int error_statement; /* 1-based statement index; 0 when none */
	/* Read for verify only (state_verify_events): the SHA-256 of up_sql and
	 * down_sql as stored (computed by the server), and the event that last
	 * wrote the row (seq 0 and NULL hash when unbound). */
	char *up_sha;
	char *down_sha;
	int64_t event_seq;
	char *event_hash;
	/* Rows read for status (without texts) keep their strings in one block
	 * starting at tenant: read-only, released by state_row_release. */
	bool packed;
};

struct state_rows {
	struct state_row *items; /* owned */
	size_t n, cap;
	/* state_load leaves items sorted by (tenant, version) in byte order
	 * and sets this, so state_rows_find is a binary search (1,000 tenants
	 * x 100 rows). Whoever appends rows by hand must clear it. */
	bool sorted;
};

void state_row_release(struct state_row *r);
void state_rows_clear(struct state_rows *rows);
struct state_row *state_rows_find(const struct state_rows *rows, const char *tenant,
                                  const char *version_key);

/* Does the pgstep schema exist here? (No writes.) */
bool state_exists(struct session *s, bool *exists, struct pgstep_error *err);
/* Create or upgrade the pgstep schema (idempotent; safe concurrently). */
bool state_ensure(struct session *s, struct pgstep_error *err);

/* Rows of the given tenants (all when n == 0), without up/down texts unless
 * with_sql. Missing schema means no rows. */
bool state_load(struct session *s, const char *const *tenants, size_t n, bool with_sql,
                struct state_rows *out, struct pgstep_error *err);
/* The pieces of state_load, for callers that run the query themselves
 * (asynchronously, in a poll loop): the query and its parameter, and the
 * parsing of its result into rows. A missing schema makes the query fail
 * with SQLSTATE 3F000 or 42P01, which means no rows. */
struct state_query {
	char *sql;   /* owned */
	char *param; /* owned: $1, a text[] literal of the tenants; NULL when nparams is 0 */
	int nparams;
	bool with_sql;
};
void state_load_query(const char *const *tenants, size_t n, bool with_sql, struct state_query *q);
void state_query_release(struct state_query *q);
/* The lean form for a status summary (status_summarize): tenant, version
 * and state of the given tenants (n > 0). state_brief_row fills r with
 * those three, the strings borrowed from res (r must not be released). */
void state_brief_query(const char *const *tenants, size_t n, struct state_query *q);
void state_brief_row(const PGresult *res, int i, struct state_row *r);
void state_load_result(const PGresult *res, bool with_sql, struct state_rows *out);

struct actor;

/* Insert or replace the row (tenant, version) and append the event (action,
 * detail as for state_event) that binds it, atomically: in the open
 * transaction, or in one of their own when none is open. */
bool state_upsert(struct session *s, const struct actor *actor, const struct state_row *row,
                  const char *action, const char *detail, struct pgstep_error *err);
/* Update progress of a running segmented migration, with its binding event,
 * the same way. */
bool state_set_progress(struct session *s, const struct actor *actor, const char *tenant,
                        const char *version, int statements_done, const char *action,
                        const char *detail, struct pgstep_error *err);

/* The canonical text of a row that its binding event commits to: every
 * column but the binding itself, up_sql and down_sql by their digests
 * (up_sha, down_sha), each field length-prefixed. A new column of
 * pgstep.migrations is added here and in the binding query in state.c (and
 * needs no other change). Owned by the caller. */
char *state_row_canon(const struct state_row *r);

/* The audit key ([audit] key_file): a file of at least 32 bytes, not
 * readable by group or others. Once loaded, every event written is keyed
 * (HMAC-SHA256) and verify requires keyed chains. Process-wide; load it
 * before any session writes. */
bool state_audit_key_load(const char *path, struct pgstep_error *err);
void state_audit_key_clear(void);
bool state_audit_keyed(void);

/* Who is running pgstep: database user is filled by the server; OS user from
 * the environment; client address from SSH_CLIENT. */
struct actor {
	char *os_user;
	char *client_addr; /* NULL when not over SSH */
};
void actor_init(struct actor *a);
void actor_release(struct actor *a);

/* The current time as pgstep stores it: ISO 8601 UTC with microseconds
 * ("2026-11-21T10:00:01.123456Z"), which round-trips through timestamptz
 * exactly. Owned by the caller. */
char *state_now(void);

/* Append an event for tenant (version may be NULL) in the open transaction
 * (or autocommit). detail is a JSON object text (may be NULL). The caller
 * holds the tenant's advisory lock, which keeps the chain linear. */
bool state_event(struct session *s, const struct actor *actor, const char *tenant,
                 const char *version, const char *action, const char *detail,
                 struct pgstep_error *err);

struct event_row {
	int64_t seq;
	char *tenant, *version, *action, *detail, *db_user, *os_user, *client_addr, *at;
	char *prev_hash, *hash;
	char *row_hash; /* hash of the migrations row this event wrote; NULL when none */
};
struct event_rows {
	struct event_row *items;
	size_t n, cap;
};
void event_rows_clear(struct event_rows *rows);
bool state_load_events(struct session *s, const char *tenant, const char *version,
                       struct event_rows *out, struct pgstep_error *err);
/* The pieces of state_load_events for a poll loop: the query ($1 tenant,
 * $2 version key, each NULL for all; fails with 3F000 or 42P01 when there
 * is no pgstep schema) and the parsing of its result, appended to out. */
const char *state_events_query(void);
void state_events_result(const PGresult *res, struct event_rows *out);
/* A chain's last event: what `verify --anchor` keeps outside the database. */
struct chain_head {
	int64_t seq; /* 0: no events */
	char *hash;  /* owned */
};
void chain_head_release(struct chain_head *h);

/* Recompute the hash chain of tenant's events (every tenant's when NULL),
 * check it against pgstep.heads and each migrations row against the event
 * bound to it; each problem is added to problems ("tenant acme: event 12
 * (apply 004) was altered: hash mismatch"). With anchor (one tenant only),
 * the anchored head must be in the chain. head (may be NULL) receives the
 * tenant's last event. */
bool state_verify_events(struct session *s, const char *tenant, const struct chain_head *anchor,
                         struct chain_head *head, struct diag_list *problems,
                         struct pgstep_error *err);

/* The per-tenant advisory lock. On contention, holder describes the session
 * that holds it and err has PGSTEP_EXIT_LOCKED naming pid, user, client
 * address and since when. */
bool state_lock_tenant(struct session *s, const char *tenant, struct pgstep_error *err);
void state_unlock_tenant(struct session *s, const char *tenant);

#endif
