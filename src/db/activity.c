/* activity: the queries behind the live facts (pg_locks, pg_stat_activity,
 * pg_blocking_pids, pg_prepared_xacts, pg_index) and the structs they fill. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "pgstep/activity.h"
#include "pgstep/session.h"
#include "pgstep/strvec.h"
#include "pgstep/xalloc.h"

void activity_facts_init(struct activity_facts *f)
{
	memset(f, 0, sizeof *f);
}

void activity_session_clear(struct activity_session *a)
{
	free(a->user);
	free(a->application);
	free(a->client);
	free(a->state);
	free(a->query);
	free(a->wait_event);
	free(a->blocked_by);
	free(a->relation);
}

static char *dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

void activity_session_copy(struct activity_session *dst, const struct activity_session *src)
{
	*dst = *src;
	dst->user = dup_or_null(src->user);
	dst->application = dup_or_null(src->application);
	dst->client = dup_or_null(src->client);
	dst->state = dup_or_null(src->state);
	dst->query = dup_or_null(src->query);
	dst->wait_event = dup_or_null(src->wait_event);
	dst->relation = dup_or_null(src->relation);
	dst->blocked_by = NULL;
	dst->n_blocked_by = 0;
}

static void relation_clear(struct activity_relation *r)
{
	free(r->relation);
	for (size_t i = 0; i < r->n_sessions; i++)
		activity_session_clear(&r->sessions[i]);
	free(r->sessions);
	for (size_t i = 0; i < r->n_invalid; i++) {
		free(r->invalid[i].name);
		free(r->invalid[i].definition);
	}
	free(r->invalid);
}

void activity_facts_clear(struct activity_facts *f)
{
	for (size_t i = 0; i < f->n_rels; i++)
		relation_clear(&f->rels[i]);
	free(f->rels);
	for (size_t i = 0; i < f->n_long; i++)
		activity_session_clear(&f->long_running[i]);
	free(f->long_running);
	memset(f, 0, sizeof *f);
}

const struct activity_relation *activity_find(const struct activity_facts *f, const char *relation)
{
	for (size_t i = 0; i < f->n_rels; i++)
		if (strcmp(f->rels[i].relation, relation) == 0)
			return &f->rels[i];
	return NULL;
}

struct activity_relation *activity_add(struct activity_facts *f, const char *relation)
{
	XGROW(f->rels, f->cap_rels, f->n_rels + 1);
	struct activity_relation *r = &f->rels[f->n_rels++];
	memset(r, 0, sizeof *r);
	r->relation = xstrdup(relation);
	r->size.rows = r->size.bytes = -1;
	return r;
}

bool activity_session_blocks(const struct activity_session *a, enum risk_lock mode)
{
	return risk_lock_conflicts(a->mode, mode);
}

/* ---- rows ------------------------------------------------------------------- */

/* The columns every session query starts with, in this order. The cut is
 * marked in SQL, where characters (not bytes) are counted. The wait event
 * only of a session that runs: an idle one always waits for its client,
 * which says nothing. */
#define SESSION_COLUMNS(a)                                                                         \
	a ".pid, " a ".usename, " a ".application_name, host(" a ".client_addr), " a ".state, "    \
	  "regexp_replace(left(" a ".query, 160), '\\s+', ' ', 'g') "                              \
	  "  || CASE WHEN length(" a ".query) > 160 THEN '...' ELSE '' END, "                      \
	  "CASE WHEN " a ".state = 'active' "                                                      \
	  "     THEN " a ".wait_event_type || ':' || " a ".wait_event END, "                       \
	  "floor(extract(epoch FROM now() - " a ".xact_start))::bigint, "                          \
	  "floor(extract(epoch FROM now() - " a ".state_change))::bigint"
#define SESSION_NCOLS 9

static char *opt_text(const PGresult *res, int row, int col)
{
	return PQgetisnull(res, row, col) ? NULL : xstrdup(PQgetvalue(res, row, col));
}

static int64_t opt_int(const PGresult *res, int row, int col)
{
	return PQgetisnull(res, row, col) ? -1 : strtoll(PQgetvalue(res, row, col), NULL, 10);
}

static void session_row_read(const PGresult *res, int row, struct activity_session *a)
{
	memset(a, 0, sizeof *a);
	a->pid = PQgetisnull(res, row, 0) ? 0 : atoi(PQgetvalue(res, row, 0));
	a->user = opt_text(res, row, 1);
	a->application = opt_text(res, row, 2);
	a->client = opt_text(res, row, 3);
	a->state = opt_text(res, row, 4);
	a->query = opt_text(res, row, 5);
	a->wait_event = opt_text(res, row, 6);
	a->xact_age_s = opt_int(res, row, 7);
	a->state_age_s = opt_int(res, row, 8);
}

