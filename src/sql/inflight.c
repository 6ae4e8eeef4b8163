/* inflight: see inflight.h. Each call parses one statement; it runs on the
 * rare paths (a resume, the end of a non-transactional migration), never per
 * statement of a normal run. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <pg_query.h>
#include <pg_query/pg_query.pb-c.h>

#include "pgstep/arena.h"
#include "pgstep/inflight.h"
#include "pgstep/pbtree.h"
#include "pgstep/xalloc.h"

void rel_name_clear(struct rel_name *r)
{
	free(r->schema);
	free(r->name);
	r->schema = r->name = NULL;
}

void inflight_check_clear(struct inflight_check *c)
{
	rel_name_clear(&c->index);
	rel_name_clear(&c->table);
	memset(c, 0, sizeof *c);
}

static void rel_from_range(struct rel_name *r, const PgQuery__RangeVar *rv)
{
	r->schema = rv->schemaname && rv->schemaname[0] ? xstrdup(rv->schemaname) : NULL;
	r->name = xstrdup(rv->relname ? rv->relname : "");
}

/* DROP INDEX's object: a List of String nodes, [schema.]name. */
static bool rel_from_names(struct rel_name *r, const PgQuery__Node *obj)
{
	if (!obj || obj->node_case != PG_QUERY__NODE__NODE_LIST)
		return false;
	const PgQuery__List *l = obj->list;
	if (l->n_items < 1 || l->n_items > 2)
		return false;
	for (size_t i = 0; i < l->n_items; i++)
		if (l->items[i]->node_case != PG_QUERY__NODE__NODE_STRING)
			return false;
	if (l->n_items == 2)
		r->schema = xstrdup(l->items[0]->string->sval);
	r->name = xstrdup(l->items[l->n_items - 1]->string->sval);
	return true;
}

/* The statement's tree in arena a; NULL when it does not parse. */
static const PgQuery__Node *inflight_parse(struct arena *a, const char *sql)
{
	PgQuery__ParseResult *t = pbtree_parse(a, sql, NULL);
	return t && t->n_stmts == 1 ? t->stmts[0]->stmt : NULL;
}

static void inflight_from_node(const PgQuery__Node *n, struct inflight_check *out)
{
	switch (n->node_case) {
	case PG_QUERY__NODE__NODE_INDEX_STMT: {
		const PgQuery__IndexStmt *s = n->index_stmt;
		out->what = s->concurrent ? "CREATE INDEX CONCURRENTLY" : "CREATE INDEX";
		/* An unnamed index gets a name the server chooses: nothing to
		 * look for. */
		if (!s->idxname || !s->idxname[0] || !s->relation)
			return;
		out->kind = INFLIGHT_CREATE_INDEX;
		out->if_not_exists = s->if_not_exists;
		rel_from_range(&out->table, s->relation);
		/* An index lives in its table's schema. */
		out->index.schema = out->table.schema ? xstrdup(out->table.schema) : NULL;
		out->index.name = xstrdup(s->idxname);
		return;
	}
	case PG_QUERY__NODE__NODE_DROP_STMT: {
		const PgQuery__DropStmt *s = n->drop_stmt;
		out->what = s->concurrent ? "DROP INDEX CONCURRENTLY" : "DROP";
		if (s->remove_type != PG_QUERY__OBJECT_TYPE__OBJECT_INDEX || s->n_objects != 1 ||
		    !rel_from_names(&out->index, s->objects[0]))
			return;
		out->kind = INFLIGHT_DROP_INDEX;
		return;
	}
	case PG_QUERY__NODE__NODE_REINDEX_STMT:
		out->what = "REINDEX";
		out->kind = INFLIGHT_RERUN;
		return;
	case PG_QUERY__NODE__NODE_VACUUM_STMT:
		out->what = n->vacuum_stmt->is_vacuumcmd ? "VACUUM" : "ANALYZE";
		out->kind = INFLIGHT_RERUN;
		return;
	case PG_QUERY__NODE__NODE_ALTER_SYSTEM_STMT:
		out->what = "ALTER SYSTEM";
		out->kind = INFLIGHT_RERUN;
		return;
	case PG_QUERY__NODE__NODE_CLUSTER_STMT:
		out->what = "CLUSTER";
		out->kind = INFLIGHT_RERUN;
		return;
	case PG_QUERY__NODE__NODE_DISCARD_STMT:
		out->what = "DISCARD";
		out->kind = INFLIGHT_RERUN;
		return;
	default: out->what = "this statement"; return;
	}
}

bool inflight_classify(const char *sql, struct inflight_check *out)
{
	memset(out, 0, sizeof *out);
	struct arena a;
	arena_init(&a);
	const PgQuery__Node *n = inflight_parse(&a, sql);
	if (n)
		inflight_from_node(n, out);
	arena_release(&a);
	return n != NULL;
}

bool inflight_built_index(const char *sql, struct rel_name *index, struct rel_name *table)
{
	memset(index, 0, sizeof *index);
	memset(table, 0, sizeof *table);
	struct arena a;
	arena_init(&a);
	const PgQuery__Node *n = inflight_parse(&a, sql);
	bool found = false;
	if (n && n->node_case == PG_QUERY__NODE__NODE_INDEX_STMT) {
		struct inflight_check c = {0};
		inflight_from_node(n, &c);
		if (c.kind == INFLIGHT_CREATE_INDEX) {
			*index = c.index;
			*table = c.table;
			found = true;
		} else {
			inflight_check_clear(&c);
		}
	} else if (n && n->node_case == PG_QUERY__NODE__NODE_REINDEX_STMT &&
	           n->reindex_stmt->kind == PG_QUERY__REINDEX_OBJECT_TYPE__REINDEX_OBJECT_INDEX &&
	           n->reindex_stmt->relation) {
		rel_from_range(index, n->reindex_stmt->relation);
		found = true;
	}
	arena_release(&a);
	return found;
}
