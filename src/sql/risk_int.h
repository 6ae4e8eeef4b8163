/* risk_int: private to the risk engine's files (src/sql/risk*.c). It holds
 * the rule enum generated from risk_rules.def, the per-section analysis
 * state that makes the rules context-aware, and the helpers the per-node
 * handlers use to record locks, effects, sentences and findings. It sits
 * beside the sources, not in include/, because nothing outside the engine
 * may depend on it. */
#ifndef PGSTEP_RISK_INT_H
#define PGSTEP_RISK_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <pg_query.h>
#include <pg_query/pg_query.pb-c.h>
#include "pgstep/arena.h"
#include "pgstep/pbtree.h"
#include "pgstep/risk.h"
#include "pgstep/section.h"
#include "pgstep/split.h"
#include "pgstep/strbuf.h"
#include "pgstep/strvec.h"

/* Short names used by risk_rules.def. */
#define SEV_INFO         RISK_INFO
#define SEV_WARN         RISK_WARN
#define SEV_ERROR        RISK_ERROR
#define FX_REWRITE       RISK_FX_REWRITE
#define FX_SCAN          RISK_FX_SCAN
#define FX_DATA_LOSS     RISK_FX_DATA_LOSS
#define FX_BREAKS_CODE   RISK_FX_BREAKS_CODE
#define FX_CAN_FAIL      RISK_FX_CAN_FAIL
#define FX_NO_TXN        RISK_FX_NO_TXN
#define RF_CONFIRM       RISK_RULE_CONFIRM
#define RF_CONNECTED     RISK_RULE_CONNECTED
#define RF_POLICY        RISK_RULE_POLICY
#define SEC_INDEXES      RISK_SEC_INDEXES
#define SEC_COLUMNS      RISK_SEC_COLUMNS
#define SEC_CONSTRAINTS  RISK_SEC_CONSTRAINTS
#define SEC_DESTRUCTIVE  RISK_SEC_DESTRUCTIVE
#define SEC_TRANSACTIONS RISK_SEC_TRANSACTIONS
#define SEC_MAINTENANCE  RISK_SEC_MAINTENANCE
#define SEC_DBA          RISK_SEC_DBA

enum rule_id {
#define RULE(e, ...) RULE_##e,
#include "risk_rules.def"
#undef RULE
	RULE_COUNT
};

typedef PgQuery__Node Node;

/* ---- analysis state ---------------------------------------------------- */

/* A relation the section created or learned something about. */
struct rk_rel {
	char *name;   /* "schema.name" */
	char kind;    /* 'r' table, 'p' partitioned, 'v' view, 'm' matview,
	               * 'i' index, 'S' sequence, 0 unknown */
	bool created; /* created in this section: new and empty */
	bool dropped;
	bool has_policy;
	int file_txn;       /* transaction that gave it a new file (created or rewritten) */
	bool unique;        /* index */
	char *table;        /* index: its table; partition: its parent */
	struct strvec cols; /* index: its columns; view: "schema.rel.col" it reads */
	struct strvec refs; /* table: relations its foreign keys reference */
	bool default_part;  /* partition: the DEFAULT one of its parent */
};

/* A column the section created or learned something about. */
struct rk_col {
	char *rel;
	char *name;
	char *type;               /* as written ("varchar(20)", "public.mood"), NULL unknown */
	bool created;             /* added in this section */
	bool not_null;            /* known NOT NULL */
	bool nullable;            /* known nullable */
	bool notnull_check_valid; /* a validated CHECK (col IS NOT NULL) */
	bool dropped;
	bool has_default;
	bool updated; /* written by an UPDATE of the section */
};

struct rk_con {
	char *rel;
	char *name;
	int contype; /* PgQuery__ConstrType */
	bool not_valid;
	bool validated;
	bool dropped;
	int txn;            /* transaction that added it */
	size_t stmt;        /* statement that added it */
	int location;       /* of its definition in the text, -1 unknown */
	char *ref_rel;      /* foreign key: referenced relation */
	char *notnull_col;  /* CHECK (col IS NOT NULL): the column */
	struct strvec cols; /* columns it uses */
};

struct rk_type {
	char *name; /* "schema.name" */
	char kind;  /* 'e' enum, 'd' domain */
	bool created;
	bool has_check;
};

struct rk_label {
	char *type;
	char *label;
	int txn;
	size_t stmt;
};

