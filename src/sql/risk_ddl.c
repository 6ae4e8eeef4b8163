/* risk_ddl: statements that create, drop, rename or maintain relations
 * (everything relational except ALTER TABLE, which has its own module). The
 * locks claimed here were measured on PostgreSQL 15: pg_locks of the backend
 * after the statement, inside a rolled-back transaction. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "pgstep/xalloc.h"
#include "risk_int.h"

static bool rel_known_existing(struct risk_ctx *c, const char *rel)
{
	return !risk_rel_is_new(c, rel);
}

/* ---- what uses what (drop-with-dependents) ------------------------------------ */

void risk_dep_add(struct risk_ctx *c, const char *key, const char *dependent, const char *table)
{
	char *e = xasprintf("%s\t%s\t%s", key, dependent, table ? table : "");
	if (strvec_find(&c->deps, e) < 0)
		strvec_push_owned(&c->deps, e);
	else
		free(e);
}

/* "f:name" for a function: calls and drops are matched on the last name
 * (as the parser folded it), as the section's functions are. */
static char *func_key(Node *const *names, size_t n)
{
	return xasprintf("f:%s", risk_names_last(names, n));
}

struct func_refs {
	struct strvec keys;
};

static bool func_visit(const ProtobufCMessage *m, void *arg)
{
	struct func_refs *f = arg;
	if (RISK_IS(m, func_call)) {
		const PgQuery__FuncCall *fc = (const void *)m;
		char *k = func_key(fc->funcname, fc->n_funcname);
		if (strvec_find(&f->keys, k) < 0)
			strvec_push_owned(&f->keys, k);
		else
			free(k);
	}
	return true;
}

/* Functions an expression calls, as dependencies of dependent. */
static void dep_calls(struct risk_ctx *c, const ProtobufCMessage *m, const char *dependent,
                      const char *table)
{
	struct func_refs f;
	strvec_init(&f.keys);
	risk_walk(m, func_visit, &f);
	for (size_t i = 0; i < f.keys.n; i++)
		risk_dep_add(c, f.keys.items[i], dependent, table);
	strvec_clear(&f.keys);
}

void risk_dep_column(struct risk_ctx *c, const char *rel, const PgQuery__ColumnDef *cd)
{
	char *what = xasprintf("the default of %s.%s", rel, cd->colname);
	dep_calls(c, &cd->base, what, rel);
	free(what);
}

/* A dependent that went away earlier in the section no longer counts. */
static bool dep_gone(struct risk_ctx *c, const char *dependent, const char *table)
{
	if (*table) {
		const struct rk_rel *t = risk_rel(c, table, false);
		if (t && t->dropped)
			return true;
	}
	if (strncmp(dependent, "view ", 5) == 0) {
		const struct rk_rel *v = risk_rel(c, dependent + 5, false);
		return v && v->dropped;
	}
	if (strncmp(dependent, "the default of ", 15) == 0) {
		const char *col = strrchr(dependent + 15, '.');
		const struct rk_col *k = col ? risk_col(c, table, col + 1, false) : NULL;
		return k && k->dropped;
	}
	return false;
}

/* The names of what uses key (comma-separated into names); with lock, each
 * is locked ACCESS EXCLUSIVE as CASCADE drops it. */
static size_t dependents_of(struct risk_ctx *c, const char *key, const struct strvec *dropping,
                            bool lock, struct strbuf *names)
{
	size_t n = 0, kl = strlen(key);
	for (size_t i = 0; i < c->deps.n; i++) {
		const char *e = c->deps.items[i];
		if (strncmp(e, key, kl) != 0 || e[kl] != '\t')
			continue;
		char *dependent = xstrdup(e + kl + 1);
		char *table = strchr(dependent, '\t');
		*table++ = '\0';
		bool same_stmt = strncmp(dependent, "view ", 5) == 0 &&
		                 strvec_find(dropping, dependent + 5) >= 0;
		if (!same_stmt && !dep_gone(c, dependent, table)) {
			strbuf_addf(names, "%s%s", n ? ", " : "", dependent);
			n++;
			if (lock && *table)
				risk_lock(c, table, RISK_LOCK_ACCESS_EXCLUSIVE);
			if (lock && strncmp(dependent, "view ", 5) == 0)
				risk_lock(c, dependent + 5, RISK_LOCK_ACCESS_EXCLUSIVE);
		}
		free(dependent);
	}
	return n;
}

/* The type name without schema, modifiers or array brackets. */
static const char *type_last(const char *t, char *buf, size_t size)
{
	const char *dot = strrchr(t, '.');
	snprintf(buf, size, "%s", dot ? dot + 1 : t);
	buf[strcspn(buf, "([")] = '\0';
	return buf;
}

/* Columns of the section's tables whose type is the dropped one. */
static size_t type_columns(struct risk_ctx *c, const char *type, bool lock, size_t n,
                           struct strbuf *names)
{
	char want[128], got[128];
	type_last(type, want, sizeof want);
	for (size_t i = 0; i < c->n_cols; i++) {
		const struct rk_col *k = &c->cols[i];
		if (!k->type || k->dropped ||
		    strcmp(type_last(k->type, got, sizeof got), want) != 0)
			continue;
		const struct rk_rel *r = risk_rel(c, k->rel, false);
		if (r && r->dropped)
			continue;
		strbuf_addf(names, "%scolumn %s.%s", n ? ", " : "", k->rel, k->name);
		n++;
		if (lock)
			risk_lock(c, k->rel, RISK_LOCK_ACCESS_EXCLUSIVE);
	}
	return n;
}

/* ---- partitions ------------------------------------------------------------------ */

static struct rk_rel *default_partition(struct risk_ctx *c, const char *parent)
{
	for (size_t i = 0; i < c->n_rels; i++) {
		struct rk_rel *r = &c->rels[i];
		if (r->default_part && !r->dropped && r->table && strcmp(r->table, parent) == 0)
			return r;
	}
	return NULL;
}

void risk_partition_added(struct risk_ctx *c, const char *parent, const char *part, bool is_default,
                          int location)
{
	if (is_default) {
		risk_rel(c, part, true)->default_part = true;
		return;
	}
	struct rk_rel *d = default_partition(c, parent);
	if (!d || strcmp(d->name, part) == 0)
		return;
	char *def = xstrdup(d->name);
	/* No row of the default partition may belong in the new one. */
	risk_lock(c, def, RISK_LOCK_ACCESS_EXCLUSIVE);
	/* A validated CHECK on the default partition that excludes the bound
	 * spares the scan; as for ATTACH, any validated CHECK is taken for one. */
	bool proven = false;
	for (size_t i = 0; i < c->n_cons && !proven; i++)
		proven = c->cons[i].contype == PG_QUERY__CONSTR_TYPE__CONSTR_CHECK &&
		         c->cons[i].validated && !c->cons[i].dropped &&
		         strcmp(c->cons[i].rel, def) == 0;
	if (!proven && !risk_rel_is_new(c, def)) {
		risk_effect(c, RISK_FX_SCAN | RISK_FX_CAN_FAIL);
		risk_find(
		    c, RULE_DEFAULT_PARTITION_SCAN, def, location,
		    "the new partition %s of %s makes PostgreSQL scan the default partition %s "
		    "under an ACCESS EXCLUSIVE lock for rows that belong in it",
		    part, parent, def);
		risk_slow(c, def);
	}
	free(def);
}

void risk_partition_detach(struct risk_ctx *c, const char *parent, bool concurrent, int location)
{
	struct rk_rel *d = default_partition(c, parent);
	if (!d)
		return;
	char *def = xstrdup(d->name);
	if (concurrent) {
		risk_effect(c, RISK_FX_CAN_FAIL);
		risk_find(c, RULE_DETACH_CONCURRENTLY_DEFAULT_PARTITION, parent, location,
		          "DETACH ... CONCURRENTLY fails (SQLSTATE 55000): %s has the default "
		          "partition %s",
		          parent, def);
	} else {
		risk_lock(c, def, RISK_LOCK_ACCESS_EXCLUSIVE);
	}
	free(def);
}

/* ---- ALTER COLUMN TYPE: what uses the column ------------------------------------- */

/* Whether an index on old keeps its file when the column becomes new: the
 * operator class must stay the same (text_ops serves varchar and text,
 * inet_ops cidr and inet, numeric_ops every numeric). */
static bool same_opclass(const char *old, const char *new)
{
	char o[128], n[128];
	type_last(old, o, sizeof o);
	type_last(new, n, sizeof n);
	static const char *const text_like[] = {"text", "varchar", "character varying"};
	static const char *const inet_like[] = {"inet", "cidr"};
	bool ot = false, nt = false, oi = false, ni = false;
	for (size_t i = 0; i < 3; i++) {
		ot |= strcmp(o, text_like[i]) == 0;
		nt |= strcmp(n, text_like[i]) == 0;
	}
	for (size_t i = 0; i < 2; i++) {
		oi |= strcmp(o, inet_like[i]) == 0;
		ni |= strcmp(n, inet_like[i]) == 0;
	}
	return strcmp(o, n) == 0 || (ot && nt) || (oi && ni);
}

