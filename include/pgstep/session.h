/* session: one libpq connection to a tenant's database. Sets
 * application_name=pgstep, reports libpq's reason on failure (with any
 * password redacted), routes server notices to a handler instead of stderr,
 * and offers both blocking helpers and the non-blocking calls the runner and
 * the interface's poll loop need. */
#ifndef PGSTEP_SESSION_H
#define PGSTEP_SESSION_H

#include <stdbool.h>
#include <libpq-fe.h>
#include "pgstep/error.h"

struct session;

typedef void (*session_notice_fn)(void *ctx, const PGresult *notice);

/* Connect; label (tenant name) appears in error messages. Failure sets err
 * with PGSTEP_EXIT_CONNECTION and "tenant LABEL: <libpq's reason>". */
struct session *session_connect(const char *conninfo, const char *label, struct pgstep_error *err);
void session_close(struct session **s);
PGconn *session_conn(struct session *s);
const char *session_label(const struct session *s);
void session_set_notice_handler(struct session *s, session_notice_fn fn, void *ctx);

/* Run sql (may hold several statements) and discard results. On error, err
 * gets code PGSTEP_EXIT_FAILED, the SQLSTATE and the server's message. */
bool session_exec(struct session *s, const char *sql, struct pgstep_error *err);
/* Run a parameterised query (text parameters, NULL allowed); returns the
 * result of a command or query that succeeded, or NULL with err set. */
PGresult *session_query(struct session *s, const char *sql, int nparams, const char *const *params,
                        struct pgstep_error *err);
bool session_command(struct session *s, const char *sql, int nparams, const char *const *params,
                     struct pgstep_error *err);

/* Quote an identifier with PQescapeIdentifier (xmalloc'd copy). */
char *session_quote_ident(struct session *s, const char *ident);

/* Set search_path to the tenant's schema (then public); create it when asked. */
bool session_use_schema(struct session *s, const char *schema, bool create,
                        struct pgstep_error *err);

/* Fill err from a failed PGresult (SQLSTATE, primary message, DETAIL, HINT). */
void session_error_from_result(struct pgstep_error *err, const PGresult *res, const char *context);

/* Non-blocking use: send, then call session_consume whenever the socket is
 * readable until it returns true (all results in). */
bool session_send(struct session *s, const char *sql, struct pgstep_error *err);
int session_socket(const struct session *s);
/* Reads what is available; returns true once the query has finished. The
 * first error result (if any) is kept in err. */
bool session_consume(struct session *s, struct pgstep_error *err);
/* The same with text parameters (PQsendQueryParams). */
bool session_send_params(struct session *s, const char *sql, int nparams, const char *const *params,
                         struct pgstep_error *err);
/* Like session_consume, but keeps the last successful result: once it
 * returns true, *out is that result (the caller PQclear's it) or NULL when
 * the query failed (err says why). */
bool session_consume_result(struct session *s, PGresult **out, struct pgstep_error *err);

/* Non-blocking connect: start, then call session_connect_poll whenever the
 * socket is ready for what it last asked (read or write) until it returns
 * NONE (connected) or FAILED (err names the tenant and libpq's reason). The
 * caller enforces a timeout; libpq does not in this mode. NULL with err set
 * when the attempt cannot even start. */
enum session_wait { SESSION_WAIT_NONE, SESSION_WAIT_READ, SESSION_WAIT_WRITE, SESSION_WAIT_FAILED };
struct session *session_connect_start(const char *conninfo, const char *label,
                                      struct pgstep_error *err);
enum session_wait session_connect_poll(struct session *s, struct pgstep_error *err);
/* Seconds of connect_timeout in effect for conninfo (libpq's rules, pgstep's
 * default of 10 when nothing says); 0 means none. */
int session_connect_timeout(const char *conninfo);

/* Ask the server to cancel the running query. Safe to call from a signal
 * handler via session_cancel_handle(). */
bool session_cancel(struct session *s);
PGcancel *session_cancel_handle(struct session *s);
int session_backend_pid(const struct session *s);

/* current_user of the session, read once and cached (the state rows and the
 * event hash chain record it); NULL with err set when the query fails. */
const char *session_current_user(struct session *s, struct pgstep_error *err);

#endif
