/* state: the pgstep schema in each target database. This module owns its
 * DDL and version, the reading and writing of pgstep.migrations rows, the
 * hash-chained pgstep.events log (writing and verifying it), and the
 * per-tenant advisory lock. */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "pgstep/sha256.h"
#include "pgstep/state.h"
#include "pgstep/strbuf.h"
#include "pgstep/xalloc.h"

/* 'pgst' in ASCII: the first key of every pgstep advisory lock, so pgstep's
 * locks are recognisable in pg_locks and unlikely to meet an application's. */
#define STATE_LOCK_CLASSID 1885827956u

/* Separators of the canonical text that is hashed: bytes pgstep never writes
 * into an event (JSON escapes control characters), so no two different rows
 * can produce the same text. */
#define STATE_SEP  '\x1f'
#define STATE_NULL '\x1e'

static const char zero_hash[SHA256_HEX_LEN + 1] =
    "0000000000000000000000000000000000000000000000000000000000000000";

/* Timestamps travel as text in one exact format so that what was hashed on
 * the client is what verify reads back. */
#define STATE_TS(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"

static const char *const row_state_names[] = {
    [ROW_APPLIED] = "applied",
    [ROW_ROLLED_BACK] = "rolled_back",
    [ROW_FAILED] = "failed",
    [ROW_DIRTY] = "dirty",
};

const char *row_state_name(enum row_state s)
{
	if ((size_t)s < sizeof row_state_names / sizeof row_state_names[0])
		return row_state_names[s];
	return "unknown";
}

bool row_state_parse(const char *s, enum row_state *out)
{
	for (size_t i = 0; i < sizeof row_state_names / sizeof row_state_names[0]; i++) {
		if (s && strcmp(s, row_state_names[i]) == 0) {
			*out = (enum row_state)i;
			return true;
		}
	}
	return false;
}

void state_row_release(struct state_row *r)
{
	if (r->packed) {
		free(r->tenant);
		memset(r, 0, sizeof *r);
		return;
	}
	free(r->tenant);
	free(r->version);
	free(r->version_text);
	free(r->name);
	free(r->phase);
	free(r->checksum);
	free(r->up_sql);
	free(r->down_sql);
	free(r->db_user);
	free(r->os_user);
	free(r->client_addr);
	free(r->started_at);
	free(r->finished_at);
	free(r->sqlstate);
	free(r->error_message);
	memset(r, 0, sizeof *r);
}

void state_rows_clear(struct state_rows *rows)
{
	for (size_t i = 0; i < rows->n; i++)
		state_row_release(&rows->items[i]);
	free(rows->items);
	rows->items = NULL;
	rows->n = rows->cap = 0;
	rows->sorted = false;
}

static int state_key_cmp(const char *ta, const char *va, const char *tb, const char *vb)
{
	int c = strcmp(ta ? ta : "", tb ? tb : "");
	return c ? c : strcmp(va ? va : "", vb ? vb : "");
}

static int state_row_cmp(const void *a, const void *b)
{
	const struct state_row *x = a, *y = b;
	return state_key_cmp(x->tenant, x->version, y->tenant, y->version);
}

