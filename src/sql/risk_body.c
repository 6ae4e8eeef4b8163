/* risk_body: DO blocks and function bodies. A PL/pgSQL body is parsed with
 * pg_query_parse_plpgsql, whose JSON output names each statement; the SQL
 * statements it runs are replayed through the same handlers as top-level
 * statements, so DDL inside DO $$ ... $$ is judged like any other. A DO block
 * runs at once; a function's body is recorded and replayed where a later
 * statement calls it. EXECUTE of a string built at run time, other languages
 * and bodies that do not parse are dynamic-sql-unanalyzable. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "pgstep/json.h"
#include "pgstep/xalloc.h"
#include "risk_int.h"

/* ---- a minimal JSON reader for pg_query_parse_plpgsql's output ----------
 *
 * The whole tree lives in one arena, released at once: the JSON of a body
 * holds thousands of small values, and allocating and freeing each was a
 * tenth of pgstep lint's time. Children are gathered on a scratch stack and
 * copied into the arena when their object or array closes. */

enum jtype { J_NULL, J_SCALAR, J_STR, J_ARR, J_OBJ };

struct jval {
	enum jtype t;
	char *s;            /* J_STR: decoded text */
	char **keys;        /* J_OBJ */
	struct jval *items; /* J_ARR, J_OBJ */
	size_t n;
};

struct jparse {
	const char *p;
	int depth;
	bool bad;
	struct arena *arena;
	/* scratch stack of the children being read, with their keys */
	struct jval *stack;
	char **stack_keys;
	size_t sp, cap;
};

static void jskip(struct jparse *j)
{
	while (*j->p == ' ' || *j->p == '\n' || *j->p == '\r' || *j->p == '\t')
		j->p++;
}

static char *arena_strndup(struct arena *a, const char *s, size_t n)
{
	char *d = arena_alloc(a, n + 1);
	memcpy(d, s, n);
	d[n] = '\0';
	return d;
}

static char *jstring(struct jparse *j)
{
	j->p++; /* opening quote */
	/* Most strings have no escape: copy them in one go. */
	const char *q = j->p;
	while (*q && *q != '"' && *q != '\\')
		q++;
	if (*q == '"') {
		char *s = arena_strndup(j->arena, j->p, (size_t)(q - j->p));
		j->p = q + 1;
		return s;
	}
	struct strbuf sb;
	strbuf_init(&sb);
	if (!json_read_string(&j->p, &sb))
		j->bad = true;
	char *s = arena_strndup(j->arena, sb.buf, sb.len);
	strbuf_release(&sb);
	return s;
}

static void jvalue(struct jparse *j, struct jval *v);

/* Read the members of an object or array onto the stack, then move them
 * into the arena. */
static void jitems(struct jparse *j, struct jval *v, char close)
{
	bool obj = v->t == J_OBJ;
	size_t base = j->sp;
	j->p++;
	jskip(j);
	while (!j->bad && *j->p && *j->p != close) {
		char *key = NULL;
		if (obj) {
			if (*j->p != '"') {
				j->bad = true;
				break;
			}
			key = jstring(j);
			jskip(j);
			if (*j->p != ':') {
				j->bad = true;
				break;
			}
			j->p++;
		}
		struct jval item;
		jvalue(j, &item);
		if (j->sp == j->cap) {
			j->cap = j->cap ? 2 * j->cap : 64;
			j->stack = xrealloc(j->stack, j->cap * sizeof *j->stack);
			j->stack_keys = xrealloc(j->stack_keys, j->cap * sizeof *j->stack_keys);
		}
		j->stack[j->sp] = item;
		j->stack_keys[j->sp] = key;
		j->sp++;
		jskip(j);
		if (*j->p == ',')
			j->p++;
		jskip(j);
	}
	if (*j->p == close)
		j->p++;
	else
		j->bad = true;
	v->n = j->sp - base;
	if (v->n) {
		v->items = arena_alloc(j->arena, v->n * sizeof *v->items);
		memcpy(v->items, j->stack + base, v->n * sizeof *v->items);
		if (obj) {
			v->keys = arena_alloc(j->arena, v->n * sizeof *v->keys);
			memcpy(v->keys, j->stack_keys + base, v->n * sizeof *v->keys);
		}
	}
	j->sp = base;
}

