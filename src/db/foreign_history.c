/* foreign_history: other tools' history tables (see foreign_history.h).
 * Each tool's rows are read by one query into the same columns, in the
 * tool's order of application; the rows of one key are then folded, the
 * last deciding (goose's "latest row of a version", Flyway's DELETE after
 * SQL, Prisma's new row after a rolled-back one, sqitch's revert after
 * deploy). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pgstep/foreign_history.h"
#include "pgstep/strbuf.h"
#include "pgstep/xalloc.h"

/* Timestamps as pgstep stores them (state.c's format), in UTC. */
#define FH_TS(col) "to_char((" col ") AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"

static const struct {
	const char *name;
	const char *table; /* default table (sqitch: registry schema) */
} tools[] = {
    [FOREIGN_NONE] = {"none", NULL},
    [FOREIGN_GOLANG_MIGRATE] = {"golang-migrate", "schema_migrations"},
    [FOREIGN_DBMATE] = {"dbmate", "schema_migrations"},
    [FOREIGN_FLYWAY] = {"flyway", "flyway_schema_history"},
    [FOREIGN_PRISMA] = {"prisma", "_prisma_migrations"},
    [FOREIGN_SQITCH] = {"sqitch", "sqitch"},
    [FOREIGN_GOOSE] = {"goose", "goose_db_version"},
};
#define N_TOOLS (sizeof tools / sizeof *tools)

const char *foreign_tool_name(enum foreign_tool t)
{
	return (size_t)t < N_TOOLS ? tools[t].name : "unknown";
}

bool foreign_tool_parse(const char *s, enum foreign_tool *out)
{
	for (size_t i = 1; i < N_TOOLS; i++) {
		if (strcmp(s, tools[i].name) == 0) {
			*out = (enum foreign_tool)i;
			return true;
		}
	}
	if (strcmp(s, "migrate") == 0 || strcmp(s, "golang_migrate") == 0) {
		*out = FOREIGN_GOLANG_MIGRATE;
		return true;
	}
	return false;
}

static const char *const state_names[] = {
    [FOREIGN_APPLIED] = "applied",       [FOREIGN_UPTO] = "upto",     [FOREIGN_DIRTY] = "dirty",
    [FOREIGN_FAILED] = "failed",         [FOREIGN_UNDONE] = "undone", [FOREIGN_NOFILE] = "nofile",
    [FOREIGN_REPEATABLE] = "repeatable",
};

const char *foreign_state_name(enum foreign_state s)
{
	return (size_t)s < sizeof state_names / sizeof *state_names ? state_names[s] : "unknown";
}

static bool foreign_state_parse(const char *s, enum foreign_state *out)
{
	for (size_t i = 0; i < sizeof state_names / sizeof *state_names; i++) {
		if (strcmp(s, state_names[i]) == 0) {
			*out = (enum foreign_state)i;
			return true;
		}
	}
	return false; /* "ignore": a row that is no migration (Flyway's SCHEMA, goose's 0) */
}

static void entry_release(struct foreign_entry *e)
{
	free(e->key);
	free(e->description);
	free(e->checksum);
	free(e->who);
	free(e->started_at);
	free(e->finished_at);
	free(e->kind);
	free(e->rows_json);
	memset(e, 0, sizeof *e);
}

void foreign_history_clear(struct foreign_history *h)
{
	for (size_t i = 0; i < h->n; i++)
		entry_release(&h->items[i]);
	free(h->items);
	free(h->table);
	memset(h, 0, sizeof *h);
}

/* The server's name of a relation, or NULL when there is none. */
static char *fh_regclass(struct session *s, const char *name, struct pgstep_error *err, bool *ok)
{
	const char *p[] = {name};
	PGresult *res = session_query(s, "SELECT to_regclass($1)::text", 1, p, err);
	*ok = res != NULL;
	char *out = res && !PQgetisnull(res, 0, 0) ? xstrdup(PQgetvalue(res, 0, 0)) : NULL;
	PQclear(res);
	return out;
}

/* sqitch's registry: the events table of the schema named. */
static char *fh_sqitch_rel(struct session *s, const char *schema, const char *table,
                           struct pgstep_error *err, bool *ok)
{
	char *q = session_quote_ident(s, schema);
	char *name = xasprintf("%s.%s", q, table);
	char *rel = fh_regclass(s, name, err, ok);
	free(name);
	free(q);
	return rel;
}

