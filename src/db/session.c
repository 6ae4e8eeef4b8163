/* session: one libpq connection to a tenant's database. It owns the PGconn,
 * the PGcancel handle prepared at connect time (so a signal handler never has
 * to allocate), the notice routing, and the translation of libpq failures
 * into pgstep_error values carrying SQLSTATE. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "pgstep/session.h"
#include "pgstep/strbuf.h"
#include "pgstep/xalloc.h"

/* Used only when neither the conninfo, its service nor PGCONNECT_TIMEOUT says so:
 * an unreachable tenant must not stall a run over many tenants for the
 * kernel's TCP timeout of minutes. */
#define SESSION_DEFAULT_CONNECT_TIMEOUT "10"

struct session {
	PGconn *conn;
	char *label;
	PGcancel *cancel;
	session_notice_fn notice_fn;
	void *notice_ctx;
	bool busy;      /* a session_send is waiting for its results */
	bool got_error; /* the running async query already reported an error */
	char *cached_user;
	bool connecting;              /* session_connect_start: PQconnectPoll not done yet */
	char *conninfo;               /* kept while connecting, for the failure reason */
	PGresult *kept;               /* session_consume_result: the last good result */
	struct pgstep_error kept_err; /* and the first error, until the query ends */
};

/* libpq's messages end with a newline and may span lines ("\n\tIs the
 * server running..."); front ends print one line per tenant. */
static char *session_one_line(const char *msg)
{
	struct strbuf sb;
	strbuf_init(&sb);
	bool space = false;
	for (const char *p = msg ? msg : ""; *p; p++) {
		if (*p == '\n' || *p == '\r' || *p == '\t' || *p == ' ') {
			space = sb.len > 0;
			continue;
		}
		if (space)
			strbuf_addc(&sb, ' ');
		space = false;
		strbuf_addc(&sb, *p);
	}
	if (sb.len == 0)
		strbuf_adds(&sb, "unknown error");
	char *result = strbuf_detach(&sb);
	strbuf_release(&sb); /* detach leaves a fresh buffer */
	return result;
}

static void session_notice_receiver(void *arg, const PGresult *res)
{
	struct session *s = arg;
	/* Never stderr: the terminal belongs to the interface. */
	if (s->notice_fn)
		s->notice_fn(s->notice_ctx, res);
}

/* A malformed conninfo makes libpq quote a fragment of it back ("missing =
 * after ..."); when the string holds a password that fragment could be part
 * of it, so only a generic reason is given then. */
static bool session_conninfo_has_secret(const char *conninfo)
{
	if (!conninfo)
		return false;
	if (strstr(conninfo, "password"))
		return true;
	const char *uri = strstr(conninfo, "://");
	return uri && strchr(uri, '@') != NULL;
}

static char *session_connect_reason(const char *conninfo, PGconn *conn)
{
	if (conninfo && (strchr(conninfo, '=') || strstr(conninfo, "://"))) {
		char *perr = NULL;
		PQconninfoOption *opts = PQconninfoParse(conninfo, &perr);
		if (!opts) {
			char *reason;
			if (session_conninfo_has_secret(conninfo) || !perr)
				reason = xstrdup("invalid connection string (details hidden: it "
				                 "holds a password)");
			else {
				char *line = session_one_line(perr);
				reason = xasprintf("invalid connection string: %s", line);
				free(line);
			}
			PQfreemem(perr);
			return reason;
		}
		PQconninfoFree(opts);
	}
	return session_one_line(conn ? PQerrorMessage(conn) : "out of memory");
}

/* The default timeout applies only when nobody chose one: an explicit
 * keyword would override the user's PGCONNECT_TIMEOUT or service file. */
static bool session_wants_default_timeout(const char *conninfo)
{
	if (getenv("PGCONNECT_TIMEOUT") || getenv("PGSERVICE"))
		return false;
	if (!conninfo || !(strchr(conninfo, '=') || strstr(conninfo, "://")))
		return true;
	PQconninfoOption *opts = PQconninfoParse(conninfo, NULL);
	if (!opts)
		return true; /* the connection attempt reports the error */
	bool want = true;
	for (PQconninfoOption *o = opts; o->keyword; o++) {
		if (o->val && *o->val &&
		    (strcmp(o->keyword, "connect_timeout") == 0 ||
		     strcmp(o->keyword, "service") == 0))
			want = false;
	}
	PQconninfoFree(opts);
	return want;
}