static void jvalue(struct jparse *j, struct jval *v)
{
	memset(v, 0, sizeof *v);
	jskip(j);
	if (++j->depth > 500) {
		j->bad = true;
		return;
	}
	if (*j->p == '{' || *j->p == '[') {
		v->t = *j->p == '{' ? J_OBJ : J_ARR;
		jitems(j, v, *j->p == '{' ? '}' : ']');
	} else if (*j->p == '"') {
		v->t = J_STR;
		v->s = jstring(j);
	} else if (*j->p) {
		v->t = J_SCALAR;
		while (*j->p && *j->p != ',' && *j->p != '}' && *j->p != ']')
			j->p++;
	} else {
		j->bad = true;
	}
	j->depth--;
}

static const struct jval *jget(const struct jval *v, const char *key)
{
	if (!v || v->t != J_OBJ)
		return NULL;
	for (size_t i = 0; i < v->n; i++)
		if (strcmp(v->keys[i], key) == 0)
			return &v->items[i];
	return NULL;
}

/* v.PLpgSQL_expr.query */
static const char *jexpr_query(const struct jval *v)
{
	const struct jval *q = jget(jget(v, "PLpgSQL_expr"), "query");
	return q && q->t == J_STR ? q->s : NULL;
}

/* ---- bodies ------------------------------------------------------------------ */

struct body {
	struct strvec sql; /* statements it runs, in order */
	char *why;         /* set when some of it cannot be analysed */
	const char *txn;   /* "COMMIT" or "ROLLBACK" when it ends transactions */
};

static void body_unanalyzable(struct body *b, const char *why)
{
	if (!b->why)
		b->why = xstrdup(why);
}

/* The constant string an EXECUTE expression evaluates to ('...' or
 * '...' || '...'), or NULL when it is built at run time. */
static char *const_string(const Node *e)
{
	if (!e)
		return NULL;
	if (e->node_case == PG_QUERY__NODE__NODE_TYPE_CAST)
		return const_string(e->type_cast->arg);
	if (e->node_case == PG_QUERY__NODE__NODE_A_CONST &&
	    e->a_const->val_case == PG_QUERY__A__CONST__VAL_SVAL)
		return xstrdup(e->a_const->sval->sval);
	if (e->node_case == PG_QUERY__NODE__NODE_A_EXPR &&
	    e->a_expr->kind == PG_QUERY__A__EXPR__KIND__AEXPR_OP &&
	    strcmp(risk_names_last(e->a_expr->name, e->a_expr->n_name), "||") == 0) {
		char *l = const_string(e->a_expr->lexpr),
		     *r = l ? const_string(e->a_expr->rexpr) : NULL;
		char *s = l && r ? xasprintf("%s%s", l, r) : NULL;
		free(l);
		free(r);
		return s;
	}
	return NULL;
}

static char *execute_constant(const char *expr)
{
	char *sql = xasprintf("SELECT %s", expr);
	struct arena arena;
	arena_init(&arena);
	PgQuery__ParseResult *p = pbtree_parse(&arena, sql, NULL);
	free(sql);
	char *out = NULL;
	if (p && p->n_stmts == 1 &&
	    p->stmts[0]->stmt->node_case == PG_QUERY__NODE__NODE_SELECT_STMT) {
		const PgQuery__SelectStmt *s = p->stmts[0]->stmt->select_stmt;
		if (s->n_target_list == 1 && s->n_from_clause == 0 &&
		    s->target_list[0]->node_case == PG_QUERY__NODE__NODE_RES_TARGET)
			out = const_string(s->target_list[0]->res_target->val);
	}
	arena_release(&arena);
	return out;
}