struct state_row *state_rows_find(const struct state_rows *rows, const char *tenant,
                                  const char *version_key)
{
	if (!rows->sorted) {
		for (size_t i = 0; i < rows->n; i++) {
			struct state_row *r = &rows->items[i];
			if (state_key_cmp(r->tenant, r->version, tenant, version_key) == 0)
				return r;
		}
		return NULL;
	}
	size_t lo = 0, hi = rows->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		struct state_row *r = &rows->items[mid];
		int c = state_key_cmp(r->tenant, r->version, tenant, version_key);
		if (c == 0)
			return r;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* --- the schema -------------------------------------------------------- */

bool state_exists(struct session *s, bool *exists, struct pgstep_error *err)
{
	/* to_regclass needs no privileges and never fails on a missing name. */
	PGresult *res = session_query(s,
	                              "SELECT to_regclass('pgstep.meta') IS NOT NULL"
	                              " AND to_regclass('pgstep.migrations') IS NOT NULL"
	                              " AND to_regclass('pgstep.events') IS NOT NULL",
	                              0, NULL, err);
	if (!res)
		return false;
	*exists = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	PQclear(res);
	return true;
}

/* The schema's version, 0 when it does not exist yet. */
static bool state_version(struct session *s, int *version, struct pgstep_error *err)
{
	bool exists;
	*version = 0;
	if (!state_exists(s, &exists, err))
		return false;
	if (!exists)
		return true;
	PGresult *res = session_query(
	    s, "SELECT value FROM pgstep.meta WHERE key = 'schema_version'", 0, NULL, err);
	if (!res)
		return false;
	if (PQntuples(res) == 1)
		*version = atoi(PQgetvalue(res, 0, 0));
	PQclear(res);
	return true;
}

static const char state_ddl[] =
    "CREATE SCHEMA IF NOT EXISTS pgstep;\n"
    "CREATE TABLE IF NOT EXISTS pgstep.meta (\n"
    "	key text PRIMARY KEY,\n"
    "	value text\n"
    ");\n"
    "CREATE TABLE IF NOT EXISTS pgstep.migrations (\n"
    "	tenant text NOT NULL,\n"
    "	version text NOT NULL,\n"
    "	version_text text,\n"
    "	name text,\n"
    "	phase text,\n"
    "	checksum text,\n"
    "	state text NOT NULL\n"
    "		CHECK (state IN ('applied', 'rolled_back', 'failed', 'dirty')),\n"
    "	statements_total int NOT NULL DEFAULT 0,\n"
    "	statements_done int NOT NULL DEFAULT 0,\n"
    "	up_sql text,\n"
    "	down_sql text,\n"
    "	db_user text DEFAULT current_user,\n"
    "	os_user text,\n"
    "	client_addr text,\n"
    "	started_at timestamptz,\n"
    "	finished_at timestamptz,\n"
    "	duration_ms bigint,\n"
    "	sqlstate text,\n"
    "	error_message text,\n"
    "	error_statement int,\n"
    "	PRIMARY KEY (tenant, version)\n"
    ");\n"
    /* A plain table on purpose: tampering is not prevented (a superuser
     * could always get round a trigger) but detected by the hash chain. */
    "CREATE TABLE IF NOT EXISTS pgstep.events (\n"
    "	tenant text NOT NULL,\n"
    "	seq bigint NOT NULL,\n"
    "	version text,\n"
    "	action text NOT NULL,\n"
    "	detail text,\n"
    "	db_user text,\n"
    "	os_user text,\n"
    "	client_addr text,\n"
    "	at timestamptz NOT NULL,\n"
    "	prev_hash text NOT NULL,\n"
    "	hash text NOT NULL,\n"
    "	PRIMARY KEY (tenant, seq)\n"
    ");\n"
    "INSERT INTO pgstep.meta (key, value) VALUES ('schema_version', '1')\n"
    "	ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value;\n";

static bool state_check_version(int version, struct pgstep_error *err)
{
	if (version <= STATE_SCHEMA_VERSION)
		return true;
	error_set(err, PGSTEP_EXIT_USAGE,
	          "the pgstep schema here has version %d, newer than this pgstep knows (%d): "
	          "upgrade pgstep",
	          version, STATE_SCHEMA_VERSION);
	return false;
}

bool state_ensure(struct session *s, struct pgstep_error *err)
{
	int version;
	if (!state_version(s, &version, err))
		return false;
	if (version == STATE_SCHEMA_VERSION)
		return true;
	if (!state_check_version(version, err))
		return false;

	PGTransactionStatusType ts = PQtransactionStatus(session_conn(s));
	if (ts == PQTRANS_INERROR) {
		error_set(err, PGSTEP_EXIT_FAILED,
		          "tenant %s: cannot create the pgstep schema: the open transaction "
		          "has failed",
		          session_label(s));
		return false;
	}
	/* Two first runs at once would both try CREATE SCHEMA and one would
	 * fail on the catalog's unique index; the lock serialises them. It is
	 * taken before our transaction begins: a transaction that waited for it
	 * inside would still read the catalogue through caches from before the
	 * wait (an advisory lock does not refresh them), miss the schema the
	 * first run just committed, and fail the same way. Inside the caller's
	 * transaction the lock and the DDL commit with it. */
	bool own = ts == PQTRANS_IDLE;
	static const char lock_sql[] = "SELECT pg_advisory_lock(hashtext('pgstep.schema'))";
	static const char unlock_sql[] = "SELECT pg_advisory_unlock(hashtext('pgstep.schema'))";
	bool ok = own ? session_exec(s, lock_sql, err) && session_exec(s, "BEGIN", err)
	              : session_exec(s, "SELECT pg_advisory_xact_lock(hashtext('pgstep.schema'))",
	                             err);
	ok = ok && state_version(s, &version, err) && state_check_version(version, err);
	if (ok && version != STATE_SCHEMA_VERSION)
		ok = session_exec(s, state_ddl, err);
	if (own) {
		if (ok)
			ok = session_exec(s, "COMMIT", err);
		else
			session_exec(s, "ROLLBACK", NULL);
		session_exec(s, unlock_sql, NULL);
	}
	if (!ok)
		error_prefix(err, "tenant %s: creating the pgstep schema", session_label(s));
	return ok;
}

/* --- migration rows ---------------------------------------------------- */

static char *state_dup(const PGresult *res, int row, int col)
{
	return PQgetisnull(res, row, col) ? NULL : xstrdup(PQgetvalue(res, row, col));
}

static int64_t state_int(const PGresult *res, int row, int col)
{
	return PQgetisnull(res, row, col) ? 0 : strtoll(PQgetvalue(res, row, col), NULL, 10);
}

/* A text[] literal: every element double-quoted with " and \ escaped, so
 * any tenant name survives. */
static char *state_text_array(const char *const *items, size_t n)
{
	struct strbuf sb;
	strbuf_init(&sb);
	strbuf_addc(&sb, '{');
	for (size_t i = 0; i < n; i++) {
		if (i)
			strbuf_addc(&sb, ',');
		strbuf_addc(&sb, '"');
		for (const char *p = items[i]; *p; p++) {
			if (*p == '"' || *p == '\\')
				strbuf_addc(&sb, '\\');
			strbuf_addc(&sb, *p);
		}
		strbuf_addc(&sb, '"');
	}
	strbuf_addc(&sb, '}');
	char *result = strbuf_detach(&sb);
	strbuf_release(&sb); /* detach leaves a fresh buffer */
	return result;
}

enum {
	COL_TENANT,
	COL_VERSION,
	COL_VERSION_TEXT,
	COL_NAME,
	COL_PHASE,
	COL_CHECKSUM,
	COL_STATE,
	COL_TOTAL,
	COL_DONE,
	COL_DB_USER,
	COL_OS_USER,
	COL_CLIENT,
	COL_STARTED,
	COL_FINISHED,
	COL_DURATION,
	COL_SQLSTATE,
	COL_ERRMSG,
	COL_ERRSTMT,
	COL_UP_SQL, /* only with texts */
	COL_DOWN_SQL,
};

/* One allocation per row instead of one per field: status over 1,000
 * tenants x 100 migrations reads 100,000 rows. */
static void state_fill_packed(struct state_row *r, const PGresult *res, int i)
{
	static const int cols[] = { COL_TENANT, COL_VERSION, COL_VERSION_TEXT, COL_NAME, COL_PHASE,
				    COL_CHECKSUM, COL_SQLSTATE, COL_ERRMSG };
	char **dst[] = { &r->tenant, &r->version, &r->version_text, &r->name, &r->phase,
			 &r->checksum, &r->sqlstate, &r->error_message };
	size_t total = 0;
	for (size_t k = 0; k < sizeof cols / sizeof *cols; k++)
		total += (size_t)PQgetlength(res, i, cols[k]) + 1;
	char *block = xmalloc(total), *p = block;
	for (size_t k = 0; k < sizeof cols / sizeof *cols; k++) {
		if (PQgetisnull(res, i, cols[k])) {
			*dst[k] = NULL;
			continue;
		}
		size_t len = (size_t)PQgetlength(res, i, cols[k]);
		memcpy(p, PQgetvalue(res, i, cols[k]), len + 1);
		*dst[k] = p;
		p += len + 1;
	}
	/* tenant is NOT NULL and first: it owns the block. */
	r->tenant = block;
	r->packed = true;
	if (!row_state_parse(PQgetvalue(res, i, COL_STATE), &r->state))
		r->state = ROW_FAILED;
	r->statements_total = (int)state_int(res, i, COL_TOTAL);
	r->statements_done = (int)state_int(res, i, COL_DONE);
	r->error_statement = (int)state_int(res, i, COL_ERRSTMT);
}

void state_load_query(const char *const *tenants, size_t n, bool with_sql,
		      struct state_query *q)
{
	/* The texts can be large; status over many tenants never needs them. */
	struct strbuf sql;
	strbuf_init(&sql);
	strbuf_adds(&sql, "SELECT tenant, version, version_text, name, phase, checksum, state,"
	                  " statements_total, statements_done, ");
	/* Status over 1,000 tenants needs none of who/when: formatting two
	 * timestamps per row would cost more than the rest of the query. */
	if (with_sql) {
		strbuf_adds(&sql, "db_user, os_user, client_addr, ");
		strbuf_adds(&sql, STATE_TS("started_at") ", " STATE_TS("finished_at") ", ");
		strbuf_adds(&sql, "duration_ms, ");
	} else {
		strbuf_adds(&sql, "NULL, NULL, NULL, NULL, NULL, NULL, ");
	}
	strbuf_adds(&sql, "sqlstate, error_message, error_statement");
	if (with_sql)
		strbuf_adds(&sql, ", up_sql, down_sql");
	strbuf_adds(&sql, " FROM pgstep.migrations");
	q->param = NULL;
	q->nparams = 0;
	if (n > 0) {
		/* A semi-join hashes the names; "= ANY" would compare each row with
		 * every name, which dominates with 1,000 tenants. */
		strbuf_adds(&sql, " WHERE tenant IN (SELECT unnest($1::text[]))");
		q->param = state_text_array(tenants, n);
		q->nparams = 1;
	}
	q->with_sql = with_sql;
	q->sql = strbuf_detach(&sql);
}

void state_brief_query(const char *const *tenants, size_t n, struct state_query *q)
{
	/* Three short columns: a badge over 1,000 tenants x 100 rows needs no
	 * more, and the result is held whole while it is read. */
	q->sql = xstrdup("SELECT tenant, version, state FROM pgstep.migrations"
	                 " WHERE tenant IN (SELECT unnest($1::text[]))");
	q->param = state_text_array(tenants, n);
	q->nparams = 1;
	q->with_sql = false;
}

void state_brief_row(const PGresult *res, int i, struct state_row *r)
{
	memset(r, 0, sizeof *r);
	r->tenant = PQgetvalue(res, i, 0);
	r->version = PQgetvalue(res, i, 1);
	if (!row_state_parse(PQgetvalue(res, i, 2), &r->state))
		r->state = ROW_FAILED; /* the CHECK constraint makes this unreachable */
}

void state_query_release(struct state_query *q)
{
	free(q->sql);
	free(q->param);
	q->sql = q->param = NULL;
}

void state_load_result(const PGresult *res, bool with_sql, struct state_rows *out)
{
	int nrows = PQntuples(res);
	XGROW(out->items, out->cap, out->n + (size_t)nrows);
	bool was_empty = out->n == 0;
	for (int i = 0; i < nrows; i++) {
		struct state_row *r = &out->items[out->n++];
		memset(r, 0, sizeof *r);
		if (!with_sql) {
			state_fill_packed(r, res, i);
			continue;
		}
		r->tenant = state_dup(res, i, COL_TENANT);
		r->version = state_dup(res, i, COL_VERSION);
		r->version_text = state_dup(res, i, COL_VERSION_TEXT);
		r->name = state_dup(res, i, COL_NAME);
		r->phase = state_dup(res, i, COL_PHASE);
		r->checksum = state_dup(res, i, COL_CHECKSUM);
		if (!row_state_parse(PQgetvalue(res, i, COL_STATE), &r->state))
			r->state = ROW_FAILED; /* the CHECK constraint makes this unreachable */
		r->statements_total = (int)state_int(res, i, COL_TOTAL);
		r->statements_done = (int)state_int(res, i, COL_DONE);
		r->db_user = state_dup(res, i, COL_DB_USER);
		r->os_user = state_dup(res, i, COL_OS_USER);
		r->client_addr = state_dup(res, i, COL_CLIENT);
		r->started_at = state_dup(res, i, COL_STARTED);
		r->finished_at = state_dup(res, i, COL_FINISHED);
		r->duration_ms = state_int(res, i, COL_DURATION);
		r->sqlstate = state_dup(res, i, COL_SQLSTATE);
		r->error_message = state_dup(res, i, COL_ERRMSG);
		r->error_statement = (int)state_int(res, i, COL_ERRSTMT);
		r->up_sql = state_dup(res, i, COL_UP_SQL);
		r->down_sql = state_dup(res, i, COL_DOWN_SQL);
	}
	/* Sorted here rather than by the server, whose collation need not be
	 * byte order. Rows already in out (another database) are kept in. */
	if (was_empty || out->sorted) {
		if (out->n > 1) /* qsort must not see the NULL of an empty list */
			qsort(out->items, out->n, sizeof *out->items, state_row_cmp);
		out->sorted = true;
	}
}

bool state_load(struct session *s, const char *const *tenants, size_t n, bool with_sql,
                struct state_rows *out, struct pgstep_error *err)
{
	bool exists;
	if (!state_exists(s, &exists, err))
		return false;
	if (!exists)
		return true;
	struct state_query q;
	state_load_query(tenants, n, with_sql, &q);
	const char *params[1] = { q.param };
	PGresult *res = session_query(s, q.sql, q.nparams, params, err);
	state_query_release(&q);
	if (!res) {
		error_prefix(err, "tenant %s: reading pgstep.migrations", session_label(s));
		return false;
	}
	state_load_result(res, with_sql, out);
	PQclear(res);
	return true;
}

bool state_upsert(struct session *s, const struct state_row *row, struct pgstep_error *err)
{
	char total[16], done[16], duration[24], errstmt[16];
	snprintf(total, sizeof total, "%d", row->statements_total);
	snprintf(done, sizeof done, "%d", row->statements_done);
	snprintf(duration, sizeof duration, "%" PRId64, row->duration_ms);
	snprintf(errstmt, sizeof errstmt, "%d", row->error_statement);
	const char *params[] = {
	    row->tenant,
	    row->version,
	    row->version_text,
	    row->name,
	    row->phase,
	    row->checksum,
	    row_state_name(row->state),
	    total,
	    done,
	    row->up_sql,
	    row->down_sql,
	    row->db_user,
	    row->os_user,
	    row->client_addr,
	    row->started_at,
	    row->finished_at,
	    duration,
	    row->sqlstate,
	    row->error_message,
	    row->error_statement > 0 ? errstmt : NULL,
	};
	/* up_sql/down_sql keep their stored text when the row being written
	 * was loaded without texts: rolling back needs the text that was
	 * applied, and losing it silently would be worse than keeping it. */
	static const char sql[] =
	    "INSERT INTO pgstep.migrations AS m (tenant, version, version_text, name, phase,"
	    " checksum, state, statements_total, statements_done, up_sql, down_sql, db_user,"
	    " os_user, client_addr, started_at, finished_at, duration_ms, sqlstate,"
	    " error_message, error_statement)"
	    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8::int, $9::int, $10, $11,"
	    " COALESCE($12, current_user), $13, $14, $15::timestamptz, $16::timestamptz,"
	    " $17::bigint, $18, $19, $20::int)"
	    " ON CONFLICT (tenant, version) DO UPDATE SET"
	    " version_text = EXCLUDED.version_text, name = EXCLUDED.name,"
	    " phase = EXCLUDED.phase, checksum = EXCLUDED.checksum, state = EXCLUDED.state,"
	    " statements_total = EXCLUDED.statements_total,"
	    " statements_done = EXCLUDED.statements_done,"
	    " up_sql = COALESCE(EXCLUDED.up_sql, m.up_sql),"
	    " down_sql = COALESCE(EXCLUDED.down_sql, m.down_sql),"
	    " db_user = EXCLUDED.db_user, os_user = EXCLUDED.os_user,"
	    " client_addr = EXCLUDED.client_addr, started_at = EXCLUDED.started_at,"
	    " finished_at = EXCLUDED.finished_at, duration_ms = EXCLUDED.duration_ms,"
	    " sqlstate = EXCLUDED.sqlstate, error_message = EXCLUDED.error_message,"
	    " error_statement = EXCLUDED.error_statement";
	if (!session_command(s, sql, (int)(sizeof params / sizeof params[0]), params, err)) {
		error_prefix(err, "tenant %s: recording version %s", row->tenant, row->version);
		return false;
	}
	return true;
}

bool state_set_progress(struct session *s, const char *tenant, const char *version,
                        int statements_done, struct pgstep_error *err)
{
	char done[16];
	snprintf(done, sizeof done, "%d", statements_done);
	const char *params[] = {tenant, version, done};
	PGresult *res = session_query(s,
	                              "UPDATE pgstep.migrations SET statements_done = $3::int"
	                              " WHERE tenant = $1 AND version = $2",
	                              3, params, err);
	if (!res) {
		error_prefix(err, "tenant %s: recording progress of version %s", tenant, version);
		return false;
	}
	bool found = strcmp(PQcmdTuples(res), "0") != 0;
	PQclear(res);
	if (!found)
		error_set(err, PGSTEP_EXIT_FAILED,
		          "tenant %s: recording progress of version %s: no state row", tenant,
		          version);
	return found;
}

/* --- who and when ------------------------------------------------------- */

void actor_init(struct actor *a)
{
	struct passwd *pw = getpwuid(geteuid());
	const char *user = pw && pw->pw_name ? pw->pw_name : getenv("USER");
	a->os_user = xstrdup(user && *user ? user : "unknown");

	/* SSH_CLIENT is "address port port"; only the address says who. */
	const char *ssh = getenv("SSH_CLIENT");
	a->client_addr = NULL;
	if (ssh) {
		size_t len = strcspn(ssh, " \t");
		if (len > 0)
			a->client_addr = xstrndup(ssh, len);
	}
}

void actor_release(struct actor *a)
{
	free(a->os_user);
	free(a->client_addr);
	a->os_user = a->client_addr = NULL;
}

char *state_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	struct tm tm;
	gmtime_r(&ts.tv_sec, &tm);
	/* timestamptz keeps microseconds: truncate, never round, so the text
	 * stored is the text hashed. */
	return xasprintf("%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ", tm.tm_year + 1900, tm.tm_mon + 1,
	                 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000);
}

