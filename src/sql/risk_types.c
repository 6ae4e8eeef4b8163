/* risk_types: enums, domains, other type definitions and privileges: the
 * statements that lock no table themselves but change what the tables mean
 * to running code. Also the check for enum labels used in the transaction
 * that added them. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include "pgstep/xalloc.h"
#include "risk_int.h"

void risk_h_create_enum(struct risk_ctx *c, const Node *n)
{
	const PgQuery__CreateEnumStmt *s = n->create_enum_stmt;
	char *name = risk_names_join(c, s->type_name, s->n_type_name);
	struct rk_type *t = risk_type(c, name, true);
	t->kind = 'e';
	t->created = true;
	risk_kind(c, "create type");
	risk_say(c, "creates enum type %s with %zu labels", name, s->n_vals);
	risk_find(
	    c, RULE_CREATE_ENUM, NULL, -1,
	    "enum %s: labels can be added later but not removed or reordered without a type swap",
	    name);
	free(name);
}

void risk_h_alter_enum(struct risk_ctx *c, const Node *n)
{
	const PgQuery__AlterEnumStmt *s = n->alter_enum_stmt;
	char *name = risk_names_join(c, s->type_name, s->n_type_name);
	const struct rk_type *t = risk_type(c, name, false);
	bool is_new = t && t->created;
	risk_kind(c, "alter type");
	if (*s->old_val) {
		risk_say(c, "renames label '%s' of enum %s to '%s'", s->old_val, name, s->new_val);
		if (!is_new)
			risk_find(c, RULE_RENAME_ENUM_VALUE, NULL, -1,
			          "renaming label '%s' of %s breaks running code that writes '%s'",
			          s->old_val, name, s->old_val);
		free(name);
		return;
	}
	risk_say(c, "adds label '%s' to enum %s", s->new_val, name);
	if (!*s->new_val_neighbor && !is_new)
		risk_find(
		    c, RULE_ENUM_VALUE_APPEND_ORDER, NULL, -1,
		    "'%s' sorts after every existing label of %s; say BEFORE or AFTER if the order "
		    "matters",
		    s->new_val, name);
	if (c->in_txn) {
		XGROW(c->labels, c->cap_labels, c->n_labels + 1);
		struct rk_label *l = &c->labels[c->n_labels++];
		l->type = xstrdup(name);
		l->label = xstrdup(s->new_val);
		l->txn = c->txn;
		l->stmt = c->si;
	}
	free(name);
}

struct label_use {
	struct risk_ctx *c;
	const struct rk_label *hit;
};

static bool label_visit(const ProtobufCMessage *m, void *arg)
{
	struct label_use *u = arg;
	if (u->hit)
		return false;
	if (RISK_IS(m, a__const)) {
		const PgQuery__AConst *k = (const void *)m;
		if (k->val_case != PG_QUERY__A__CONST__VAL_SVAL)
			return false;
		for (size_t i = 0; i < u->c->n_labels; i++) {
			const struct rk_label *l = &u->c->labels[i];
			if (l->txn == u->c->txn && l->stmt < u->c->si &&
			    strcmp(l->label, k->sval->sval) == 0)
				u->hit = l;
		}
		return false;
	}
	return true;
}

void risk_enum_uses(struct risk_ctx *c, const Node *stmt)
{
	/* The body of a DO block is a string constant: its statements are
	 * checked one by one when they are replayed. */
	if (stmt->node_case == PG_QUERY__NODE__NODE_DO_STMT ||
	    stmt->node_case == PG_QUERY__NODE__NODE_CREATE_FUNCTION_STMT)
		return;
	struct label_use u = {.c = c};
	risk_walk(&stmt->base, label_visit, &u);
	if (u.hit)
		risk_find(c, RULE_ENUM_NEW_VALUE_USED_IN_TRANSACTION, NULL, -1,
		          "label '%s' was added to %s at line %d in this same transaction: using "
		          "it fails "
		          "with \"unsafe use of new value\"",
		          u.hit->label, u.hit->type, c->rep->stmts[u.hit->stmt].line);
}

void risk_h_create_domain(struct risk_ctx *c, const Node *n)
{
	const PgQuery__CreateDomainStmt *s = n->create_domain_stmt;
	char *name = risk_names_join(c, s->domainname, s->n_domainname);
	struct rk_type *t = risk_type(c, name, true);
	t->kind = 'd';
	t->created = true;
	t->has_check = false; /* claims: a domain dropped and created again */
	for (size_t i = 0; i < s->n_constraints; i++)
		if (s->constraints[i]->node_case == PG_QUERY__NODE__NODE_CONSTRAINT &&
		    s->constraints[i]->constraint->contype == PG_QUERY__CONSTR_TYPE__CONSTR_CHECK)
			t->has_check = true;
	risk_say(c, "creates domain %s", name);
	if (t->has_check)
		risk_find(c, RULE_CREATE_DOMAIN_WITH_CONSTRAINT, NULL, -1,
		          "domain %s has a CHECK: adding a column of this type to an existing "
		          "table later "
		          "rewrites it",
		          name);
	free(name);
}

