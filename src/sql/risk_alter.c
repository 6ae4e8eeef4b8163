/* risk_alter: ALTER TABLE (and ALTER INDEX / VIEW / MATERIALIZED VIEW /
 * SEQUENCE, which share its parse node). One statement can hold several
 * subcommands; each is handled through a table indexed by subcommand type
 * that gives the lock it takes (measured on PostgreSQL 15) and the function
 * that applies its rules. The statement takes the strongest of the locks and
 * the union of the effects, as PostgreSQL does. Column subcommands live in
 * risk_column.c, constraint definitions in risk_constraint.c. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include "pgstep/strbuf.h"
#include "pgstep/xalloc.h"
#include "risk_int.h"

typedef void (*at_fn)(struct risk_at *a, const PgQuery__AlterTableCmd *cmd);

struct at_entry {
	enum risk_lock lock; /* on the altered relation; NONE: the function decides */
	at_fn fn;
	const char *say; /* sentence part when fn is NULL */
};

/* ---- helpers --------------------------------------------------------------- */

static const PgQuery__Constraint *cmd_constraint(const PgQuery__AlterTableCmd *cmd)
{
	return cmd->def && cmd->def->node_case == PG_QUERY__NODE__NODE_CONSTRAINT
	           ? cmd->def->constraint
	           : NULL;
}

/* ---- subcommands -------------------------------------------------------------- */

static void at_add_constraint(struct risk_at *a, const PgQuery__AlterTableCmd *cmd)
{
	const PgQuery__Constraint *k = cmd_constraint(cmd);
	if (!k)
		return;
	/* A foreign key takes SHARE ROW EXCLUSIVE; everything else ACCESS
	 * EXCLUSIVE (measured). */
	if (k->contype != PG_QUERY__CONSTR_TYPE__CONSTR_FOREIGN)
		risk_lock(a->c, a->rel, RISK_LOCK_ACCESS_EXCLUSIVE);
	risk_at_constraint(a, k, NULL, false);
}

static void at_validate(struct risk_at *a, const PgQuery__AlterTableCmd *cmd)
{
	struct risk_ctx *c = a->c;
	struct rk_con *k = risk_con(c, a->rel, cmd->name, false);
	risk_say(c, "validates constraint %s against every row of %s (writes continue)", cmd->name,
	         a->rel);
	if (!a->is_new)
		risk_effect(c, RISK_FX_SCAN | RISK_FX_CAN_FAIL);
	if (k && k->ref_rel) {
		risk_lock(c, k->ref_rel, RISK_LOCK_ROW_SHARE);
	} else if (!k && c->opt->catalog && c->opt->catalog->constraint_ref) {
		/* A foreign key from before the migration: the catalogue says what it
		 * references. */
		char *ref = NULL;
		if (c->opt->catalog->constraint_ref(c->opt->catalog->ctx, a->rel, cmd->name, &ref))
			risk_lock(c, ref, RISK_LOCK_ROW_SHARE);
		free(ref);
	}
	if (c->in_txn && !a->is_new) {
		const struct rk_held *strong = NULL;
		for (size_t i = 0; i < c->n_held; i++)
			if (c->held[i].stmt < c->si && strcmp(c->held[i].rel, a->rel) == 0 &&
			    c->held[i].mode >= RISK_LOCK_SHARE_ROW_EXCLUSIVE)
				strong = &c->held[i];
		if (k && k->not_valid && k->txn == c->txn)
			risk_find(c, RULE_VALIDATE_IN_SAME_TRANSACTION, a->rel, a->location,
			          "constraint %s was added NOT VALID in this same transaction: its "
			          "%s lock "
			          "on %s is held through the validation scan",
			          cmd->name,
			          k->contype == PG_QUERY__CONSTR_TYPE__CONSTR_FOREIGN
			              ? "SHARE ROW EXCLUSIVE"
			              : "ACCESS EXCLUSIVE",
			          a->rel);
		else if (strong)
			risk_find(
			    c, RULE_VALIDATE_IN_SAME_TRANSACTION, a->rel, a->location,
			    "validating %s scans %s while this transaction still holds %s on it "
			    "(from line %d)",
			    cmd->name, a->rel, risk_lock_sql_name(strong->mode),
			    c->rep->stmts[strong->stmt].line);
		else
			risk_slow(c, a->rel);
	}
	if (k) {
		k->validated = true;
		if (k->notnull_col)
			risk_col(c, a->rel, k->notnull_col, true)->notnull_check_valid = true;
	}
}

