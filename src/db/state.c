/* state: the pgstep schema in each target database. This module owns its
 * DDL and version (and the upgrade of older ones), the reading and writing
 * of pgstep.migrations rows, the hash-chained pgstep.events log and its
 * heads (writing and verifying them, with or without the audit key), and
 * the per-tenant advisory lock. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "pgstep/sha256.h"
#include "pgstep/state.h"
#include "pgstep/strbuf.h"
#include "pgstep/xalloc.h"
#include "state_int.h"

/* 'pgst' in ASCII: the first key of every pgstep advisory lock, so pgstep's
 * locks are recognisable in pg_locks and unlikely to meet an application's. */
#define STATE_LOCK_CLASSID 1885827956u

/* Separators of the canonical text that is hashed: bytes pgstep never writes
 * into an event (JSON escapes control characters), so no two different rows
 * can produce the same text. */
#define STATE_SEP  '\x1f'
#define STATE_NULL '\x1e'

const char state_zero_hash[SHA256_HEX_LEN + 1] =
    "0000000000000000000000000000000000000000000000000000000000000000";

/* The audit key, loaded once before any session writes. */
static unsigned char *audit_key;
static size_t audit_key_len;
#define STATE_MIN_KEY_LEN 32

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
	free(r->up_sha);
	free(r->down_sha);
	free(r->event_hash);
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

/* --- the audit key ----------------------------------------------------- */

bool state_audit_key_load(const char *path, struct pgstep_error *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		error_set(err, PGSTEP_EXIT_USAGE, "[audit] key_file %s: %s", path, strerror(errno));
		return false;
	}
	struct stat st;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		error_set(err, PGSTEP_EXIT_USAGE, "[audit] key_file %s: not a regular file", path);
		close(fd);
		return false;
	}
	/* A key that others can read (or replace) proves nothing. */
	if (st.st_mode & (S_IRWXO | S_IWGRP)) {
		error_set(err, PGSTEP_EXIT_USAGE,
		          "[audit] key_file %s: mode %03o lets others read or change the key: "
		          "chmod 600 it",
		          path, (unsigned)(st.st_mode & 0777));
		close(fd);
		return false;
	}
	struct strbuf sb;
	strbuf_init(&sb);
	char buf[4096];
	ssize_t got;
	while ((got = read(fd, buf, sizeof buf)) > 0)
		strbuf_add(&sb, buf, (size_t)got);
	int read_errno = errno;
	close(fd);
	if (got < 0) {
		error_set(err, PGSTEP_EXIT_USAGE, "[audit] key_file %s: %s", path,
		          strerror(read_errno));
		strbuf_release(&sb);
		return false;
	}
	if (sb.len < STATE_MIN_KEY_LEN) {
		error_set(err, PGSTEP_EXIT_USAGE,
		          "[audit] key_file %s: %zu bytes; a key needs at least %d random bytes "
		          "(e.g. head -c 32 /dev/urandom > FILE)",
		          path, sb.len, STATE_MIN_KEY_LEN);
		strbuf_release(&sb);
		return false;
	}
	state_audit_key_clear();
	audit_key_len = sb.len;
	audit_key = (unsigned char *)strbuf_detach(&sb);
	return true;
}

void state_audit_key_clear(void)
{
	if (audit_key)
		memset(audit_key, 0, audit_key_len);
	free(audit_key);
	audit_key = NULL;
	audit_key_len = 0;
}