void risk_alter_type_dependents(struct risk_at *a, const PgQuery__AlterTableCmd *cmd,
                                const char *old, const char *new)
{
	struct risk_ctx *c = a->c;
	char *key = xasprintf("%s.%s", a->rel, cmd->name);
	struct strbuf views, indexes;
	strbuf_init(&views);
	strbuf_init(&indexes);
	size_t nv = 0, ni = 0;
	for (size_t i = 0; i < c->n_rels; i++) {
		const struct rk_rel *r = &c->rels[i];
		if (r->dropped)
			continue;
		if ((r->kind == 'v' || r->kind == 'm') && strvec_find(&r->cols, key) >= 0)
			strbuf_addf(&views, "%s%s", nv++ ? ", " : "", r->name);
		else if (r->kind == 'i' && r->table && strcmp(r->table, a->rel) == 0 &&
		         strvec_find(&r->cols, cmd->name) >= 0)
			strbuf_addf(&indexes, "%s%s", ni++ ? ", " : "", r->name);
	}
	for (size_t i = 0; i < c->n_cons; i++) {
		const struct rk_con *k = &c->cons[i];
		if (!k->dropped && strcmp(k->rel, a->rel) == 0 &&
		    strvec_find(&k->cols, cmd->name) >= 0 &&
		    (k->contype == PG_QUERY__CONSTR_TYPE__CONSTR_PRIMARY ||
		     k->contype == PG_QUERY__CONSTR_TYPE__CONSTR_UNIQUE ||
		     k->contype == PG_QUERY__CONSTR_TYPE__CONSTR_EXCLUSION))
			strbuf_addf(&indexes, "%sthe index of %s", ni++ ? ", " : "", k->name);
	}
	if (nv) {
		risk_effect(c, RISK_FX_CAN_FAIL);
		risk_find(c, RULE_ALTER_TYPE_COLUMN_USED_BY_VIEW, a->rel, a->location,
		          "changing the type of %s fails (SQLSTATE 0A000): %s %s it; drop %s "
		          "first and create %s again after",
		          key, views.buf, nv == 1 ? "uses" : "use", nv == 1 ? "the view" : "them",
		          nv == 1 ? "it" : "them");
	}
	struct risk_col_facts f;
	if (!ni && !a->is_new && risk_facts_col(c, a->rel, cmd->name, &f) && f.leading_index)
		strbuf_addf(&indexes, "%sits index%s", ni++ ? ", " : "", "");
	const PgQuery__ColumnDef *cd =
	    cmd->def && cmd->def->node_case == PG_QUERY__NODE__NODE_COLUMN_DEF
	        ? cmd->def->column_def
	        : NULL;
	bool collate = cd && cd->coll_clause;
	/* A rewrite rebuilds every index anyway: alter-column-type-rewrite says so. */
	if (ni && !a->is_new && old && !(c->st->effects & RISK_FX_REWRITE) &&
	    (collate || !same_opclass(old, new))) {
		risk_effect(c, RISK_FX_SCAN);
		risk_find(
		    c, RULE_ALTER_TYPE_INDEX_REBUILD, a->rel, a->location,
		    "changing %s from %s to %s%s keeps the table's file but rebuilds %s under "
		    "an ACCESS EXCLUSIVE lock on %s",
		    key, old, new, collate ? " with a new collation" : "", indexes.buf, a->rel);
		risk_slow(c, a->rel);
	}
	strbuf_release(&views);
	strbuf_release(&indexes);
	free(key);
}

/* ---- objects every tenant shares ----------------------------------------------------- */

/* CREATE/ALTER PUBLICATION ... FOR TABLE locks each table SHARE UPDATE
 * EXCLUSIVE (measured on 15). */
static bool publication_visit(const ProtobufCMessage *m, void *arg)
{
	struct risk_ctx *c = arg;
	if (!RISK_IS(m, range_var))
		return true;
	char *rel = risk_rv_name(c, (const PgQuery__RangeVar *)m);
	risk_lock(c, rel, RISK_LOCK_SHARE_UPDATE_EXCLUSIVE);
	risk_say(c, "publishes the changes of %s", rel);
	free(rel);
	return false;
}

void risk_check_shared(struct risk_ctx *c, const Node *n)
{
	const char *what = NULL, *name = NULL;
	bool cluster = true; /* else the database */
	switch (n->node_case) {
	case PG_QUERY__NODE__NODE_CREATE_ROLE_STMT:
		what = "CREATE ROLE";
		name = n->create_role_stmt->role;
		break;
	case PG_QUERY__NODE__NODE_ALTER_ROLE_STMT:
	case PG_QUERY__NODE__NODE_ALTER_ROLE_SET_STMT: what = "ALTER ROLE"; break;
	case PG_QUERY__NODE__NODE_DROP_ROLE_STMT: what = "DROP ROLE"; break;
	case PG_QUERY__NODE__NODE_CREATEDB_STMT:
		what = "CREATE DATABASE";
		name = n->createdb_stmt->dbname;
		break;
	case PG_QUERY__NODE__NODE_ALTER_DATABASE_STMT:
	case PG_QUERY__NODE__NODE_ALTER_DATABASE_SET_STMT: what = "ALTER DATABASE"; break;
	case PG_QUERY__NODE__NODE_CREATE_TABLE_SPACE_STMT:
		what = "CREATE TABLESPACE";
		name = n->create_table_space_stmt->tablespacename;
		break;
	case PG_QUERY__NODE__NODE_CREATE_EVENT_TRIG_STMT:
		what = "CREATE EVENT TRIGGER";
		name = n->create_event_trig_stmt->trigname;
		cluster = false;
		break;
	case PG_QUERY__NODE__NODE_ALTER_EVENT_TRIG_STMT:
		what = "ALTER EVENT TRIGGER";
		cluster = false;
		break;
	case PG_QUERY__NODE__NODE_CREATE_PUBLICATION_STMT:
		what = "CREATE PUBLICATION";
		name = n->create_publication_stmt->pubname;
		cluster = false;
		risk_walk(&n->create_publication_stmt->base, publication_visit, c);
		break;
	case PG_QUERY__NODE__NODE_ALTER_PUBLICATION_STMT:
		what = "ALTER PUBLICATION";
		cluster = false;
		break;
	case PG_QUERY__NODE__NODE_CREATE_SUBSCRIPTION_STMT:
		what = "CREATE SUBSCRIPTION";
		name = n->create_subscription_stmt->subname;
		cluster = false;
		break;
	default: return;
	}
	risk_effect(c, RISK_FX_CAN_FAIL);
	risk_find(c, RULE_CLUSTER_WIDE_STATEMENT, NULL, -1,
	          "%s%s%s acts on an object %s shares: it runs once per tenant, and the "
	          "second tenant %s fails on it or changes what the first one set",
	          what, name && *name ? " " : "", name ? name : "",
	          cluster ? "the whole cluster" : "the whole database",
	          cluster ? "in the same cluster" : "in the same database");
}

/* ---- CREATE ------------------------------------------------------------------- */

/* Whether CREATE ... IF NOT EXISTS meets an existing relation: 1 yes, 0 no,
 * -1 unknown. The set decides first (created, or dropped, earlier in this
 * section or plan), then the catalogue. */
static int exists_already(struct risk_ctx *c, const char *rel)
{
	const struct rk_rel *r = risk_rel(c, rel, false);
	if (r && (r->created || r->dropped))
		return !r->dropped;
	struct risk_rel_facts f;
	if (risk_facts_rel(c, rel, &f))
		return f.exists;
	return -1;
}

