/* risk_dml: queries and data changes (SELECT, INSERT, UPDATE, DELETE, MERGE,
 * COPY), session settings that decide how long a lock may be waited for
 * (SET lock_timeout / statement_timeout / search_path), explicit LOCK and
 * CALL. Data changes matter to a migration mostly by how many rows they
 * touch while earlier locks are held. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "pgstep/text.h"
#include "pgstep/xalloc.h"
#include "risk_int.h"

/* A WHERE clause that still touches (nearly) every row: none, always true,
 * or only "col IS NULL" (the usual backfill). */
static bool where_is_broad(const Node *w)
{
	return !w || risk_expr_tautology(w) ||
	       (w->node_case == PG_QUERY__NODE__NODE_NULL_TEST &&
	        w->null_test->nulltesttype == PG_QUERY__NULL_TEST_TYPE__IS_NULL);
}

static bool is_existing(struct risk_ctx *c, const char *rel)
{
	return !risk_rel_is_new(c, rel);
}

/* Foreign key checks take ROW SHARE on the referenced tables (measured),
 * when the rows are written: planning alone does not. */
static void lock_fk_refs(struct risk_ctx *c, const char *rel)
{
	const struct rk_rel *r = c->plan_only ? NULL : risk_rel(c, rel, false);
	for (size_t i = 0; r && i < r->refs.n; i++)
		risk_lock(c, r->refs.items[i], RISK_LOCK_ROW_SHARE);
}

static const char *const_text(const Node *a);
static void set_lock_timeout(struct risk_ctx *c, const PgQuery__VariableSetStmt *s, bool reset);
static void set_statement_timeout(struct risk_ctx *c, const PgQuery__VariableSetStmt *s,
                                  bool reset);

/* SELECT set_config('lock_timeout', '0', false) is SET lock_timeout = 0
 * (is_local true: SET LOCAL). Only constant arguments are understood. */
static void select_set_config(struct risk_ctx *c, const PgQuery__SelectStmt *s)
{
	for (size_t i = 0; i < s->n_target_list; i++) {
		const Node *t = s->target_list[i];
		const Node *v =
		    t->node_case == PG_QUERY__NODE__NODE_RES_TARGET ? t->res_target->val : NULL;
		if (!v || v->node_case != PG_QUERY__NODE__NODE_FUNC_CALL)
			continue;
		const PgQuery__FuncCall *f = v->func_call;
		if (strcasecmp(risk_names_last(f->funcname, f->n_funcname), "set_config") != 0 ||
		    f->n_args != 3)
			continue;
		const char *name = const_text(f->args[0]);
		const char *local = const_text(f->args[2]);
		if (!name || !local)
			continue;
		PgQuery__VariableSetStmt set = PG_QUERY__VARIABLE_SET_STMT__INIT;
		set.kind = PG_QUERY__VARIABLE_SET_KIND__VAR_SET_VALUE;
		set.name = (char *)name;
		set.n_args = 1;
		set.args = (Node **)&f->args[1];
		set.is_local = strcasecmp(local, "true") == 0 || strcasecmp(local, "t") == 0 ||
		               strcmp(local, "1") == 0 || strcasecmp(local, "on") == 0;
		if (set.is_local && !c->in_txn)
			continue; /* it ends with the statement */
		if (strcasecmp(name, "lock_timeout") == 0)
			set_lock_timeout(c, &set, false);
		else if (strcasecmp(name, "statement_timeout") == 0)
			set_statement_timeout(c, &set, false);
	}
}