/* A function created in the section; calls later replay its body. */
struct rk_func {
	char *name;         /* last name component */
	struct strvec body; /* its SQL statements */
	char *unanalyzable; /* why it cannot be analysed, or NULL */
	char *plpgsql;      /* PL/pgSQL: the CREATE text, read at the first call */
	bool atomic;        /* body is the whole CREATE text (BEGIN ATOMIC) */
	bool txn_control;   /* PL/pgSQL body with COMMIT or ROLLBACK */
	char volatility;    /* 'i', 's' or 'v' as declared */
	bool replaying;     /* recursion guard */
};

struct rk_held {
	char *rel;
	enum risk_lock mode;
	size_t stmt;
};

struct rk_alter {
	char *rel;
	int txn;
	int n;
};

/* enum-conversion-via-temp-column: ADD c_new <enum>, UPDATE SET c_new,
 * DROP c, RENAME c_new TO c on one table. */
struct rk_conv {
	char *rel;
	char *newcol;
	char *type;
	bool updated;
	struct strvec dropped; /* columns dropped since the ADD */
};

struct rk_pending {
	char *name; /* old table name of a rename, or table of ENABLE RLS */
	size_t stmt;
	int rule;
	bool done;
};

#define RK_ARRAY(type, name)                                                                       \
	struct type *name;                                                                         \
	size_t n_##name, cap_##name

struct risk_ctx {
	const struct risk_options *opt;
	struct risk_report *rep;
	const char *text;    /* the analysed text */
	const char *schema;  /* schema of unqualified names */
	char *search_schema; /* owned: set by SET search_path */
	int base_line;

	/* the statement being analysed */
	struct risk_stmt *st;
	size_t si;             /* its index */
	struct strvec phrases; /* parts of its sentence */
	int body_depth;        /* >0 while replaying a DO or function body */
	int plan_only;         /* >0: parsed and planned, not run (EXPLAIN, SQL function bodies) */
	bool no_body_checks;   /* SET check_function_bodies = off */
	bool tz_utc;           /* the session TimeZone is a fixed UTC offset */
	bool tz_utc_outer;     /* its value before a SET LOCAL */
	bool tz_local;
	bool slow;      /* it reads or writes many rows */
	char *slow_rel; /* owned: of which relation */

	/* transaction structure */
	bool in_txn;       /* the current statement runs in a transaction block */
	bool explicit_txn; /* opened by the file's own BEGIN */
	int txn;           /* id of the current transaction */
	size_t begin_stmt;
	bool wrapped; /* the runner wraps the section in one transaction */

	/* timeouts in effect */
	int64_t lock_timeout_ms;
	int64_t lock_timeout_outer; /* value before a SET LOCAL */
	bool lock_timeout_local;
	int64_t stmt_timeout_ms;
	size_t lt_off_stmt; /* the SET that disabled it, or SIZE_MAX */
	bool lt_off_by_stmt_timeout;
	bool reported_missing_lt, reported_missing_st, reported_lt_off;

	RK_ARRAY(rk_rel, rels);
	RK_ARRAY(rk_col, cols);
	RK_ARRAY(rk_con, cons);
	RK_ARRAY(rk_type, types);
	RK_ARRAY(rk_label, labels);
	RK_ARRAY(rk_func, funcs);
	RK_ARRAY(rk_held, held);
	RK_ARRAY(rk_alter, alters);
	RK_ARRAY(rk_conv, convs);
	RK_ARRAY(rk_pending, pending);
	size_t *allow_stmt; /* per rep->allows entry: statement index, SIZE_MAX for file */
	size_t cap_allow_stmt;
	bool saw_nontx;
	size_t first_nontx;
	/* What uses an object, for drop-with-dependents: "key\tdependent\ttable"
	 * with key "f:name" (function), "t:schema.name" (type) or
	 * "r:schema.name" (relation); table "" when none is locked. */
	struct strvec deps;
	/* lock-held-across-statements, one finding per transaction: where it
	 * is, the locks it names ("rel\tmode\tline") and the slow statements. */
	size_t held_find_stmt, held_find_idx; /* SIZE_MAX: none yet */
	struct strvec held_named, held_slow;
};

/* ---- helpers (risk_state.c) -------------------------------------------- */

const struct risk_rule *risk_rule_get(enum rule_id id);