void risk_h_create_table(struct risk_ctx *c, const Node *n)
{
	const PgQuery__CreateStmt *s = n->create_stmt;
	char *rel = risk_rv_name(c, s->relation);
	int exists = s->if_not_exists ? exists_already(c, rel) : 0;
	if (exists == 1) {
		/* PostgreSQL only notices it: no lock on what it would reference. */
		risk_say(c, "does nothing: %s exists already", rel);
		free(rel);
		return;
	}
	char *parent = NULL;
	if (s->n_inh_relations && s->inh_relations[0]->node_case == PG_QUERY__NODE__NODE_RANGE_VAR)
		parent = risk_rv_name(c, s->inh_relations[0]->range_var);

	if (s->partbound && parent) {
		risk_kind(c, "create partition");
		risk_lock(c, parent, RISK_LOCK_ACCESS_EXCLUSIVE);
		risk_say(c, "creates %s as a new partition of %s", rel, parent);
		if (rel_known_existing(c, parent))
			risk_find(c, RULE_CREATE_PARTITION_LOCKS_PARENT, parent,
			          s->relation->location,
			          "CREATE TABLE %s PARTITION OF %s locks %s ACCESS EXCLUSIVE: all "
			          "traffic on "
			          "the partitioned table queues",
			          rel, parent, parent);
	} else {
		risk_say(c, "creates table %s", rel);
		/* INHERITS reads the parents' definitions (measured). */
		for (size_t i = 0; i < s->n_inh_relations; i++) {
			if (s->inh_relations[i]->node_case != PG_QUERY__NODE__NODE_RANGE_VAR)
				continue;
			char *p = risk_rv_name(c, s->inh_relations[i]->range_var);
			risk_lock(c, p, RISK_LOCK_SHARE_UPDATE_EXCLUSIVE);
			free(p);
		}
	}
	/* IF NOT EXISTS may meet an existing table, full of rows: not new,
	 * unless the set or the catalogue says it does not exist. */
	if (exists == -1)
		risk_rel(c, rel, true)->kind = s->partspec ? 'p' : 'r';
	else
		risk_rel_created(c, rel, s->partspec ? 'p' : 'r');
	struct rk_rel *r = risk_rel(c, rel, true);
	if (parent && s->partbound) {
		free(r->table);
		r->table = xstrdup(parent);
		risk_partition_added(c, parent, rel, s->partbound->is_default,
		                     s->relation->location);
	}
	for (size_t i = 0; i < s->n_table_elts; i++) {
		const Node *e = s->table_elts[i];
		if (e->node_case == PG_QUERY__NODE__NODE_COLUMN_DEF) {
			risk_new_table_column(c, rel, e->column_def);
		} else if (e->node_case == PG_QUERY__NODE__NODE_CONSTRAINT) {
			risk_new_table_constraint(c, rel, e->constraint);
		} else if (e->node_case == PG_QUERY__NODE__NODE_TABLE_LIKE_CLAUSE &&
		           e->table_like_clause->relation) {
			char *src = risk_rv_name(c, e->table_like_clause->relation);
			risk_lock(c, src, RISK_LOCK_ACCESS_SHARE);
			risk_say(c, "copies the definition of %s", src);
			free(src);
		}
	}
	free(parent);
	free(rel);
}

void risk_h_create_table_as(struct risk_ctx *c, const Node *n)
{
	const PgQuery__CreateTableAsStmt *s = n->create_table_as_stmt;
	bool mv = s->objtype == PG_QUERY__OBJECT_TYPE__OBJECT_MATVIEW;
	char *rel = risk_rv_name(c, s->into ? s->into->rel : NULL);
	risk_kind(c, mv ? "create materialized view" : "create table as");
	risk_say(c, "creates %s %s from a query", mv ? "materialized view" : "table", rel);
	if (s->query) {
		size_t before = c->st->n_locks;
		risk_query_reads(c, &s->query->base);
		for (size_t i = before; i < c->st->n_locks; i++)
			if (!c->st->locks[i].new_relation)
				risk_slow(c, c->st->locks[i].relation);
	}
	if (s->if_not_exists)
		risk_rel(c, rel, true)->kind = mv ? 'm' : 'r';
	else
		risk_rel_created(c, rel, mv ? 'm' : 'r');
	free(rel);
}

struct view_deps {
	struct risk_ctx *c;
	struct strvec rels;
	struct strvec aliases; /* alias or relname -> rels index, parallel */
	struct strvec cols;    /* "qualifier\tcol" */
};

static bool view_visit(const ProtobufCMessage *m, void *arg)
{
	struct view_deps *v = arg;
	if (RISK_IS(m, range_var)) {
		const PgQuery__RangeVar *rv = (const void *)m;
		char *name = risk_rv_name(v->c, rv);
		strvec_push(&v->rels, name);
		strvec_push(&v->aliases, rv->alias && *rv->alias->aliasname ? rv->alias->aliasname
		                                                            : rv->relname);
		free(name);
		return false;
	}
	if (RISK_IS(m, column_ref)) {
		const PgQuery__ColumnRef *r = (const void *)m;
		const char *col = risk_names_last(r->fields, r->n_fields);
		const char *qual =
		    r->n_fields >= 2 ? risk_node_str(r->fields[r->n_fields - 2]) : NULL;
		if (*col)
			strvec_push_owned(&v->cols, xasprintf("%s\t%s", qual ? qual : "", col));
		return false;
	}
	return true;
}

void risk_h_view(struct risk_ctx *c, const Node *n)
{
	const PgQuery__ViewStmt *s = n->view_stmt;
	char *view = risk_rv_name(c, s->view);
	risk_say(c, "%s view %s", s->replace ? "creates or replaces" : "creates", view);
	/* claims: replacing an existing view locks it ACCESS EXCLUSIVE. */
	if (s->replace && !risk_rel_is_new(c, view))
		risk_lock(c, view, RISK_LOCK_ACCESS_EXCLUSIVE);
	if (s->query)
		risk_query_reads(c, &s->query->base);
	risk_rel_created(c, view, 'v');
	/* Which columns the view uses: dependents for drop-column rules. */
	struct view_deps v = {.c = c};
	strvec_init(&v.rels);
	strvec_init(&v.aliases);
	strvec_init(&v.cols);
	if (s->query)
		risk_walk(&s->query->base, view_visit, &v);
	struct rk_rel *r = risk_rel(c, view, true);
	char *what = xasprintf("view %s", view);
	for (size_t i = 0; i < v.rels.n; i++) {
		char *k = xasprintf("r:%s", v.rels.items[i]);
		risk_dep_add(c, k, what, NULL);
		free(k);
	}
	if (s->query)
		dep_calls(c, &s->query->base, what, NULL);
	free(what);
	r = risk_rel(c, view, true);
	for (size_t i = 0; i < v.cols.n; i++) {
		const char *tab = strchr(v.cols.items[i], '\t');
		size_t ql = (size_t)(tab - v.cols.items[i]);
		for (size_t j = 0; j < v.rels.n; j++) {
			if (ql && (strlen(v.aliases.items[j]) != ql ||
			           strncmp(v.aliases.items[j], v.cols.items[i], ql) != 0))
				continue;
			char *key = xasprintf("%s.%s", v.rels.items[j], tab + 1);
			if (strvec_find(&r->cols, key) < 0)
				strvec_push_owned(&r->cols, key);
			else
				free(key);
		}
	}
	strvec_clear(&v.rels);
	strvec_clear(&v.aliases);
	strvec_clear(&v.cols);
	/* A view under a table's old name keeps old code working. */
	for (size_t i = 0; i < c->n_pending; i++)
		if (c->pending[i].rule == RULE_RENAME_TABLE &&
		    strcmp(c->pending[i].name, view) == 0)
			c->pending[i].done = true;
	free(view);
}

static char *index_name(struct risk_ctx *c, const PgQuery__IndexStmt *s, const char *table)
{
	if (*s->idxname) {
		const char *schema =
		    s->relation && *s->relation->schemaname ? s->relation->schemaname : c->schema;
		return xasprintf("%s.%s", schema, s->idxname);
	}
	struct strbuf sb;
	strbuf_init(&sb);
	strbuf_adds(&sb, table);
	for (size_t i = 0; i < s->n_index_params; i++) {
		const Node *p = s->index_params[i];
		if (p->node_case == PG_QUERY__NODE__NODE_INDEX_ELEM && *p->index_elem->name)
			strbuf_addf(&sb, "_%s", p->index_elem->name);
	}
	strbuf_adds(&sb, s->unique ? "_key" : "_idx");
	return strbuf_detach(&sb);
}

void risk_h_index(struct risk_ctx *c, const Node *n)
{
	const PgQuery__IndexStmt *s = n->index_stmt;
	char *table = risk_rv_name(c, s->relation);
	char *idx = index_name(c, s, table);
	bool only = s->relation && !s->relation->inh;
	enum risk_lock m = s->concurrent ? RISK_LOCK_SHARE_UPDATE_EXCLUSIVE : RISK_LOCK_SHARE;
	risk_kind(c, s->concurrent ? "create index concurrently" : "create index");
	risk_lock(c, table, m);
	/* The index is built on every partition the section knows of, even
	 * when the partitioned table itself is not the section's. */
	if (!only)
		risk_lock_partitions(c, table, m);
	bool existing = rel_known_existing(c, table);
	risk_say(c, "builds %sindex %s on %s%s", s->unique ? "unique " : "", idx, table,
	         s->concurrent ? " without blocking writes"
	         : only        ? " (parent only: builds nothing)"
	                       : "");
	if (existing && !only)
		risk_effect(c, RISK_FX_SCAN);
	if (existing && !s->concurrent && !only) {
		risk_find(c, RULE_CREATE_INDEX_NON_CONCURRENT, table, s->relation->location,
		          "CREATE INDEX on %s blocks every INSERT, UPDATE and DELETE on it until "
		          "the index "
		          "is built; use CREATE INDEX CONCURRENTLY",
		          table);
		risk_slow(c, table);
	}
	if (existing && s->unique && !only)
		risk_find(c, RULE_UNIQUE_MAY_FAIL_ON_DUPLICATES, table, s->relation->location,
		          "unique index %s fails if %s holds duplicate keys%s", idx, table,
		          s->concurrent ? ", and leaves an INVALID index behind" : "");
	if (s->concurrent && c->opt->server_version_num >= 140000 &&
	    c->opt->server_version_num < 140004)
		risk_find(c, RULE_CIC_PG14_CORRUPTION, table, -1,
		          "the server is PostgreSQL 14.0-14.3, where CREATE INDEX CONCURRENTLY can "
		          "corrupt "
		          "%s",
		          idx);
	struct rk_rel *ix = risk_rel(c, idx, true);
	ix->kind = 'i';
	ix->created = !s->if_not_exists;
	ix->dropped = false;
	ix->unique = s->unique;
	free(ix->table);
	ix->table = xstrdup(table);
	strvec_clear(&ix->cols);
	for (size_t i = 0; i < s->n_index_params; i++) {
		const Node *p = s->index_params[i];
		if (p->node_case == PG_QUERY__NODE__NODE_INDEX_ELEM && *p->index_elem->name)
			strvec_push(&ix->cols, p->index_elem->name);
	}
	free(idx);
	free(table);
}