static void walk_plpgsql(struct body *b, const struct jval *v)
{
	if (v->t == J_ARR) {
		for (size_t i = 0; i < v->n; i++)
			walk_plpgsql(b, &v->items[i]);
		return;
	}
	if (v->t != J_OBJ)
		return;
	for (size_t i = 0; i < v->n; i++) {
		const char *k = v->keys[i];
		const struct jval *s = &v->items[i];
		const char *q = NULL;
		if (strcmp(k, "PLpgSQL_stmt_execsql") == 0) {
			q = jexpr_query(jget(s, "sqlstmt"));
		} else if (strcmp(k, "PLpgSQL_stmt_perform") == 0) {
			q = jexpr_query(jget(s, "expr"));
		} else if (strcmp(k, "PLpgSQL_stmt_fors") == 0) {
			q = jexpr_query(jget(s, "query"));
		} else if (strcmp(k, "PLpgSQL_stmt_dynexecute") == 0) {
			const char *e = jexpr_query(jget(s, "query"));
			char *sql = e ? execute_constant(e) : NULL;
			if (sql)
				strvec_push_owned(&b->sql, sql);
			else
				body_unanalyzable(b, "EXECUTE of a string built at run time");
		} else if (strcmp(k, "PLpgSQL_stmt_commit") == 0 && !b->txn) {
			b->txn = "COMMIT";
		} else if (strcmp(k, "PLpgSQL_stmt_rollback") == 0 && !b->txn) {
			b->txn = "ROLLBACK";
		} else if (strcmp(k, "PLpgSQL_stmt_dynfors") == 0 ||
		           ((strcmp(k, "PLpgSQL_stmt_open") == 0 ||
		             strcmp(k, "PLpgSQL_stmt_return_query") == 0) &&
		            jget(s, "dynquery"))) {
			body_unanalyzable(b, "a query built at run time");
		}
		if (q)
			strvec_push(&b->sql, q);
		walk_plpgsql(b, s);
	}
}

/* Parse a CREATE FUNCTION ... LANGUAGE plpgsql text into b. */
static void plpgsql_body(struct body *b, const char *create_text)
{
	PgQueryPlpgsqlParseResult r = pg_query_parse_plpgsql(create_text);
	if (r.error) {
		char *why = xasprintf("its PL/pgSQL does not parse (%s)", r.error->message);
		body_unanalyzable(b, why);
		free(why);
	} else if (r.plpgsql_funcs) {
		struct arena arena;
		arena_init(&arena);
		struct jparse j = {.p = r.plpgsql_funcs, .arena = &arena};
		struct jval v;
		jvalue(&j, &v);
		if (j.bad)
			body_unanalyzable(b, "pgstep could not read its PL/pgSQL parse tree");
		else
			walk_plpgsql(b, &v);
		free(j.stack);
		free(j.stack_keys);
		arena_release(&arena);
	}
	pg_query_free_plpgsql_parse_result(r);
}

/* Wrap a DO body so pg_query_parse_plpgsql accepts it. */
static char *wrap_body(const char *src)
{
	char tag[32];
	for (unsigned i = 0;; i++) {
		snprintf(tag, sizeof tag, "$pgstep%u$", i);
		if (!strstr(src, tag))
			break;
	}
	return xasprintf("CREATE FUNCTION pgstep_do() RETURNS void LANGUAGE plpgsql AS %s%s%s", tag,
	                 src, tag);
}

static void def_options(Node *const *opts, size_t n, const char **as, const char **lang,
                        const char **vol)
{
	for (size_t i = 0; i < n; i++) {
		if (opts[i]->node_case != PG_QUERY__NODE__NODE_DEF_ELEM)
			continue;
		const PgQuery__DefElem *d = opts[i]->def_elem;
		const char *s = risk_node_str(d->arg);
		if (!s && d->arg && d->arg->node_case == PG_QUERY__NODE__NODE_LIST &&
		    d->arg->list->n_items)
			s = risk_node_str(d->arg->list->items[0]);
		if (strcmp(d->defname, "as") == 0 && as)
			*as = s;
		else if (strcmp(d->defname, "language") == 0 && lang)
			*lang = s;
		else if (strcmp(d->defname, "volatility") == 0 && vol)
			*vol = s;
	}
}

static void replay(struct risk_ctx *c, struct body *b)
{
	for (size_t i = 0; i < b->sql.n; i++)
		if (!risk_replay_sql(c, b->sql.items[i]))
			body_unanalyzable(b, "one of its statements does not parse");
}

/* PL/pgSQL may COMMIT or ROLLBACK only when the DO or CALL runs outside a
 * transaction block (and not from inside a function). */