bool foreign_history_detect(struct session *s, enum foreign_tool *found, struct pgstep_error *err)
{
	*found = FOREIGN_NONE;
	struct strbuf names;
	strbuf_init(&names);
	int n = 0;
	bool ok = true;
	for (size_t i = 1; ok && i < N_TOOLS; i++) {
		enum foreign_tool t = (enum foreign_tool)i;
		if (t == FOREIGN_DBMATE)
			continue; /* decided with golang-migrate: the same table name */
		char *rel = t == FOREIGN_SQITCH
		                ? fh_sqitch_rel(s, tools[i].table, "events", err, &ok)
		                : fh_regclass(s, tools[i].table, err, &ok);
		if (!rel)
			continue;
		if (t == FOREIGN_GOLANG_MIGRATE) {
			/* golang-migrate's table has a dirty flag; dbmate's has not. */
			const char *p[] = {rel};
			PGresult *res =
			    session_query(s,
			                  "SELECT EXISTS (SELECT 1 FROM pg_attribute WHERE "
			                  "attrelid = $1::regclass"
			                  " AND attname = 'dirty' AND NOT attisdropped)",
			                  1, p, err);
			ok = res != NULL;
			if (res && strcmp(PQgetvalue(res, 0, 0), "t") != 0)
				t = FOREIGN_DBMATE;
			PQclear(res);
		}
		free(rel);
		strbuf_addf(&names, "%s%s", n ? ", " : "", foreign_tool_name(t));
		*found = t;
		n++;
	}
	if (ok && n > 1) {
		error_set(err, PGSTEP_EXIT_USAGE,
		          "tenant %s: history tables of several tools (%s): choose one with --from",
		          session_label(s), names.buf);
		ok = false;
	}
	strbuf_release(&names);
	if (!ok)
		*found = FOREIGN_NONE;
	return ok;
}

/* clang-format misaligns strings around a macro. */
/* clang-format off */
/* Columns of every query: key, description, state, checksum, who,
 * started_at, finished_at, duration_ms, kind, row json; in order of
 * application. @1 is the table as the server names it (@2 sqitch's
 * changes). */
static const char golang_migrate_sql[] =
    "SELECT version::text, NULL, CASE WHEN dirty THEN 'dirty' ELSE 'upto' END,"
    " NULL, NULL, NULL, NULL, NULL, NULL, row_to_json(t)::text FROM @1 t";

/* dbmate keeps no order of application; its versions sort as applied
 * when they are timestamps of one length. */
static const char dbmate_sql[] =
    "SELECT version::text, NULL, 'applied', NULL, NULL, NULL, NULL, NULL, NULL,"
    " row_to_json(t)::text FROM @1 t ORDER BY length(version::text), version";

/* installed_on is a timestamp without time zone written by now(): the
 * session's zone is the best reading of it. */
static const char flyway_sql[] =
	"SELECT version, description,"
	" CASE WHEN type = 'SCHEMA' THEN 'ignore'"
	" WHEN version IS NULL THEN 'repeatable'"
	" WHEN type = 'BASELINE' THEN 'upto'"
	" WHEN type = 'DELETE' THEN 'undone'"
	" WHEN type LIKE 'UNDO%' THEN CASE WHEN success THEN 'undone' ELSE 'failed' END"
	" WHEN NOT success THEN 'failed'"
	" WHEN type IN ('SQL', 'SQL_BASELINE') THEN 'applied'"
	" ELSE 'nofile' END,"
	" checksum::text, installed_by, "
	FH_TS("installed_on::timestamptz") ", "
	FH_TS("installed_on::timestamptz + execution_time * interval '1 millisecond'") ","
	" execution_time, type, row_to_json(t)::text FROM @1 t ORDER BY installed_rank";

static const char prisma_sql[] =
	"SELECT migration_name, NULL,"
	" CASE WHEN rolled_back_at IS NOT NULL THEN 'undone'"
	" WHEN finished_at IS NULL THEN 'failed' ELSE 'applied' END,"
	" checksum, NULL, " FH_TS("started_at") ", " FH_TS("finished_at") ","
	" (extract(epoch FROM finished_at - started_at) * 1000)::bigint, NULL,"
	" row_to_json(t)::text FROM @1 t ORDER BY started_at, id";

/* sqitch's events are its full log; a deploy event's change row (while
 * deployed) holds the script_hash. */
static const char sqitch_sql[] =
    "SELECT e.change, e.note,"
    " CASE e.event WHEN 'deploy' THEN 'applied' WHEN 'revert' THEN 'undone'"
    " WHEN 'fail' THEN 'failed' ELSE 'ignore' END,"
    " c.script_hash, e.committer_name || ' <' || e.committer_email || '>',"
    " NULL, " FH_TS("e.committed_at") ", NULL, e.event,"
                                      " json_build_object('events', row_to_json(e), 'changes', "
                                      "row_to_json(c))::text"
                                      " FROM @1 e LEFT JOIN @2 c ON c.change_id = e.change_id AND "
                                      "e.event = 'deploy'"
                                      " ORDER BY e.committed_at, e.event";

static const char goose_sql[] =
    "SELECT version_id::text, NULL,"
    " CASE WHEN version_id = 0 THEN 'ignore' WHEN is_applied THEN 'applied' ELSE 'undone' END,"
    " NULL, NULL, NULL, " FH_TS(
        "tstamp::timestamptz") ", NULL, NULL,"
                               " row_to_json(t)::text FROM @1 t ORDER BY id";

/* clang-format on */

