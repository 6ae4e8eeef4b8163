/* risk: the analyser's driver. It parses a section once with libpg_query,
 * reads the pgstep directives in its comments, decides how the runner will
 * execute it (one transaction, statement by statement, or the file's own
 * BEGIN/COMMIT), then walks the statements in order, dispatching each parse
 * node to its handler through a table indexed by node type. Rules that need
 * the whole section (uncommitted BEGIN, RLS without a policy, ...) run after
 * the walk; pgstep:allow directives are applied last. */
#include "config.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "pgstep/text.h"
#include "pgstep/xalloc.h"
#include "risk_int.h"

struct handler {
	const char *kind;
	risk_handler_fn fn;
};

#define H(node, k, f) [PG_QUERY__NODE__NODE_##node] = {k, f}

/* One entry per statement node type; a missing entry is a statement with no
 * rule and no lock worth claiming (kind "other"). */
static const struct handler handlers[PG_QUERY__NODE__NODE_A_CONST + 1] = {
    H(ALTER_TABLE_STMT, "alter table", risk_h_alter_table),
    H(CREATE_STMT, "create table", risk_h_create_table),
    H(CREATE_TABLE_AS_STMT, "create table as", risk_h_create_table_as),
    H(VIEW_STMT, "create view", risk_h_view),
    H(INDEX_STMT, "create index", risk_h_index),
    H(DROP_STMT, "drop", risk_h_drop),
    H(RENAME_STMT, "rename", risk_h_rename),
    H(TRUNCATE_STMT, "truncate", risk_h_truncate),
    H(REINDEX_STMT, "reindex", risk_h_reindex),
    H(VACUUM_STMT, "vacuum", risk_h_vacuum),
    H(CLUSTER_STMT, "cluster", risk_h_cluster),
    H(REFRESH_MAT_VIEW_STMT, "refresh materialized view", risk_h_refresh),
    H(CREATE_TRIG_STMT, "create trigger", risk_h_create_trigger),
    H(CREATE_POLICY_STMT, "create policy", risk_h_create_policy),
    H(ALTER_POLICY_STMT, "alter policy", risk_h_alter_policy),
    H(RULE_STMT, "create rule", risk_h_rule),
    H(COMMENT_STMT, "comment", risk_h_comment),
    H(CREATE_STATS_STMT, "create statistics", risk_h_create_stats),
    H(CREATE_SEQ_STMT, "create sequence", risk_h_create_seq),
    H(ALTER_SEQ_STMT, "alter sequence", risk_h_alter_seq),
    H(ALTER_OBJECT_SCHEMA_STMT, "set schema", risk_h_set_schema),
    H(ALTER_OWNER_STMT, "alter owner", risk_h_alter_owner),
    H(CREATE_SCHEMA_STMT, "create schema", risk_h_create_schema),
    H(CREATEDB_STMT, "create database", risk_h_database),
    H(DROPDB_STMT, "drop database", risk_h_database),
    H(CREATE_TABLE_SPACE_STMT, "create tablespace", risk_h_tablespace),
    H(DROP_TABLE_SPACE_STMT, "drop tablespace", risk_h_tablespace),
    H(ALTER_SYSTEM_STMT, "alter system", risk_h_alter_system),
    H(ALTER_TABLE_MOVE_ALL_STMT, "alter table all in tablespace", risk_h_move_all),
    H(CREATE_ENUM_STMT, "create type", risk_h_create_enum),
    H(ALTER_ENUM_STMT, "alter type", risk_h_alter_enum),
    H(CREATE_DOMAIN_STMT, "create domain", risk_h_create_domain),
    H(ALTER_DOMAIN_STMT, "alter domain", risk_h_alter_domain),
    H(GRANT_STMT, "grant", risk_h_grant),
    H(DEFINE_STMT, "create", risk_h_define),
    H(COMPOSITE_TYPE_STMT, "create type", NULL),
    H(SELECT_STMT, "select", risk_h_select),
    H(INSERT_STMT, "insert", risk_h_insert),
    H(UPDATE_STMT, "update", risk_h_update),
    H(DELETE_STMT, "delete", risk_h_delete),
    H(MERGE_STMT, "merge", risk_h_merge),
    H(COPY_STMT, "copy", risk_h_copy),
    H(VARIABLE_SET_STMT, "set", risk_h_set),
    H(LOCK_STMT, "lock", risk_h_lock),
    H(CALL_STMT, "call", risk_h_call),
    H(DO_STMT, "do", risk_h_do),
    H(CREATE_FUNCTION_STMT, "create function", risk_h_create_function),
    H(TRANSACTION_STMT, "transaction", NULL),
    H(CREATE_EXTENSION_STMT, "create extension", NULL),
    H(ALTER_EXTENSION_STMT, "alter extension", NULL),
    H(ALTER_FUNCTION_STMT, "alter function", NULL),
    H(CREATE_ROLE_STMT, "create role", NULL),
    H(ALTER_ROLE_STMT, "alter role", NULL),
    H(DROP_ROLE_STMT, "drop role", NULL),
    H(GRANT_ROLE_STMT, "grant role", NULL),
    H(ALTER_DEFAULT_PRIVILEGES_STMT, "alter default privileges", NULL),
    H(VARIABLE_SHOW_STMT, "show", NULL),
    H(EXPLAIN_STMT, "explain", risk_h_explain),
    H(CREATE_CAST_STMT, "create cast", NULL),
    H(CREATE_EVENT_TRIG_STMT, "create event trigger", NULL),
    H(CREATE_PUBLICATION_STMT, "create publication", NULL),
    H(ALTER_PUBLICATION_STMT, "alter publication", NULL),
    H(NOTIFY_STMT, "notify", NULL),
    H(CHECK_POINT_STMT, "checkpoint", NULL),
    H(DISCARD_STMT, "discard", NULL),
};