static void at_drop_constraint(struct risk_at *a, const PgQuery__AlterTableCmd *cmd)
{
	struct risk_ctx *c = a->c;
	struct rk_con *k = risk_con(c, a->rel, cmd->name, false);
	size_t n = strlen(cmd->name);
	bool fk = k ? k->contype == PG_QUERY__CONSTR_TYPE__CONSTR_FOREIGN
	            : n > 5 && strcmp(cmd->name + n - 5, "_fkey") == 0;
	risk_say(c, "drops constraint %s of %s", cmd->name, a->rel);
	if (cmd->behavior == PG_QUERY__DROP_BEHAVIOR__DROP_CASCADE && !a->is_new)
		risk_find(
		    c, RULE_DROP_CASCADE, a->rel, a->location,
		    "DROP CONSTRAINT %s CASCADE also drops the foreign keys that depend on it",
		    cmd->name);
	if (fk && k && k->ref_rel)
		risk_lock(c, k->ref_rel, RISK_LOCK_ACCESS_EXCLUSIVE);
	if (!a->is_new) {
		if (fk)
			risk_find(c, RULE_DROP_FOREIGN_KEY, a->rel, a->location,
			          "dropping foreign key %s locks %s and %s ACCESS EXCLUSIVE, and "
			          "integrity "
			          "is no longer enforced",
			          cmd->name, a->rel,
			          k && k->ref_rel ? k->ref_rel : "the referenced table");
		else
			risk_find(c, RULE_DROP_CONSTRAINT, a->rel, a->location,
			          "dropping constraint %s of %s weakens its guarantees", cmd->name,
			          a->rel);
	}
	if (k)
		k->dropped = true;
}

static void at_rewrite(struct risk_at *a, enum rule_id rule, const char *what)
{
	struct risk_ctx *c = a->c;
	risk_say(c, "%s %s, rewriting it", what, a->rel);
	risk_rewrite(c, a->rel);
	if (!a->is_new) {
		risk_find(c, rule, a->rel, a->location,
		          "%s %s rewrites it under an ACCESS EXCLUSIVE lock", what, a->rel);
		risk_slow(c, a->rel);
	}
}

static void at_set_logged(struct risk_at *a, const PgQuery__AlterTableCmd *cmd)
{
	at_rewrite(a, RULE_SET_LOGGED_UNLOGGED,
	           cmd->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_SetLogged ? "SET LOGGED on"
	                                                                    : "SET UNLOGGED on");
}

static void at_set_access_method(struct risk_at *a, const PgQuery__AlterTableCmd *cmd)
{
	at_rewrite(a, RULE_SET_ACCESS_METHOD, "SET ACCESS METHOD on");
}

static void at_set_tablespace(struct risk_at *a, const PgQuery__AlterTableCmd *cmd)
{
	at_rewrite(a, RULE_SET_TABLESPACE, "SET TABLESPACE copies every block of");
}

static void at_enable_rls(struct risk_at *a, const PgQuery__AlterTableCmd *cmd)
{
	struct risk_ctx *c = a->c;
	risk_say(c, "turns on row level security for %s", a->rel);
	XGROW(c->pending, c->cap_pending, c->n_pending + 1);
	struct rk_pending *p = &c->pending[c->n_pending++];
	p->name = xstrdup(a->rel);
	p->stmt = c->si;
	p->rule = RULE_RLS_ENABLED_WITHOUT_POLICY;
	p->done = false;
}

/* INHERIT parent: the parent is locked SHARE UPDATE EXCLUSIVE (ATExecAddInherit,
 * measured); NO INHERIT reads the parent under ACCESS SHARE. */
static void at_inherit(struct risk_at *a, const PgQuery__AlterTableCmd *cmd)
{
	struct risk_ctx *c = a->c;
	bool add = cmd->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_AddInherit;
	char *parent = cmd->def && cmd->def->node_case == PG_QUERY__NODE__NODE_RANGE_VAR
	                   ? risk_rv_name(c, cmd->def->range_var)
	                   : NULL;
	if (parent)
		risk_lock(c, parent,
		          add ? RISK_LOCK_SHARE_UPDATE_EXCLUSIVE : RISK_LOCK_ACCESS_SHARE);
	risk_say(c, add ? "makes %s inherit from %s" : "stops %s inheriting from %s", a->rel,
	         parent ? parent : "its parent");
	free(parent);
}