/* --- the event log ------------------------------------------------------ */

static void state_canon_field(struct sha256 *h, const char *v, bool last)
{
	if (v)
		sha256_update(h, v, strlen(v));
	else
		sha256_update(h, (const char[]){STATE_NULL}, 1);
	if (!last)
		sha256_update(h, (const char[]){STATE_SEP}, 1);
}

static void state_event_hash(const struct event_row *e, char out[SHA256_HEX_LEN + 1])
{
	char seq[24];
	snprintf(seq, sizeof seq, "%" PRId64, e->seq);
	struct sha256 *h = sha256_new();
	state_canon_field(h, seq, false);
	state_canon_field(h, e->tenant, false);
	state_canon_field(h, e->version, false);
	state_canon_field(h, e->action, false);
	state_canon_field(h, e->detail, false);
	state_canon_field(h, e->db_user, false);
	state_canon_field(h, e->os_user, false);
	state_canon_field(h, e->client_addr, false);
	state_canon_field(h, e->at, false);
	state_canon_field(h, e->prev_hash, true);
	sha256_finish(h, out);
}

static bool state_has_separator(const char *v)
{
	return v && (strchr(v, STATE_SEP) || strchr(v, STATE_NULL));
}

/* True when some hashed field holds a separator byte, which would make the
 * canonical text ambiguous. */