#undef H

/* ---- options and reports ----------------------------------------------------- */

void risk_options_init(struct risk_options *o)
{
	memset(o, 0, sizeof *o);
	o->txn = RISK_TXN_AUTO;
	o->lock_timeout_ceiling_ms = RISK_DEFAULT_LOCK_TIMEOUT_CEILING_MS;
	o->base_line = 1;
}

void risk_report_init(struct risk_report *r)
{
	memset(r, 0, sizeof *r);
	strvec_init(&r->created_relations);
	strvec_init(&r->created_columns);
	strvec_init(&r->retyped_columns);
}

void risk_report_clear(struct risk_report *r)
{
	for (size_t i = 0; i < r->n_stmts; i++) {
		struct risk_stmt *st = &r->stmts[i];
		free(st->sql);
		free(st->explain);
		for (size_t j = 0; j < st->n_locks; j++)
			free(st->locks[j].relation);
		free(st->locks);
		for (size_t j = 0; j < st->n_findings; j++) {
			free(st->findings[j].message);
			free(st->findings[j].relation);
			free(st->findings[j].allow_reason);
		}
		free(st->findings);
	}
	free(r->stmts);
	for (size_t i = 0; i < r->n_problems; i++)
		free(r->problems[i].message);
	free(r->problems);
	for (size_t i = 0; i < r->n_allows; i++) {
		free(r->allows[i].rule);
		free(r->allows[i].reason);
	}
	free(r->allows);
	strvec_clear(&r->created_relations);
	strvec_clear(&r->created_columns);
	strvec_clear(&r->retyped_columns);
	for (size_t i = 0; i < r->n_foreign_keys; i++) {
		free(r->foreign_keys[i].rel);
		free(r->foreign_keys[i].name);
		free(r->foreign_keys[i].ref_rel);
	}
	free(r->foreign_keys);
	if (r->trees) {
		arena_release(r->trees);
		free(r->trees);
	}
	risk_report_init(r);
}

int risk_report_worst(const struct risk_report *r)
{
	int worst = r->n_problems ? RISK_ERROR : -1;
	for (size_t i = 0; i < r->n_stmts; i++)
		for (size_t j = 0; j < r->stmts[i].n_findings; j++) {
			const struct risk_finding *f = &r->stmts[i].findings[j];
			if (!f->allowed && (int)f->severity > worst)
				worst = (int)f->severity;
		}
	return worst;
}

void risk_add_problem(struct risk_report *r, int line, int col, char *msg)
{
	for (size_t i = 0; i < r->n_problems; i++) {
		if (r->problems[i].line == line && strcmp(r->problems[i].message, msg) == 0) {
			free(msg);
			return;
		}
	}
	XGROW(r->problems, r->cap_problems, r->n_problems + 1);
	r->problems[r->n_problems].line = line;
	r->problems[r->n_problems].col = col;
	r->problems[r->n_problems].message = msg;
	r->n_problems++;
}

/* ---- the walk -------------------------------------------------------------------- */

static bool node_is_nontx(const Node *n, const char **what)
{
	switch (n->node_case) {
	case PG_QUERY__NODE__NODE_INDEX_STMT:
		*what = "CREATE INDEX CONCURRENTLY";
		return n->index_stmt->concurrent;
	case PG_QUERY__NODE__NODE_DROP_STMT:
		*what = "DROP INDEX CONCURRENTLY";
		return n->drop_stmt->concurrent;
	case PG_QUERY__NODE__NODE_REINDEX_STMT: {
		const PgQuery__ReindexStmt *r = n->reindex_stmt;
		for (size_t i = 0; i < r->n_params; i++) {
			const Node *p = r->params[i];
			if (p->node_case == PG_QUERY__NODE__NODE_DEF_ELEM &&
			    strcmp(p->def_elem->defname, "concurrently") == 0) {
				*what = "REINDEX CONCURRENTLY";
				return true;
			}
		}
		*what = "REINDEX SCHEMA/DATABASE/SYSTEM";
		return r->kind == PG_QUERY__REINDEX_OBJECT_TYPE__REINDEX_OBJECT_SCHEMA ||
		       r->kind == PG_QUERY__REINDEX_OBJECT_TYPE__REINDEX_OBJECT_DATABASE ||
		       r->kind == PG_QUERY__REINDEX_OBJECT_TYPE__REINDEX_OBJECT_SYSTEM;
	}
	case PG_QUERY__NODE__NODE_ALTER_TABLE_STMT: {
		const PgQuery__AlterTableStmt *a = n->alter_table_stmt;
		for (size_t i = 0; i < a->n_cmds; i++) {
			const PgQuery__AlterTableCmd *cmd = a->cmds[i]->alter_table_cmd;
			if (cmd && cmd->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_DetachPartition &&
			    cmd->def && cmd->def->node_case == PG_QUERY__NODE__NODE_PARTITION_CMD &&
			    cmd->def->partition_cmd->concurrent) {
				*what = "DETACH PARTITION CONCURRENTLY";
				return true;
			}
		}
		return false;
	}
	case PG_QUERY__NODE__NODE_VACUUM_STMT:
		*what = "VACUUM";
		return n->vacuum_stmt->is_vacuumcmd;
	case PG_QUERY__NODE__NODE_CLUSTER_STMT:
		*what = "CLUSTER without a table";
		return n->cluster_stmt->relation == NULL;
	case PG_QUERY__NODE__NODE_CREATEDB_STMT: *what = "CREATE DATABASE"; return true;
	case PG_QUERY__NODE__NODE_DROPDB_STMT: *what = "DROP DATABASE"; return true;
	case PG_QUERY__NODE__NODE_CREATE_TABLE_SPACE_STMT: *what = "CREATE TABLESPACE"; return true;
	case PG_QUERY__NODE__NODE_DROP_TABLE_SPACE_STMT: *what = "DROP TABLESPACE"; return true;
	case PG_QUERY__NODE__NODE_ALTER_SYSTEM_STMT: *what = "ALTER SYSTEM"; return true;
	default: return false;
	}
}