static void txn_control_fails(struct risk_ctx *c, const char *who, const char *stmt)
{
	char buf[160];
	if (c->explicit_txn)
		snprintf(buf, sizeof buf, "the transaction opened by BEGIN at line %d",
		         c->rep->stmts[c->begin_stmt].line);
	else
		snprintf(buf, sizeof buf, "the transaction pgstep wraps this migration in");
	risk_effect(c, RISK_FX_CAN_FAIL);
	risk_find(c, RULE_TRANSACTION_CONTROL_IN_TRANSACTION, NULL, -1,
	          "%s runs %s inside %s: it fails with \"invalid transaction termination\" "
	          "(SQLSTATE 2D000); run it in a pgstep:no-transaction migration",
	          who, stmt, buf);
}

void risk_h_do(struct risk_ctx *c, const Node *n)
{
	const PgQuery__DoStmt *s = n->do_stmt;
	const char *src = NULL, *lang = NULL;
	def_options(s->args, s->n_args, &src, &lang, NULL);
	struct body b = {.why = NULL};
	strvec_init(&b.sql);
	risk_say(c, "runs a DO block");
	if (lang && strcasecmp(lang, "plpgsql") != 0) {
		char *why = xasprintf("it is written in %s", lang);
		body_unanalyzable(&b, why);
		free(why);
	} else if (src) {
		char *text = wrap_body(src);
		plpgsql_body(&b, text);
		free(text);
		replay(c, &b);
		if (b.txn && c->in_txn)
			txn_control_fails(c, "the DO block", b.txn);
	}
	if (b.why)
		risk_find(c, RULE_DYNAMIC_SQL_UNANALYZABLE, NULL, -1,
		          "the DO block cannot be analysed: %s; its locks and effects are unknown",
		          b.why);
	strvec_clear(&b.sql);
	free(b.why);
}

/* PostgreSQL does not analyse the body of a function with polymorphic
 * arguments when it is created. */
static bool has_polymorphic_arg(const PgQuery__CreateFunctionStmt *s)
{
	for (size_t i = 0; i < s->n_parameters; i++) {
		const Node *p = s->parameters[i];
		if (p->node_case == PG_QUERY__NODE__NODE_FUNCTION_PARAMETER &&
		    p->function_parameter->arg_type &&
		    strncmp(risk_type_base(p->function_parameter->arg_type), "any", 3) == 0)
			return true;
	}
	return false;
}

static void plan_atomic(struct risk_ctx *c, const Node *n)
{
	if (n && n->node_case == PG_QUERY__NODE__NODE_LIST) {
		for (size_t i = 0; i < n->list->n_items; i++)
			plan_atomic(c, n->list->items[i]);
		return;
	}
	risk_plan_locks(c, n);
}

/* Creating an SQL function parses and analyses its body (a BEGIN ATOMIC
 * body always, a string body under check_function_bodies, on by default),
 * which locks what its queries read and write (measured: ROW EXCLUSIVE for
 * a DELETE in the body). */
static void plan_sql_body(struct risk_ctx *c, const PgQuery__CreateFunctionStmt *s, const char *src)
{
	if (s->sql_body) {
		plan_atomic(c, s->sql_body);
		return;
	}
	if (!src || c->no_body_checks || has_polymorphic_arg(s))
		return;
	struct arena arena;
	arena_init(&arena);
	PgQuery__ParseResult *p = pbtree_parse(&arena, src, NULL);
	for (size_t i = 0; p && i < p->n_stmts; i++)
		risk_plan_locks(c, p->stmts[i]->stmt);
	arena_release(&arena);
}