static bool state_event_ambiguous(const struct event_row *e)
{
	return state_has_separator(e->tenant) || state_has_separator(e->version) ||
	       state_has_separator(e->action) || state_has_separator(e->detail) ||
	       state_has_separator(e->db_user) || state_has_separator(e->os_user) ||
	       state_has_separator(e->client_addr) || state_has_separator(e->at) ||
	       state_has_separator(e->prev_hash);
}

bool state_event(struct session *s, const struct actor *actor, const char *tenant,
                 const char *version, const char *action, const char *detail,
                 struct pgstep_error *err)
{
	struct event_row e = {
	    .tenant = (char *)tenant,
	    .version = (char *)version,
	    .action = (char *)action,
	    .detail = (char *)detail,
	    .os_user = actor ? actor->os_user : NULL,
	    .client_addr = actor ? actor->client_addr : NULL,
	};
	if (state_event_ambiguous(&e)) {
		error_set(err, PGSTEP_EXIT_USAGE,
		          "tenant %s: event %s holds a control character (0x1e or 0x1f)", tenant,
		          action);
		return false;
	}
	const char *db_user = session_current_user(s, err);
	if (!db_user)
		return false;
	e.db_user = (char *)db_user;

	const char *p1[] = {tenant};
	PGresult *res = session_query(s,
	                              "SELECT seq, hash FROM pgstep.events WHERE tenant = $1"
	                              " ORDER BY seq DESC LIMIT 1",
	                              1, p1, err);
	if (!res) {
		error_prefix(err, "tenant %s: reading the event log", tenant);
		return false;
	}
	char prev[SHA256_HEX_LEN + 1];
	e.seq = 1;
	memcpy(prev, zero_hash, sizeof prev);
	if (PQntuples(res) == 1) {
		e.seq = strtoll(PQgetvalue(res, 0, 0), NULL, 10) + 1;
		snprintf(prev, sizeof prev, "%s", PQgetvalue(res, 0, 1));
	}
	PQclear(res);