static bool node_is_txn(const Node *n, PgQuery__TransactionStmtKind *kind)
{
	if (n->node_case != PG_QUERY__NODE__NODE_TRANSACTION_STMT)
		return false;
	*kind = n->transaction_stmt->kind;
	return true;
}

static void release_locks(struct risk_ctx *c)
{
	for (size_t i = 0; i < c->n_held; i++)
		free(c->held[i].rel);
	c->n_held = 0;
	for (size_t i = 0; i < c->n_alters; i++)
		free(c->alters[i].rel);
	c->n_alters = 0;
	c->held_find_stmt = SIZE_MAX; /* the next transaction gets its own */
	strvec_clear(&c->held_named);
	strvec_clear(&c->held_slow);
	if (c->lock_timeout_local) {
		c->lock_timeout_ms = c->lock_timeout_outer;
		c->lock_timeout_local = false;
	}
	if (c->tz_local) {
		c->tz_utc = c->tz_utc_outer;
		c->tz_local = false;
	}
}

static void enum_check(struct risk_ctx *c, const Node *n)
{
	if (c->in_txn && c->n_labels)
		risk_enum_uses(c, n);
}

void risk_dispatch(struct risk_ctx *c, const Node *n)
{
	if (!n)
		return;
	const struct handler *h = NULL;
	if ((size_t)n->node_case < sizeof handlers / sizeof handlers[0])
		h = &handlers[n->node_case];
	if (h && h->kind)
		risk_kind(c, h->kind);
	else
		risk_kind(c, "other");
	if (h && h->fn)
		h->fn(c, n);
	risk_check_shared(c, n); /* risk_ddl.c */
	enum_check(c, n);
}

void risk_plan_locks(struct risk_ctx *c, const Node *n)
{
	if (!n)
		return;
	switch (n->node_case) {
	case PG_QUERY__NODE__NODE_SELECT_STMT:
	case PG_QUERY__NODE__NODE_INSERT_STMT:
	case PG_QUERY__NODE__NODE_UPDATE_STMT:
	case PG_QUERY__NODE__NODE_DELETE_STMT:
	case PG_QUERY__NODE__NODE_MERGE_STMT: break;
	default: return;
	}
	c->plan_only++;
	handlers[n->node_case].fn(c, n);
	c->plan_only--;
}

bool risk_replay_sql(struct risk_ctx *c, const char *sql)
{
	struct arena arena;
	arena_init(&arena);
	PgQuery__ParseResult *p = pbtree_parse(&arena, sql, NULL);
	if (!p) {
		arena_release(&arena);
		return false;
	}
	c->body_depth++;
	for (size_t i = 0; i < p->n_stmts; i++)
		risk_dispatch(c, p->stmts[i]->stmt);
	c->body_depth--;
	arena_release(&arena);
	return true;
}

static const char *txn_origin(struct risk_ctx *c, char *buf, size_t n)
{
	if (c->explicit_txn)
		snprintf(buf, n, "the transaction opened by BEGIN at line %d",
		         c->rep->stmts[c->begin_stmt].line);
	else
		snprintf(buf, n, "the transaction pgstep wraps this migration in");
	return buf;
}

static void handle_txn_stmt(struct risk_ctx *c, PgQuery__TransactionStmtKind kind)
{
	char buf[128];
	switch (kind) {
	case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_BEGIN:
	case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_START:
		risk_kind(c, "begin");
		if (c->in_txn) {
			risk_find(c, RULE_TRANSACTION_NESTING, NULL, -1,
			          "BEGIN inside %s is ignored: the first COMMIT ends everything",
			          txn_origin(c, buf, sizeof buf));
			risk_say(c, "does nothing: a transaction is already open");
			return;
		}
		c->in_txn = true;
		c->explicit_txn = true;
		c->begin_stmt = c->si;
		c->txn++;
		release_locks(c);
		risk_say(c, "opens a transaction; locks taken from here on are held until it ends");
		break;
	case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_COMMIT:
	case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_ROLLBACK:
		risk_kind(c, kind == PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_COMMIT
		                 ? "commit"
		                 : "rollback");
		risk_say(c, kind == PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_COMMIT
		                ? "ends the transaction and releases its locks"
		                : "undoes the transaction and releases its locks");
		c->in_txn = false;
		c->explicit_txn = false;
		c->txn++;
		release_locks(c);
		break;
	default:
		risk_kind(c, "savepoint");
		risk_say(c, "manages a savepoint");
		break;
	}
}

