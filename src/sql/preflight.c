/* preflight: the data checks of a plan's migrations, written as SQL from
 * each statement's parse tree. It owns the plan's state (tables created or
 * renamed, columns added, rows changed, enum labels, constraints added NOT
 * VALID) and the queries; running them is the engine's job. This file
 * holds the lists, the plan's state and the reading of statements; the
 * checks are written in preflight_checks.c. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "pgstep/arena.h"
#include "pgstep/deparse.h"
#include "pgstep/pbtree.h"
#include "pgstep/preflight.h"
#include "pgstep/strbuf.h"
#include "pgstep/xalloc.h"
#include "preflight_int.h"

/* ---- lists --------------------------------------------------------------------- */

void preflight_list_init(struct preflight_list *l)
{
	memset(l, 0, sizeof *l);
}

void preflight_list_clear(struct preflight_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		struct preflight_check *c = &l->items[i];
		free(c->relation);
		free(c->what);
		free(c->sql);
		free(c->note);
		free(c->error);
		strvec_clear(&c->samples);
	}
	free(l->items);
	memset(l, 0, sizeof *l);
}

const char *preflight_kind_name(enum preflight_kind k)
{
	switch (k) {
	case PREFLIGHT_FK_ORPHANS: return "fk-orphans";
	case PREFLIGHT_DUPLICATES: return "duplicates";
	case PREFLIGHT_NULLS: return "nulls";
	case PREFLIGHT_REQUIRED_COLUMN: return "required-column";
	case PREFLIGHT_CHECK: return "check";
	case PREFLIGHT_ENUM_UNMAPPED: return "enum-unmapped";
	case PREFLIGHT_CASE_ELSE: return "case-else";
	}
	return "?";
}

const char *preflight_status_name(enum preflight_status s)
{
	switch (s) {
	case PREFLIGHT_PENDING: return "pending";
	case PREFLIGHT_SKIPPED: return "skipped";
	case PREFLIGHT_OK: return "ok";
	case PREFLIGHT_FOUND: return "found";
	case PREFLIGHT_ERROR: return "error";
	}
	return "?";
}

/* ---- the plan's state ---------------------------------------------------------- */

struct preflight_plan *preflight_plan_new(const char *default_schema,
                                          const struct preflight_lookup *lookup)
{
	struct preflight_plan *p = xcalloc(1, sizeof *p);
	p->schema = xstrdup(default_schema ? default_schema : "public");
	p->lookup = lookup;
	return p;
}

static void gen_clear(struct pf_gen *g)
{
	free(g->relation);
	free(g->what);
	free(g->sql);
	free(g->note);
	for (size_t i = 0; i < g->n_refs; i++) {
		free(g->refs[i].table);
		free(g->refs[i].column);
	}
	free(g->refs);
	memset(g, 0, sizeof *g);
}

void preflight_plan_free(struct preflight_plan **pp)
{
	if (!pp || !*pp)
		return;
	struct preflight_plan *p = *pp;
	for (size_t i = 0; i < p->n_tables; i++) {
		free(p->tables[i].name);
		free(p->tables[i].created);
		free(p->tables[i].created_label);
		free(p->tables[i].changed);
		strvec_clear(&p->tables[i].new_cols);
	}
	free(p->tables);
	for (size_t i = 0; i < p->n_enums; i++) {
		free(p->enums[i].name);
		strvec_clear(&p->enums[i].labels);
	}
	free(p->enums);
	for (size_t i = 0; i < p->n_deferred; i++) {
		free(p->deferred[i].table);
		free(p->deferred[i].name);
		gen_clear(&p->deferred[i].gen);
	}
	free(p->deferred);
	free(p->schema);
	free(p);
	*pp = NULL;
}

/* "schema.name" as the risk report writes it. */
char *pf_rv_key(const struct preflight_plan *p, const PgQuery__RangeVar *rv)
{
	return xasprintf("%s.%s", has_text(rv->schemaname) ? rv->schemaname : p->schema,
	                 rv->relname);
}

/* The relation as written in the statement, for the check's SQL: an
 * unqualified name stays unqualified, resolved through the tenant's
 * search_path as the migration's is. */
char *pf_rv_sql(const PgQuery__RangeVar *rv)
{
	return deparse_name(has_text(rv->schemaname) ? rv->schemaname : NULL, rv->relname);
}