void risk_h_select(struct risk_ctx *c, const Node *n)
{
	const PgQuery__SelectStmt *s = n->select_stmt;
	size_t before = c->st->n_locks;
	risk_query_reads(c, &n->base);
	if (s->n_from_clause == 0 && !s->into_clause)
		select_set_config(c, s);
	if (s->into_clause && s->into_clause->rel) {
		char *rel = risk_rv_name(c, s->into_clause->rel);
		risk_kind(c, "select into");
		risk_say(c, "creates table %s from a query", rel);
		risk_rel_created(c, rel, 'r');
		free(rel);
		return;
	}
	if (c->phrases.n)
		return; /* a called function or setval() said what happens */
	const char *first = NULL;
	size_t n_read = 0;
	for (size_t i = before; i < c->st->n_locks; i++) {
		if (c->st->locks[i].mode > RISK_LOCK_ROW_SHARE)
			continue;
		if (!first)
			first = c->st->locks[i].relation;
		n_read++;
	}
	if (first)
		risk_say(c, "reads %s%s", first, n_read > 1 ? " and other tables" : "");
	else
		risk_say(c, "evaluates an expression");
}

void risk_h_insert(struct risk_ctx *c, const Node *n)
{
	const PgQuery__InsertStmt *s = n->insert_stmt;
	char *rel = risk_rv_name(c, s->relation);
	risk_lock(c, rel, RISK_LOCK_ROW_EXCLUSIVE);
	lock_fk_refs(c, rel);
	bool from_query = false;
	if (s->select_stmt) {
		const PgQuery__SelectStmt *q =
		    s->select_stmt->node_case == PG_QUERY__NODE__NODE_SELECT_STMT
		        ? s->select_stmt->select_stmt
		        : NULL;
		from_query = q && q->n_from_clause > 0;
		size_t before = c->st->n_locks;
		risk_query_reads_with(c, &s->select_stmt->base, s->with_clause);
		for (size_t i = before; i < c->st->n_locks; i++)
			if (!c->st->locks[i].new_relation)
				risk_slow(c, c->st->locks[i].relation);
	}
	if (s->with_clause)
		risk_query_reads(c, &s->with_clause->base);
	risk_say(c, "%s rows into %s", from_query ? "copies query" : "inserts", rel);
	free(rel);
}

void risk_h_update(struct risk_ctx *c, const Node *n)
{
	const PgQuery__UpdateStmt *s = n->update_stmt;
	char *rel = risk_rv_name(c, s->relation);
	risk_lock(c, rel, RISK_LOCK_ROW_EXCLUSIVE);
	lock_fk_refs(c, rel);
	for (size_t i = 0; i < s->n_from_clause; i++)
		risk_query_reads_with(c, &s->from_clause[i]->base, s->with_clause);
	for (size_t i = 0; i < s->n_target_list; i++)
		risk_query_reads_with(c, &s->target_list[i]->base, s->with_clause);
	if (s->where_clause)
		risk_query_reads_with(c, &s->where_clause->base, s->with_clause);
	if (s->with_clause)
		risk_query_reads(c, &s->with_clause->base);
	bool existing = is_existing(c, rel);
	bool all = !s->where_clause || risk_expr_tautology(s->where_clause);
	risk_say(c, "updates %s of %s", all ? "every row" : "rows", rel);
	if (all && existing)
		risk_find(
		    c, RULE_UPDATE_WITHOUT_WHERE, rel, s->relation->location,
		    "UPDATE of every row of %s writes a new version of each and locks them all "
		    "until COMMIT; backfill in batches",
		    rel);
	if (existing && where_is_broad(s->where_clause))
		risk_slow(c, rel);
	for (size_t i = 0; c->plan_only == 0 && i < s->n_target_list; i++) {
		const Node *t = s->target_list[i];
		if (t->node_case != PG_QUERY__NODE__NODE_RES_TARGET)
			continue;
		const char *col = t->res_target->name;
		for (size_t k = 0; k < c->n_convs; k++)
			if (strcmp(c->convs[k].rel, rel) == 0 &&
			    strcmp(c->convs[k].newcol, col) == 0)
				c->convs[k].updated = true;
		struct rk_col *kc = risk_col(c, rel, col, false);
		if (kc)
			kc->updated = true;
	}
	free(rel);
}