/* Tables of the section with a column of type (qualified) name. */
static void lock_domain_users(struct risk_ctx *c, const char *name, enum risk_lock m)
{
	const char *base = strrchr(name, '.');
	base = base ? base + 1 : name;
	for (size_t i = 0; i < c->n_cols; i++) {
		const struct rk_col *k = &c->cols[i];
		if (!k->dropped && k->type &&
		    (strcmp(k->type, name) == 0 || strcmp(k->type, base) == 0))
			risk_lock(c, k->rel, m);
	}
}

void risk_h_alter_domain(struct risk_ctx *c, const Node *n)
{
	const PgQuery__AlterDomainStmt *s = n->alter_domain_stmt;
	char *name = risk_names_join(c, s->type_name, s->n_type_name);
	struct rk_type *t = risk_type(c, name, true);
	t->kind = 'd';
	switch (s->subtype[0]) {
	case 'C': {
		const PgQuery__Constraint *k =
		    s->def && s->def->node_case == PG_QUERY__NODE__NODE_CONSTRAINT
		        ? s->def->constraint
		        : NULL;
		if (k && k->contype == PG_QUERY__CONSTR_TYPE__CONSTR_CHECK)
			t->has_check = true;
		if (k && k->skip_validation) {
			risk_say(c, "adds a constraint to domain %s NOT VALID (no scan)", name);
			break;
		}
		risk_say(c, "adds a constraint to domain %s, checking every column of that type",
		         name);
		lock_domain_users(c, name, RISK_LOCK_SHARE);
		if (!t->created) {
			risk_effect(c, RISK_FX_SCAN | RISK_FX_CAN_FAIL);
			risk_find(c, RULE_ALTER_DOMAIN_ADD_CONSTRAINT, NULL, -1,
			          "adding a constraint to domain %s scans every table with a "
			          "column of that "
			          "type, blocking their writes",
			          name);
		}
		break;
	}
	case 'V':
		risk_say(c, "validates a constraint of domain %s", name);
		lock_domain_users(c, name, RISK_LOCK_SHARE);
		break;
	case 'N':
		risk_say(c, "makes domain %s NOT NULL, checking every column of that type", name);
		lock_domain_users(c, name, RISK_LOCK_SHARE);
		break;
	case 'X': risk_say(c, "drops a constraint of domain %s", name); break;
	default: risk_say(c, "changes domain %s", name); break;
	}
	free(name);
}

void risk_h_grant(struct risk_ctx *c, const Node *n)
{
	const PgQuery__GrantStmt *s = n->grant_stmt;
	const char *what;
	switch (s->objtype) {
	case PG_QUERY__OBJECT_TYPE__OBJECT_TABLE: what = "tables"; break;
	case PG_QUERY__OBJECT_TYPE__OBJECT_SEQUENCE: what = "sequences"; break;
	case PG_QUERY__OBJECT_TYPE__OBJECT_SCHEMA: what = "schemas"; break;
	default: what = NULL; break;
	}
	risk_kind(c, s->is_grant ? "grant" : "revoke");
	risk_say(c, "%s privileges %s %s", s->is_grant ? "grants" : "revokes",
	         s->is_grant ? "on" : "from", what ? what : "objects");
	if (s->is_grant || !what)
		return;
	bool any_existing =
	    s->targtype != PG_QUERY__GRANT_TARGET_TYPE__ACL_TARGET_OBJECT || s->n_objects == 0;
	char *first = NULL;
	for (size_t i = 0; i < s->n_objects; i++) {
		const Node *o = s->objects[i];
		char *name = NULL;
		if (o->node_case == PG_QUERY__NODE__NODE_RANGE_VAR)
			name = risk_rv_name(c, o->range_var);
		else if (o->node_case == PG_QUERY__NODE__NODE_STRING)
			name = s->targtype == PG_QUERY__GRANT_TARGET_TYPE__ACL_TARGET_ALL_IN_SCHEMA
			           ? xasprintf("every one in schema %s", o->string->sval)
			           : xasprintf("schema %s", o->string->sval);
		if (!name)
			continue;
		if (strncmp(name, "every one", 9) == 0 || !risk_rel_is_new(c, name))
			any_existing = true;
		if (!first)
			first = name;
		else
			free(name);
	}
	if (any_existing)
		risk_find(c, RULE_REVOKE_PRIVILEGES, NULL, -1,
		          "REVOKE on %s%s%s: application roles that relied on the privilege start "
		          "failing",
		          what, first ? (strncmp(first, "every", 5) == 0 ? ", " : " such as ") : "",
		          first ? first : "");
	free(first);
}

void risk_h_define(struct risk_ctx *c, const Node *n)
{
	const PgQuery__DefineStmt *s = n->define_stmt;
	char *name = risk_names_join(c, s->defnames, s->n_defnames);
	switch (s->kind) {
	case PG_QUERY__OBJECT_TYPE__OBJECT_AGGREGATE: risk_kind(c, "create aggregate"); break;
	case PG_QUERY__OBJECT_TYPE__OBJECT_OPERATOR: risk_kind(c, "create operator"); break;
	case PG_QUERY__OBJECT_TYPE__OBJECT_TYPE: risk_kind(c, "create type"); break;
	default: risk_kind(c, "create"); break;
	}
	risk_say(c, "defines %s", name);
	free(name);
}