bool state_audit_keyed(void)
{
	return audit_key != NULL;
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
bool state_version(struct session *s, int *version, struct pgstep_error *err)
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

/* Version 2: each migrations row is bound to the event that last wrote it
 * (event_seq, event_hash; the event's row_hash commits to the row's
 * content), and pgstep.heads keeps each chain's last event, so deleting
 * trailing events or a row shows. Rows written before are bound by one
 * "adopt" event each (state_adopt_rows). A column added to migrations in
 * this version goes here, and into state_row_canon and STATE_CANON_COLS. */
static const char state_upgrade_2_ddl[] =
    "ALTER TABLE pgstep.migrations ADD COLUMN IF NOT EXISTS event_seq bigint,\n"
    "	ADD COLUMN IF NOT EXISTS event_hash text;\n"
    "ALTER TABLE pgstep.events ADD COLUMN IF NOT EXISTS row_hash text;\n"
    "CREATE TABLE IF NOT EXISTS pgstep.heads (\n"
    "	tenant text PRIMARY KEY,\n"
    "	seq bigint NOT NULL,\n"
    "	hash text NOT NULL\n"
    ");\n"
    "UPDATE pgstep.meta SET value = '2' WHERE key = 'schema_version';\n";

static bool state_adopt_rows(struct session *s, struct pgstep_error *err);

static bool state_upgrade_2(struct session *s, struct pgstep_error *err)
{
	/* A schema that had version 2 before and says 1 now was set back by
	 * hand: taking heads from the events and adopting unbound rows would
	 * launder a truncation or an edited row, so only the version is
	 * restored and verify keeps reporting what was done. */
	PGresult *res = session_query(s,
	                              "SELECT to_regclass('pgstep.heads') IS NOT NULL OR EXISTS ("
	                              "SELECT 1 FROM pg_attribute"
	                              " WHERE attrelid = 'pgstep.events'::regclass"
	                              " AND attname = 'row_hash' AND NOT attisdropped)",
	                              0, NULL, err);
	if (!res)
		return false;
	bool was_2 = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	PQclear(res);
	if (!session_exec(s, state_upgrade_2_ddl, err))
		return false;
	if (was_2)
		return true;
	return session_exec(s,
	                    "INSERT INTO pgstep.heads (tenant, seq, hash)"
	                    " SELECT DISTINCT ON (tenant) tenant, seq, hash FROM pgstep.events"
	                    " ORDER BY tenant, seq DESC",
	                    err) &&
	       state_adopt_rows(s, err);
}

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
	bool ok =
	    own ? session_exec(s, lock_sql, err) && session_exec(s, "BEGIN", err)
	        : session_exec(s, "SELECT pg_advisory_xact_lock(hashtext('pgstep.schema'))", err);
	ok = ok && state_version(s, &version, err) && state_check_version(version, err);
	/* Each step upgrades one version, in place: a new database goes
	 * through all of them. */
	if (ok && version < 1)
		ok = session_exec(s, state_ddl, err);
	if (ok && version < 2)
		ok = state_upgrade_2(s, err);
	if (own) {
		if (ok)
			ok = session_exec(s, "COMMIT", err);
		else
			session_exec(s, "ROLLBACK", NULL);
		session_exec(s, unlock_sql, NULL);
	}
	if (!ok)
		error_prefix(err, "tenant %s: %s the pgstep schema", session_label(s),
		             version ? "upgrading" : "creating");
	return ok;
}

/* --- migration rows ---------------------------------------------------- */

char *state_dup(const PGresult *res, int row, int col)
{
	return PQgetisnull(res, row, col) ? NULL : xstrdup(PQgetvalue(res, row, col));
}

int64_t state_int(const PGresult *res, int row, int col)
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
	static const int cols[] = {COL_TENANT, COL_VERSION,  COL_VERSION_TEXT, COL_NAME,
	                           COL_PHASE,  COL_CHECKSUM, COL_SQLSTATE,     COL_ERRMSG};
	char **dst[] = {&r->tenant, &r->version,  &r->version_text, &r->name,
	                &r->phase,  &r->checksum, &r->sqlstate,     &r->error_message};
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

void state_load_query(const char *const *tenants, size_t n, bool with_sql, struct state_query *q)
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
	const char *params[1] = {q.param};
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

/* --- binding rows to the chain ------------------------------------------ */

/* clang-format off */
/* Where the tenant's chain ends now: its head row and its last event. */
#define STATE_LINK_COLS(tenant)                                                \
	"(SELECT h.seq FROM pgstep.heads h WHERE h.tenant = " tenant "),"      \
	" (SELECT h.hash FROM pgstep.heads h WHERE h.tenant = " tenant "),"    \
	" (SELECT e.seq FROM pgstep.events e WHERE e.tenant = " tenant         \
	" ORDER BY e.seq DESC LIMIT 1)"
/* clang-format on */