void risk_h_create_seq(struct risk_ctx *c, const Node *n)
{
	char *seq = risk_rv_name(c, n->create_seq_stmt->sequence);
	risk_say(c, "creates sequence %s", seq);
	if (n->create_seq_stmt->if_not_exists)
		risk_rel(c, seq, true)->kind = 'S';
	else
		risk_rel_created(c, seq, 'S');
	free(seq);
}

void risk_h_create_schema(struct risk_ctx *c, const Node *n)
{
	const PgQuery__CreateSchemaStmt *s = n->create_schema_stmt;
	char *key = xasprintf("schema %s", s->schemaname);
	risk_say(c, "creates schema %s", s->schemaname);
	struct rk_rel *r = risk_rel(c, key, true);
	r->created = !s->if_not_exists;
	r->kind = 'n';
	free(key);
	/* Its elements are created in it, and their names resolve in it first
	 * (claims: CREATE SCHEMA ... CREATE TABLE). */
	const char *outer = c->schema;
	const char *in = *s->schemaname                         ? s->schemaname
	                 : s->authrole && s->authrole->rolename ? s->authrole->rolename
	                                                        : NULL;
	if (in)
		c->schema = in;
	for (size_t i = 0; i < s->n_schema_elts; i++)
		risk_dispatch(c, s->schema_elts[i]);
	c->schema = outer;
	risk_kind(c, "create schema");
}

void risk_h_create_trigger(struct risk_ctx *c, const Node *n)
{
	const PgQuery__CreateTrigStmt *s = n->create_trig_stmt;
	char *rel = risk_rv_name(c, s->relation);
	risk_lock(c, rel, RISK_LOCK_SHARE_ROW_EXCLUSIVE);
	risk_say(c, "creates trigger %s on %s", s->trigname, rel);
	char *fk = func_key(s->funcname, s->n_funcname);
	char *what = xasprintf("trigger %s on %s", s->trigname, rel);
	risk_dep_add(c, fk, what, rel);
	free(what);
	free(fk);
	if (rel_known_existing(c, rel))
		risk_find(
		    c, RULE_CREATE_TRIGGER_BLOCKS_WRITES, rel, s->relation->location,
		    "CREATE TRIGGER locks %s SHARE ROW EXCLUSIVE: writes wait while it is created",
		    rel);
	free(rel);
}

void risk_h_create_policy(struct risk_ctx *c, const Node *n)
{
	const PgQuery__CreatePolicyStmt *s = n->create_policy_stmt;
	char *rel = risk_rv_name(c, s->table);
	risk_lock(c, rel, RISK_LOCK_ACCESS_EXCLUSIVE);
	risk_rel(c, rel, true)->has_policy = true;
	risk_say(c, "creates row level security policy %s on %s", s->policy_name, rel);
	free(rel);
}

void risk_h_alter_policy(struct risk_ctx *c, const Node *n)
{
	char *rel = risk_rv_name(c, n->alter_policy_stmt->table);
	risk_lock(c, rel, RISK_LOCK_ACCESS_EXCLUSIVE);
	risk_say(c, "changes policy %s on %s", n->alter_policy_stmt->policy_name, rel);
	free(rel);
}

void risk_h_rule(struct risk_ctx *c, const Node *n)
{
	char *rel = risk_rv_name(c, n->rule_stmt->relation);
	risk_lock(c, rel, RISK_LOCK_ACCESS_EXCLUSIVE);
	risk_say(c, "creates rule %s on %s", n->rule_stmt->rulename, rel);
	free(rel);
}

void risk_h_create_stats(struct risk_ctx *c, const Node *n)
{
	const PgQuery__CreateStatsStmt *s = n->create_stats_stmt;
	for (size_t i = 0; i < s->n_relations; i++) {
		if (s->relations[i]->node_case != PG_QUERY__NODE__NODE_RANGE_VAR)
			continue;
		char *rel = risk_rv_name(c, s->relations[i]->range_var);
		risk_lock(c, rel, RISK_LOCK_SHARE_UPDATE_EXCLUSIVE);
		risk_say(c, "creates extended statistics on %s", rel);
		free(rel);
	}
}

/* ---- DROP --------------------------------------------------------------------- */

/* "schema.name" from a DropStmt object (a List of Strings). */
static char *object_name(struct risk_ctx *c, const Node *o)
{
	if (o->node_case == PG_QUERY__NODE__NODE_LIST)
		return risk_names_join(c, o->list->items, o->list->n_items);
	if (o->node_case == PG_QUERY__NODE__NODE_TYPE_NAME)
		return risk_type_qualified(c, o->type_name);
	if (o->node_case == PG_QUERY__NODE__NODE_STRING)
		return xstrdup(o->string->sval);
	if (o->node_case == PG_QUERY__NODE__NODE_OBJECT_WITH_ARGS)
		return risk_names_join(c, o->object_with_args->objname,
		                       o->object_with_args->n_objname);
	return xstrdup("?");
}

/* DROP TRIGGER/POLICY/RULE name ON table: the table is all but the last
 * name of the list. */
static char *object_table(struct risk_ctx *c, const Node *o)
{
	if (o->node_case != PG_QUERY__NODE__NODE_LIST || o->list->n_items < 2)
		return NULL;
	return risk_names_join(c, o->list->items, o->list->n_items - 1);
}

static const char *drop_kind(PgQuery__ObjectType t, bool concurrent)
{
	switch (t) {
	case PG_QUERY__OBJECT_TYPE__OBJECT_TABLE: return "drop table";
	case PG_QUERY__OBJECT_TYPE__OBJECT_INDEX:
		return concurrent ? "drop index concurrently" : "drop index";
	case PG_QUERY__OBJECT_TYPE__OBJECT_VIEW: return "drop view";
	case PG_QUERY__OBJECT_TYPE__OBJECT_MATVIEW: return "drop materialized view";
	case PG_QUERY__OBJECT_TYPE__OBJECT_SEQUENCE: return "drop sequence";
	case PG_QUERY__OBJECT_TYPE__OBJECT_SCHEMA: return "drop schema";
	case PG_QUERY__OBJECT_TYPE__OBJECT_TYPE: return "drop type";
	case PG_QUERY__OBJECT_TYPE__OBJECT_DOMAIN: return "drop domain";
	case PG_QUERY__OBJECT_TYPE__OBJECT_FUNCTION: return "drop function";
	case PG_QUERY__OBJECT_TYPE__OBJECT_PROCEDURE: return "drop procedure";
	case PG_QUERY__OBJECT_TYPE__OBJECT_TRIGGER: return "drop trigger";
	case PG_QUERY__OBJECT_TYPE__OBJECT_POLICY: return "drop policy";
	case PG_QUERY__OBJECT_TYPE__OBJECT_RULE: return "drop rule";
	case PG_QUERY__OBJECT_TYPE__OBJECT_EXTENSION: return "drop extension";
	default: return "drop";
	}
}

/* The object word of a DROP ("table", "policy", ...). */
static const char *drop_object(PgQuery__ObjectType t)
{
	const char *k = drop_kind(t, false);
	return strncmp(k, "drop ", 5) == 0 ? k + 5 : "object";
}

/* claims: the foreign keys that reference a dropped table go with it (with
 * CASCADE; without, the DROP fails): each referencing table is locked ACCESS
 * EXCLUSIVE to drop its constraint, and no longer references it. */
static void drop_referencing_keys(struct risk_ctx *c, const char *name, bool cascade)
{
	for (size_t i = 0; i < c->n_rels; i++) {
		int at = strvec_find(&c->rels[i].refs, name);
		if (at < 0 || c->rels[i].dropped || strcmp(c->rels[i].name, name) == 0)
			continue;
		char *referencing = xstrdup(c->rels[i].name);
		free(c->rels[i].refs.items[at]);
		memmove(&c->rels[i].refs.items[at], &c->rels[i].refs.items[at + 1],
		        (c->rels[i].refs.n - (size_t)at - 1) * sizeof *c->rels[i].refs.items);
		c->rels[i].refs.n--;
		if (cascade)
			risk_lock(c, referencing, RISK_LOCK_ACCESS_EXCLUSIVE);
		free(referencing);
	}
	for (size_t i = 0; i < c->n_cons; i++)
		if (c->cons[i].ref_rel && strcmp(c->cons[i].ref_rel, name) == 0)
			c->cons[i].dropped = true;
}