/* "{12,345}" from int[]::text. */
static void pid_list_read(const char *s, int **out, size_t *n)
{
	size_t cap = 0;
	*out = NULL;
	*n = 0;
	for (const char *p = s; p && *p;) {
		if (*p >= '0' && *p <= '9') {
			char *end;
			long v = strtol(p, &end, 10);
			XGROW(*out, cap, *n + 1);
			(*out)[(*n)++] = (int)v;
			p = end;
		} else {
			p++;
		}
	}
}

/* ---- a relation --------------------------------------------------------------- */

/* A prepared transaction keeps its locks with no session (pid NULL in
 * pg_locks); it is found through its virtual transaction "-1/xid". */
static const char locks_sql[] = "SELECT " SESSION_COLUMNS(
    "a") ", l.mode, l.granted, pg_blocking_pids(a.pid)::text, "
         "       p.gid, floor(extract(epoch FROM now() - p.prepared))::bigint "
         "FROM pg_locks l "
         "LEFT JOIN pg_stat_activity a ON a.pid = l.pid "
         "LEFT JOIN pg_prepared_xacts p ON l.pid IS NULL "
         "      AND l.virtualtransaction = '-1/' || p.transaction::text "
         "WHERE l.locktype = 'relation' AND l.relation = $1::oid "
         "  AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
         "  AND l.pid IS DISTINCT FROM pg_backend_pid() "
         "  AND (a.pid IS NOT NULL OR p.gid IS NOT NULL) "
         "ORDER BY l.granted DESC, a.xact_start NULLS LAST, l.pid";

/* The entry of (pid, granted), or a new one. A session holding several
 * modes has a row per mode; a prepared transaction (pid 0) is its own entry
 * per row, which is rare enough not to merge. */
static struct activity_session *relation_session(struct activity_relation *r, int pid, bool granted,
                                                 size_t *cap)
{
	for (size_t i = 0; pid != 0 && i < r->n_sessions; i++)
		if (r->sessions[i].pid == pid && r->sessions[i].granted == granted)
			return &r->sessions[i];
	XGROW(r->sessions, *cap, r->n_sessions + 1);
	return &r->sessions[r->n_sessions++];
}

/* pg_get_indexdef opens the table: asked apart from the list, and a lock
 * timeout (someone holds ACCESS EXCLUSIVE, exactly when these facts matter)
 * leaves the definition out rather than the index. */
static const char invalid_sql[] = "SELECT n.nspname || '.' || c.relname, i.indexrelid, "
                                  "       EXISTS (SELECT 1 FROM pg_stat_progress_create_index p "
                                  "                WHERE p.index_relid = i.indexrelid) "
                                  "FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
                                  "JOIN pg_namespace n ON n.oid = c.relnamespace "
                                  "WHERE i.indrelid = $1::oid AND NOT i.indisvalid ORDER BY 1";

static void invalid_definitions(struct session *s, struct activity_relation *out,
                                const struct strvec *oids)
{
	for (size_t i = 0; i < out->n_invalid; i++) {
		const char *p[1] = {oids->items[i]};
		struct pgstep_error err = {0};
		PGresult *res = session_query(s, "SELECT pg_get_indexdef($1::oid)", 1, p, &err);
		if (res && PQntuples(res) == 1 && !PQgetisnull(res, 0, 0))
			out->invalid[i].definition = xstrdup(PQgetvalue(res, 0, 0));
		PQclear(res);
		error_clear(&err);
	}
}

bool activity_relation_load(struct session *s, uint32_t oid, struct activity_relation *out,
                            struct pgstep_error *err)
{
	char o[16];
	snprintf(o, sizeof o, "%u", oid);
	const char *p[1] = {o};
	PGresult *res = session_query(s, locks_sql, 1, p, err);
	if (!res)
		return false;
	size_t cap = 0;
	for (int i = 0; i < PQntuples(res); i++) {
		enum risk_lock mode = RISK_LOCK_NONE;
		risk_lock_parse(PQgetvalue(res, i, SESSION_NCOLS), &mode);
		bool granted = PQgetvalue(res, i, SESSION_NCOLS + 1)[0] == 't';
		const char *gid = PQgetisnull(res, i, SESSION_NCOLS + 3)
		                      ? NULL
		                      : PQgetvalue(res, i, SESSION_NCOLS + 3);
		int pid = PQgetisnull(res, i, 0) ? 0 : atoi(PQgetvalue(res, i, 0));
		size_t before = out->n_sessions;
		struct activity_session *a = relation_session(out, pid, granted, &cap);
		if (out->n_sessions > before) {
			session_row_read(res, i, a);
			a->granted = granted;
			a->mode = mode;
			pid_list_read(PQgetvalue(res, i, SESSION_NCOLS + 2), &a->blocked_by,
			              &a->n_blocked_by);
			if (gid) {
				free(a->state);
				a->state = xasprintf("prepared transaction '%s'", gid);
				a->xact_age_s = opt_int(res, i, SESSION_NCOLS + 4);
			}
		} else if (mode > a->mode) {
			/* One row per mode: keep the strongest. */
			a->mode = mode;
		}
	}
	PQclear(res);