void state_canon_parse(const PGresult *res, int i, struct state_row *r)
{
	memset(r, 0, sizeof *r);
	r->tenant = state_dup(res, i, 0);
	r->version = state_dup(res, i, 1);
	r->version_text = state_dup(res, i, 2);
	r->name = state_dup(res, i, 3);
	r->phase = state_dup(res, i, 4);
	r->checksum = state_dup(res, i, 5);
	if (!row_state_parse(PQgetvalue(res, i, 6), &r->state))
		r->state = ROW_FAILED;
	r->statements_total = (int)state_int(res, i, 7);
	r->statements_done = (int)state_int(res, i, 8);
	r->db_user = state_dup(res, i, 9);
	r->os_user = state_dup(res, i, 10);
	r->client_addr = state_dup(res, i, 11);
	r->started_at = state_dup(res, i, 12);
	r->finished_at = state_dup(res, i, 13);
	r->duration_ms = state_int(res, i, 14);
	r->sqlstate = state_dup(res, i, 15);
	r->error_message = state_dup(res, i, 16);
	r->error_statement = (int)state_int(res, i, 17);
	r->up_sha = state_dup(res, i, 18);
	r->down_sha = state_dup(res, i, 19);
}

/* Length-prefixed, so no field's content can imitate a boundary. */
static void state_canon_add(struct strbuf *sb, const char *v)
{
	if (!v) {
		strbuf_adds(sb, "-\n");
		return;
	}
	size_t len = strlen(v);
	strbuf_addf(sb, "%zu:", len);
	strbuf_add(sb, v, len);
	strbuf_addc(sb, '\n');
}

static void state_canon_int(struct strbuf *sb, int64_t v)
{
	char num[24];
	snprintf(num, sizeof num, "%" PRId64, v);
	state_canon_add(sb, num);
}

char *state_row_canon(const struct state_row *r)
{
	struct strbuf sb;
	strbuf_init(&sb);
	strbuf_adds(&sb, "pgstep row 2\n");
	state_canon_add(&sb, r->tenant);
	state_canon_add(&sb, r->version);
	state_canon_add(&sb, r->version_text);
	state_canon_add(&sb, r->name);
	state_canon_add(&sb, r->phase);
	state_canon_add(&sb, r->checksum);
	state_canon_add(&sb, row_state_name(r->state));
	state_canon_int(&sb, r->statements_total);
	state_canon_int(&sb, r->statements_done);
	state_canon_add(&sb, r->db_user);
	state_canon_add(&sb, r->os_user);
	state_canon_add(&sb, r->client_addr);
	state_canon_add(&sb, r->started_at);
	state_canon_add(&sb, r->finished_at);
	state_canon_int(&sb, r->duration_ms);
	state_canon_add(&sb, r->sqlstate);
	state_canon_add(&sb, r->error_message);
	state_canon_int(&sb, r->error_statement);
	state_canon_add(&sb, r->up_sha);
	state_canon_add(&sb, r->down_sha);
	return strbuf_detach(&sb);
}

/* The row's hash: plain SHA-256, since the (keyed) event hash covers it. */
void state_row_hash(const struct state_row *r, char out[SHA256_HEX_LEN + 1])
{
	char *canon = state_row_canon(r);
	sha256_hex(canon, strlen(canon), out);
	free(canon);
}

/* Where the next event of a tenant goes. */
struct state_link {
	int64_t seq;
	char prev[STATE_HASH_MAX];
};

static bool state_link_from(const PGresult *res, int row, int col, const char *tenant,
                            struct state_link *l, struct pgstep_error *err)
{
	bool has_head = !PQgetisnull(res, row, col);
	bool has_events = !PQgetisnull(res, row, col + 2);
	int64_t last = state_int(res, row, col + 2);
	if (!has_head && has_events) {
		/* Starting a new head here would hide whatever was deleted with
		 * the old one. */
		error_set(err, PGSTEP_EXIT_FAILED,
		          "tenant %s: the event log has events (the last is %" PRId64
		          ") but no head in pgstep.heads: it was altered outside pgstep; "
		          "run `pgstep verify` and see pgstep(1), TAMPER EVIDENCE",
		          tenant, last);
		return false;
	}
	l->seq = 1;
	snprintf(l->prev, sizeof l->prev, "%s", state_zero_hash);
	if (has_head) {
		int64_t head = state_int(res, row, col);
		/* Continue after the head: events deleted behind it stay a gap
		 * that verify reports. */
		l->seq = (head > last ? head : last) + 1;
		const char *h = PQgetvalue(res, row, col + 1);
		if (strlen(h) >= sizeof l->prev) {
			error_set(err, PGSTEP_EXIT_FAILED,
			          "tenant %s: the head in pgstep.heads holds no hash pgstep wrote",
			          tenant);
			return false;
		}
		snprintf(l->prev, sizeof l->prev, "%s", h);
	}
	return true;
}