	e.prev_hash = prev;
	e.at = state_now();
	char hash[SHA256_HEX_LEN + 1];
	state_event_hash(&e, hash);

	char seq[24];
	snprintf(seq, sizeof seq, "%" PRId64, e.seq);
	const char *p2[] = {tenant,    seq,           version, action, detail, db_user,
	                    e.os_user, e.client_addr, e.at,    prev,   hash};
	bool ok =
	    session_command(s,
	                    "INSERT INTO pgstep.events (tenant, seq, version, action, detail,"
	                    " db_user, os_user, client_addr, at, prev_hash, hash)"
	                    " VALUES ($1, $2::bigint, $3, $4, $5, $6, $7, $8, $9::timestamptz,"
	                    " $10, $11)",
	                    11, p2, err);
	free(e.at);
	if (!ok)
		error_prefix(err, "tenant %s: recording event %s", tenant, action);
	return ok;
}

void event_rows_clear(struct event_rows *rows)
{
	for (size_t i = 0; i < rows->n; i++) {
		struct event_row *e = &rows->items[i];
		free(e->tenant);
		free(e->version);
		free(e->action);
		free(e->detail);
		free(e->db_user);
		free(e->os_user);
		free(e->client_addr);
		free(e->at);
		free(e->prev_hash);
		free(e->hash);
	}
	free(rows->items);
	rows->items = NULL;
	rows->n = rows->cap = 0;
}