static void at_attach_partition(struct risk_at *a, const PgQuery__AlterTableCmd *cmd)
{
	struct risk_ctx *c = a->c;
	if (!cmd->def || cmd->def->node_case != PG_QUERY__NODE__NODE_PARTITION_CMD)
		return;
	char *part = risk_rv_name(c, cmd->def->partition_cmd->name);
	risk_lock(c, a->rel, RISK_LOCK_SHARE_UPDATE_EXCLUSIVE);
	risk_lock(c, part, RISK_LOCK_ACCESS_EXCLUSIVE);
	if (a->index) {
		/* An index partition: catalog only, nothing is scanned. */
		risk_say(c, "attaches index %s as a partition of index %s", part, a->rel);
		free(part);
		return;
	}
	struct rk_rel *pr = risk_rel(c, part, true);
	free(pr->table);
	pr->table = xstrdup(a->rel);
	risk_say(c, "attaches %s as a partition of %s", part, a->rel);
	const PgQuery__PartitionCmd *pc = cmd->def->partition_cmd;
	risk_partition_added(c, a->rel, part, pc->bound && pc->bound->is_default, a->location);
	bool proven = false;
	for (size_t i = 0; i < c->n_cons && !proven; i++)
		proven = c->cons[i].contype == PG_QUERY__CONSTR_TYPE__CONSTR_CHECK &&
		         c->cons[i].validated && !c->cons[i].dropped &&
		         strcmp(c->cons[i].rel, part) == 0;
	if (!proven && !risk_rel_is_new(c, part)) {
		risk_effect(c, RISK_FX_SCAN | RISK_FX_CAN_FAIL);
		risk_find(c, RULE_ATTACH_PARTITION_SCAN, part, a->location,
		          "attaching %s scans it under an ACCESS EXCLUSIVE lock to prove its rows "
		          "fit the "
		          "bound (no validated CHECK proves it)",
		          part);
		risk_slow(c, part);
	}
	free(part);
}

static void at_detach_partition(struct risk_at *a, const PgQuery__AlterTableCmd *cmd)
{
	struct risk_ctx *c = a->c;
	if (!cmd->def || cmd->def->node_case != PG_QUERY__NODE__NODE_PARTITION_CMD)
		return;
	const PgQuery__PartitionCmd *pc = cmd->def->partition_cmd;
	char *part = risk_rv_name(c, pc->name);
	enum risk_lock m =
	    pc->concurrent || cmd->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_DetachPartitionFinalize
	        ? RISK_LOCK_SHARE_UPDATE_EXCLUSIVE
	        : RISK_LOCK_ACCESS_EXCLUSIVE;
	risk_lock(c, a->rel, m);
	risk_lock(c, part, m);
	if (cmd->subtype != PG_QUERY__ALTER_TABLE_TYPE__AT_DetachPartitionFinalize)
		risk_partition_detach(c, a->rel, pc->concurrent, a->location);
	/* From now on statements on the parent no longer reach it. */
	struct rk_rel *pr = risk_rel(c, part, false);
	if (pr && pr->table && strcmp(pr->table, a->rel) == 0) {
		free(pr->table);
		pr->table = NULL;
	}
	risk_say(c, "detaches partition %s from %s%s", part, a->rel,
	         pc->concurrent ? " concurrently" : "");
	if (m == RISK_LOCK_ACCESS_EXCLUSIVE && !a->is_new)
		risk_find(
		    c, RULE_DETACH_PARTITION_BLOCKING, a->rel, a->location,
		    "detaching %s locks %s ACCESS EXCLUSIVE: every query on the partitioned table "
		    "waits",
		    part, a->rel);
	free(part);
}

/* Storage parameters whose change PostgreSQL 15 locks ACCESS EXCLUSIVE
 * (the lockmode of their entry in reloptions.c): they change how queries
 * are planned or how the index is maintained. Every other parameter of 15
 * (fillfactor, autovacuum_*, toast.*, parallel_workers, ...) takes SHARE
 * UPDATE EXCLUSIVE. */
static const char *const relopt_ael[] = {
    "security_barrier",   "security_invoker", "check_option",
    "user_catalog_table", "fastupdate",       "gin_pending_list_limit",
    "buffering",          "pages_per_range",  "autosummarize",
};