	res = session_query(s, invalid_sql, 1, p, err);
	if (!res)
		return false;
	out->n_invalid = (size_t)PQntuples(res);
	out->invalid = xcalloc(out->n_invalid ? out->n_invalid : 1, sizeof *out->invalid);
	struct strvec oids;
	strvec_init(&oids);
	for (size_t i = 0; i < out->n_invalid; i++) {
		out->invalid[i].name = xstrdup(PQgetvalue(res, (int)i, 0));
		strvec_push(&oids, PQgetvalue(res, (int)i, 1));
		out->invalid[i].building = PQgetvalue(res, (int)i, 2)[0] == 't';
	}
	PQclear(res);
	invalid_definitions(s, out, &oids);
	strvec_clear(&oids);
	return true;
}

/* ---- the database ------------------------------------------------------------ */

static const char long_sql[] = "SELECT " SESSION_COLUMNS(
    "a") " FROM pg_stat_activity a "
         "WHERE a.datname = current_database() AND a.pid <> pg_backend_pid() "
         "  AND a.backend_type = 'client backend' "
         "  AND (a.state LIKE 'idle in transaction%' "
         "       OR a.xact_start < now() - make_interval(secs => $1::float8)) "
         "UNION ALL "
         "SELECT NULL, p.owner, NULL, NULL, 'prepared transaction ''' || p.gid || '''', NULL, "
         "NULL, "
         "       floor(extract(epoch FROM now() - p.prepared))::bigint, NULL "
         "FROM pg_prepared_xacts p WHERE p.database = current_database() "
         "ORDER BY 8 DESC NULLS LAST, 1";

bool activity_long_running_load(struct session *s, int64_t min_age_s, struct activity_facts *out,
                                struct pgstep_error *err)
{
	char age[24];
	snprintf(age, sizeof age, "%lld", (long long)min_age_s);
	const char *p[1] = {age};
	PGresult *res = session_query(s, long_sql, 1, p, err);
	if (!res)
		return false;
	out->n_long = (size_t)PQntuples(res);
	out->long_running = xcalloc(out->n_long ? out->n_long : 1, sizeof *out->long_running);
	for (size_t i = 0; i < out->n_long; i++)
		session_row_read(res, (int)i, &out->long_running[i]);
	PQclear(res);
	return true;
}

/* The oldest transaction first: it is the one to look at. */
const char activity_blockers_sql[] =
    "SELECT " SESSION_COLUMNS("a") " FROM pg_stat_activity a"
                                   " WHERE a.pid = ANY (pg_blocking_pids($1::int))"
                                   " ORDER BY a.xact_start NULLS LAST, a.pid";

void activity_blockers_read(const struct pg_result *res, struct activity_session **out, size_t *n)
{
	*n = (size_t)PQntuples(res);
	*out = xcalloc(*n ? *n : 1, sizeof **out);
	for (size_t i = 0; i < *n; i++)
		session_row_read(res, (int)i, &(*out)[i]);
}

void activity_sessions_free(struct activity_session **a, size_t *n)
{
	for (size_t i = 0; i < *n; i++)
		activity_session_clear(&(*a)[i]);
	free(*a);
	*a = NULL;
	*n = 0;
}

/* For a run's watch: who pid waits for ('b'), who waits for pid ('w', with
 * the mode it asks for and the seconds its query has run), and the locks
 * stronger than ROW EXCLUSIVE pid holds on relations that existed before its
 * transaction ('h'): a relation it created is not in this session's
 * pg_class until it commits, so the join leaves it out, as it should:
 * nobody else can queue for it. */
bool activity_signal_backend(struct session *s, int pid, bool terminate, bool *signalled,
                             struct pgstep_error *err)
{
	char p[16];
	snprintf(p, sizeof p, "%d", pid);
	const char *params[1] = {p};
	PGresult *res = session_query(s,
	                              terminate ? "SELECT pg_terminate_backend($1::int)"
	                                        : "SELECT pg_cancel_backend($1::int)",
	                              1, params, err);
	if (!res)
		return false;
	*signalled = PQntuples(res) == 1 && strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	PQclear(res);
	return true;
}