/* clang-format misaligns strings around a macro. */
/* clang-format off */
static const char state_events_sql[] =
	"SELECT seq, tenant, version, action, detail, db_user, os_user, client_addr, "
	STATE_TS("at") ", prev_hash, hash"
	" FROM pgstep.events"
	" WHERE ($1::text IS NULL OR tenant = $1)"
	" AND ($2::text IS NULL OR version = $2)"
	" ORDER BY tenant, seq";
/* clang-format on */

const char *state_events_query(void)
{
	return state_events_sql;
}

bool state_load_events(struct session *s, const char *tenant, const char *version,
                       struct event_rows *out, struct pgstep_error *err)
{
	bool exists;
	if (!state_exists(s, &exists, err))
		return false;
	if (!exists)
		return true;

	/* NULL tenant: every tenant's chain, each in order. */
	const char *params[] = {tenant, version};
	PGresult *res = session_query(s, state_events_sql, 2, params, err);
	if (!res) {
		error_prefix(err, "tenant %s: reading the event log", tenant ? tenant : "(all)");
		return false;
	}
	state_events_result(res, out);
	PQclear(res);
	return true;
}

void state_events_result(const PGresult *res, struct event_rows *out)
{
	int nrows = PQntuples(res);
	XGROW(out->items, out->cap, out->n + (size_t)nrows);
	for (int i = 0; i < nrows; i++) {
		struct event_row *e = &out->items[out->n++];
		e->seq = state_int(res, i, 0);
		e->tenant = state_dup(res, i, 1);
		e->version = state_dup(res, i, 2);
		e->action = state_dup(res, i, 3);
		e->detail = state_dup(res, i, 4);
		e->db_user = state_dup(res, i, 5);
		e->os_user = state_dup(res, i, 6);
		e->client_addr = state_dup(res, i, 7);
		e->at = state_dup(res, i, 8);
		e->prev_hash = state_dup(res, i, 9);
		e->hash = state_dup(res, i, 10);
	}
}