/* An option of core PostgreSQL 15 that takes less: anything else is an
 * extension's (bloom's length, col1...), which registers its options with
 * ACCESS EXCLUSIVE. */
static const char *const relopt_sue[] = {
    "fillfactor",
    "autovacuum_enabled",
    "autovacuum_vacuum_threshold",
    "autovacuum_vacuum_insert_threshold",
    "autovacuum_analyze_threshold",
    "autovacuum_vacuum_cost_delay",
    "autovacuum_vacuum_cost_limit",
    "autovacuum_freeze_min_age",
    "autovacuum_freeze_max_age",
    "autovacuum_freeze_table_age",
    "autovacuum_multixact_freeze_min_age",
    "autovacuum_multixact_freeze_max_age",
    "autovacuum_multixact_freeze_table_age",
    "autovacuum_vacuum_scale_factor",
    "autovacuum_vacuum_insert_scale_factor",
    "autovacuum_analyze_scale_factor",
    "log_autovacuum_min_duration",
    "toast_tuple_target",
    "parallel_workers",
    "vacuum_index_cleanup",
    "vacuum_truncate",
    "deduplicate_items",
    "vacuum_cleanup_index_scale_factor",
};

static bool in_list(const char *const *l, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(l[i], s) == 0)
			return true;
	return false;
}

/* The lock of one storage parameter, as reloptions.c declares it. */
static enum risk_lock relopt_lock(const char *ns, const char *name)
{
	if (in_list(relopt_ael, sizeof relopt_ael / sizeof *relopt_ael, name))
		return RISK_LOCK_ACCESS_EXCLUSIVE;
	if ((ns && strcmp(ns, "toast") == 0) ||
	    in_list(relopt_sue, sizeof relopt_sue / sizeof *relopt_sue, name))
		return RISK_LOCK_SHARE_UPDATE_EXCLUSIVE;
	return RISK_LOCK_ACCESS_EXCLUSIVE;
}

/* SET / RESET (options): the strongest lock over the options named, as
 * AlterTableGetRelOptionsLockLevel takes. */
static void at_rel_options(struct risk_at *a, const PgQuery__AlterTableCmd *cmd)
{
	struct risk_ctx *c = a->c;
	enum risk_lock m = RISK_LOCK_SHARE_UPDATE_EXCLUSIVE;
	const char *strong = NULL;
	const PgQuery__List *l =
	    cmd->def && cmd->def->node_case == PG_QUERY__NODE__NODE_LIST ? cmd->def->list : NULL;
	for (size_t i = 0; l && i < l->n_items; i++) {
		const PgQuery__DefElem *d = l->items[i]->node_case == PG_QUERY__NODE__NODE_DEF_ELEM
		                                ? l->items[i]->def_elem
		                                : NULL;
		if (!d || !d->defname)
			continue;
		enum risk_lock dm = relopt_lock(d->defnamespace, d->defname);
		if (dm > m) {
			m = dm;
			strong = d->defname;
		}
	}
	risk_lock(c, a->rel, m);
	const char *verb = cmd->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_SetRelOptions ? "changes"
	                   : cmd->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_ResetRelOptions
	                       ? "resets"
	                       : "replaces";
	if (strong)
		risk_say(c, "%s storage parameters of %s (%s takes ACCESS EXCLUSIVE)", verb, a->rel,
		         strong);
	else
		risk_say(c, "%s storage parameters of %s", verb, a->rel);
}

/* Lock levels from PostgreSQL 15's AlterTableGetLockLevel, checked against a
 * 15 server for the common forms. */