static char *names_key(const struct preflight_plan *p, Node *const *items, size_t n)
{
	const char *last = NULL, *first = NULL;
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		const char *s = str_of(items[i]);
		if (!s)
			continue;
		if (!first)
			first = s;
		last = s;
		k++;
	}
	if (!last)
		return xstrdup("?");
	if (k == 1)
		return xasprintf("%s.%s", p->schema, last);
	return xasprintf("%s.%s", first, last);
}

struct pf_table *pf_plan_table(struct preflight_plan *p, const char *name, bool create)
{
	for (size_t i = 0; i < p->n_tables; i++)
		if (strcmp(p->tables[i].name, name) == 0)
			return &p->tables[i];
	if (!create)
		return NULL;
	XGROW(p->tables, p->cap_tables, p->n_tables + 1);
	struct pf_table *t = &p->tables[p->n_tables++];
	memset(t, 0, sizeof *t);
	t->name = xstrdup(name);
	strvec_init(&t->new_cols);
	return t;
}

static char *where_now(const struct preflight_plan *p)
{
	return xasprintf("%s line %d", p->label, p->line);
}

static void table_created(struct preflight_plan *p, const char *name)
{
	struct pf_table *t = pf_plan_table(p, name, true);
	free(t->created);
	free(t->created_label);
	t->created = where_now(p);
	t->created_label = xstrdup(p->label);
	t->filled = false;
}

static void table_changed(struct preflight_plan *p, const char *name)
{
	struct pf_table *t = pf_plan_table(p, name, true);
	if (!t->changed)
		t->changed = where_now(p);
}

static void column_added(struct preflight_plan *p, const char *table, const char *col)
{
	struct pf_table *t = pf_plan_table(p, table, true);
	char *w = where_now(p);
	strvec_push_owned(&t->new_cols, xasprintf("%s\x1f%s", col, w));
	free(w);
}

/* Where col of table was added or renamed into earlier in the plan, or NULL. */
const char *pf_column_new_at(const struct preflight_plan *p, const char *table, const char *col)
{
	const struct pf_table *t = pf_plan_table((struct preflight_plan *)p, table, false);
	size_t n = strlen(col);
	for (size_t i = 0; t && i < t->new_cols.n; i++) {
		const char *e = t->new_cols.items[i];
		if (strncmp(e, col, n) == 0 && e[n] == '\x1f')
			return e + n + 1;
	}
	return NULL;
}

static struct pf_enum *plan_enum(struct preflight_plan *p, const char *name, bool create)
{
	for (size_t i = 0; i < p->n_enums; i++)
		if (strcmp(p->enums[i].name, name) == 0)
			return &p->enums[i];
	if (!create)
		return NULL;
	XGROW(p->enums, p->cap_enums, p->n_enums + 1);
	struct pf_enum *e = &p->enums[p->n_enums++];
	e->name = xstrdup(name);
	strvec_init(&e->labels);
	return e;
}

/* Labels of an enum: created earlier in the plan, else the database's. */
static struct pf_enum *enum_known(struct preflight_plan *p, const char *name)
{
	struct pf_enum *e = plan_enum(p, name, false);
	if (e)
		return e;
	struct strvec labels;
	strvec_init(&labels);
	if (!p->lookup || !p->lookup->enum_labels ||
	    !p->lookup->enum_labels(p->lookup->ctx, name, &labels)) {
		strvec_clear(&labels);
		return NULL;
	}
	e = plan_enum(p, name, true);
	strvec_clear(&e->labels);
	e->labels = labels;
	return e;
}

/* ---- statements ---------------------------------------------------------------- */

static void emit_gen(struct preflight_plan *p, struct pf_gen *g)
{
	pf_emit(p, g);
	gen_clear(g);
}

/* A table constraint added to rv (ALTER TABLE ADD, or its definition read
 * back for VALIDATE). force: validate even if declared NOT VALID. */