static void drop_relation(struct risk_ctx *c, const PgQuery__DropStmt *s, const char *name)
{
	bool existing = rel_known_existing(c, name);
	risk_lock(c, name, RISK_LOCK_ACCESS_EXCLUSIVE);
	risk_lock_partitions(c, name, RISK_LOCK_ACCESS_EXCLUSIVE);
	struct rk_rel *r = risk_rel(c, name, true);
	if (s->remove_type == PG_QUERY__OBJECT_TYPE__OBJECT_TABLE) {
		/* PostgreSQL also locks every table the dropped one references. */
		for (size_t i = 0; i < r->refs.n; i++)
			risk_lock(c, r->refs.items[i], RISK_LOCK_ACCESS_EXCLUSIVE);
		drop_referencing_keys(c, name,
		                      s->behavior == PG_QUERY__DROP_BEHAVIOR__DROP_CASCADE);
		r = risk_rel(c, name, true); /* risk_lock may move c->rels */
		risk_say(c, "drops table %s and its data", name);
		if (c->opt->up && strvec_find(&c->opt->up->created_relations, name) >= 0) {
			size_t before = c->st->n_findings;
			risk_find(c, RULE_DOWN_LOSES_DATA, name, -1,
			          "rolling back drops %s, which the up migration created: data "
			          "written since "
			          "is lost",
			          name);
			/* The down of a CREATE TABLE is what a down is for: a fact to
			 * know, not a warning on every such migration (issue 11). */
			if (c->st->n_findings > before)
				c->st->findings[before].severity = RISK_INFO;
		} else if (existing)
			risk_find(
			    c, RULE_DROP_TABLE, name, -1,
			    "dropping %s deletes it and its data, and code that uses it fails",
			    name);
	} else {
		risk_say(c, "drops %s", name);
	}
	r->dropped = true;
	/* Its indexes and partitions go with it. */
	for (size_t i = 0; i < c->n_rels; i++)
		if (c->rels[i].table && strcmp(c->rels[i].table, name) == 0)
			c->rels[i].dropped = true;
}

static void drop_index(struct risk_ctx *c, const PgQuery__DropStmt *s, const char *name)
{
	const struct rk_rel *ix = risk_rel(c, name, false);
	char *table = ix && ix->table ? xstrdup(ix->table) : NULL;
	const struct risk_catalog *cat = c->opt->catalog;
	if (!table && cat && cat->index_table)
		cat->index_table(cat->ctx, name, &table);
	/* claims: the index of a constraint the section added is the
	 * constraint's table's. The server locks the table, then refuses
	 * (2BP01, even with CASCADE): the constraint must be dropped instead. */
	const char *dot = strrchr(name, '.');
	const struct rk_con *backs = NULL;
	for (size_t i = 0; !table && dot && i < c->n_cons; i++) {
		struct rk_con *k = &c->cons[i];
		const char *kdot = strrchr(k->rel, '.');
		if (!k->dropped && kdot && strcmp(k->name, dot + 1) == 0 &&
		    kdot - k->rel == dot - name &&
		    strncmp(k->rel, name, (size_t)(dot - name)) == 0 &&
		    (k->contype == PG_QUERY__CONSTR_TYPE__CONSTR_PRIMARY ||
		     k->contype == PG_QUERY__CONSTR_TYPE__CONSTR_UNIQUE ||
		     k->contype == PG_QUERY__CONSTR_TYPE__CONSTR_EXCLUSION)) {
			table = xstrdup(k->rel);
			backs = k;
		}
	}
	enum risk_lock m =
	    s->concurrent ? RISK_LOCK_SHARE_UPDATE_EXCLUSIVE : RISK_LOCK_ACCESS_EXCLUSIVE;
	risk_lock(c, name, RISK_LOCK_ACCESS_EXCLUSIVE);
	if (table)
		risk_lock(c, table, m);
	risk_say(c, "drops index %s%s", name, s->concurrent ? " without blocking queries" : "");
	if (backs) {
		risk_say(c, "which fails: constraint %s of %s requires it (drop the constraint)",
		         backs->name, table);
		risk_effect(c, RISK_FX_CAN_FAIL);
	}
	bool is_new = (ix && ix->created && !ix->dropped) || (table && risk_rel_is_new(c, table));
	if (!s->concurrent && !is_new)
		risk_find(
		    c, RULE_DROP_INDEX_NON_CONCURRENT, table ? table : name, -1,
		    "DROP INDEX %s locks %s ACCESS EXCLUSIVE: every query on it queues while it "
		    "waits; use DROP INDEX CONCURRENTLY",
		    name, table ? table : "its table");
	struct rk_rel *r = risk_rel(c, name, true);
	r->dropped = true;
	free(table);
}

/* Foreign keys of other tables that reference the dropped table. */
static size_t referencing_keys(struct risk_ctx *c, const char *rel, const struct strvec *dropping,
                               bool lock, size_t n, struct strbuf *names)
{
	for (size_t i = 0; i < c->n_cons; i++) {
		const struct rk_con *k = &c->cons[i];
		if (k->dropped || !k->ref_rel || strcmp(k->ref_rel, rel) != 0 ||
		    strcmp(k->rel, rel) == 0 || strvec_find(dropping, k->rel) >= 0)
			continue;
		const struct rk_rel *r = risk_rel(c, k->rel, false);
		if (r && r->dropped)
			continue;
		strbuf_addf(names, "%sforeign key %s of %s", n ? ", " : "", k->name, k->rel);
		n++;
		if (lock)
			risk_lock(c, k->rel, RISK_LOCK_ACCESS_EXCLUSIVE);
	}
	return n;
}

static void drop_object_dependents(struct risk_ctx *c, const PgQuery__DropStmt *s, const Node *o,
                                   const char *name, const struct strvec *dropping)
{
	bool cascade = s->behavior == PG_QUERY__DROP_BEHAVIOR__DROP_CASCADE;
	char *key = NULL;
	switch (s->remove_type) {
	case PG_QUERY__OBJECT_TYPE__OBJECT_TABLE:
	case PG_QUERY__OBJECT_TYPE__OBJECT_VIEW:
	case PG_QUERY__OBJECT_TYPE__OBJECT_MATVIEW:
	case PG_QUERY__OBJECT_TYPE__OBJECT_FOREIGN_TABLE: key = xasprintf("r:%s", name); break;
	case PG_QUERY__OBJECT_TYPE__OBJECT_TYPE:
	case PG_QUERY__OBJECT_TYPE__OBJECT_DOMAIN: key = xasprintf("t:%s", name); break;
	case PG_QUERY__OBJECT_TYPE__OBJECT_FUNCTION:
	case PG_QUERY__OBJECT_TYPE__OBJECT_PROCEDURE:
		if (o->node_case == PG_QUERY__NODE__NODE_OBJECT_WITH_ARGS)
			key =
			    func_key(o->object_with_args->objname, o->object_with_args->n_objname);
		break;
	case PG_QUERY__OBJECT_TYPE__OBJECT_TRIGGER: {
		/* Its function is free to go afterwards. */
		char *table = object_table(c, o);
		if (table) {
			char *want =
			    xasprintf("\ttrigger %s on %s\t",
			              risk_names_last(o->list->items, o->list->n_items), table);
			for (size_t i = 0; i < c->deps.n;)
				if (strstr(c->deps.items[i], want)) {
					free(c->deps.items[i]);
					c->deps.items[i] = c->deps.items[--c->deps.n];
				} else {
					i++;
				}
			free(want);
		}
		free(table);
		return;
	}
	default: return;
	}
	if (!key)
		return;
	char *what = xasprintf("%s %s", drop_object(s->remove_type), name);
	struct strbuf names;
	strbuf_init(&names);
	size_t n = dependents_of(c, key, dropping, cascade, &names);
	if (key[0] == 't')
		n = type_columns(c, name, cascade, n, &names);
	if (s->remove_type == PG_QUERY__OBJECT_TYPE__OBJECT_TABLE)
		n = referencing_keys(c, name, dropping, cascade, n, &names);
	if (n && !cascade) {
		risk_effect(c, RISK_FX_CAN_FAIL);
		risk_find(c, RULE_DROP_WITH_DEPENDENTS, NULL, -1,
		          "dropping %s fails (SQLSTATE 2BP01): %s still %s it; drop or change %s "
		          "first",
		          what, names.buf, n == 1 ? "uses" : "use", n == 1 ? "it" : "them");
	} else if (n) {
		size_t before = c->st->n_findings;
		risk_find(c, RULE_DROP_WITH_DEPENDENTS, NULL, -1,
		          "dropping %s with CASCADE also drops %s", what, names.buf);
		/* It does not fail: what it drops silently is the warning. */
		if (c->st->n_findings > before)
			c->st->findings[before].severity = RISK_WARN;
	}
	strbuf_release(&names);
	free(what);
	free(key);
}