/* Node accessors. */
const char *risk_node_str(const Node *n); /* String's sval, else NULL */
/* "schema.name" for a RangeVar (unqualified: the default schema); owned. */
char *risk_rv_name(struct risk_ctx *c, const PgQuery__RangeVar *rv);
/* Qualified name from a list of String nodes; owned. */
char *risk_names_join(struct risk_ctx *c, Node *const *items, size_t n);
/* Last String of a list, or "". */
const char *risk_names_last(Node *const *items, size_t n);
/* A TypeName as written, lowercased: "varchar(20)", "public.mood", "int4[]". */
char *risk_type_text(const PgQuery__TypeName *t);
/* The type's last name component ("varchar", "mood"). */
const char *risk_type_base(const PgQuery__TypeName *t);
bool risk_type_is_schema_qualified(const PgQuery__TypeName *t);
/* A relation of PostgreSQL 15's pg_catalog ("pg_class"). */
bool risk_pg_catalog_rel(const char *relname);
/* Not a built-in type: an enum, domain or composite of the database. */
bool risk_type_is_user(const PgQuery__TypeName *t);
/* Qualified type name for lookups in the state. */
char *risk_type_qualified(struct risk_ctx *c, const PgQuery__TypeName *t);

/* State lookups; create=true adds an entry when missing. */
struct rk_rel *risk_rel(struct risk_ctx *c, const char *name, bool create);
bool risk_rel_is_new(struct risk_ctx *c, const char *name);
void risk_rel_created(struct risk_ctx *c, const char *name, char kind);
struct rk_col *risk_col(struct risk_ctx *c, const char *rel, const char *col, bool create);
struct rk_con *risk_con(struct risk_ctx *c, const char *rel, const char *name, bool create);
struct rk_type *risk_type(struct risk_ctx *c, const char *name, bool create);
struct rk_func *risk_func(struct risk_ctx *c, const char *name, bool create);
/* Connected facts, when a catalog is given. */
bool risk_facts_rel(struct risk_ctx *c, const char *rel, struct risk_rel_facts *out);
bool risk_facts_col(struct risk_ctx *c, const char *rel, const char *col,
                    struct risk_col_facts *out);

/* Recording, for the current statement. */
void risk_lock(struct risk_ctx *c, const char *rel, enum risk_lock mode);
void risk_effect(struct risk_ctx *c, unsigned fx);
/* The statement writes rel anew (a new relfilenode, even when rel is new):
 * the rewrite effect, remembered per transaction for TRUNCATE. */
void risk_rewrite(struct risk_ctx *c, const char *rel);
/* Lock the partitions of rel the section created (and theirs) in mode:
 * PostgreSQL recurses to them for most statements on a partitioned table. */