/* The message of the transaction's lock-held-across-statements finding. */
static char *held_message(struct risk_ctx *c)
{
	struct strbuf sb;
	strbuf_init(&sb);
	strbuf_adds(&sb, "this transaction holds ");
	for (size_t i = 0; i < c->held_named.n; i++) {
		char *e = xstrdup(c->held_named.items[i]);
		char *mode = strchr(e, '\t');
		*mode++ = '\0';
		char *line = strchr(mode, '\t');
		*line++ = '\0';
		strbuf_addf(&sb, "%s%s %s (line %s)", i ? ", " : "", e, mode, line);
		free(e);
	}
	strbuf_addf(&sb, " while %s every row: ",
	            c->held_slow.n == 1 ? "a later statement works through"
	                                : "later statements work through");
	for (size_t i = 0; i < c->held_slow.n; i++)
		strbuf_addf(&sb, "%s%s", i ? ", " : "", c->held_slow.items[i]);
	strbuf_adds(&sb, "; every query on those tables waits until COMMIT");
	return strbuf_detach(&sb);
}

/* lock-held-across-statements: slow statements while earlier statements'
 * strong locks on existing tables are still held. One finding per
 * transaction, at its first slow statement, naming every such lock and
 * every slow statement (issue 11). */
static void check_held(struct risk_ctx *c)
{
	if (!c->in_txn || !c->slow)
		return;
	bool any = false;
	for (size_t i = 0; i < c->n_held; i++) {
		const struct rk_held *h = &c->held[i];
		if (h->stmt >= c->si || h->mode < RISK_LOCK_SHARE || risk_rel_is_new(c, h->rel))
			continue;
		/* A statement that itself locks the table at least as strongly
		 * is not made worse by the earlier lock. */
		bool own = false;
		for (size_t k = 0; k < c->st->n_locks && !own; k++)
			own = strcmp(c->st->locks[k].relation, h->rel) == 0 &&
			      c->st->locks[k].mode >= h->mode;
		if (own)
			continue;
		any = true;
		bool named = false;
		size_t rl = strlen(h->rel);
		for (size_t k = 0; k < c->held_named.n && !named; k++)
			named = strncmp(c->held_named.items[k], h->rel, rl) == 0 &&
			        c->held_named.items[k][rl] == '\t';
		if (!named)
			strvec_push_owned(&c->held_named, xasprintf("%s\t%s\t%d", h->rel,
			                                            risk_lock_sql_name(h->mode),
			                                            c->rep->stmts[h->stmt].line));
	}
	if (!any)
		return;
	strvec_push_owned(&c->held_slow, xasprintf("line %d (%s)", c->st->line,
	                                           c->slow_rel ? c->slow_rel : "a table"));
	char *msg = held_message(c);
	if (c->held_find_stmt == SIZE_MAX) {
		size_t before = c->st->n_findings;
		const char *first = c->held_named.items[0];
		char *rel = xstrndup(first, strcspn(first, "\t"));
		risk_find(c, RULE_LOCK_HELD_ACROSS_STATEMENTS, rel, -1, "%s", msg);
		free(rel);
		if (c->st->n_findings > before) {
			c->held_find_stmt = c->si;
			c->held_find_idx = before;
		}
		free(msg);
	} else {
		struct risk_finding *f =
		    &c->rep->stmts[c->held_find_stmt].findings[c->held_find_idx];
		free(f->message);
		f->message = msg;
	}
}

/* missing-lock-timeout, lock-timeout-disabled, missing-statement-timeout:
 * about statements whose lock request would queue application traffic. */
static void check_timeouts(struct risk_ctx *c)
{
	const struct risk_lock_claim *lk = NULL;
	for (size_t i = 0; i < c->st->n_locks; i++) {
		const struct risk_lock_claim *l = &c->st->locks[i];
		if (l->new_relation || l->mode < RISK_LOCK_SHARE)
			continue;
		if (!lk || l->mode > lk->mode)
			lk = l;
	}
	if (!lk)
		return;
	if (c->lock_timeout_ms == 0) {
		if (c->lt_off_stmt != SIZE_MAX) {
			if (!c->reported_lt_off) {
				risk_find_at(c, c->lt_off_stmt, RULE_LOCK_TIMEOUT_DISABLED,
				             lk->relation,
				             "%s leaves the %s lock request on %s at line %d "
				             "without a bound: "
				             "while it waits, every later query on %s waits too",
				             c->lt_off_by_stmt_timeout
				                 ? "statement_timeout = 0 with no lock_timeout"
				                 : "switching lock_timeout off",
				             risk_lock_sql_name(lk->mode), lk->relation,
				             c->st->line, lk->relation);
				c->reported_lt_off = true;
			}
		} else if (!c->reported_missing_lt) {
			const char *from = c->opt->lock_timeout_from;
			risk_find(c, RULE_MISSING_LOCK_TIMEOUT, lk->relation, -1,
			          "%s lock on %s is requested with no lock_timeout%s%s%s: while it "
			          "waits, every "
			          "later query on %s queues behind it",
			          risk_lock_sql_name(lk->mode), lk->relation, from ? " (" : "",
			          from ? from : "", from ? ")" : "", lk->relation);
			c->reported_missing_lt = true;
		}
	}
	if (c->stmt_timeout_ms == 0 && !c->reported_missing_st) {
		/* Say where "none" comes from: the place to change it. */
		const char *from = c->opt->statement_timeout_from;
		risk_find(c, RULE_MISSING_STATEMENT_TIMEOUT, lk->relation, -1,
		          "no statement_timeout bounds how long the %s lock on %s is held%s%s%s",
		          risk_lock_sql_name(lk->mode), lk->relation,
		          from ? " (statement_timeout off: " : "", from ? from : "",
		          from ? ")" : "");
		c->reported_missing_st = true;
	}
}