#define AT(t) [PG_QUERY__ALTER_TABLE_TYPE__AT_##t]
#define AEL   RISK_LOCK_ACCESS_EXCLUSIVE
#define SUE   RISK_LOCK_SHARE_UPDATE_EXCLUSIVE
#define SRE   RISK_LOCK_SHARE_ROW_EXCLUSIVE
static const struct at_entry at_table[PG_QUERY__ALTER_TABLE_TYPE__AT_ReAddStatistics + 1] = {
    AT(AddColumn) = {AEL, risk_at_add_column, NULL},
    AT(AddColumnRecurse) = {AEL, risk_at_add_column, NULL},
    AT(AddColumnToView) = {AEL, risk_at_add_column, NULL},
    AT(ColumnDefault) = {AEL, risk_at_column_default, NULL},
    AT(DropNotNull) = {AEL, risk_at_drop_not_null, NULL},
    AT(SetNotNull) = {AEL, risk_at_set_not_null, NULL},
    AT(DropExpression) = {AEL, NULL, "turns a generated column into a plain one"},
    AT(SetStatistics) = {SUE, NULL, "changes the statistics target of a column"},
    AT(SetOptions) = {SUE, NULL, "sets column options"},
    AT(ResetOptions) = {SUE, NULL, "resets column options"},
    AT(SetStorage) = {AEL, NULL, "changes a column's storage mode (no rewrite)"},
    AT(SetCompression) = {AEL, NULL, "changes a column's compression (new values only)"},
    AT(DropColumn) = {AEL, risk_at_drop_column, NULL},
    AT(DropColumnRecurse) = {AEL, risk_at_drop_column, NULL},
    AT(AddConstraint) = {RISK_LOCK_NONE, at_add_constraint, NULL},
    AT(AddConstraintRecurse) = {RISK_LOCK_NONE, at_add_constraint, NULL},
    AT(AlterConstraint) = {AEL, NULL, "changes a constraint's deferrability"},
    AT(ValidateConstraint) = {SUE, at_validate, NULL},
    AT(ValidateConstraintRecurse) = {SUE, at_validate, NULL},
    AT(AddIndexConstraint) = {AEL, at_add_constraint, NULL},
    AT(DropConstraint) = {AEL, at_drop_constraint, NULL},
    AT(DropConstraintRecurse) = {AEL, at_drop_constraint, NULL},
    AT(AlterColumnType) = {AEL, risk_at_alter_type, NULL},
    AT(AlterColumnGenericOptions) = {AEL, NULL, "changes a foreign column's options"},
    AT(ChangeOwner) = {AEL, NULL, "changes the owner"},
    AT(ClusterOn) = {SUE, NULL, "marks the index to CLUSTER on"},
    AT(DropCluster) = {SUE, NULL, "unmarks the CLUSTER index"},
    AT(SetLogged) = {AEL, at_set_logged, NULL},
    AT(SetUnLogged) = {AEL, at_set_logged, NULL},
    AT(DropOids) = {AEL, NULL, "drops OIDs"},
    AT(SetAccessMethod) = {AEL, at_set_access_method, NULL},
    AT(SetTableSpace) = {AEL, at_set_tablespace, NULL},
    AT(SetRelOptions) = {RISK_LOCK_NONE, at_rel_options, NULL},
    AT(ResetRelOptions) = {RISK_LOCK_NONE, at_rel_options, NULL},
    AT(ReplaceRelOptions) = {RISK_LOCK_NONE, at_rel_options, NULL},
    AT(EnableTrig) = {SRE, NULL, "enables a trigger"},
    AT(EnableAlwaysTrig) = {SRE, NULL, "enables a trigger"},
    AT(EnableReplicaTrig) = {SRE, NULL, "enables a trigger"},
    AT(DisableTrig) = {SRE, NULL, "disables a trigger"},
    AT(EnableTrigAll) = {SRE, NULL, "enables all triggers"},
    AT(DisableTrigAll) = {SRE, NULL, "disables all triggers, foreign key checks included"},
    AT(EnableTrigUser) = {SRE, NULL, "enables user triggers"},
    AT(DisableTrigUser) = {SRE, NULL, "disables user triggers"},
    AT(EnableRule) = {AEL, NULL, "enables a rule"},
    AT(EnableAlwaysRule) = {AEL, NULL, "enables a rule"},
    AT(EnableReplicaRule) = {AEL, NULL, "enables a rule"},
    AT(DisableRule) = {AEL, NULL, "disables a rule"},
    AT(AddInherit) = {AEL, at_inherit, NULL},
    AT(DropInherit) = {AEL, at_inherit, NULL},
    AT(AddOf) = {AEL, NULL, "ties the table to a composite type"},
    AT(DropOf) = {AEL, NULL, "unties the table from its composite type"},
    AT(ReplicaIdentity) = {AEL, NULL, "changes the replica identity"},
    AT(EnableRowSecurity) = {AEL, at_enable_rls, NULL},
    AT(DisableRowSecurity) = {AEL, NULL, "turns off row level security"},
    AT(ForceRowSecurity) = {AEL, at_enable_rls, NULL},
    AT(NoForceRowSecurity) = {AEL, NULL, "stops forcing row level security on the owner"},
    AT(GenericOptions) = {AEL, NULL, "changes foreign table options"},
    AT(AttachPartition) = {RISK_LOCK_NONE, at_attach_partition, NULL},
    AT(DetachPartition) = {RISK_LOCK_NONE, at_detach_partition, NULL},
    AT(DetachPartitionFinalize) = {RISK_LOCK_NONE, at_detach_partition, NULL},
    AT(AddIdentity) = {AEL, NULL, "makes a column an identity column (existing values kept)"},
    AT(SetIdentity) = {AEL, NULL, "changes an identity column's sequence options"},
    AT(DropIdentity) = {AEL, NULL, "drops the identity property of a column"},
};
#undef AT
#undef AEL
#undef SUE
#undef SRE