/* expand_dbname makes the first "dbname" a full conninfo string (or URI)
 * while services, .pgpass and PG* variables still apply; a later keyword
 * overrides what the string said, so application_name always ends up pgstep. */
static PGconn *session_start(const char *conninfo, bool nonblocking)
{
	const char *keys[4];
	const char *vals[4];
	int k = 0;
	if (session_wants_default_timeout(conninfo)) {
		keys[k] = "connect_timeout";
		vals[k++] = SESSION_DEFAULT_CONNECT_TIMEOUT;
	}
	keys[k] = "dbname";
	vals[k++] = conninfo ? conninfo : "";
	keys[k] = "application_name";
	vals[k++] = "pgstep";
	keys[k] = NULL;
	vals[k] = NULL;
	return nonblocking ? PQconnectStartParams(keys, vals, 1) : PQconnectdbParams(keys, vals, 1);
}

static void session_connect_failed(const char *conninfo, PGconn *conn, const char *label,
                                   struct pgstep_error *err)
{
	char *reason = session_connect_reason(conninfo, conn);
	error_set(err, PGSTEP_EXIT_CONNECTION, "tenant %s: %s", label ? label : "?", reason);
	free(reason);
}

static struct session *session_wrap(PGconn *conn, const char *label)
{
	struct session *s = xcalloc(1, sizeof *s);
	s->conn = conn;
	s->label = xstrdup(label ? label : "?");
	PQsetNoticeReceiver(conn, session_notice_receiver, s);
	return s;
}

struct session *session_connect(const char *conninfo, const char *label, struct pgstep_error *err)
{
	PGconn *conn = session_start(conninfo, false);
	if (!conn || PQstatus(conn) != CONNECTION_OK) {
		session_connect_failed(conninfo, conn, label, err);
		PQfinish(conn);
		return NULL;
	}
	struct session *s = session_wrap(conn, label);
	s->cancel = PQgetCancel(conn);
	return s;
}

struct session *session_connect_start(const char *conninfo, const char *label,
                                      struct pgstep_error *err)
{
	PGconn *conn = session_start(conninfo, true);
	if (!conn || PQstatus(conn) == CONNECTION_BAD) {
		session_connect_failed(conninfo, conn, label, err);
		PQfinish(conn);
		return NULL;
	}
	struct session *s = session_wrap(conn, label);
	s->connecting = true;
	s->conninfo = xstrdup(conninfo ? conninfo : "");
	return s;
}

enum session_wait session_connect_poll(struct session *s, struct pgstep_error *err)
{
	if (!s->connecting)
		return SESSION_WAIT_NONE;
	switch (PQconnectPoll(s->conn)) {
	case PGRES_POLLING_READING: return SESSION_WAIT_READ;
	case PGRES_POLLING_WRITING: return SESSION_WAIT_WRITE;
	case PGRES_POLLING_OK:
		s->connecting = false;
		s->cancel = PQgetCancel(s->conn);
		return SESSION_WAIT_NONE;
	default:
		s->connecting = false;
		session_connect_failed(s->conninfo, s->conn, s->label, err);
		return SESSION_WAIT_FAILED;
	}
}

void session_close(struct session **sp)
{
	if (!sp || !*sp)
		return;
	struct session *s = *sp;
	if (s->cancel)
		PQfreeCancel(s->cancel);
	PQfinish(s->conn);
	free(s->label);
	free(s->cached_user);
	free(s->conninfo);
	PQclear(s->kept);
	error_clear(&s->kept_err);
	free(s);
	*sp = NULL;
}

PGconn *session_conn(struct session *s)
{
	return s->conn;
}

const char *session_label(const struct session *s)
{
	return s->label;
}

void session_set_notice_handler(struct session *s, session_notice_fn fn, void *ctx)
{
	s->notice_fn = fn;
	s->notice_ctx = ctx;
}