void risk_h_delete(struct risk_ctx *c, const Node *n)
{
	const PgQuery__DeleteStmt *s = n->delete_stmt;
	char *rel = risk_rv_name(c, s->relation);
	risk_lock(c, rel, RISK_LOCK_ROW_EXCLUSIVE);
	for (size_t i = 0; i < s->n_using_clause; i++)
		risk_query_reads_with(c, &s->using_clause[i]->base, s->with_clause);
	if (s->where_clause)
		risk_query_reads_with(c, &s->where_clause->base, s->with_clause);
	if (s->with_clause)
		risk_query_reads(c, &s->with_clause->base);
	bool all = !s->where_clause || risk_expr_tautology(s->where_clause);
	bool existing = is_existing(c, rel);
	risk_say(c, "deletes %s of %s", all ? "every row" : "rows", rel);
	if (all && existing) {
		risk_effect(c, RISK_FX_DATA_LOSS);
		risk_find(c, RULE_DELETE_WITHOUT_WHERE, rel, s->relation->location,
		          "DELETE of every row of %s locks them all until COMMIT", rel);
	}
	if (existing && where_is_broad(s->where_clause))
		risk_slow(c, rel);
	free(rel);
}

void risk_h_merge(struct risk_ctx *c, const Node *n)
{
	const PgQuery__MergeStmt *s = n->merge_stmt;
	char *rel = risk_rv_name(c, s->relation);
	risk_lock(c, rel, RISK_LOCK_ROW_EXCLUSIVE);
	size_t before = c->st->n_locks;
	if (s->source_relation)
		risk_query_reads_with(c, &s->source_relation->base, s->with_clause);
	for (size_t i = before; i < c->st->n_locks; i++)
		if (!c->st->locks[i].new_relation)
			risk_slow(c, c->st->locks[i].relation);
	risk_say(c, "merges rows into %s", rel);
	free(rel);
}

void risk_h_copy(struct risk_ctx *c, const Node *n)
{
	const PgQuery__CopyStmt *s = n->copy_stmt;
	if (s->relation) {
		char *rel = risk_rv_name(c, s->relation);
		risk_lock(c, rel, s->is_from ? RISK_LOCK_ROW_EXCLUSIVE : RISK_LOCK_ACCESS_SHARE);
		risk_say(c, "%s %s", s->is_from ? "loads rows into" : "exports", rel);
		free(rel);
	} else if (s->query) {
		risk_query_reads(c, &s->query->base);
		risk_say(c, "exports the result of a query");
	}
}

/* A SET value in milliseconds; false when it is not a plain number or
 * duration. */
static bool set_value_ms(const PgQuery__VariableSetStmt *s, int64_t *ms)
{
	if (s->n_args != 1 || s->args[0]->node_case != PG_QUERY__NODE__NODE_A_CONST)
		return false;
	const PgQuery__AConst *k = s->args[0]->a_const;
	if (k->val_case == PG_QUERY__A__CONST__VAL_IVAL) {
		*ms = k->ival->ival;
		return true;
	}
	if (k->val_case == PG_QUERY__A__CONST__VAL_SVAL)
		return text_parse_duration_ms(k->sval->sval, ms);
	if (k->val_case == PG_QUERY__A__CONST__VAL_FVAL) {
		*ms = (int64_t)strtod(k->fval->fval, NULL);
		return true;
	}
	return false;
}

static void set_lock_timeout(struct risk_ctx *c, const PgQuery__VariableSetStmt *s, bool reset)
{
	int64_t ms = 0;
	bool known = !reset && set_value_ms(s, &ms);
	if (s->is_local && c->in_txn && !c->lock_timeout_local) {
		c->lock_timeout_outer = c->lock_timeout_ms;
		c->lock_timeout_local = true;
	}
	int64_t ceiling = c->opt->lock_timeout_ceiling_ms;
	if (reset || (known && (ms == 0 || (ceiling > 0 && ms > ceiling)))) {
		c->lock_timeout_ms = 0;
		c->lt_off_stmt = c->si;
		c->lt_off_by_stmt_timeout = false;
		c->reported_lt_off = false;
		risk_say(c, "%s lock_timeout: lock waits are no longer bounded",
		         reset     ? "resets"
		         : ms == 0 ? "switches off"
		                   : "raises");
	} else {
		c->lock_timeout_ms = known ? ms : 1;
		c->lt_off_stmt = SIZE_MAX;
		risk_say(c, "bounds lock waits with lock_timeout");
	}
}