void risk_h_drop(struct risk_ctx *c, const Node *n)
{
	const PgQuery__DropStmt *s = n->drop_stmt;
	risk_kind(c, drop_kind(s->remove_type, s->concurrent));
	bool cascade = s->behavior == PG_QUERY__DROP_BEHAVIOR__DROP_CASCADE;
	bool any_existing = false;
	struct strvec dropping; /* what this statement drops: not its own dependents */
	strvec_init(&dropping);
	for (size_t i = 0; i < s->n_objects; i++) {
		char *name = object_name(c, s->objects[i]);
		strvec_push_owned(&dropping, name);
	}
	for (size_t i = 0; i < s->n_objects; i++) {
		const Node *o = s->objects[i];
		char *name = object_name(c, o);
		drop_object_dependents(c, s, o, name, &dropping);
		switch (s->remove_type) {
		case PG_QUERY__OBJECT_TYPE__OBJECT_TABLE:
		case PG_QUERY__OBJECT_TYPE__OBJECT_VIEW:
		case PG_QUERY__OBJECT_TYPE__OBJECT_MATVIEW:
		case PG_QUERY__OBJECT_TYPE__OBJECT_SEQUENCE:
		case PG_QUERY__OBJECT_TYPE__OBJECT_FOREIGN_TABLE:
			any_existing |= rel_known_existing(c, name);
			drop_relation(c, s, name);
			break;
		case PG_QUERY__OBJECT_TYPE__OBJECT_INDEX:
			any_existing |= rel_known_existing(c, name);
			drop_index(c, s, name);
			break;
		case PG_QUERY__OBJECT_TYPE__OBJECT_SCHEMA: {
			char *key = xasprintf("schema %s", name);
			bool is_new = risk_rel_is_new(c, key);
			any_existing |= !is_new;
			risk_say(c, "drops schema %s", name);
			if (!is_new)
				risk_find(c, RULE_DROP_SCHEMA, NULL, -1,
				          "dropping schema %s deletes everything in it%s", name,
				          cascade ? "" : " (it fails unless the schema is empty)");
			free(key);
			break;
		}
		case PG_QUERY__OBJECT_TYPE__OBJECT_TRIGGER:
		case PG_QUERY__OBJECT_TYPE__OBJECT_POLICY:
		case PG_QUERY__OBJECT_TYPE__OBJECT_RULE: {
			char *table = object_table(c, o);
			if (table) {
				if (!s->missing_ok)
					risk_lock(c, table, RISK_LOCK_ACCESS_EXCLUSIVE);
				risk_say(c, "drops %s %s from %s", drop_object(s->remove_type),
				         risk_names_last(o->list->items, o->list->n_items), table);
				any_existing |= rel_known_existing(c, table);
			}
			free(table);
			break;
		}
		default: {
			const struct rk_type *t = risk_type(c, name, false);
			any_existing |= !(t && t->created);
			risk_say(c, "drops %s %s", drop_object(s->remove_type), name);
			break;
		}
		}
		free(name);
	}
	if (cascade && any_existing)
		risk_find(c, RULE_DROP_CASCADE, NULL, -1,
		          "%s ... CASCADE silently drops every dependent object%s",
		          drop_kind(s->remove_type, false),
		          s->remove_type == PG_QUERY__OBJECT_TYPE__OBJECT_TYPE ||
		                  s->remove_type == PG_QUERY__OBJECT_TYPE__OBJECT_DOMAIN
		              ? ", including table columns of this type (their data is lost)"
		              : ": views, foreign keys, defaults");
	strvec_clear(&dropping);
}

/* ---- RENAME, SET SCHEMA ------------------------------------------------------- */

static void rename_rel_state(struct risk_ctx *c, const char *old, const char *new)
{
	struct rk_rel *r = risk_rel(c, old, false);
	if (r) {
		free(r->name);
		r->name = xstrdup(new);
	}
	for (size_t i = 0; i < c->n_cols; i++)
		if (strcmp(c->cols[i].rel, old) == 0) {
			free(c->cols[i].rel);
			c->cols[i].rel = xstrdup(new);
		}
	for (size_t i = 0; i < c->n_cons; i++)
		if (strcmp(c->cons[i].rel, old) == 0) {
			free(c->cons[i].rel);
			c->cons[i].rel = xstrdup(new);
		}
}

static void rename_column(struct risk_ctx *c, const PgQuery__RenameStmt *s, const char *rel)
{
	risk_lock(c, rel, RISK_LOCK_ACCESS_EXCLUSIVE);
	risk_say(c, "renames column %s.%s to %s", rel, s->subname, s->newname);
	bool existing = rel_known_existing(c, rel);
	if (existing)
		risk_find(c, RULE_RENAME_COLUMN, rel, s->relation->location,
		          "renaming %s.%s to %s breaks running code that uses the old name", rel,
		          s->subname, s->newname);
	/* The last step of an enum conversion through a temporary column. */
	for (size_t i = 0; i < c->n_convs; i++) {
		const struct rk_conv *cv = &c->convs[i];
		if (strcmp(cv->rel, rel) == 0 && strcmp(cv->newcol, s->subname) == 0 &&
		    strvec_find(&cv->dropped, s->newname) >= 0 && existing)
			risk_find(
			    c, RULE_ENUM_CONVERSION_VIA_TEMP_COLUMN, rel, s->relation->location,
			    "%s.%s is converted to %s through temporary column %s (add, %sdrop, "
			    "rename): every row is rewritten, unmapped values are silently mapped, "
			    "and "
			    "clients binding it as text fail",
			    rel, s->newname, cv->type, cv->newcol, cv->updated ? "UPDATE, " : "");
	}
	struct rk_col *k = risk_col(c, rel, s->subname, false);
	if (k) {
		free(k->name);
		k->name = xstrdup(s->newname);
	}
}

void risk_h_rename(struct risk_ctx *c, const Node *n)
{
	const PgQuery__RenameStmt *s = n->rename_stmt;
	char *rel = s->relation ? risk_rv_name(c, s->relation) : NULL;
	switch (s->rename_type) {
	case PG_QUERY__OBJECT_TYPE__OBJECT_TABLE:
	case PG_QUERY__OBJECT_TYPE__OBJECT_VIEW:
	case PG_QUERY__OBJECT_TYPE__OBJECT_MATVIEW:
	case PG_QUERY__OBJECT_TYPE__OBJECT_SEQUENCE:
	case PG_QUERY__OBJECT_TYPE__OBJECT_FOREIGN_TABLE: {
		const char *schema =
		    s->relation && *s->relation->schemaname ? s->relation->schemaname : c->schema;
		char *new = xasprintf("%s.%s", schema, s->newname);
		risk_kind(c, s->rename_type == PG_QUERY__OBJECT_TYPE__OBJECT_TABLE ? "rename table"
		                                                                   : "rename");
		risk_lock(c, rel, RISK_LOCK_ACCESS_EXCLUSIVE);
		risk_say(c, "renames %s to %s", rel, s->newname);
		if (s->rename_type == PG_QUERY__OBJECT_TYPE__OBJECT_TABLE &&
		    rel_known_existing(c, rel)) {
			/* Reported at the end unless a view takes the old name. */
			XGROW(c->pending, c->cap_pending, c->n_pending + 1);
			struct rk_pending *p = &c->pending[c->n_pending++];
			p->name = xstrdup(rel);
			p->stmt = c->si;
			p->rule = RULE_RENAME_TABLE;
			p->done = false;
		}
		rename_rel_state(c, rel, new);
		free(new);
		break;
	}
	case PG_QUERY__OBJECT_TYPE__OBJECT_COLUMN:
		risk_kind(c, "rename column");
		rename_column(c, s, rel);
		break;
	case PG_QUERY__OBJECT_TYPE__OBJECT_INDEX:
		risk_kind(c, "rename index");
		risk_lock(c, rel, RISK_LOCK_SHARE_UPDATE_EXCLUSIVE);
		risk_say(c, "renames index %s to %s", rel, s->newname);
		break;
	case PG_QUERY__OBJECT_TYPE__OBJECT_TABCONSTRAINT:
		risk_kind(c, "rename constraint");
		risk_lock(c, rel, RISK_LOCK_ACCESS_EXCLUSIVE);
		risk_say(c, "renames constraint %s of %s to %s", s->subname, rel, s->newname);
		break;
	case PG_QUERY__OBJECT_TYPE__OBJECT_TRIGGER:
	case PG_QUERY__OBJECT_TYPE__OBJECT_POLICY:
	case PG_QUERY__OBJECT_TYPE__OBJECT_RULE:
		risk_lock(c, rel, RISK_LOCK_ACCESS_EXCLUSIVE);
		risk_say(c, "renames %s to %s on %s", s->subname, s->newname, rel);
		break;
	case PG_QUERY__OBJECT_TYPE__OBJECT_SCHEMA: {
		char *key = xasprintf("schema %s", s->subname);
		risk_kind(c, "rename schema");
		risk_say(c, "renames schema %s to %s", s->subname, s->newname);
		if (!risk_rel_is_new(c, key))
			risk_find(c, RULE_RENAME_SCHEMA, NULL, -1,
			          "renaming schema %s breaks every reference and search_path that "
			          "names it",
			          s->subname);
		free(key);
		break;
	}
	default: risk_say(c, "renames an object to %s", s->newname); break;
	}
	free(rel);
}