static void post_section(struct risk_ctx *c)
{
	struct risk_report *r = c->rep;
	if (c->in_txn && c->explicit_txn)
		risk_find_at(
		    c, c->begin_stmt, RULE_UNCOMMITTED_TRANSACTION, NULL,
		    "BEGIN at line %d has no COMMIT: everything after it is rolled back when "
		    "the session ends",
		    r->stmts[c->begin_stmt].line);
	for (size_t i = 0; i < c->n_pending; i++) {
		struct rk_pending *p = &c->pending[i];
		if (p->done)
			continue;
		if (p->rule == RULE_RENAME_TABLE) {
			risk_find_at(
			    c, p->stmt, RULE_RENAME_TABLE, p->name,
			    "renaming %s breaks every query that still uses the old name (no view "
			    "under the old name follows)",
			    p->name);
		} else if (p->rule == RULE_RLS_ENABLED_WITHOUT_POLICY) {
			const struct rk_rel *rel = risk_rel(c, p->name, false);
			if (!rel || !rel->has_policy)
				risk_find_at(
				    c, p->stmt, RULE_RLS_ENABLED_WITHOUT_POLICY, p->name,
				    "row level security on %s with no CREATE POLICY for it in this "
				    "migration: every role but the owner sees no rows",
				    p->name);
		}
	}
	if (!c->wrapped && c->saw_nontx) {
		size_t others = 0;
		for (size_t i = 0; i < r->n_stmts; i++) {
			const char *k = r->stmts[i].kind;
			if (i != c->first_nontx && strcmp(k, "set") != 0 &&
			    strcmp(k, "begin") != 0 && strcmp(k, "commit") != 0 &&
			    strcmp(k, "rollback") != 0)
				others++;
		}
		if (others)
			risk_find_at(
			    c, c->first_nontx, RULE_NON_TRANSACTIONAL_MIXED, NULL,
			    "this migration runs without a transaction and has %zu other "
			    "statement%s: a failure part-way leaves the earlier ones applied",
			    others, others == 1 ? "" : "s");
	}
	/* fk-missing-index, offline: foreign keys of tables created here. */
	for (size_t i = 0; i < c->n_cons; i++) {
		const struct rk_con *k = &c->cons[i];
		if (k->contype != PG_QUERY__CONSTR_TYPE__CONSTR_FOREIGN || k->dropped ||
		    k->cols.n == 0)
			continue;
		/* On a table that existed before, only a catalogue knows its indexes:
		 * offline the rule stays silent rather than guess. */
		struct risk_col_facts f;
		if (!risk_rel_is_new(c, k->rel) &&
		    (!risk_facts_col(c, k->rel, k->cols.items[0], &f) || !f.exists ||
		     f.leading_index))
			continue;
		bool covered = false;
		for (size_t j = 0; j < c->n_rels && !covered; j++) {
			const struct rk_rel *ix = &c->rels[j];
			covered = ix->kind == 'i' && !ix->dropped && ix->table &&
			          strcmp(ix->table, k->rel) == 0 && ix->cols.n &&
			          strcmp(ix->cols.items[0], k->cols.items[0]) == 0;
		}
		for (size_t j = 0; j < c->n_cons && !covered; j++) {
			const struct rk_con *u = &c->cons[j];
			covered = (u->contype == PG_QUERY__CONSTR_TYPE__CONSTR_PRIMARY ||
			           u->contype == PG_QUERY__CONSTR_TYPE__CONSTR_UNIQUE) &&
			          !u->dropped && strcmp(u->rel, k->rel) == 0 && u->cols.n &&
			          strcmp(u->cols.items[0], k->cols.items[0]) == 0;
		}
		if (!covered && r->n_stmts)
			risk_find_at_loc(
			    c, k->stmt < r->n_stmts ? k->stmt : 0, RULE_FK_MISSING_INDEX, k->rel,
			    k->location,
			    "foreign key %s on %s(%s) has no index starting with %s: deletes "
			    "and key updates in %s scan %s",
			    k->name, k->rel, k->cols.items[0], k->cols.items[0],
			    k->ref_rel ? k->ref_rel : "the referenced table", k->rel);
	}
	for (size_t i = 0; i < c->n_cons; i++) {
		const struct rk_con *k = &c->cons[i];
		if (k->contype == PG_QUERY__CONSTR_TYPE__CONSTR_FOREIGN && !k->dropped &&
		    k->ref_rel) {
			XGROW(r->foreign_keys, r->cap_foreign_keys, r->n_foreign_keys + 1);
			r->foreign_keys[r->n_foreign_keys++] = (struct risk_foreign_key){
			    .rel = xstrdup(k->rel),
			    .name = xstrdup(k->name),
			    .ref_rel = xstrdup(k->ref_rel),
			};
		}
	}
	if (c->opt->no_down && !c->opt->up && r->n_stmts)
		risk_find_at(
		    c, 0, RULE_IRREVERSIBLE_MIGRATION, NULL,
		    "this migration has no down: rolling it back means restoring a backup");
}