static void on_constraint(struct preflight_plan *p, const PgQuery__RangeVar *rv,
                          const PgQuery__Constraint *k, bool force)
{
	struct pf_gen g;
	switch (k->contype) {
	case PG_QUERY__CONSTR_TYPE__CONSTR_FOREIGN: pf_gen_fk(p, &g, rv, k); break;
	case PG_QUERY__CONSTR_TYPE__CONSTR_CHECK: pf_gen_check(p, &g, rv, k); break;
	case PG_QUERY__CONSTR_TYPE__CONSTR_UNIQUE:
	case PG_QUERY__CONSTR_TYPE__CONSTR_PRIMARY: {
		if (has_text(k->indexname) || k->n_keys == 0)
			return; /* USING INDEX: the index exists, it was checked when built */
		bool pk = k->contype == PG_QUERY__CONSTR_TYPE__CONSTR_PRIMARY;
		const char **names = xcalloc(k->n_keys, sizeof *names);
		for (size_t i = 0; i < k->n_keys; i++)
			names[i] = str_of(k->keys[i]);
		pf_gen_unique(p, &g, rv, k->conname, names, k->keys, k->n_keys, k->where_clause,
		              k->nulls_not_distinct, pk);
		emit_gen(p, &g);
		/* A primary key makes its columns NOT NULL too. */
		for (size_t i = 0; pk && i < k->n_keys; i++) {
			if (!names[i])
				continue;
			pf_gen_nulls(p, &g, rv, names[i], "becomes part of a primary key");
			emit_gen(p, &g);
		}
		free(names);
		return;
	}
	default: return;
	}
	if (k->skip_validation && !force) {
		/* NOT VALID: existing rows are not checked now, but VALIDATE
		 * CONSTRAINT will check them. */
		XGROW(p->deferred, p->cap_deferred, p->n_deferred + 1);
		struct pf_deferred *d = &p->deferred[p->n_deferred++];
		d->table = pf_rv_key(p, rv);
		d->name = xstrdup(has_text(k->conname) ? k->conname : "");
		d->gen = g;
		return;
	}
	emit_gen(p, &g);
}

/* VALIDATE CONSTRAINT: the definition from NOT VALID earlier in the plan,
 * else from the database. */
static void on_validate(struct preflight_plan *p, const PgQuery__RangeVar *rv, const char *name)
{
	char *table = pf_rv_key(p, rv);
	for (size_t i = p->n_deferred; i-- > 0;) {
		struct pf_deferred *d = &p->deferred[i];
		if (strcmp(d->table, table) == 0 && strcmp(d->name, name) == 0) {
			struct pf_gen g = d->gen;
			pf_emit(p, &g); /* the definition stays for a second VALIDATE */
			free(table);
			return;
		}
	}
	char *def = p->lookup && p->lookup->constraint_def
	                ? p->lookup->constraint_def(p->lookup->ctx, table, name)
	                : NULL;
	free(table);
	if (!def)
		return;
	/* Read the definition back as the ALTER TABLE that would add it. */
	char *t = pf_rv_sql(rv), *n = deparse_name(NULL, name);
	char *sql = xasprintf("ALTER TABLE %s ADD CONSTRAINT %s %s", t, n, def);
	free(t);
	free(n);
	free(def);
	struct arena arena;
	arena_init(&arena);
	PgQuery__ParseResult *pr = pbtree_parse(&arena, sql, NULL);
	free(sql);
	const Node *s = pr && pr->n_stmts == 1 ? pr->stmts[0]->stmt : NULL;
	if (s && s->node_case == PG_QUERY__NODE__NODE_ALTER_TABLE_STMT &&
	    s->alter_table_stmt->n_cmds == 1 &&
	    s->alter_table_stmt->cmds[0]->node_case == PG_QUERY__NODE__NODE_ALTER_TABLE_CMD) {
		const Node *def_node = s->alter_table_stmt->cmds[0]->alter_table_cmd->def;
		if (def_node && def_node->node_case == PG_QUERY__NODE__NODE_CONSTRAINT)
			on_constraint(p, rv, def_node->constraint, true);
	}
	arena_release(&arena);
}

static const PgQuery__ColumnDef *coldef_of(const Node *n)
{
	return n && n->node_case == PG_QUERY__NODE__NODE_COLUMN_DEF ? n->column_def : NULL;
}