static void set_statement_timeout(struct risk_ctx *c, const PgQuery__VariableSetStmt *s, bool reset)
{
	int64_t ms = 0;
	bool known = !reset && set_value_ms(s, &ms);
	if (reset || (known && ms == 0)) {
		c->stmt_timeout_ms = 0;
		if (c->lock_timeout_ms == 0) {
			c->lt_off_stmt = c->si;
			c->lt_off_by_stmt_timeout = true;
			c->reported_lt_off = false;
		}
		risk_say(c, "switches statement_timeout off");
	} else {
		c->stmt_timeout_ms = known ? ms : 1;
		risk_say(c, "bounds statement run time with statement_timeout");
	}
}

/* A SET argument as text: 'off', off, false, 0. */
static const char *const_text(const Node *a)
{
	if (!a || a->node_case != PG_QUERY__NODE__NODE_A_CONST)
		return NULL;
	switch (a->a_const->val_case) {
	case PG_QUERY__A__CONST__VAL_SVAL: return a->a_const->sval->sval;
	case PG_QUERY__A__CONST__VAL_BOOLVAL:
		return a->a_const->boolval->boolval ? "true" : "false";
	case PG_QUERY__A__CONST__VAL_IVAL: return a->a_const->ival->ival ? "1" : "0";
	default: return NULL;
	}
}

void risk_h_set(struct risk_ctx *c, const Node *n)
{
	const PgQuery__VariableSetStmt *s = n->variable_set_stmt;
	bool reset = s->kind == PG_QUERY__VARIABLE_SET_KIND__VAR_SET_DEFAULT ||
	             s->kind == PG_QUERY__VARIABLE_SET_KIND__VAR_RESET;
	if (s->kind == PG_QUERY__VARIABLE_SET_KIND__VAR_RESET_ALL) {
		risk_kind(c, "reset");
		c->lock_timeout_ms = 0;
		c->stmt_timeout_ms = 0;
		c->lt_off_stmt = c->si;
		c->reported_lt_off = false;
		risk_say(c, "resets every setting, lock_timeout included");
		c->schema = c->opt->default_schema && *c->opt->default_schema
		                ? c->opt->default_schema
		                : "public";
		c->tz_utc = c->opt->timezone_utc;
		return;
	}
	risk_kind(c, reset ? "reset" : "set");
	if (s->is_local && !c->in_txn) {
		/* PostgreSQL only warns: SET LOCAL outside a transaction block
		 * ends with the statement. */
		risk_say(c, "has no effect: SET LOCAL outside a transaction block");
		return;
	}
	if (strcasecmp(s->name, "lock_timeout") == 0) {
		set_lock_timeout(c, s, reset);
	} else if (strcasecmp(s->name, "statement_timeout") == 0) {
		set_statement_timeout(c, s, reset);
	} else if (strcasecmp(s->name, "search_path") == 0 && reset) {
		/* RESET search_path, SET search_path TO DEFAULT: back to the
		 * session's path. */
		free(c->search_schema);
		c->search_schema = NULL;
		c->schema = c->opt->default_schema && *c->opt->default_schema
		                ? c->opt->default_schema
		                : "public";
		risk_say(c, "makes unqualified names resolve in schema %s again", c->schema);
	} else if (strcasecmp(s->name, "search_path") == 0 && !reset && s->n_args > 0 &&
	           s->args[0]->node_case == PG_QUERY__NODE__NODE_A_CONST &&
	           s->args[0]->a_const->val_case == PG_QUERY__A__CONST__VAL_SVAL) {
		/* Unqualified names now resolve in the first schema of the path. */
		free(c->search_schema);
		c->search_schema = xstrdup(s->args[0]->a_const->sval->sval);
		c->schema = c->search_schema;
		risk_say(c, "makes unqualified names resolve in schema %s", c->schema);
	} else if (strcasecmp(s->name, "timezone") == 0) {
		risk_set_timezone(c, s, reset); /* claims: type changes */
	} else if (strcasecmp(s->name, "check_function_bodies") == 0) {
		/* pg_dump output turns it off: SQL function bodies are then not
		 * analysed (nor locked) when the function is created. */
		const char *v = s->n_args == 1 ? const_text(s->args[0]) : NULL;
		c->no_body_checks = !reset && v &&
		                    (strcasecmp(v, "off") == 0 || strcasecmp(v, "false") == 0 ||
		                     strcmp(v, "0") == 0);
		risk_say(c, "%s check_function_bodies", reset ? "resets" : "sets");
	} else {
		risk_say(c, "%s %s", reset ? "resets" : "sets", s->name);
	}
}