static bool state_read_link(struct session *s, const char *tenant, struct state_link *l,
                            struct pgstep_error *err)
{
	const char *p[] = {tenant};
	PGresult *res = session_query(s, "SELECT " STATE_LINK_COLS("$1"), 1, p, err);
	if (!res) {
		error_prefix(err, "tenant %s: reading the event log", tenant);
		return false;
	}
	bool ok = state_link_from(res, 0, 0, tenant, l, err);
	PQclear(res);
	return ok;
}

static bool state_append(struct session *s, const struct actor *actor, const char *tenant,
                         const char *version, const char *action, const char *detail,
                         const char *row_hash, struct state_link *link, struct pgstep_error *err);
static bool state_event_check(const struct actor *actor, const char *tenant, const char *version,
                              const char *action, const char *detail, struct pgstep_error *err);

/* The open transaction, or one of our own: a row and its event commit
 * together or not at all. */
static bool state_txn_begin(struct session *s, bool *own, struct pgstep_error *err)
{
	*own = PQtransactionStatus(session_conn(s)) == PQTRANS_IDLE;
	return !*own || session_exec(s, "BEGIN", err);
}

static bool state_txn_end(struct session *s, bool own, bool ok, struct pgstep_error *err)
{
	if (!own)
		return ok;
	if (ok)
		return session_exec(s, "COMMIT", err);
	session_exec(s, "ROLLBACK", NULL);
	return false;
}

/* res holds the row as written (STATE_CANON_COLS) and the tenant's link:
 * append the event that binds it. */
static bool state_bind(struct session *s, const struct actor *actor, const PGresult *res,
                       const char *action, const char *detail, struct pgstep_error *err)
{
	struct state_row stored;
	state_canon_parse(res, 0, &stored);
	char row_hash[SHA256_HEX_LEN + 1];
	state_row_hash(&stored, row_hash);
	struct state_link link;
	bool ok = state_link_from(res, 0, STATE_CANON_NCOLS, stored.tenant, &link, err) &&
	          state_append(s, actor, stored.tenant, stored.version, action, detail, row_hash,
	                       &link, err);
	state_row_release(&stored);
	return ok;
}

bool state_upsert(struct session *s, const struct actor *actor, const struct state_row *row,
                  const char *action, const char *detail, struct pgstep_error *err)
{
	if (!state_event_check(actor, row->tenant, row->version, action, detail, err))
		return false;
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
	    " error_statement = EXCLUDED.error_statement"
	    " RETURNING " STATE_CANON_COLS ", " STATE_LINK_COLS("m.tenant");
	bool own;
	if (!state_txn_begin(s, &own, err))
		goto fail;
	PGresult *res = session_query(s, sql, (int)(sizeof params / sizeof params[0]), params, err);
	bool ok = res && state_bind(s, actor, res, action, detail, err);
	PQclear(res);
	if (state_txn_end(s, own, ok, err))
		return true;
fail:
	error_prefix(err, "tenant %s: recording version %s", row->tenant, row->version);
	return false;
}

bool state_set_progress(struct session *s, const struct actor *actor, const char *tenant,
                        const char *version, int statements_done, const char *action,
                        const char *detail, struct pgstep_error *err)
{
	if (!state_event_check(actor, tenant, version, action, detail, err))
		return false;
	char done[16];
	snprintf(done, sizeof done, "%d", statements_done);
	const char *params[] = {tenant, version, done};
	bool own;
	if (!state_txn_begin(s, &own, err))
		goto fail;
	PGresult *res = session_query(s,
	                              "UPDATE pgstep.migrations AS m SET statements_done = $3::int"
	                              " WHERE tenant = $1 AND version = $2"
	                              " RETURNING " STATE_CANON_COLS ", " STATE_LINK_COLS("$1"),
	                              3, params, err);
	bool found = res && PQntuples(res) == 1;
	if (res && !found)
		error_set(err, PGSTEP_EXIT_FAILED,
		          "tenant %s: recording progress of version %s: no state row", tenant,
		          version);
	bool ok = found && state_bind(s, actor, res, action, detail, err);
	bool had_res = res != NULL;
	PQclear(res);
	if (state_txn_end(s, own, ok, err))
		return true;
	if (!had_res || found)
		error_prefix(err, "tenant %s: recording progress of version %s", tenant, version);
	return false;
fail:
	error_prefix(err, "tenant %s: recording progress of version %s", tenant, version);
	return false;
}