/* ADD COLUMN: NOT NULL without a default fails on any existing row. */
static void on_add_column(struct preflight_plan *p, const PgQuery__RangeVar *rv,
                          const PgQuery__ColumnDef *cd)
{
	bool not_null = cd->is_not_null, has_default = cd->raw_default != NULL;
	for (size_t i = 0; i < cd->n_constraints; i++) {
		const Node *n = cd->constraints[i];
		if (n->node_case != PG_QUERY__NODE__NODE_CONSTRAINT)
			continue;
		switch (n->constraint->contype) {
		case PG_QUERY__CONSTR_TYPE__CONSTR_NOTNULL:
		case PG_QUERY__CONSTR_TYPE__CONSTR_PRIMARY: not_null = true; break;
		case PG_QUERY__CONSTR_TYPE__CONSTR_DEFAULT:
		case PG_QUERY__CONSTR_TYPE__CONSTR_IDENTITY:
		case PG_QUERY__CONSTR_TYPE__CONSTR_GENERATED: has_default = true; break;
		default: break;
		}
	}
	char *key = pf_rv_key(p, rv);
	if (not_null && !has_default) {
		struct pf_gen g;
		pf_gen_init(&g, PREFLIGHT_REQUIRED_COLUMN, key);
		g.what =
		    xasprintf("%s gets NOT NULL column %s without a default: every existing row "
		              "would hold NULL in it",
		              key, cd->colname);
		struct strbuf sb;
		strbuf_init(&sb);
		char *t = pf_rv_sql(rv);
		strbuf_adds(&sb, "SELECT count(*) OVER () AS total, ");
		pf_add_row_id(p, &sb, key, NULL);
		strbuf_addf(&sb, " AS sample FROM %s LIMIT 5", t);
		free(t);
		g.sql = strbuf_detach(&sb);
		emit_gen(p, &g);
	}
	column_added(p, key, cd->colname);
	free(key);
}

static void on_alter_type(struct preflight_plan *p, const PgQuery__RangeVar *rv,
                          const PgQuery__AlterTableCmd *cmd)
{
	const PgQuery__ColumnDef *cd = coldef_of(cmd->def);
	char *key = pf_rv_key(p, rv);
	const char *first =
	    cd && cd->type_name && cd->type_name->n_names ? str_of(cd->type_name->names[0]) : NULL;
	bool builtin = first && strcmp(first, "pg_catalog") == 0;
	if (cd && cd->type_name) {
		char *type = names_key(p, cd->type_name->names, cd->type_name->n_names);
		const PgQuery__CaseExpr *ce = as_case(cd->raw_default);
		struct pf_enum *e = NULL;
		struct pf_gen g;
		if (ce && !pf_else_keeps(ce, cmd->name)) {
			char *ctx =
			    xasprintf("ALTER COLUMN %s TYPE %s USING CASE", cmd->name, type);
			pf_gen_case_else(p, &g, rv, ce, NULL, ctx);
			free(ctx);
			pf_gen_ref(&g, key, cmd->name);
			emit_gen(p, &g);
		} else if (!ce && !builtin && cd->type_name->n_array_bounds == 0 &&
		           (e = enum_known(p, type)) != NULL) {
			pf_gen_enum_using(p, &g, rv, cmd->name, type, e, cd->raw_default);
			emit_gen(p, &g);
		}
		free(type);
	}
	/* The values change: later checks on this table see converted rows. */
	table_changed(p, key);
	free(key);
}

static void on_alter_table(struct preflight_plan *p, const PgQuery__AlterTableStmt *s)
{
	if (!s->relation || (s->objtype != PG_QUERY__OBJECT_TYPE__OBJECT_TABLE &&
	                     s->objtype != PG_QUERY__OBJECT_TYPE__OBJECT_TYPE_UNDEFINED))
		return;
	const PgQuery__RangeVar *rv = s->relation;
	for (size_t i = 0; i < s->n_cmds; i++) {
		if (s->cmds[i]->node_case != PG_QUERY__NODE__NODE_ALTER_TABLE_CMD)
			continue;
		const PgQuery__AlterTableCmd *cmd = s->cmds[i]->alter_table_cmd;
		switch (cmd->subtype) {
		case PG_QUERY__ALTER_TABLE_TYPE__AT_AddConstraint:
			if (cmd->def && cmd->def->node_case == PG_QUERY__NODE__NODE_CONSTRAINT)
				on_constraint(p, rv, cmd->def->constraint, false);
			break;
		case PG_QUERY__ALTER_TABLE_TYPE__AT_ValidateConstraint:
			on_validate(p, rv, cmd->name);
			break;
		case PG_QUERY__ALTER_TABLE_TYPE__AT_SetNotNull: {
			struct pf_gen g;
			pf_gen_nulls(p, &g, rv, cmd->name, "becomes NOT NULL");
			emit_gen(p, &g);
			break;
		}
		case PG_QUERY__ALTER_TABLE_TYPE__AT_AddColumn:
			if (coldef_of(cmd->def))
				on_add_column(p, rv, coldef_of(cmd->def));
			break;
		case PG_QUERY__ALTER_TABLE_TYPE__AT_AlterColumnType:
			on_alter_type(p, rv, cmd);
			break;
		default: break;
		}
	}
}