void risk_lock_partitions(struct risk_ctx *c, const char *rel, enum risk_lock mode);
void risk_kind(struct risk_ctx *c, const char *kind);
void risk_say(struct risk_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void risk_find(struct risk_ctx *c, enum rule_id r, const char *rel, int location, const char *fmt,
               ...) __attribute__((format(printf, 5, 6)));
/* Attach a finding to an earlier statement. */
void risk_find_at(struct risk_ctx *c, size_t stmt, enum rule_id r, const char *rel, const char *fmt,
                  ...) __attribute__((format(printf, 5, 6)));
/* The same, at a location of that statement's text (-1: its start). */
void risk_find_at_loc(struct risk_ctx *c, size_t stmt, enum rule_id r, const char *rel,
                      int location, const char *fmt, ...) __attribute__((format(printf, 6, 7)));
/* Mark the statement as reading or writing many rows of rel (for
 * lock-held-across-statements). */
void risk_slow(struct risk_ctx *c, const char *rel);

/* Unpack libpg_query's parse tree into arena a: the tree goes away with
 * arena_release, without a walk over its nodes. NULL when it does not decode. */

/* Generic walk over any parse-tree message (protobuf-c reflection). The
 * visitor returns false to skip the message's children. */
typedef bool (*risk_visit_fn)(const ProtobufCMessage *m, void *arg);
void risk_walk(const ProtobufCMessage *m, risk_visit_fn fn, void *arg);
#define RISK_IS(m, type) ((m)->descriptor == &pg_query__##type##__descriptor)

/* Locks every relation a query reads (AccessShareLock, or RowShareLock
 * under FOR UPDATE/SHARE) and replays calls of functions of the section. */
void risk_query_reads(struct risk_ctx *c, const ProtobufCMessage *q);
/* The same, with the names of a statement's WITH clause known as CTEs (its
 * FROM or USING items are walked before the WITH clause). */
void risk_query_reads_with(struct risk_ctx *c, const ProtobufCMessage *q,
                           const PgQuery__WithClause *with);
/* True when expr is a literal that is always true (WHERE true, 1 = 1). */
bool risk_expr_tautology(const Node *expr);
/* True when expr may be volatile: it calls a function that is not on the
 * list of non-volatile built-ins. *fn receives the first such name. */
bool risk_expr_volatile(struct risk_ctx *c, const Node *expr, const char **fn);

/* ---- handlers ------------------------------------------------------------ */

typedef void (*risk_handler_fn)(struct risk_ctx *c, const Node *n);

/* risk.c: run the handler for one node (also used for bodies). */
void risk_dispatch(struct risk_ctx *c, const Node *n);
/* risk.c: parse SQL text (a body statement) and dispatch each statement;
 * false when it does not parse. */
bool risk_replay_sql(struct risk_ctx *c, const char *sql);
/* risk.c: the locks PostgreSQL takes when it only parses and plans a query
 * (SELECT, INSERT, UPDATE, DELETE, MERGE): EXPLAIN without ANALYZE, and the
 * validation of an SQL function's body. Nothing runs: no effects, findings
 * or function replays; other statements take nothing. */
void risk_plan_locks(struct risk_ctx *c, const Node *n);

/* ALTER TABLE: risk_alter.c dispatches subcommands; the column ones are in
 * risk_column.c, constraint definitions in risk_constraint.c. */
struct risk_at {
	struct risk_ctx *c;
	char *rel;
	bool is_new; /* created in this section: new and empty */
	bool quiet;  /* part of CREATE TABLE: no sentence of its own */
	bool index;  /* ALTER INDEX */
	int location;
};

#define RISK_SAY_AT(a, ...)                                                                        \
	do {                                                                                       \
		if (!(a)->quiet)                                                                   \
			risk_say((a)->c, __VA_ARGS__);                                             \
	} while (0)

void risk_h_alter_table(struct risk_ctx *c, const Node *n);
void risk_at_add_column(struct risk_at *a, const PgQuery__AlterTableCmd *cmd);
void risk_at_column_default(struct risk_at *a, const PgQuery__AlterTableCmd *cmd);
void risk_at_drop_not_null(struct risk_at *a, const PgQuery__AlterTableCmd *cmd);
void risk_at_set_not_null(struct risk_at *a, const PgQuery__AlterTableCmd *cmd);
void risk_at_drop_column(struct risk_at *a, const PgQuery__AlterTableCmd *cmd);
void risk_at_alter_type(struct risk_at *a, const PgQuery__AlterTableCmd *cmd);
/* SET [LOCAL] timezone, SET TIME ZONE, RESET timezone (risk_column.c). */
void risk_set_timezone(struct risk_ctx *c, const PgQuery__VariableSetStmt *s, bool reset);
/* A constraint added to a->rel; col/col_has_value when inline in ADD COLUMN
 * (a foreign key on a new column without a value checks no rows). */
void risk_at_constraint(struct risk_at *a, const PgQuery__Constraint *k, const char *col,
                        bool col_has_value);
/* A column or constraint of a table created by CREATE TABLE. */
void risk_new_table_column(struct risk_ctx *c, const char *rel, const PgQuery__ColumnDef *cd);
void risk_new_table_constraint(struct risk_ctx *c, const char *rel, const PgQuery__Constraint *k);
/* risk_ddl.c */
/* A new partition of parent (attached or created): the default partition is
 * scanned and locked (default-partition-scan). */
void risk_partition_added(struct risk_ctx *c, const char *parent, const char *part, bool is_default,
                          int location);
/* DETACH of a partition of parent: with a default partition, CONCURRENTLY
 * fails (55000) and a plain DETACH locks it too. */
void risk_partition_detach(struct risk_ctx *c, const char *parent, bool concurrent, int location);
/* After ALTER COLUMN TYPE (old may be NULL): views that use the column
 * (0A000) and indexes rebuilt when the table was not rewritten. */
void risk_alter_type_dependents(struct risk_at *a, const PgQuery__AlterTableCmd *cmd,
                                const char *old, const char *new);
/* cluster-wide-statement: n acts on an object shared by every tenant. */
void risk_check_shared(struct risk_ctx *c, const Node *n);
/* The functions a new column's default (or CHECK) calls depend on it. */
void risk_dep_column(struct risk_ctx *c, const char *rel, const PgQuery__ColumnDef *cd);
/* Record that dependent (which locks table, or NULL) uses the object key. */
void risk_dep_add(struct risk_ctx *c, const char *key, const char *dependent, const char *table);
void risk_h_create_table(struct risk_ctx *c, const Node *n);
void risk_h_create_table_as(struct risk_ctx *c, const Node *n);
void risk_h_view(struct risk_ctx *c, const Node *n);
void risk_h_index(struct risk_ctx *c, const Node *n);
void risk_h_drop(struct risk_ctx *c, const Node *n);
void risk_h_rename(struct risk_ctx *c, const Node *n);
void risk_h_truncate(struct risk_ctx *c, const Node *n);
void risk_h_reindex(struct risk_ctx *c, const Node *n);
void risk_h_vacuum(struct risk_ctx *c, const Node *n);
void risk_h_cluster(struct risk_ctx *c, const Node *n);
void risk_h_refresh(struct risk_ctx *c, const Node *n);
void risk_h_create_trigger(struct risk_ctx *c, const Node *n);
void risk_h_create_policy(struct risk_ctx *c, const Node *n);
void risk_h_alter_policy(struct risk_ctx *c, const Node *n);
void risk_h_rule(struct risk_ctx *c, const Node *n);
void risk_h_comment(struct risk_ctx *c, const Node *n);
void risk_h_create_stats(struct risk_ctx *c, const Node *n);
void risk_h_create_seq(struct risk_ctx *c, const Node *n);
void risk_h_alter_seq(struct risk_ctx *c, const Node *n);
void risk_h_set_schema(struct risk_ctx *c, const Node *n);
void risk_h_alter_owner(struct risk_ctx *c, const Node *n);
void risk_h_create_schema(struct risk_ctx *c, const Node *n);
void risk_h_database(struct risk_ctx *c, const Node *n);
void risk_h_tablespace(struct risk_ctx *c, const Node *n);
void risk_h_alter_system(struct risk_ctx *c, const Node *n);
void risk_h_move_all(struct risk_ctx *c, const Node *n);
/* risk_types.c */
void risk_h_create_enum(struct risk_ctx *c, const Node *n);
void risk_h_alter_enum(struct risk_ctx *c, const Node *n);
void risk_h_create_domain(struct risk_ctx *c, const Node *n);
void risk_h_alter_domain(struct risk_ctx *c, const Node *n);
void risk_h_grant(struct risk_ctx *c, const Node *n);
void risk_h_define(struct risk_ctx *c, const Node *n);
void risk_enum_uses(struct risk_ctx *c, const Node *stmt);
/* risk_dml.c */
void risk_h_select(struct risk_ctx *c, const Node *n);
void risk_h_insert(struct risk_ctx *c, const Node *n);
void risk_h_update(struct risk_ctx *c, const Node *n);
void risk_h_delete(struct risk_ctx *c, const Node *n);
void risk_h_merge(struct risk_ctx *c, const Node *n);
void risk_h_copy(struct risk_ctx *c, const Node *n);
void risk_h_set(struct risk_ctx *c, const Node *n);
void risk_h_lock(struct risk_ctx *c, const Node *n);
void risk_h_call(struct risk_ctx *c, const Node *n);
void risk_h_explain(struct risk_ctx *c, const Node *n);
/* risk_body.c */
void risk_h_do(struct risk_ctx *c, const Node *n);
void risk_h_create_function(struct risk_ctx *c, const Node *n);
/* Replay the body of a function created in the section, if name is one. */
void risk_call_function(struct risk_ctx *c, const char *name);
/* A function of the section declared IMMUTABLE or STABLE. */
bool risk_func_nonvolatile(struct risk_ctx *c, const char *name);

/* risk_directives.c: pgstep directives, as the section reader found them. */
/* The directives being applied: file-level ones (the leading comment
 * block) or those of statement stmt. */
struct risk_dirscan {
	struct risk_ctx *c;
	bool file_level;
	size_t stmt;
	/* file-level settings found */
	bool no_txn;
};

/* Apply one directive: pgstep:allow, and with settings the file's
 * pgstep:no-transaction. */
void risk_directive(struct risk_dirscan *d, const struct sect_directive *dir, bool settings);
/* Mark findings silenced by the section's pgstep:allow directives. */
void risk_apply_allows(struct risk_ctx *c);
void risk_add_problem(struct risk_report *r, int line, int col, char *msg);

/* risk_explain.c: the statement's sentence from its phrases and locks. */
char *risk_explain_sentence(struct risk_ctx *c);

#endif