static const char *alter_kind(PgQuery__ObjectType t)
{
	switch (t) {
	case PG_QUERY__OBJECT_TYPE__OBJECT_INDEX: return "alter index";
	case PG_QUERY__OBJECT_TYPE__OBJECT_VIEW: return "alter view";
	case PG_QUERY__OBJECT_TYPE__OBJECT_MATVIEW: return "alter materialized view";
	case PG_QUERY__OBJECT_TYPE__OBJECT_SEQUENCE: return "alter sequence";
	case PG_QUERY__OBJECT_TYPE__OBJECT_FOREIGN_TABLE: return "alter foreign table";
	case PG_QUERY__OBJECT_TYPE__OBJECT_TYPE: return "alter type";
	default: return "alter table";
	}
}

/* Columns of the section's tables whose type is the composite type (as
 * written, qualified or not), "rel.col" joined by ", "; 0 when none. */
static size_t composite_users(struct risk_ctx *c, const char *type, struct strbuf *out)
{
	const char *dot = strchr(type, '.');
	const char *bare = dot ? dot + 1 : type;
	size_t n = 0;
	for (size_t i = 0; i < c->n_cols; i++) {
		const struct rk_col *k = &c->cols[i];
		if (k->dropped || !k->type)
			continue;
		size_t len = strcspn(k->type, "[");
		bool same = (strlen(type) == len && strncmp(k->type, type, len) == 0) ||
		            (strlen(bare) == len && strncmp(k->type, bare, len) == 0 && dot &&
		             strlen(c->schema) == (size_t)(dot - type) &&
		             strncmp(c->schema, type, (size_t)(dot - type)) == 0);
		if (!same)
			continue;
		strbuf_addf(out, "%s%s.%s", n ? ", " : "", k->rel, k->name);
		n++;
	}
	return n;
}

/* ALTER TYPE on a composite type: its relation is locked, but it has no
 * storage, so nothing is rewritten or scanned. A table column of the type
 * makes a type change of an attribute fail, and a dropped attribute
 * unreadable in the values that column stores. */
static void alter_composite(struct risk_ctx *c, const PgQuery__AlterTableStmt *s, const char *type)
{
	struct strbuf users;
	strbuf_init(&users);
	size_t n_users = composite_users(c, type, &users);
	risk_lock(c, type, RISK_LOCK_ACCESS_EXCLUSIVE);
	for (size_t i = 0; i < c->st->n_locks; i++)
		if (strcmp(c->st->locks[i].relation, type) == 0)
			c->st->locks[i].type = true;
	for (size_t i = 0; i < s->n_cmds; i++) {
		const PgQuery__AlterTableCmd *cmd = s->cmds[i]->alter_table_cmd;
		if (!cmd)
			continue;
		const char *attr = cmd->name ? cmd->name : "";
		switch (cmd->subtype) {
		case PG_QUERY__ALTER_TABLE_TYPE__AT_AlterColumnType:
			if (n_users) {
				risk_say(
				    c,
				    "changes attribute %s of composite type %s, which fails while "
				    "%s use%s the type",
				    attr, type, users.buf, n_users == 1 ? "s" : "");
				risk_effect(c, RISK_FX_CAN_FAIL);
			} else {
				risk_say(c,
				         "changes attribute %s of composite type %s (a type has no "
				         "storage: nothing is rewritten)",
				         attr, type);
			}
			break;
		case PG_QUERY__ALTER_TABLE_TYPE__AT_DropColumn:
			if (n_users) {
				risk_say(
				    c,
				    "drops attribute %s of composite type %s: its values stored in "
				    "%s can no longer be read",
				    attr, type, users.buf);
				risk_effect(c, RISK_FX_DATA_LOSS);
				risk_find(
				    c, RULE_DROP_COLUMN, type, s->relation->location,
				    "dropping attribute %s of %s loses its values stored in %s",
				    attr, type, users.buf);
			} else {
				risk_say(
				    c,
				    "drops attribute %s of composite type %s (a type stores no "
				    "data)",
				    attr, type);
			}
			break;
		case PG_QUERY__ALTER_TABLE_TYPE__AT_AddColumn:
			risk_say(c, "adds attribute %s to composite type %s", attr, type);
			break;
		default: risk_say(c, "alters composite type %s", type); break;
		}
	}
	strbuf_release(&users);
}