void risk_h_create_function(struct risk_ctx *c, const Node *n)
{
	const PgQuery__CreateFunctionStmt *s = n->create_function_stmt;
	const char *name = risk_names_last(s->funcname, s->n_funcname);
	const char *src = NULL, *lang = NULL, *vol = NULL;
	def_options(s->options, s->n_options, &src, &lang, &vol);
	risk_kind(c, s->is_procedure ? "create procedure" : "create function");
	risk_say(c, "creates %s %s (its body runs only when called)",
	         s->is_procedure ? "procedure" : "function", name);
	size_t idx;
	struct rk_func *f = risk_func(c, name, true);
	idx = (size_t)(f - c->funcs);
	strvec_clear(&f->body);
	free(f->unanalyzable);
	f->unanalyzable = NULL;
	free(f->plpgsql);
	f->plpgsql = NULL;
	f->atomic = false;
	f->volatility = vol ? vol[0] : 'v';
	struct body b = {.why = NULL};
	strvec_init(&b.sql);
	if (s->sql_body) {
		/* BEGIN ATOMIC: keep the whole statement, re-parsed per call. */
		if (c->body_depth == 0)
			strvec_push(&b.sql, c->st->sql);
		c->funcs[idx].atomic = true;
		plan_sql_body(c, s, NULL);
	} else if (!lang || strcasecmp(lang, "sql") == 0) {
		if (src)
			strvec_push(&b.sql, src);
		plan_sql_body(c, s, src);
	} else if (strcasecmp(lang, "plpgsql") == 0) {
		/* Only a call runs the body, and most functions a migration
		 * creates are not called in it: read the body at the first call. */
		c->funcs[idx].plpgsql = c->body_depth == 0 ? xstrdup(c->st->sql)
		                        : src              ? wrap_body(src)
		                                           : NULL;
	} else {
		char *why = xasprintf("it is written in %s", lang);
		body_unanalyzable(&b, why);
		free(why);
	}
	f = &c->funcs[idx];
	for (size_t i = 0; i < b.sql.n; i++)
		strvec_push(&f->body, b.sql.items[i]);
	f->unanalyzable = b.why;
	strvec_clear(&b.sql);
}

static void replay_atomic(struct risk_ctx *c, const Node *n)
{
	if (!n)
		return;
	if (n->node_case == PG_QUERY__NODE__NODE_LIST) {
		for (size_t i = 0; i < n->list->n_items; i++)
			replay_atomic(c, n->list->items[i]);
		return;
	}
	risk_dispatch(c, n);
}

static void call_atomic(struct risk_ctx *c, const char *create_text)
{
	struct arena arena;
	arena_init(&arena);
	PgQuery__ParseResult *p = pbtree_parse(&arena, create_text, NULL);
	if (p && p->n_stmts == 1 &&
	    p->stmts[0]->stmt->node_case == PG_QUERY__NODE__NODE_CREATE_FUNCTION_STMT) {
		c->body_depth++;
		replay_atomic(c, p->stmts[0]->stmt->create_function_stmt->sql_body);
		c->body_depth--;
	}
	arena_release(&arena);
}

void risk_call_function(struct risk_ctx *c, const char *name)
{
	struct rk_func *f = risk_func(c, name, false);
	if (!f || f->replaying || c->body_depth > 8)
		return;
	size_t idx = (size_t)(f - c->funcs);
	if (f->plpgsql) {
		struct body b = {.why = NULL};
		strvec_init(&b.sql);
		plpgsql_body(&b, f->plpgsql);
		for (size_t i = 0; i < b.sql.n; i++)
			strvec_push(&f->body, b.sql.items[i]);
		f->unanalyzable = b.why;
		f->txn_control = b.txn != NULL;
		strvec_clear(&b.sql);
		free(f->plpgsql);
		f->plpgsql = NULL;
	}
	if (c->funcs[idx].txn_control && c->in_txn) {
		char *who = xasprintf("%s()", name);
		txn_control_fails(c, who, "COMMIT or ROLLBACK");
		free(who);
	}
	/* Replaying may create functions and move c->funcs: use the index. */
	c->funcs[idx].replaying = true;
	risk_say(c, "runs the body of %s()", name);
	struct strvec body;
	strvec_init(&body);
	for (size_t i = 0; i < c->funcs[idx].body.n; i++)
		strvec_push(&body, c->funcs[idx].body.items[i]);
	bool atomic = c->funcs[idx].atomic;
	char *why = c->funcs[idx].unanalyzable ? xstrdup(c->funcs[idx].unanalyzable) : NULL;
	for (size_t i = 0; i < body.n; i++) {
		if (atomic)
			call_atomic(c, body.items[i]);
		else if (!risk_replay_sql(c, body.items[i]) && !why)
			why = xstrdup("one of its statements does not parse");
	}
	if (why)
		risk_find(c, RULE_DYNAMIC_SQL_UNANALYZABLE, NULL, -1,
		          "this calls %s(), which cannot be analysed: %s; its locks and effects "
		          "are unknown",
		          name, why);
	free(why);
	strvec_clear(&body);
	c->funcs[idx].replaying = false;
}

bool risk_func_nonvolatile(struct risk_ctx *c, const char *name)
{
	const struct rk_func *f = risk_func(c, name, false);
	return f && (f->volatility == 'i' || f->volatility == 's');
}