/* tmpl with @1 and @2 replaced by a and b. */
static char *fh_subst(const char *tmpl, const char *a, const char *b)
{
	struct strbuf sb;
	strbuf_init(&sb);
	for (const char *p = tmpl; *p; p++) {
		if (p[0] == '@' && (p[1] == '1' || p[1] == '2')) {
			strbuf_adds(&sb, p[1] == '1' ? a : (b ? b : ""));
			p++;
			continue;
		}
		strbuf_addc(&sb, *p);
	}
	return strbuf_detach(&sb);
}

static char *dup_or_null(const PGresult *res, int i, int col)
{
	return PQgetisnull(res, i, col) ? NULL : xstrdup(PQgetvalue(res, i, col));
}

static void fh_fold(struct foreign_history *h, const PGresult *res)
{
	size_t rank = 0;
	for (int i = 0; i < PQntuples(res); i++) {
		enum foreign_state st;
		bool counts = foreign_state_parse(PQgetvalue(res, i, 2), &st);
		const char *key = PQgetisnull(res, i, 0) ? "" : PQgetvalue(res, i, 0);
		const char *json = PQgetvalue(res, i, 9);
		struct foreign_entry *e = NULL;
		for (size_t k = 0; k < h->n; k++)
			if (strcmp(h->items[k].key, key) == 0)
				e = &h->items[k];
		if (!counts && !e)
			continue;
		if (!e) {
			XGROW(h->items, h->cap, h->n + 1);
			e = &h->items[h->n++];
			memset(e, 0, sizeof *e);
			e->key = xstrdup(key);
			e->rows_json = xasprintf("[%s]", json);
		} else {
			/* Append the row verbatim to the array. */
			char *more = xasprintf("%.*s,%s]", (int)strlen(e->rows_json) - 1,
			                       e->rows_json, json);
			free(e->rows_json);
			e->rows_json = more;
		}
		if (!counts)
			continue;
		/* This row decides: its facts replace the earlier row's. */
		char *key_keep = e->key, *json_keep = e->rows_json;
		e->key = e->rows_json = NULL;
		entry_release(e);
		e->key = key_keep;
		e->rows_json = json_keep;
		e->description = dup_or_null(res, i, 1);
		e->state = st;
		e->checksum = dup_or_null(res, i, 3);
		e->who = dup_or_null(res, i, 4);
		e->started_at = dup_or_null(res, i, 5);
		e->finished_at = dup_or_null(res, i, 6);
		e->duration_ms =
		    PQgetisnull(res, i, 7) ? -1 : strtoll(PQgetvalue(res, i, 7), NULL, 10);
		e->kind = dup_or_null(res, i, 8);
		e->rank = ++rank;
	}
}

bool foreign_history_read(struct session *s, enum foreign_tool tool, const char *table,
                          struct foreign_history *out, struct pgstep_error *err)
{
	memset(out, 0, sizeof *out);
	if (tool == FOREIGN_NONE || (size_t)tool >= N_TOOLS) {
		error_set(err, PGSTEP_EXIT_USAGE, "no tool named");
		return false;
	}
	out->tool = tool;
	out->ordered = tool != FOREIGN_DBMATE;
	const char *name = table ? table : tools[tool].table;
	bool ok = true;
	char *rel = NULL, *rel2 = NULL;
	if (tool == FOREIGN_SQITCH) {
		rel = fh_sqitch_rel(s, name, "events", err, &ok);
		if (ok && rel)
			rel2 = fh_sqitch_rel(s, name, "changes", err, &ok);
	} else {
		rel = fh_regclass(s, name, err, &ok);
	}
	if (ok && (!rel || (tool == FOREIGN_SQITCH && !rel2))) {
		error_set(err, PGSTEP_EXIT_USAGE, "tenant %s: no %s history here (%s%s not found)",
		          session_label(s), foreign_tool_name(tool), name,
		          tool == FOREIGN_SQITCH ? ".events or .changes" : "");
		ok = false;
	}
	if (!ok) {
		free(rel);
		free(rel2);
		return false;
	}
	const char *fmt = tool == FOREIGN_GOLANG_MIGRATE ? golang_migrate_sql
	                  : tool == FOREIGN_DBMATE       ? dbmate_sql
	                  : tool == FOREIGN_FLYWAY       ? flyway_sql
	                  : tool == FOREIGN_PRISMA       ? prisma_sql
	                  : tool == FOREIGN_SQITCH       ? sqitch_sql
	                                                 : goose_sql;
	/* The names come from the server's regclass output, quoted as needed. */
	char *sql = fh_subst(fmt, rel, rel2);
	out->table = tool == FOREIGN_SQITCH ? xasprintf("%s, %s", rel, rel2) : xstrdup(rel);
	free(rel);
	free(rel2);
	PGresult *res = session_query(s, sql, 0, NULL, err);
	free(sql);
	if (!res) {
		error_prefix(err, "tenant %s: reading %s", session_label(s), out->table);
		foreign_history_clear(out);
		return false;
	}
	fh_fold(out, res);
	PQclear(res);
	return true;
}