void risk_h_alter_table(struct risk_ctx *c, const Node *n)
{
	const PgQuery__AlterTableStmt *s = n->alter_table_stmt;
	struct risk_at a = {.c = c, .rel = risk_rv_name(c, s->relation)};
	a.is_new = risk_rel_is_new(c, a.rel);
	a.index = s->objtype == PG_QUERY__OBJECT_TYPE__OBJECT_INDEX;
	a.location = s->relation ? s->relation->location : -1;
	risk_kind(c, alter_kind(s->objtype));
	if (s->objtype == PG_QUERY__OBJECT_TYPE__OBJECT_TYPE) {
		alter_composite(c, s, a.rel);
		free(a.rel);
		return;
	}

	for (size_t i = 0; i < s->n_cmds; i++) {
		const PgQuery__AlterTableCmd *cmd = s->cmds[i]->alter_table_cmd;
		if (!cmd)
			continue;
		const struct at_entry *e =
		    (size_t)cmd->subtype < sizeof at_table / sizeof at_table[0]
		        ? &at_table[cmd->subtype]
		        : NULL;
		enum risk_lock m = e && (e->fn || e->say) ? e->lock : RISK_LOCK_ACCESS_EXCLUSIVE;
		if (m != RISK_LOCK_NONE)
			risk_lock(c, a.rel, m);
		if (e && e->fn)
			e->fn(&a, cmd);
		else if (e && e->say)
			risk_say(c, "%s of %s", e->say, a.rel);
		else
			risk_say(c, "alters %s", a.rel);
	}

	/* Most subcommands recurse to the partitions the section knows;
	 * ATTACH and DETACH lock only the partition they name. */
	enum risk_lock top = RISK_LOCK_NONE;
	bool recurses = true;
	for (size_t i = 0; i < s->n_cmds; i++) {
		const PgQuery__AlterTableCmd *cmd = s->cmds[i]->alter_table_cmd;
		if (cmd && (cmd->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_AttachPartition ||
		            cmd->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_DetachPartition ||
		            cmd->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_DetachPartitionFinalize))
			recurses = false;
	}
	for (size_t i = 0; i < c->st->n_locks; i++)
		if (strcmp(c->st->locks[i].relation, a.rel) == 0)
			top = c->st->locks[i].mode;
	if (s->relation && s->relation->inh && recurses && top >= RISK_LOCK_ACCESS_EXCLUSIVE)
		risk_lock_partitions(c, a.rel, top);

	/* multiple-alter-same-table: each ALTER can scan or rewrite again. */
	if (c->in_txn && !a.is_new && c->body_depth == 0 &&
	    s->objtype == PG_QUERY__OBJECT_TYPE__OBJECT_TABLE) {
		struct rk_alter *al = NULL;
		for (size_t i = 0; i < c->n_alters; i++)
			if (strcmp(c->alters[i].rel, a.rel) == 0 && c->alters[i].txn == c->txn)
				al = &c->alters[i];
		if (!al) {
			XGROW(c->alters, c->cap_alters, c->n_alters + 1);
			al = &c->alters[c->n_alters++];
			al->rel = xstrdup(a.rel);
			al->txn = c->txn;
			al->n = 0;
		}
		if (++al->n == 2)
			risk_find(c, RULE_MULTIPLE_ALTER_SAME_TABLE, a.rel, a.location,
			          "another ALTER TABLE on %s in the same transaction: one ALTER "
			          "TABLE with "
			          "several subcommands takes the lock and rewrites at most once",
			          a.rel);
	}
	free(a.rel);
}