static void free_ctx(struct risk_ctx *c)
{
	for (size_t i = 0; i < c->n_rels; i++) {
		free(c->rels[i].name);
		free(c->rels[i].table);
		strvec_clear(&c->rels[i].cols);
		strvec_clear(&c->rels[i].refs);
	}
	free(c->rels);
	for (size_t i = 0; i < c->n_cols; i++) {
		free(c->cols[i].rel);
		free(c->cols[i].name);
		free(c->cols[i].type);
	}
	free(c->cols);
	for (size_t i = 0; i < c->n_cons; i++) {
		free(c->cons[i].rel);
		free(c->cons[i].name);
		free(c->cons[i].ref_rel);
		free(c->cons[i].notnull_col);
		strvec_clear(&c->cons[i].cols);
	}
	free(c->cons);
	for (size_t i = 0; i < c->n_types; i++)
		free(c->types[i].name);
	free(c->types);
	for (size_t i = 0; i < c->n_labels; i++) {
		free(c->labels[i].type);
		free(c->labels[i].label);
	}
	free(c->labels);
	for (size_t i = 0; i < c->n_funcs; i++) {
		free(c->funcs[i].name);
		free(c->funcs[i].unanalyzable);
		free(c->funcs[i].plpgsql);
		strvec_clear(&c->funcs[i].body);
	}
	free(c->funcs);
	release_locks(c);
	free(c->held);
	free(c->alters);
	for (size_t i = 0; i < c->n_convs; i++) {
		free(c->convs[i].rel);
		free(c->convs[i].newcol);
		free(c->convs[i].type);
		strvec_clear(&c->convs[i].dropped);
	}
	free(c->convs);
	for (size_t i = 0; i < c->n_pending; i++)
		free(c->pending[i].name);
	free(c->pending);
	free(c->allow_stmt);
	free(c->search_schema);
	free(c->slow_rel);
	strvec_clear(&c->phrases);
	strvec_clear(&c->deps);
	strvec_clear(&c->held_named);
	strvec_clear(&c->held_slow);
}

/* The section's directives: the caller's (the section reader's, read with
 * the file) or, without them, those of the text itself, shifted to where
 * the text sits in its file. */
struct dir_source {
	struct sect_file own;
	bool read;
	const struct sect_directive *dirs;
	size_t n;
	bool settings; /* leading directives give the section's settings */
};

static void dirs_open(struct dir_source *ds, const char *text, const struct risk_options *opt)
{
	memset(ds, 0, sizeof *ds);
	if (opt->have_dirs) {
		ds->dirs = opt->dirs;
		ds->n = opt->n_dirs;
		ds->settings = opt->dirs_settings;
		return;
	}
	sect_read(text, strlen(text), &ds->own, 0);
	ds->read = true;
	int shift = (opt->base_line > 0 ? opt->base_line : 1) - 1;
	for (size_t i = 0; i < ds->own.n_dirs; i++) {
		struct sect_directive *d = &ds->own.dirs[i];
		d->offset += opt->base_offset;
		d->next_tok += opt->base_offset;
		d->line += shift;
	}
	ds->dirs = ds->own.dirs;
	ds->n = ds->own.n_dirs;
	/* a down section takes its settings from its up migration */
	ds->settings = opt->up == NULL;
}

/* The parse error in err ("line L, column C: message") as a problem. */
static void add_parse_problem(struct risk_report *out, int base_line, const char *msg)
{
	int line = base_line, col = 1, n = 0;
	if (sscanf(msg, "line %d, column %d: %n", &line, &col, &n) == 2 && n > 0)
		msg += n;
	else if (sscanf(msg, "line %d: %n", &line, &n) == 1 && n > 0)
		msg += n, col = 1;
	risk_add_problem(out, line, col, xstrdup(msg));
}

/* The walk over a section's statements, one at a time. */
struct walk {
	struct risk_ctx *c;
	struct risk_report *out;
	const struct dir_source *ds;
	struct risk_dirscan *dir;
	bool borrowed; /* the statements are the caller's (opt->stmts) */
};