static void on_index(struct preflight_plan *p, const PgQuery__IndexStmt *s)
{
	if (!s->unique || !s->relation || s->n_index_params == 0)
		return;
	const char **names = xcalloc(s->n_index_params, sizeof *names);
	Node **exprs = xcalloc(s->n_index_params, sizeof *exprs);
	bool ok = true;
	for (size_t i = 0; i < s->n_index_params; i++) {
		const Node *n = s->index_params[i];
		if (n->node_case != PG_QUERY__NODE__NODE_INDEX_ELEM) {
			ok = false;
			break;
		}
		const PgQuery__IndexElem *e = n->index_elem;
		names[i] = has_text(e->name) ? e->name : NULL;
		exprs[i] = e->expr;
		ok = names[i] || exprs[i];
	}
	if (ok) {
		struct pf_gen g;
		pf_gen_unique(p, &g, s->relation, s->idxname, names, exprs, s->n_index_params,
		              s->where_clause, s->nulls_not_distinct, s->primary);
		emit_gen(p, &g);
	}
	free(names);
	free(exprs);
}

static void on_update(struct preflight_plan *p, const PgQuery__UpdateStmt *s)
{
	if (!s->relation)
		return;
	char *key = pf_rv_key(p, s->relation);
	/* With FROM or WITH, the conditions may read other relations: the
	 * query would have to be the whole UPDATE turned into a SELECT. */
	bool simple = s->n_from_clause == 0 && !s->with_clause;
	for (size_t i = 0; simple && i < s->n_target_list; i++) {
		const Node *t = s->target_list[i];
		if (t->node_case != PG_QUERY__NODE__NODE_RES_TARGET)
			continue;
		const PgQuery__ResTarget *rt = t->res_target;
		const PgQuery__CaseExpr *ce = as_case(rt->val);
		if (!ce || pf_else_keeps(ce, rt->name))
			continue;
		char *ctx = xasprintf("UPDATE %s SET %s = CASE", s->relation->relname, rt->name);
		struct pf_gen g;
		pf_gen_case_else(p, &g, s->relation, ce, s->where_clause, ctx);
		free(ctx);
		emit_gen(p, &g);
	}
	table_changed(p, key);
	free(key);
}

static void on_rename(struct preflight_plan *p, const PgQuery__RenameStmt *s)
{
	if (!s->relation)
		return;
	char *key = pf_rv_key(p, s->relation);
	if (s->rename_type == PG_QUERY__OBJECT_TYPE__OBJECT_COLUMN && has_text(s->newname)) {
		column_added(p, key, s->newname);
	} else if (s->rename_type == PG_QUERY__OBJECT_TYPE__OBJECT_TABLE && has_text(s->newname)) {
		char *to = xasprintf("%s.%s",
		                     has_text(s->relation->schemaname) ? s->relation->schemaname
		                                                       : p->schema,
		                     s->newname);
		table_created(p, to);
		free(to);
	}
	free(key);
}