/* "apply 004" or just "repair" when the event names no version. */
static char *state_event_what(const struct event_row *e)
{
	return e->version ? xasprintf("%s %s", e->action, e->version) : xstrdup(e->action);
}

/* Checks one tenant's chain, items[from..to). */
static void state_verify_chain(const struct event_row *items, size_t from, size_t to,
                               struct diag_list *problems)
{
	const char *prev_hash = zero_hash;
	int64_t expect = 1;
	for (size_t i = from; i < to; i++) {
		const struct event_row *e = &items[i];
		char *what = state_event_what(e);
		bool gap = e->seq != expect;
		if (gap) {
			/* The prev_hash of the event after a hole cannot link
			 * either; one message says what happened. */
			if (e->seq - expect == 1)
				diag_add(problems, DIAG_ERROR, NULL, 0,
				         "tenant %s: event %" PRId64
				         " is missing (before event %" PRId64
				         " (%s)): gap in the chain",
				         e->tenant, expect, e->seq, what);
			else
				diag_add(problems, DIAG_ERROR, NULL, 0,
				         "tenant %s: events %" PRId64 "-%" PRId64
				         " are missing (before event %" PRId64
				         " (%s)): gap in the chain",
				         e->tenant, expect, e->seq - 1, e->seq, what);
		}
		char hash[SHA256_HEX_LEN + 1];
		state_event_hash(e, hash);
		if (state_event_ambiguous(e))
			diag_add(problems, DIAG_ERROR, NULL, 0,
			         "tenant %s: event %" PRId64
			         " (%s) was altered: a field holds a separator byte",
			         e->tenant, e->seq, what);
		else if (!e->hash || strcmp(hash, e->hash) != 0)
			diag_add(problems, DIAG_ERROR, NULL, 0,
			         "tenant %s: event %" PRId64 " (%s) was altered: hash mismatch",
			         e->tenant, e->seq, what);
		if (!gap && (!e->prev_hash || strcmp(e->prev_hash, prev_hash) != 0)) {
			if (e->seq == 1)
				diag_add(problems, DIAG_ERROR, NULL, 0,
				         "tenant %s: event 1 (%s) does not start the chain: "
				         "prev_hash is not zero",
				         e->tenant, what);
			else
				diag_add(problems, DIAG_ERROR, NULL, 0,
				         "tenant %s: event %" PRId64
				         " (%s) does not link to event %" PRId64
				         ": prev_hash mismatch (an event was replaced)",
				         e->tenant, e->seq, what, e->seq - 1);
		}
		/* Link to the stored hash: an altered row is reported once, a
		 * re-hashed one breaks the link of the next. */
		prev_hash = e->hash ? e->hash : "";
		expect = e->seq + 1;
		free(what);
	}
}