void risk_h_set_schema(struct risk_ctx *c, const Node *n)
{
	const PgQuery__AlterObjectSchemaStmt *s = n->alter_object_schema_stmt;
	if (s->relation) {
		char *rel = risk_rv_name(c, s->relation);
		risk_lock(c, rel, RISK_LOCK_ACCESS_EXCLUSIVE);
		risk_say(c, "moves %s to schema %s", rel, s->newschema);
		free(rel);
	} else {
		risk_say(c, "moves an object to schema %s", s->newschema);
	}
}

void risk_h_alter_owner(struct risk_ctx *c, const Node *n)
{
	risk_say(c, "changes an object's owner");
}

void risk_h_comment(struct risk_ctx *c, const Node *n)
{
	const PgQuery__CommentStmt *s = n->comment_stmt;
	char *rel = NULL;
	if (!s->object || s->object->node_case != PG_QUERY__NODE__NODE_LIST) {
		risk_say(c, "sets a comment");
		return;
	}
	const PgQuery__List *l = s->object->list;
	switch (s->objtype) {
	case PG_QUERY__OBJECT_TYPE__OBJECT_TABLE:
	case PG_QUERY__OBJECT_TYPE__OBJECT_INDEX:
	case PG_QUERY__OBJECT_TYPE__OBJECT_VIEW:
	case PG_QUERY__OBJECT_TYPE__OBJECT_MATVIEW:
	case PG_QUERY__OBJECT_TYPE__OBJECT_SEQUENCE:
		rel = risk_names_join(c, l->items, l->n_items);
		break;
	case PG_QUERY__OBJECT_TYPE__OBJECT_COLUMN:
		if (l->n_items >= 2)
			rel = risk_names_join(c, l->items, l->n_items - 1);
		break;
	default: break;
	}
	if (rel)
		risk_lock(c, rel, RISK_LOCK_SHARE_UPDATE_EXCLUSIVE);
	risk_say(c, "sets a comment%s%s", rel ? " on " : "", rel ? rel : "");
	free(rel);
}

/* ---- data and maintenance ------------------------------------------------------- */

/* A table that got its file in this very transaction (created or rewritten)
 * is truncated in place; any other gets a new, empty file. */
static bool truncates_in_place(struct risk_ctx *c, const char *rel)
{
	const struct rk_rel *r = risk_rel(c, rel, false);
	return r && r->file_txn == c->txn && !r->dropped;
}

/* A foreign key of a table the TRUNCATE does not name references rel: the
 * statement fails (0A000) before it empties anything. */
static void truncate_referenced(struct risk_ctx *c, const char *rel, const struct strvec *named,
                                int location)
{
	struct strbuf names;
	strbuf_init(&names);
	size_t n = 0;
	for (size_t i = 0; i < c->n_cons; i++) {
		const struct rk_con *k = &c->cons[i];
		if (k->dropped || k->contype != PG_QUERY__CONSTR_TYPE__CONSTR_FOREIGN ||
		    !k->ref_rel || strcmp(k->ref_rel, rel) != 0 || strvec_find(named, k->rel) >= 0)
			continue;
		const struct rk_rel *r = risk_rel(c, k->rel, false);
		if (r && r->dropped)
			continue;
		strbuf_addf(&names, "%s%s (%s)", n++ ? ", " : "", k->rel, k->name);
	}
	if (n) {
		risk_effect(c, RISK_FX_CAN_FAIL);
		risk_find(
		    c, RULE_TRUNCATE_REFERENCED_TABLE, rel, location,
		    "TRUNCATE %s fails (SQLSTATE 0A000): %s references it; name %s in the same "
		    "TRUNCATE or delete in batches",
		    rel, names.buf, n == 1 ? "that table" : "those tables");
	}
	strbuf_release(&names);
}

void risk_h_truncate(struct risk_ctx *c, const Node *n)
{
	const PgQuery__TruncateStmt *s = n->truncate_stmt;
	bool cascade = s->behavior == PG_QUERY__DROP_BEHAVIOR__DROP_CASCADE;
	struct strvec named;
	strvec_init(&named);
	for (size_t i = 0; i < s->n_relations; i++)
		if (s->relations[i]->node_case == PG_QUERY__NODE__NODE_RANGE_VAR)
			strvec_push_owned(&named, risk_rv_name(c, s->relations[i]->range_var));
	for (size_t i = 0; i < s->n_relations; i++) {
		if (s->relations[i]->node_case != PG_QUERY__NODE__NODE_RANGE_VAR)
			continue;
		const PgQuery__RangeVar *rv = s->relations[i]->range_var;
		char *rel = risk_rv_name(c, rv);
		if (!cascade)
			truncate_referenced(c, rel, &named, rv->location);
		size_t first = c->st->n_locks;
		risk_lock(c, rel, RISK_LOCK_ACCESS_EXCLUSIVE);
		risk_say(c, "empties %s", rel);
		if (cascade)
			for (size_t k = 0; k < c->n_cons; k++)
				if (c->cons[k].ref_rel && !c->cons[k].dropped &&
				    strcmp(c->cons[k].ref_rel, rel) == 0)
					risk_lock(c, c->cons[k].rel, RISK_LOCK_ACCESS_EXCLUSIVE);
		if (rv->inh)
			risk_lock_partitions(c, rel, RISK_LOCK_ACCESS_EXCLUSIVE);
		/* Every table emptied gets a new file unless it is truncated in
		 * place; older snapshots see a new file as an empty table. A
		 * partitioned table has no file of its own. */
		for (size_t k = first; k < c->st->n_locks; k++) {
			const char *t = c->st->locks[k].relation;
			const struct rk_rel *tr = risk_rel(c, t, false);
			if (!truncates_in_place(c, t) && !(tr && tr->kind == 'p'))
				risk_rewrite(c, t);
		}
		if (rel_known_existing(c, rel)) {
			risk_find(
			    c, RULE_TRUNCATE_TABLE, rel, rv->location,
			    "TRUNCATE deletes every row of %s, and older snapshots see it empty",
			    rel);
			if (cascade)
				risk_find(c, RULE_TRUNCATE_CASCADE, rel, rv->location,
				          "TRUNCATE %s CASCADE also empties every table that "
				          "references it",
				          rel);
		}
		free(rel);
	}
	strvec_clear(&named);
}

static bool has_option(Node *const *opts, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (opts[i]->node_case == PG_QUERY__NODE__NODE_DEF_ELEM &&
		    strcmp(opts[i]->def_elem->defname, name) == 0)
			return true;
	return false;
}

void risk_h_vacuum(struct risk_ctx *c, const Node *n)
{
	const PgQuery__VacuumStmt *s = n->vacuum_stmt;
	bool full = s->is_vacuumcmd && has_option(s->options, s->n_options, "full");
	risk_kind(c, !s->is_vacuumcmd ? "analyze" : full ? "vacuum full" : "vacuum");
	enum risk_lock m = full ? RISK_LOCK_ACCESS_EXCLUSIVE : RISK_LOCK_SHARE_UPDATE_EXCLUSIVE;
	if (s->n_rels == 0) {
		risk_say(c, "%s every table of the database",
		         full              ? "rewrites"
		         : s->is_vacuumcmd ? "vacuums"
		                           : "analyzes");
		if (full)
			risk_find(c, RULE_VACUUM_FULL_OR_CLUSTER, NULL, -1,
			          "VACUUM FULL rewrites every table of the database under ACCESS "
			          "EXCLUSIVE locks");
	}
	for (size_t i = 0; i < s->n_rels; i++) {
		const Node *r = s->rels[i];
		if (r->node_case != PG_QUERY__NODE__NODE_VACUUM_RELATION ||
		    !r->vacuum_relation->relation)
			continue;
		char *rel = risk_rv_name(c, r->vacuum_relation->relation);
		risk_lock(c, rel, m);
		risk_say(c, "%s %s",
		         full              ? "rewrites"
		         : s->is_vacuumcmd ? "vacuums"
		                           : "analyzes",
		         rel);
		if (full)
			risk_rewrite(c, rel);
		if (full && rel_known_existing(c, rel)) {
			risk_find(c, RULE_VACUUM_FULL_OR_CLUSTER, rel, -1,
			          "VACUUM FULL rewrites %s under an ACCESS EXCLUSIVE lock", rel);
		}
		free(rel);
	}
}

