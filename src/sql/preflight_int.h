/* preflight_int.h: the plan's state and the check builder, shared by
 * preflight.c (the plan, reading statements) and preflight_checks.c
 * (writing the checks). */
#ifndef PGSTEP_PREFLIGHT_INT_H
#define PGSTEP_PREFLIGHT_INT_H

#include <stdbool.h>
#include <stddef.h>

#include <pg_query.h>
#include <pg_query/pg_query.pb-c.h>

#include "pgstep/preflight.h"
#include "pgstep/strbuf.h"
#include "pgstep/strvec.h"

typedef PgQuery__Node Node;

struct pf_table {
	char *name;    /* "schema.name" */
	char *created; /* "012_x line 4": created (or renamed into) there; NULL: exists now */
	char *created_label;
	bool filled;            /* created with rows: CREATE TABLE AS or a matview WITH DATA */
	char *changed;          /* first statement of the plan that changes its rows */
	struct strvec new_cols; /* columns added or renamed into: "col\x1f012_x line 4" */
};

struct pf_enum {
	char *name;           /* "schema.name" */
	struct strvec labels; /* as known: from the file, or the catalog plus ADD VALUEs */
};

/* What a check reads, for deciding whether it can run now. */
struct pf_ref {
	char *table;
	char *column; /* NULL: the table as a whole */
};

/* A check being built. */
struct pf_gen {
	enum preflight_kind kind;
	char *relation;
	char *what;
	char *sql; /* NULL: cannot be written (note says why) */
	char *note;
	enum risk_severity severity;
	struct pf_ref *refs;
	size_t n_refs, cap_refs;
};

/* A constraint added NOT VALID: its check waits for VALIDATE CONSTRAINT. */
struct pf_deferred {
	char *table;
	char *name;
	struct pf_gen gen;
};

struct preflight_plan {
	char *schema;
	const struct preflight_lookup *lookup;
	struct pf_table *tables;
	size_t n_tables, cap_tables;
	struct pf_enum *enums;
	size_t n_enums, cap_enums;
	struct pf_deferred *deferred;
	size_t n_deferred, cap_deferred;
	/* the statement being read */
	const char *label;
	int line;
	size_t stmt;
	struct preflight_list *out;
};

/* ---- node helpers ---------------------------------------------------------------- */

static inline const char *str_of(const Node *n)
{
	return n && n->node_case == PG_QUERY__NODE__NODE_STRING ? n->string->sval : NULL;
}

static inline bool has_text(const char *s)
{
	return s && *s;
}

static inline const PgQuery__CaseExpr *as_case(const Node *n)
{
	if (n && n->node_case == PG_QUERY__NODE__NODE_TYPE_CAST)
		n = n->type_cast->arg;
	return n && n->node_case == PG_QUERY__NODE__NODE_CASE_EXPR ? n->case_expr : NULL;
}

/* ---- the plan's state (preflight.c) ---------------------------------------------- */

char *pf_rv_key(const struct preflight_plan *p, const PgQuery__RangeVar *rv);
char *pf_rv_sql(const PgQuery__RangeVar *rv);
struct pf_table *pf_plan_table(struct preflight_plan *p, const char *name, bool create);
const char *pf_column_new_at(const struct preflight_plan *p, const char *table, const char *col);

/* ---- building and writing checks (preflight_checks.c) ---------------------------- */

void pf_gen_init(struct pf_gen *g, enum preflight_kind kind, const char *relation);
void pf_gen_ref(struct pf_gen *g, const char *table, const char *column);
void pf_add_row_id(struct preflight_plan *p, struct strbuf *sb, const char *table,
                   const char *alias);
void pf_emit(struct preflight_plan *p, struct pf_gen *g);
void pf_gen_fk(struct preflight_plan *p, struct pf_gen *g, const PgQuery__RangeVar *child,
               const PgQuery__Constraint *k);
void pf_gen_unique(struct preflight_plan *p, struct pf_gen *g, const PgQuery__RangeVar *rv,
                   const char *name, const char *const *names, Node *const *exprs, size_t n,
                   const Node *where, bool nulls_not_distinct, bool primary);
void pf_gen_nulls(struct preflight_plan *p, struct pf_gen *g, const PgQuery__RangeVar *rv,
                  const char *col, const char *why);
void pf_gen_check(struct preflight_plan *p, struct pf_gen *g, const PgQuery__RangeVar *rv,
                  const PgQuery__Constraint *k);
bool pf_else_keeps(const PgQuery__CaseExpr *ce, const char *target);
void pf_gen_case_else(struct preflight_plan *p, struct pf_gen *g, const PgQuery__RangeVar *rv,
                      const PgQuery__CaseExpr *ce, const Node *where, const char *context);
void pf_gen_enum_using(struct preflight_plan *p, struct pf_gen *g, const PgQuery__RangeVar *rv,
                       const char *col, const char *type, const struct pf_enum *e,
                       const Node *using_expr);

#endif