/* clang-format off */
const char activity_watch_sql[] =
    "SELECT 'b', " SESSION_COLUMNS("a") ", "
    "  (SELECT l.mode || CASE WHEN l.granted THEN '' ELSE '?' END FROM pg_locks l "
    "   JOIN pg_locks w ON w.pid = $1::int AND NOT w.granted AND w.locktype = l.locktype "
    "    AND w.database IS NOT DISTINCT FROM l.database "
    "    AND w.relation IS NOT DISTINCT FROM l.relation "
    "   WHERE l.pid = a.pid ORDER BY l.granted DESC LIMIT 1), "
    "  (SELECT n.nspname || '.' || c.relname FROM pg_locks w "
    "   JOIN pg_class c ON c.oid = w.relation JOIN pg_namespace n ON n.oid = c.relnamespace "
    "   WHERE w.pid = $1::int AND NOT w.granted LIMIT 1) "
    "FROM pg_stat_activity a WHERE a.pid = ANY (pg_blocking_pids($1::int)) "
    "UNION ALL "
    "SELECT 'w', " SESSION_COLUMNS("a") ", "
    "  (SELECT l.mode FROM pg_locks l WHERE l.pid = a.pid AND NOT l.granted LIMIT 1), NULL "
    "FROM pg_stat_activity a WHERE $1::int = ANY (pg_blocking_pids(a.pid)) "
    "UNION ALL "
    "SELECT 'h', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, l.mode, "
    "  n.nspname || '.' || c.relname "
    "FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
    "JOIN pg_namespace n ON n.oid = c.relnamespace "
    "WHERE l.pid = $1::int AND l.granted AND l.locktype = 'relation' "
    "  AND l.mode NOT IN ('AccessShareLock', 'RowShareLock', 'RowExclusiveLock') "
    "  AND c.relkind IN ('r', 'p', 'm', 'i', 'I', 'S', 'v', 'f') "
    "ORDER BY 1, 10 DESC NULLS LAST, 2";
/* clang-format on */

void activity_watch_read(const struct pg_result *res, struct activity_watch_rows *out)
{
	memset(out, 0, sizeof *out);
	int n = PQntuples(res);
	size_t nb = 0, nw = 0, nh = 0;
	for (int i = 0; i < n; i++) {
		char k = PQgetvalue(res, i, 0)[0];
		nb += k == 'b';
		nw += k == 'w';
		nh += k == 'h';
	}
	out->blockers = xcalloc(nb ? nb : 1, sizeof *out->blockers);
	out->waiters = xcalloc(nw ? nw : 1, sizeof *out->waiters);
	out->held = xcalloc(nh ? nh : 1, sizeof *out->held);
	for (int i = 0; i < n; i++) {
		char k = PQgetvalue(res, i, 0)[0];
		if (k == 'h') {
			struct activity_held *h = &out->held[out->n_held++];
			risk_lock_parse(PQgetvalue(res, i, 10), &h->mode);
			h->relation = xstrdup(PQgetvalue(res, i, 11));
			continue;
		}
		/* The session columns start at 1: read them from a shifted view. */
		struct activity_session *a =
		    k == 'b' ? &out->blockers[out->n_blockers++] : &out->waiters[out->n_waiters++];
		memset(a, 0, sizeof *a);
		a->pid = PQgetisnull(res, i, 1) ? 0 : atoi(PQgetvalue(res, i, 1));
		a->user = opt_text(res, i, 2);
		a->application = opt_text(res, i, 3);
		a->client = opt_text(res, i, 4);
		a->state = opt_text(res, i, 5);
		a->query = opt_text(res, i, 6);
		a->wait_event = opt_text(res, i, 7);
		a->xact_age_s = opt_int(res, i, 8);
		a->state_age_s = opt_int(res, i, 9);
		a->granted = k == 'b';
		if (!PQgetisnull(res, i, 10)) {
			/* A blocker queued ahead of us: "Mode?" */
			char *mode = xstrdup(PQgetvalue(res, i, 10));
			size_t len = strlen(mode);
			if (len && mode[len - 1] == '?') {
				mode[len - 1] = '\0';
				a->granted = false;
			}
			risk_lock_parse(mode, &a->mode);
			free(mode);
		}
		if (k == 'b' && !PQgetisnull(res, i, 11))
			a->relation = xstrdup(PQgetvalue(res, i, 11));
	}
}

void activity_watch_rows_clear(struct activity_watch_rows *w)
{
	activity_sessions_free(&w->blockers, &w->n_blockers);
	activity_sessions_free(&w->waiters, &w->n_waiters);
	for (size_t i = 0; i < w->n_held; i++)
		free(w->held[i].relation);
	free(w->held);
	w->held = NULL;
	w->n_held = 0;
}