void session_error_from_result(struct pgstep_error *err, const PGresult *res, const char *context)
{
	if (!err)
		return;
	struct strbuf sb;
	strbuf_init(&sb);
	if (context && *context)
		strbuf_addf(&sb, "%s: ", context);

	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	const char *primary = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	const char *detail = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL) : NULL;
	const char *hint = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_HINT) : NULL;

	if (state)
		strbuf_addf(&sb, "%s: ", state);
	if (primary) {
		strbuf_adds(&sb, primary);
	} else {
		/* Client-side failures (lost connection) have no fields, only
		 * the whole message. */
		char *line = session_one_line(res ? PQresultErrorMessage(res) : "no result");
		strbuf_adds(&sb, line);
		free(line);
	}
	if (detail || hint) {
		strbuf_adds(&sb, " (");
		if (detail)
			strbuf_addf(&sb, "DETAIL: %s", detail);
		if (hint)
			strbuf_addf(&sb, "%sHINT: %s", detail ? ", " : "", hint);
		strbuf_addc(&sb, ')');
	}
	error_set(err, PGSTEP_EXIT_FAILED, "%s", sb.buf);
	strbuf_release(&sb);
	if (state && strlen(state) == 5)
		memcpy(err->sqlstate, state, 6);
	const char *pos = res ? PQresultErrorField(res, PG_DIAG_STATEMENT_POSITION) : NULL;
	err->position = pos ? atoi(pos) : 0;
}

/* Like session_error_from_result, but knows the connection: a NULL result
 * or a dead connection is a connection failure, not a failed migration. */
static void session_fail(struct session *s, struct pgstep_error *err, const PGresult *res)
{
	if (!res) {
		char *line = session_one_line(PQerrorMessage(s->conn));
		error_set(err, PGSTEP_EXIT_CONNECTION, "tenant %s: %s", s->label, line);
		free(line);
		return;
	}
	session_error_from_result(err, res, NULL);
	if (PQstatus(s->conn) == CONNECTION_BAD && err) {
		err->code = PGSTEP_EXIT_CONNECTION;
		error_prefix(err, "tenant %s", s->label);
	}
}

static bool session_result_ok(const PGresult *res)
{
	switch (PQresultStatus(res)) {
	case PGRES_COMMAND_OK:
	case PGRES_TUPLES_OK:
	case PGRES_EMPTY_QUERY: return true;
	default: return false;
	}
}

bool session_exec(struct session *s, const char *sql, struct pgstep_error *err)
{
	PGresult *res = PQexec(s->conn, sql);
	bool ok = res && session_result_ok(res);
	if (!ok)
		session_fail(s, err, res);
	PQclear(res);
	return ok;
}

PGresult *session_query(struct session *s, const char *sql, int nparams, const char *const *params,
                        struct pgstep_error *err)
{
	PGresult *res = PQexecParams(s->conn, sql, nparams, NULL, params, NULL, NULL, 0);
	if (res && session_result_ok(res))
		return res;
	session_fail(s, err, res);
	PQclear(res);
	return NULL;
}

bool session_command(struct session *s, const char *sql, int nparams, const char *const *params,
                     struct pgstep_error *err)
{
	PGresult *res = session_query(s, sql, nparams, params, err);
	PQclear(res);
	return res != NULL;
}

char *session_quote_ident(struct session *s, const char *ident)
{
	char *q = PQescapeIdentifier(s->conn, ident, strlen(ident));
	if (q) {
		char *copy = xstrdup(q);
		PQfreemem(q);
		return copy;
	}
	/* libpq refuses bytes invalid in the client encoding; plain doubling
	 * of quotes is still a correct quote, and the server will reject the
	 * bad bytes with its own message. */
	struct strbuf sb;
	strbuf_init(&sb);
	strbuf_addc(&sb, '"');
	for (const char *p = ident; *p; p++) {
		if (*p == '"')
			strbuf_addc(&sb, '"');
		strbuf_addc(&sb, *p);
	}
	strbuf_addc(&sb, '"');
	char *result = strbuf_detach(&sb);
	strbuf_release(&sb); /* detach leaves a fresh buffer */
	return result;
}

bool session_use_schema(struct session *s, const char *schema, bool create,
                        struct pgstep_error *err)
{
	char *q = session_quote_ident(s, schema);
	char *sql;
	bool ok = true;
	if (create) {
		sql = xasprintf("CREATE SCHEMA IF NOT EXISTS %s", q);
		ok = session_exec(s, sql, err);
		free(sql);
	}
	if (ok) {
		sql = xasprintf("SET search_path TO %s, public", q);
		ok = session_exec(s, sql, err);
		free(sql);
	}
	if (!ok)
		error_prefix(err, "tenant %s: schema %s", s->label, schema);
	free(q);
	return ok;
}