/* Rows written before version 2 (or by hand while it was being installed):
 * one "adopt" event binds each, so verify can check them from now on. */
static bool state_adopt_rows(struct session *s, struct pgstep_error *err)
{
	PGresult *res = session_query(
	    s,
	    "SELECT " STATE_CANON_COLS
	    ", " STATE_LINK_COLS("m.tenant") " FROM pgstep.migrations m WHERE m.event_seq IS NULL"
	                                     " ORDER BY m.tenant, m.version",
	    0, NULL, err);
	if (!res)
		return false;
	struct actor a;
	actor_init(&a);
	bool ok = true;
	const char *last_tenant = NULL;
	struct state_link link = {0};
	for (int i = 0; ok && i < PQntuples(res); i++) {
		struct state_row r;
		state_canon_parse(res, i, &r);
		char row_hash[SHA256_HEX_LEN + 1];
		state_row_hash(&r, row_hash);
		/* The link columns were read before any of these events. */
		const char *tenant = PQgetvalue(res, i, 0);
		if (!last_tenant || strcmp(last_tenant, tenant) != 0)
			ok = state_link_from(res, i, STATE_CANON_NCOLS, tenant, &link, err);
		last_tenant = tenant;
		ok = ok && state_append(s, &a, r.tenant, r.version, "adopt",
		                        "{\"reason\":\"state schema upgrade to version 2\"}",
		                        row_hash, &link, err);
		state_row_release(&r);
	}
	PQclear(res);
	actor_release(&a);
	return ok;
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

static void state_canon_field(struct strbuf *sb, const char *v, bool last)
{
	if (v)
		strbuf_adds(sb, v);
	else
		strbuf_addc(sb, STATE_NULL);
	if (!last)
		strbuf_addc(sb, STATE_SEP);
}

bool state_hash_keyed(const char *hash)
{
	return hash && strncmp(hash, STATE_HMAC_PREFIX, strlen(STATE_HMAC_PREFIX)) == 0;
}

/* The event's hash: SHA-256 of its canonical text, or with keyed (and the
 * key loaded) "hmac:" and its HMAC-SHA256. Events without a row_hash (all
 * of schema version 1) hash exactly as version 1 did. */
void state_event_hash(const struct event_row *e, bool keyed, char out[STATE_HASH_MAX])
{
	char seq[24];
	snprintf(seq, sizeof seq, "%" PRId64, e->seq);
	struct strbuf sb;
	strbuf_init(&sb);
	state_canon_field(&sb, seq, false);
	state_canon_field(&sb, e->tenant, false);
	state_canon_field(&sb, e->version, false);
	state_canon_field(&sb, e->action, false);
	state_canon_field(&sb, e->detail, false);
	state_canon_field(&sb, e->db_user, false);
	state_canon_field(&sb, e->os_user, false);
	state_canon_field(&sb, e->client_addr, false);
	state_canon_field(&sb, e->at, false);
	state_canon_field(&sb, e->prev_hash, !e->row_hash);
	if (e->row_hash)
		state_canon_field(&sb, e->row_hash, true);
	char hex[SHA256_HEX_LEN + 1];
	if (keyed && audit_key) {
		sha256_hmac_hex(audit_key, audit_key_len, sb.buf, sb.len, hex);
		snprintf(out, STATE_HASH_MAX, "%s%s", STATE_HMAC_PREFIX, hex);
	} else {
		sha256_hex(sb.buf, sb.len, hex);
		snprintf(out, STATE_HASH_MAX, "%s", hex);
	}
	strbuf_release(&sb);
}

static bool state_has_separator(const char *v)
{
	return v && (strchr(v, STATE_SEP) || strchr(v, STATE_NULL));
}

/* True when some hashed field holds a separator byte, which would make the
 * canonical text ambiguous. */
bool state_event_ambiguous(const struct event_row *e)
{
	return state_has_separator(e->tenant) || state_has_separator(e->version) ||
	       state_has_separator(e->action) || state_has_separator(e->detail) ||
	       state_has_separator(e->db_user) || state_has_separator(e->os_user) ||
	       state_has_separator(e->client_addr) || state_has_separator(e->at) ||
	       state_has_separator(e->prev_hash) || state_has_separator(e->row_hash);
}

static bool state_event_check(const struct actor *actor, const char *tenant, const char *version,
                              const char *action, const char *detail, struct pgstep_error *err)
{
	struct event_row e = {
	    .tenant = (char *)tenant,
	    .version = (char *)version,
	    .action = (char *)action,
	    .detail = (char *)detail,
	    .os_user = actor ? actor->os_user : NULL,
	    .client_addr = actor ? actor->client_addr : NULL,
	};
	if (!state_event_ambiguous(&e))
		return true;
	error_set(err, PGSTEP_EXIT_USAGE,
	          "tenant %s: event %s holds a control character (0x1e or 0x1f)", tenant, action);
	return false;
}

/* Insert the event at link, move the head to it and, with row_hash, bind
 * the row (tenant, version) to it: one statement. link then points after
 * the new event. */
static bool state_append(struct session *s, const struct actor *actor, const char *tenant,
                         const char *version, const char *action, const char *detail,
                         const char *row_hash, struct state_link *link, struct pgstep_error *err)
{
	const char *db_user = session_current_user(s, err);
	if (!db_user)
		return false;
	struct event_row e = {
	    .seq = link->seq,
	    .tenant = (char *)tenant,
	    .version = (char *)version,
	    .action = (char *)action,
	    .detail = (char *)detail,
	    .db_user = (char *)db_user,
	    .os_user = actor ? actor->os_user : NULL,
	    .client_addr = actor ? actor->client_addr : NULL,
	    .prev_hash = link->prev,
	    .row_hash = (char *)row_hash,
	};
	e.at = state_now();
	char hash[STATE_HASH_MAX];
	state_event_hash(&e, true, hash);

	char seq[24];
	snprintf(seq, sizeof seq, "%" PRId64, e.seq);
	const char *p[] = {tenant,    seq,           version, action,     detail, db_user,
	                   e.os_user, e.client_addr, e.at,    link->prev, hash,   row_hash};
	bool ok = session_command(
	    s,
	    "WITH head AS (INSERT INTO pgstep.heads AS h (tenant, seq, hash)"
	    " VALUES ($1, $2::bigint, $11) ON CONFLICT (tenant) DO UPDATE"
	    " SET seq = EXCLUDED.seq, hash = EXCLUDED.hash),"
	    " bound AS (UPDATE pgstep.migrations SET event_seq = $2::bigint, event_hash = $11"
	    " WHERE $12::text IS NOT NULL AND tenant = $1 AND version = $3)"
	    " INSERT INTO pgstep.events (tenant, seq, version, action, detail,"
	    " db_user, os_user, client_addr, at, prev_hash, hash, row_hash)"
	    " VALUES ($1, $2::bigint, $3, $4, $5, $6, $7, $8, $9::timestamptz,"
	    " $10, $11, $12)",
	    12, p, err);
	free(e.at);
	if (!ok) {
		error_prefix(err, "tenant %s: recording event %s", tenant, action);
		return false;
	}
	link->seq++;
	snprintf(link->prev, sizeof link->prev, "%s", hash);
	return true;
}

bool state_event(struct session *s, const struct actor *actor, const char *tenant,
                 const char *version, const char *action, const char *detail,
                 struct pgstep_error *err)
{
	if (!state_event_check(actor, tenant, version, action, detail, err))
		return false;
	struct state_link link;
	/* One statement writes the event and its head: atomic even in
	 * autocommit. */
	return state_read_link(s, tenant, &link, err) &&
	       state_append(s, actor, tenant, version, action, detail, NULL, &link, err);
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
		free(e->row_hash);
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
		e->row_hash = PQnfields(res) > 11 ? state_dup(res, i, 11) : NULL;
	}
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
static bool state_describe_holder(struct session *s, const char *tenant, struct pgstep_error *err)
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