void risk_h_lock(struct risk_ctx *c, const Node *n)
{
	const PgQuery__LockStmt *s = n->lock_stmt;
	enum risk_lock m =
	    s->mode >= RISK_LOCK_ACCESS_SHARE && s->mode <= RISK_LOCK_ACCESS_EXCLUSIVE
	        ? (enum risk_lock)s->mode
	        : RISK_LOCK_ACCESS_EXCLUSIVE;
	for (size_t i = 0; i < s->n_relations; i++) {
		if (s->relations[i]->node_case != PG_QUERY__NODE__NODE_RANGE_VAR)
			continue;
		char *rel = risk_rv_name(c, s->relations[i]->range_var);
		risk_lock(c, rel, m);
		risk_say(c, "locks %s in %s mode until the transaction ends", rel,
		         risk_lock_sql_name(m));
		/* ACCESS SHARE to SHARE UPDATE EXCLUSIVE stop no reads or writes. */
		if (is_existing(c, rel) && m >= RISK_LOCK_SHARE)
			risk_find(
			    c, RULE_EXPLICIT_LOCK_TABLE, rel, s->relations[i]->range_var->location,
			    "LOCK TABLE %s IN %s MODE holds the lock until the transaction ends",
			    rel, risk_lock_sql_name(m));
		free(rel);
	}
}

void risk_h_call(struct risk_ctx *c, const Node *n)
{
	const PgQuery__CallStmt *s = n->call_stmt;
	if (!s->funccall)
		return;
	const char *name = risk_names_last(s->funccall->funcname, s->funccall->n_funcname);
	risk_say(c, "calls procedure %s", name);
	risk_query_reads(c, &s->funccall->base);
}

void risk_h_explain(struct risk_ctx *c, const Node *n)
{
	const PgQuery__ExplainStmt *s = n->explain_stmt;
	for (size_t i = 0; i < s->n_options; i++) {
		const Node *o = s->options[i];
		if (o->node_case != PG_QUERY__NODE__NODE_DEF_ELEM ||
		    strcmp(o->def_elem->defname, "analyze") != 0)
			continue;
		const char *v = risk_node_str(o->def_elem->arg);
		if (v && (strcasecmp(v, "false") == 0 || strcasecmp(v, "off") == 0))
			break;
		/* EXPLAIN ANALYZE runs the statement for real. */
		risk_say(c, "runs and times the statement");
		risk_dispatch(c, s->query);
		risk_kind(c, "explain analyze");
		return;
	}
	risk_say(c, "shows a query plan without running it");
	/* Parsing and planning lock what the query would lock (measured:
	 * EXPLAIN UPDATE takes ROW EXCLUSIVE), so it waits behind DDL too. */
	risk_plan_locks(c, s->query);
}