static void walk_one(struct walk *w, struct statement *ls, const Node *node)
{
	struct risk_ctx *c = w->c;
	struct risk_report *out = w->out;
	const struct dir_source *ds = w->ds;
	struct risk_dirscan *dirp = w->dir;
	XGROW(out->stmts, out->cap_stmts, out->n_stmts + 1);
	/* Per-statement directives: those standing right before it. */
	dirp->file_level = false;
	dirp->stmt = out->n_stmts;
	for (size_t k = 0; k < ds->n; k++)
		if (!ds->dirs[k].header && ds->dirs[k].next_tok == ls->offset)
			risk_directive(dirp, &ds->dirs[k], false);

	struct risk_stmt *st = &out->stmts[out->n_stmts++];
	memset(st, 0, sizeof *st);
	if (w->borrowed) {
		st->sql = xstrdup(ls->sql);
	} else {
		st->sql = ls->sql; /* moved */
		ls->sql = NULL;
	}
	st->offset = ls->offset;
	st->line = ls->line;
	st->col = ls->col;
	st->kind = "other";

	c->st = st;
	c->si = out->n_stmts - 1;
	c->slow = false;
	free(c->slow_rel);
	c->slow_rel = NULL;
	for (size_t k = 0; k < c->phrases.n; k++)
		free(c->phrases.items[k]);
	c->phrases.n = 0;
	if (c->phrases.items)
		c->phrases.items[0] = NULL;

	PgQuery__TransactionStmtKind tk;
	const char *what = NULL;
	if (!c->in_txn) {
		/* Autocommit: the statement is its own transaction. */
		c->txn++;
		release_locks(c);
	}
	st->in_transaction = c->in_txn;
	if (node_is_txn(node, &tk)) {
		handle_txn_stmt(c, tk);
		if (c->in_txn)
			st->in_transaction = true;
	} else {
		if (node_is_nontx(node, &what)) {
			risk_effect(c, RISK_FX_NO_TXN);
			if (!c->saw_nontx) {
				c->saw_nontx = true;
				c->first_nontx = c->si;
			}
			if (c->in_txn) {
				char buf[128];
				risk_find(c, RULE_NON_TRANSACTIONAL_IN_TRANSACTION, NULL, -1,
				          "%s cannot run inside %s: it fails with \"cannot "
				          "run inside a "
				          "transaction block\"",
				          what, txn_origin(c, buf, sizeof buf));
			}
		}
		risk_dispatch(c, node);
		check_held(c);
		check_timeouts(c);
	}
	st->explain = risk_explain_sentence(c);
}

static bool walk_cb(struct statement *ls, const PgQuery__RawStmt *raw, void *arg)
{
	walk_one(arg, ls, raw->stmt);
	return true;
}

struct txn_shape {
	bool has_txn_stmts, has_nontx;
};

static void shape_one(struct txn_shape *sh, const Node *n)
{
	PgQuery__TransactionStmtKind k;
	const char *what;
	if (node_is_txn(n, &k))
		sh->has_txn_stmts = true;
	else if (node_is_nontx(n, &what))
		sh->has_nontx = true;
}

static bool shape_cb(struct statement *ls, const PgQuery__RawStmt *raw, void *arg)
{
	(void)ls;
	shape_one(arg, raw->stmt);
	return true;
}

/* Each piece that does not parse is a problem of the report. */
static void parse_problem_cb(const char *msg, void *arg)
{
	struct risk_ctx *c = arg;
	add_parse_problem(c->rep, c->base_line, msg);
}