void risk_h_cluster(struct risk_ctx *c, const Node *n)
{
	const PgQuery__ClusterStmt *s = n->cluster_stmt;
	if (!s->relation) {
		risk_say(c, "re-clusters every previously clustered table");
		risk_find(c, RULE_VACUUM_FULL_OR_CLUSTER, NULL, -1,
		          "CLUSTER rewrites every previously clustered table under ACCESS "
		          "EXCLUSIVE locks");
		return;
	}
	char *rel = risk_rv_name(c, s->relation);
	risk_lock(c, rel, RISK_LOCK_ACCESS_EXCLUSIVE);
	/* USING names the index it orders by; it is rebuilt with the table
	 * (measured: ACCESS EXCLUSIVE on the index too). */
	if (s->indexname && *s->indexname) {
		const char *dot = strrchr(rel, '.');
		char *ix = xasprintf("%.*s.%s", (int)(dot ? dot - rel : 0), rel, s->indexname);
		risk_lock(c, ix, RISK_LOCK_ACCESS_EXCLUSIVE);
		free(ix);
	}
	risk_say(c, "rewrites %s in index order", rel);
	risk_rewrite(c, rel);
	if (rel_known_existing(c, rel)) {
		risk_find(c, RULE_VACUUM_FULL_OR_CLUSTER, rel, s->relation->location,
		          "CLUSTER rewrites %s under an ACCESS EXCLUSIVE lock", rel);
		risk_slow(c, rel);
	}
	free(rel);
}

void risk_h_reindex(struct risk_ctx *c, const Node *n)
{
	const PgQuery__ReindexStmt *s = n->reindex_stmt;
	bool conc = has_option(s->params, s->n_params, "concurrently");
	risk_kind(c, conc ? "reindex concurrently" : "reindex");
	char *rel = s->relation ? risk_rv_name(c, s->relation) : NULL;
	char *table = NULL;
	switch (s->kind) {
	case PG_QUERY__REINDEX_OBJECT_TYPE__REINDEX_OBJECT_TABLE:
		table = rel ? xstrdup(rel) : NULL;
		risk_lock(c, table, conc ? RISK_LOCK_SHARE_UPDATE_EXCLUSIVE : RISK_LOCK_SHARE);
		for (size_t i = 0; !conc && i < c->n_rels; i++)
			if (c->rels[i].kind == 'i' && !c->rels[i].dropped && c->rels[i].table &&
			    strcmp(c->rels[i].table, table) == 0)
				risk_lock(c, c->rels[i].name, RISK_LOCK_ACCESS_EXCLUSIVE);
		risk_say(c, "rebuilds every index of %s", rel);
		break;
	case PG_QUERY__REINDEX_OBJECT_TYPE__REINDEX_OBJECT_INDEX: {
		const struct rk_rel *ix = risk_rel(c, rel, false);
		if (ix && ix->table)
			table = xstrdup(ix->table);
		else if (c->opt->catalog && c->opt->catalog->index_table)
			c->opt->catalog->index_table(c->opt->catalog->ctx, rel, &table);
		risk_lock(c, rel,
		          conc ? RISK_LOCK_SHARE_UPDATE_EXCLUSIVE : RISK_LOCK_ACCESS_EXCLUSIVE);
		if (table)
			risk_lock(c, table,
			          conc ? RISK_LOCK_SHARE_UPDATE_EXCLUSIVE : RISK_LOCK_SHARE);
		risk_say(c, "rebuilds index %s", rel);
		break;
	}
	default:
		risk_say(c, "rebuilds every index of %s %s",
		         s->kind == PG_QUERY__REINDEX_OBJECT_TYPE__REINDEX_OBJECT_SCHEMA
		             ? "schema"
		             : "database",
		         s->name);
		break;
	}
	bool is_new = (table && risk_rel_is_new(c, table)) || (rel && risk_rel_is_new(c, rel));
	if (conc && c->opt->server_version_num >= 140000 && c->opt->server_version_num < 140004)
		risk_find(
		    c, RULE_CIC_PG14_CORRUPTION, table ? table : rel, -1,
		    "the server is PostgreSQL 14.0-14.3, where REINDEX CONCURRENTLY can corrupt "
		    "indexes");
	/* REINDEX of a partitioned table cannot run in a transaction block. */
	const struct rk_rel *pt = table ? risk_rel(c, table, false) : NULL;
	if (pt && pt->kind == 'p' && c->in_txn && c->body_depth == 0) {
		risk_effect(c, RISK_FX_NO_TXN);
		risk_find(c, RULE_NON_TRANSACTIONAL_IN_TRANSACTION, table, -1,
		          "REINDEX of partitioned table %s cannot run inside a transaction block",
		          table);
	}
	if (!conc && !is_new)
		risk_find(
		    c, RULE_REINDEX_NON_CONCURRENT, table ? table : rel, -1,
		    "REINDEX locks the rebuilt indexes ACCESS EXCLUSIVE: nearly every query on %s "
		    "waits, and writes wait too",
		    table ? table
		    : rel ? rel
		          : "those tables");
	free(table);
	free(rel);
}

void risk_h_refresh(struct risk_ctx *c, const Node *n)
{
	const PgQuery__RefreshMatViewStmt *s = n->refresh_mat_view_stmt;
	char *mv = risk_rv_name(c, s->relation);
	risk_kind(c, s->concurrent ? "refresh materialized view concurrently"
	                           : "refresh materialized view");
	risk_lock(c, mv, s->concurrent ? RISK_LOCK_EXCLUSIVE : RISK_LOCK_ACCESS_EXCLUSIVE);
	risk_say(c, "recomputes materialized view %s%s", mv,
	         s->concurrent ? " while readers continue" : "");
	if (!s->concurrent)
		risk_rewrite(c, mv);
	if (!s->concurrent && rel_known_existing(c, mv)) {
		risk_find(
		    c, RULE_REFRESH_MATVIEW_BLOCKING, mv, s->relation->location,
		    "REFRESH MATERIALIZED VIEW %s blocks its readers until it is recomputed; use "
		    "CONCURRENTLY",
		    mv);
		risk_slow(c, mv);
	}
	free(mv);
}

void risk_h_alter_seq(struct risk_ctx *c, const Node *n)
{
	const PgQuery__AlterSeqStmt *s = n->alter_seq_stmt;
	char *seq = risk_rv_name(c, s->sequence);
	risk_lock(c, seq, RISK_LOCK_SHARE_ROW_EXCLUSIVE);
	/* Every option but OWNED BY writes the sequence anew (new relfilenode). */
	bool rewrites = false;
	for (size_t i = 0; i < s->n_options; i++) {
		const Node *o = s->options[i];
		if (o->node_case != PG_QUERY__NODE__NODE_DEF_ELEM)
			continue;
		if (strcmp(o->def_elem->defname, "owned_by") != 0) {
			rewrites = true;
		} else if (o->def_elem->arg &&
		           o->def_elem->arg->node_case == PG_QUERY__NODE__NODE_LIST &&
		           o->def_elem->arg->list->n_items >= 2) {
			const PgQuery__List *l = o->def_elem->arg->list;
			char *table = risk_names_join(c, l->items, l->n_items - 1);
			risk_lock(c, table, RISK_LOCK_ACCESS_SHARE);
			free(table);
		}
	}
	if (rewrites)
		risk_rewrite(c, seq);
	risk_say(c, "changes sequence %s", seq);
	if (has_option(s->options, s->n_options, "restart") && rel_known_existing(c, seq))
		risk_find(c, RULE_SEQUENCE_RESET, seq, s->sequence->location,
		          "ALTER SEQUENCE %s RESTART can hand out ids that already exist", seq);
	free(seq);
}

void risk_h_database(struct risk_ctx *c, const Node *n)
{
	if (n->node_case == PG_QUERY__NODE__NODE_DROPDB_STMT) {
		risk_say(c, "deletes database %s", n->dropdb_stmt->dbname);
		risk_find(c, RULE_DROP_DATABASE, NULL, -1,
		          "DROP DATABASE %s deletes a whole database", n->dropdb_stmt->dbname);
	} else {
		risk_say(c, "creates database %s", n->createdb_stmt->dbname);
	}
}

void risk_h_tablespace(struct risk_ctx *c, const Node *n)
{
	risk_say(c, "%s a tablespace",
	         n->node_case == PG_QUERY__NODE__NODE_CREATE_TABLE_SPACE_STMT ? "creates"
	                                                                      : "drops");
}

void risk_h_alter_system(struct risk_ctx *c, const Node *n)
{
	risk_say(c, "changes the server configuration file");
}

void risk_h_move_all(struct risk_ctx *c, const Node *n)
{
	const PgQuery__AlterTableMoveAllStmt *s = n->alter_table_move_all_stmt;
	risk_say(c, "moves every relation of tablespace %s to %s", s->orig_tablespacename,
	         s->new_tablespacename);
	risk_find(
	    c, RULE_SET_TABLESPACE, NULL, -1,
	    "moving everything from tablespace %s copies every block of every table under ACCESS "
	    "EXCLUSIVE locks",
	    s->orig_tablespacename);
}