bool state_verify_events(struct session *s, const char *tenant, struct diag_list *problems,
                         struct pgstep_error *err)
{
	struct event_rows rows = {0};
	if (!state_load_events(s, tenant, NULL, &rows, err))
		return false;
	size_t from = 0;
	for (size_t i = 1; i <= rows.n; i++) {
		if (i == rows.n || strcmp(rows.items[i].tenant, rows.items[from].tenant) != 0) {
			state_verify_chain(rows.items, from, i, problems);
			from = i;
		}
	}
	event_rows_clear(&rows);
	return true;
}

/* --- the per-tenant lock ------------------------------------------------ */

/* Schema tenants share a database, so the key comes from the tenant's name:
 * the first four bytes of its SHA-256. */
static uint32_t state_lock_objid(const char *tenant)
{
	uint8_t d[32];
	sha256_raw(tenant, strlen(tenant), d);
	return (uint32_t)d[0] << 24 | (uint32_t)d[1] << 16 | (uint32_t)d[2] << 8 | d[3];
}

static void state_lock_keys(const char *tenant, char cls[16], char obj[16])
{
	/* pg_advisory_lock takes signed int4 keys; the bit pattern is what
	 * matters (pg_locks shows it as an unsigned oid). */
	snprintf(cls, 16, "%" PRId32, (int32_t)STATE_LOCK_CLASSID);
	snprintf(obj, 16, "%" PRId32, (int32_t)state_lock_objid(tenant));
}

/* False when no holder is visible: it let go between the two queries. */
static bool state_describe_holder(struct session *s, const char *tenant,
                                  struct pgstep_error *err)
{
	char cls[16], obj[16];
	snprintf(cls, sizeof cls, "%" PRIu32, (uint32_t)STATE_LOCK_CLASSID);
	snprintf(obj, sizeof obj, "%" PRIu32, state_lock_objid(tenant));
	const char *params[] = {cls, obj};
	/* Without pg_read_all_stats another user's backend_start and
	 * client_addr read as NULL: say "unknown" then, not "local". */
	PGresult *res = session_query(
	    s,
	    "SELECT l.pid, a.usename,"
	    " CASE WHEN a.backend_start IS NULL THEN NULL"
	    " WHEN a.client_addr IS NULL THEN 'local' ELSE host(a.client_addr) END,"
	    " to_char(a.backend_start, 'YYYY-MM-DD HH24:MI:SSOF')"
	    " FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid"
	    " WHERE l.locktype = 'advisory' AND l.granted"
	    " AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())"
	    " AND l.classid = $1::oid AND l.objid = $2::oid AND l.objsubid = 2"
	    " AND l.pid <> pg_backend_pid()"
	    " LIMIT 1",
	    2, params, NULL);
	if (res && PQntuples(res) == 1) {
		const char *user = PQgetisnull(res, 0, 1) ? "unknown" : PQgetvalue(res, 0, 1);
		const char *client = PQgetisnull(res, 0, 2) ? "unknown" : PQgetvalue(res, 0, 2);
		const char *since = PQgetisnull(res, 0, 3) ? "unknown" : PQgetvalue(res, 0, 3);
		error_set(err, PGSTEP_EXIT_LOCKED,
		          "tenant %s is locked by another pgstep: pid %s, user %s, client %s, "
		          "since %s",
		          tenant, PQgetvalue(res, 0, 0), user, client, since);
		PQclear(res);
		return true;
	}
	error_set(err, PGSTEP_EXIT_LOCKED,
	          "tenant %s is locked by another pgstep (holder not visible)", tenant);
	PQclear(res);
	return false;
}

bool state_lock_tenant(struct session *s, const char *tenant, struct pgstep_error *err)
{
	char cls[16], obj[16];
	state_lock_keys(tenant, cls, obj);
	const char *params[] = {cls, obj};
	/* A holder that is gone by the time we look for it has let go: try
	 * again rather than refuse without naming anyone. */
	for (int attempt = 0; attempt < 5; attempt++) {
		PGresult *res = session_query(s, "SELECT pg_try_advisory_lock($1::int4, $2::int4)",
		                              2, params, err);
		if (!res) {
			error_prefix(err, "tenant %s: taking the pgstep lock", tenant);
			return false;
		}
		bool got = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
		PQclear(res);
		if (got) {
			error_clear(err);
			return true;
		}
		if (state_describe_holder(s, tenant, err))
			return false;
	}
	return false;
}

void state_unlock_tenant(struct session *s, const char *tenant)
{
	char cls[16], obj[16];
	state_lock_keys(tenant, cls, obj);
	const char *params[] = {cls, obj};
	/* Failure (an aborted transaction, a lost connection) needs no
	 * report: the lock is the session's and ends with it. */
	session_command(s, "SELECT pg_advisory_unlock($1::int4, $2::int4)", 2, params, NULL);
}