bool risk_analyze(const char *text, const struct risk_options *opt, struct risk_report *out)
{
	struct risk_ctx ctx;
	struct risk_ctx *c = &ctx;
	memset(c, 0, sizeof *c);
	c->opt = opt;
	c->rep = out;
	c->text = text;
	c->schema = opt->default_schema && *opt->default_schema ? opt->default_schema : "public";
	c->base_line = opt->base_line > 0 ? opt->base_line : 1;
	c->lt_off_stmt = SIZE_MAX;
	c->tz_utc = opt->timezone_utc;
	c->held_find_stmt = SIZE_MAX;
	strvec_init(&c->phrases);
	/* Created by an earlier migration of the plan: new and empty, in no
	 * transaction of this section (plan_risk.c). */
	for (size_t i = 0; opt->plan_created && i < opt->plan_created->n; i++) {
		struct rk_rel *r = risk_rel(c, opt->plan_created->items[i], true);
		r->created = true;
		r->file_txn = -1;
	}

	/* File-level directives: the leading comment block. */
	struct dir_source ds;
	dirs_open(&ds, text, opt);
	struct risk_dirscan dir = {.c = c, .file_level = true};
	for (size_t i = 0; i < ds.n; i++)
		if (ds.dirs[i].leading)
			risk_directive(&dir, &ds.dirs[i], ds.settings);
	dir.no_txn = dir.no_txn && ds.settings;

	/* The statements and their trees, from the one splitter. */
	struct statement_list list;
	statement_list_init(&list);
	struct arena arena;
	arena_init(&arena);
	PgQuery__ParseResult *tree = NULL;
	struct pgstep_error err = {0};
	/* Trees are kept for a normal text; a big one is walked a chunk at a
	 * time (parsed once to find its errors and shape, once for the walk),
	 * so memory holds one chunk's trees. */
	struct text_pos base = {opt->base_offset, c->base_line, 1};
	struct txn_shape sh = {0};
	struct arena *given = opt->stmts && opt->tree ? opt->trees : NULL;
	bool parsed = true;
	if (given) {
		list = *opt->stmts; /* borrowed: neither moved from nor cleared */
		tree = opt->tree;
	} else {
		parsed = strlen(text) <= SQL_CHUNK_BYTES
		             ? sql_split_tree(text, base, &list, &arena, &tree, &err)
		             : sql_split_each(text, base, shape_cb, &sh, &err);
	}
	if (opt->trees && !given) { /* handed over but not for this text */
		arena_release(opt->trees);
		free(opt->trees);
	}
	const Node **nodes = NULL;
	size_t n_nodes = 0;
	if (tree) {
		nodes = xmalloc((tree->n_stmts + 1) * sizeof *nodes);
		for (size_t i = 0; i < tree->n_stmts; i++)
			nodes[n_nodes++] = tree->stmts[i]->stmt;
	}
	if (!parsed && strlen(text) <= SQL_CHUNK_BYTES) {
		statement_list_clear(&list);
		statement_list_init(&list);
		if (sql_split_around_errors(text, base, &list, &arena, &nodes, &n_nodes,
		                            parse_problem_cb, c)) {
			error_clear(&err);
			parsed = true;
			out->parse_failed = true;
			tree = NULL;
		}
	}
	if (!parsed) {
		free(nodes);
		add_parse_problem(out, c->base_line, err.msg);
		error_clear(&err);
		out->parse_failed = true;
		arena_release(&arena);
		if (ds.read)
			sect_file_clear(&ds.own);
		free_ctx(c);
		return false;
	}

	/* A down section knows the foreign keys its up section added. */
	if (opt->up) {
		for (size_t i = 0; i < opt->up->n_foreign_keys; i++) {
			const struct risk_foreign_key *fk = &opt->up->foreign_keys[i];
			struct rk_con *k = risk_con(c, fk->rel, fk->name, true);
			k->contype = PG_QUERY__CONSTR_TYPE__CONSTR_FOREIGN;
			k->validated = true;
			k->txn = -1;
			k->ref_rel = xstrdup(fk->ref_rel);
		}
	}

	/* How will the runner execute this section? */
	for (size_t i = 0; i < n_nodes; i++)
		shape_one(&sh, nodes[i]);
	bool has_txn_stmts = sh.has_txn_stmts, has_nontx = sh.has_nontx;
	enum risk_txn_mode mode = dir.no_txn ? RISK_TXN_NONE : opt->txn;
	c->wrapped =
	    mode == RISK_TXN_WRAPPED || (mode == RISK_TXN_AUTO && !has_txn_stmts && !has_nontx);
	out->runs_in_transaction = c->wrapped;
	c->in_txn = c->wrapped;
	c->txn = 1;
	c->lock_timeout_ms = opt->lock_timeout_ms;
	c->stmt_timeout_ms = opt->statement_timeout_ms;

	struct walk w = {c, out, &ds, &dir, given != NULL};
	bool whole = strlen(text) <= SQL_CHUNK_BYTES;
	bool keep = whole && !out->trees; /* one arena per report */
	if (whole) {
		for (size_t i = 0; i < n_nodes && i < list.n; i++) {
			walk_one(&w, &list.items[i], nodes[i]);
			if (keep)
				out->stmts[out->n_stmts - 1].node = nodes[i];
		}
	} else {
		/* A big text: parsed again, a chunk at a time, for the walk. */
		sql_split_each(text, (struct text_pos){opt->base_offset, c->base_line, 1}, walk_cb,
		               &w, &err);
		error_clear(&err);
	}
	/* The trees stay with the report, for preflight. */
	if (keep && given) {
		out->trees = given;
	} else if (keep) {
		out->trees = xmalloc(sizeof *out->trees);
		*out->trees = arena;
	} else if (given) {
		arena_release(given);
		free(given);
	} else {
		arena_release(&arena);
	}
	if (!given)
		statement_list_clear(&list);
	free(nodes);
	if (ds.read)
		sect_file_clear(&ds.own);

	post_section(c);
	risk_apply_allows(c);
	free_ctx(c);
	return !out->parse_failed;
}

void risk_stmt_confirm(const struct risk_stmt *st, struct risk_confirm *out)
{
	memset(out, 0, sizeof *out);
	for (size_t i = 0; i < st->n_locks; i++) {
		const struct risk_lock_claim *c = &st->locks[i];
		if (!c->new_relation && c->mode > RISK_LOCK_ROW_EXCLUSIVE &&
		    c->mode > out->lock_mode) {
			out->lock_mode = c->mode;
			out->lock_relation = c->relation;
		}
	}
	if (out->lock_relation)
		out->kind = RISK_CONFIRM_LOCK;
	for (size_t i = 0; i < st->n_findings; i++) {
		const struct risk_finding *f = &st->findings[i];
		if (f->rule && (f->rule->flags & RISK_RULE_CONFIRM)) {
			const char *rel = f->relation ? f->relation : out->lock_relation;
			if (!rel && st->n_locks)
				rel = st->locks[0].relation;
			out->kind = RISK_CONFIRM_TYPED;
			out->finding = f;
			if (rel) {
				const char *dot = strrchr(rel, '.');
				out->typed_name = dot ? dot + 1 : rel;
			}
			return;
		}
		if (!f->allowed && f->severity == RISK_ERROR && out->kind != RISK_CONFIRM_ERROR) {
			out->kind = RISK_CONFIRM_ERROR;
			out->finding = f;
		}
	}
}