static void on_stmt(struct preflight_plan *p, const Node *n)
{
	switch (n->node_case) {
	case PG_QUERY__NODE__NODE_CREATE_STMT: {
		const PgQuery__CreateStmt *s = n->create_stmt;
		/* IF NOT EXISTS may name a table that is there: the run-time
		 * existence test decides for those. */
		if (s->relation && !s->if_not_exists) {
			char *key = pf_rv_key(p, s->relation);
			table_created(p, key);
			free(key);
		}
		break;
	}
	case PG_QUERY__NODE__NODE_CREATE_TABLE_AS_STMT: {
		const PgQuery__CreateTableAsStmt *s = n->create_table_as_stmt;
		if (s->into && s->into->rel && !s->if_not_exists) {
			char *key = pf_rv_key(p, s->into->rel);
			table_created(p, key);
			/* WITH DATA (the default) fills it from its query. */
			pf_plan_table(p, key, true)->filled = !s->into->skip_data;
			free(key);
		}
		break;
	}
	case PG_QUERY__NODE__NODE_CREATE_ENUM_STMT: {
		const PgQuery__CreateEnumStmt *s = n->create_enum_stmt;
		char *key = names_key(p, s->type_name, s->n_type_name);
		struct pf_enum *e = plan_enum(p, key, true);
		strvec_clear(&e->labels);
		for (size_t i = 0; i < s->n_vals; i++)
			if (str_of(s->vals[i]))
				strvec_push(&e->labels, str_of(s->vals[i]));
		free(key);
		break;
	}
	case PG_QUERY__NODE__NODE_ALTER_ENUM_STMT: {
		const PgQuery__AlterEnumStmt *s = n->alter_enum_stmt;
		if (!has_text(s->new_val))
			break;
		char *key = names_key(p, s->type_name, s->n_type_name);
		struct pf_enum *e = enum_known(p, key);
		if (e && has_text(s->old_val)) {
			int at = strvec_find(&e->labels, s->old_val); /* RENAME VALUE */
			if (at >= 0) {
				free(e->labels.items[at]);
				e->labels.items[at] = xstrdup(s->new_val);
			}
		} else if (e && strvec_find(&e->labels, s->new_val) < 0) {
			strvec_push(&e->labels, s->new_val);
		}
		free(key);
		break;
	}
	case PG_QUERY__NODE__NODE_ALTER_TABLE_STMT: on_alter_table(p, n->alter_table_stmt); break;
	case PG_QUERY__NODE__NODE_INDEX_STMT: on_index(p, n->index_stmt); break;
	case PG_QUERY__NODE__NODE_UPDATE_STMT: on_update(p, n->update_stmt); break;
	case PG_QUERY__NODE__NODE_RENAME_STMT: on_rename(p, n->rename_stmt); break;
	case PG_QUERY__NODE__NODE_INSERT_STMT:
	case PG_QUERY__NODE__NODE_DELETE_STMT:
	case PG_QUERY__NODE__NODE_MERGE_STMT:
	case PG_QUERY__NODE__NODE_COPY_STMT: {
		const PgQuery__RangeVar *rv =
		    n->node_case == PG_QUERY__NODE__NODE_INSERT_STMT   ? n->insert_stmt->relation
		    : n->node_case == PG_QUERY__NODE__NODE_DELETE_STMT ? n->delete_stmt->relation
		    : n->node_case == PG_QUERY__NODE__NODE_MERGE_STMT  ? n->merge_stmt->relation
		    : n->copy_stmt->is_from                            ? n->copy_stmt->relation
		                                                       : NULL;
		if (rv) {
			char *key = pf_rv_key(p, rv);
			table_changed(p, key);
			free(key);
		}
		break;
	}
	case PG_QUERY__NODE__NODE_TRUNCATE_STMT: {
		const PgQuery__TruncateStmt *s = n->truncate_stmt;
		for (size_t i = 0; i < s->n_relations; i++) {
			if (s->relations[i]->node_case != PG_QUERY__NODE__NODE_RANGE_VAR)
				continue;
			char *key = pf_rv_key(p, s->relations[i]->range_var);
			table_changed(p, key);
			free(key);
		}
		break;
	}
	default: break;
	}
}

void preflight_generate(struct preflight_plan *p, const char *label, const struct risk_report *rep,
                        struct preflight_list *out)
{
	p->label = label ? label : "";
	p->out = out;
	for (size_t i = 0; i < rep->n_stmts; i++) {
		const struct risk_stmt *st = &rep->stmts[i];
		p->stmt = i;
		p->line = st->line;
		if (st->node) { /* the risk engine's tree: no second parse */
			on_stmt(p, st->node);
			continue;
		}
		struct arena arena;
		arena_init(&arena);
		PgQuery__ParseResult *pr = pbtree_parse(&arena, st->sql, NULL);
		for (size_t k = 0; pr && k < pr->n_stmts; k++)
			if (pr->stmts[k]->stmt)
				on_stmt(p, pr->stmts[k]->stmt);
		arena_release(&arena);
	}
	p->out = NULL;
}