bool session_send(struct session *s, const char *sql, struct pgstep_error *err)
{
	if (!PQsendQuery(s->conn, sql)) {
		session_fail(s, err, NULL);
		return false;
	}
	s->busy = true;
	s->got_error = false;
	return true;
}

int session_socket(const struct session *s)
{
	return PQsocket(s->conn);
}

bool session_consume(struct session *s, struct pgstep_error *err)
{
	if (!s->busy)
		return true;
	if (!PQconsumeInput(s->conn)) {
		/* The connection is gone: no more results will come. */
		if (!s->got_error)
			session_fail(s, err, NULL);
		s->got_error = true;
		s->busy = false;
		return true;
	}
	while (!PQisBusy(s->conn)) {
		PGresult *res = PQgetResult(s->conn);
		if (!res) {
			s->busy = false;
			return true;
		}
		if (!session_result_ok(res) && !s->got_error) {
			session_fail(s, err, res);
			s->got_error = true;
		}
		PQclear(res);
	}
	return false;
}

bool session_send_params(struct session *s, const char *sql, int nparams, const char *const *params,
                         struct pgstep_error *err)
{
	if (!PQsendQueryParams(s->conn, sql, nparams, NULL, params, NULL, NULL, 0)) {
		session_fail(s, err, NULL);
		return false;
	}
	s->busy = true;
	s->got_error = false;
	return true;
}

bool session_consume_result(struct session *s, PGresult **out, struct pgstep_error *err)
{
	/* Results can arrive over several calls: the error is kept in the
	 * session until the query has finished. */
	struct pgstep_error *e = &s->kept_err;
	if (!s->busy)
		goto finished;
	if (!PQconsumeInput(s->conn)) {
		if (!s->got_error)
			session_fail(s, e, NULL);
		s->got_error = true;
		s->busy = false;
		goto finished;
	}
	while (!PQisBusy(s->conn)) {
		PGresult *res = PQgetResult(s->conn);
		if (!res) {
			s->busy = false;
			goto finished;
		}
		if (!session_result_ok(res)) {
			if (!s->got_error)
				session_fail(s, e, res);
			s->got_error = true;
			PQclear(res);
		} else {
			PQclear(s->kept);
			s->kept = res;
		}
	}
	return false;
finished:
	*out = s->got_error ? NULL : s->kept;
	if (s->got_error) {
		PQclear(s->kept);
		if (err) {
			error_clear(err);
			*err = *e;
			*e = (struct pgstep_error){0};
		}
	}
	error_clear(e);
	s->kept = NULL;
	return true;
}

bool session_cancel(struct session *s)
{
	char errbuf[256];
	return s->cancel && PQcancel(s->cancel, errbuf, sizeof errbuf);
}

PGcancel *session_cancel_handle(struct session *s)
{
	return s->cancel;
}

int session_backend_pid(const struct session *s)
{
	return PQbackendPID(s->conn);
}

const char *session_current_user(struct session *s, struct pgstep_error *err)
{
	if (s->cached_user)
		return s->cached_user;
	PGresult *res = session_query(s, "SELECT current_user", 0, NULL, err);
	if (!res)
		return NULL;
	s->cached_user = xstrdup(PQgetvalue(res, 0, 0));
	PQclear(res);
	return s->cached_user;
}

int session_connect_timeout(const char *conninfo)
{
	int secs = -1;
	if (conninfo && (strchr(conninfo, '=') || strstr(conninfo, "://"))) {
		PQconninfoOption *opts = PQconninfoParse(conninfo, NULL);
		for (PQconninfoOption *o = opts; o && o->keyword; o++)
			if (o->val && *o->val && strcmp(o->keyword, "connect_timeout") == 0)
				secs = atoi(o->val);
		PQconninfoFree(opts);
	}
	if (secs < 0 && getenv("PGCONNECT_TIMEOUT"))
		secs = atoi(getenv("PGCONNECT_TIMEOUT"));
	if (secs < 0)
		secs = atoi(SESSION_DEFAULT_CONNECT_TIMEOUT);
	/* libpq treats 1 as 2 seconds and 0 or less as none. */
	return secs <= 0 ? 0 : secs < 2 ? 2 : secs;
}
