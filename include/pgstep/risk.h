/* risk: the risk engine. It classifies every statement of one migration
 * section from libpg_query's parse tree: the kind of statement, the relations
 * it locks and in which mode (named as pg_locks.mode names them), what it does
 * to the table (rewrite, scan, data loss, ...), one plain-language sentence,
 * and the findings of the rule table (src/sql/risk_rules.def). The analysis is
 * context-aware across the section: relations created earlier are new and
 * empty, the transaction structure is known, and multi-statement patterns are
 * seen. The engine never prints; front ends render the report.
 *
 * Offline, everything comes from the SQL text. A connected caller can pass a
 * catalog (struct risk_catalog) so that claims gain facts about existing
 * relations; the analysis stays the same, only better informed. */
#ifndef PGSTEP_RISK_H
#define PGSTEP_RISK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "pgstep/strbuf.h"
#include "pgstep/strvec.h"

enum risk_severity {
	RISK_INFO = 0,
	RISK_WARN = 1,
	RISK_ERROR = 2,
};

/* Table-level lock modes, weakest to strongest (PostgreSQL's own order). */
enum risk_lock {
	RISK_LOCK_NONE = 0,
	RISK_LOCK_ACCESS_SHARE,
	RISK_LOCK_ROW_SHARE,
	RISK_LOCK_ROW_EXCLUSIVE,
	RISK_LOCK_SHARE_UPDATE_EXCLUSIVE,
	RISK_LOCK_SHARE,
	RISK_LOCK_SHARE_ROW_EXCLUSIVE,
	RISK_LOCK_EXCLUSIVE,
	RISK_LOCK_ACCESS_EXCLUSIVE,
};

/* What a statement does besides locking (bit flags). */
enum risk_effect {
	RISK_FX_REWRITE = 1u << 0,     /* rewrites the table (and its indexes) */
	RISK_FX_SCAN = 1u << 1,        /* reads every row */
	RISK_FX_DATA_LOSS = 1u << 2,   /* can lose data */
	RISK_FX_BREAKS_CODE = 1u << 3, /* breaks running application code */
	RISK_FX_CAN_FAIL = 1u << 4,    /* can fail on existing data or context */
	RISK_FX_NO_TXN = 1u << 5,      /* cannot run inside a transaction block */
};

/* Rule flags. */
enum risk_rule_flag {
	RISK_RULE_CONFIRM = 1u << 0,   /* ask for a typed confirmation before running */
	RISK_RULE_CONNECTED = 1u << 1, /* fully decided only with a catalog */
	RISK_RULE_POLICY = 1u << 2,    /* a policy, not a property of the statement */
};

/* Sections of the rule table (the catalogue's sections). */
enum risk_section {
	RISK_SEC_INDEXES,
	RISK_SEC_COLUMNS,
	RISK_SEC_CONSTRAINTS,
	RISK_SEC_DESTRUCTIVE,
	RISK_SEC_TRANSACTIONS,
	RISK_SEC_MAINTENANCE,
	RISK_SEC_DBA,
	RISK_SEC_COUNT
};

struct risk_rule {
	const char *id; /* stable id, e.g. "set-not-null-scan" */
	enum risk_severity severity;
	enum risk_section section;
	unsigned effects;        /* enum risk_effect bits */
	unsigned flags;          /* enum risk_rule_flag bits */
	const char *title;       /* one line */
	const char *lock;        /* the lock it takes, in words */
	const char *explain;     /* plain language: what happens and why it matters */
	const char *alternative; /* the safer way */
};

/* ---- the rule table ---------------------------------------------------- */

size_t risk_rule_count(void);
/* Rules in table order; NULL past the end. */
const struct risk_rule *risk_rule_at(size_t i);
/* Look a rule up by id; NULL when unknown. */
const struct risk_rule *risk_rule_find(const char *id);
const char *risk_severity_name(enum risk_severity s); /* "info", "warn", "error" */
bool risk_severity_parse(const char *s, enum risk_severity *out);
/* pg_locks.mode spelling: "AccessExclusiveLock"; "" for RISK_LOCK_NONE. */
const char *risk_lock_name(enum risk_lock m);
/* SQL spelling: "ACCESS EXCLUSIVE". */
const char *risk_lock_sql_name(enum risk_lock m);
/* Parse either spelling (case-insensitive). */
bool risk_lock_parse(const char *s, enum risk_lock *out);
/* True when a holder of a conflicts with a request for b (symmetric). */
bool risk_lock_conflicts(enum risk_lock a, enum risk_lock b);
/* Names of the effects in flags, comma-separated, appended to out. */
void risk_effects_describe(unsigned effects, struct strbuf *out);
/* The rule's full text, for `pgstep lint --explain RULE`. */
void risk_rule_describe(const struct risk_rule *r, struct strbuf *out);
/* doc/risk-rules.md: every rule, grouped by section, in Markdown. */
void risk_rules_markdown(struct strbuf *out);

/* ---- connected facts (optional) ---------------------------------------- */

struct risk_rel_facts {
	bool exists;
	char relkind;  /* pg_class.relkind: 'r', 'p', 'i', 'v', 'm', 'S', ... */
	int64_t rows;  /* reltuples estimate, -1 unknown */
	int64_t bytes; /* pg_total_relation_size, -1 unknown */
};

struct risk_col_facts {
	bool exists;
	bool not_null;
	bool has_default;
	bool has_valid_not_null_check; /* a validated CHECK (col IS NOT NULL) */
	int n_dependents;              /* views, indexes, constraints, defaults using it */
	bool leading_index;            /* a valid index on the table starts with it */
	char type[64];                 /* format_type() of the column, "" unknown */
};

/* A catalog answers questions about objects that existed before the
 * migration. Every callback may be NULL (unknown); each returns false when it
 * cannot answer. Relation names are "schema.name" as in the report. */
struct risk_catalog {
	void *ctx;
	bool (*relation)(void *ctx, const char *rel, struct risk_rel_facts *out);
	bool (*column)(void *ctx, const char *rel, const char *col, struct risk_col_facts *out);
	bool (*domain_has_check)(void *ctx, const char *type, bool *out);
	/* The relation a named index belongs to ("schema.table"); caller frees. */
	bool (*index_table)(void *ctx, const char *index, char **table_out);
	/* The table foreign key name on rel references ("schema.table"); caller
	 * frees. */
	bool (*constraint_ref)(void *ctx, const char *rel, const char *name, char **ref_out);
};

/* ---- analysis ---------------------------------------------------------- */

/* How the runner will execute the section. */
enum risk_txn_mode {
	/* pgstep's default: one transaction around the section, unless it holds a
	 * statement that cannot run in one (then statement by statement) or its
	 * own BEGIN/COMMIT (then as written). */
	RISK_TXN_AUTO = 0,
	RISK_TXN_WRAPPED, /* always wrapped in one transaction */
	RISK_TXN_NONE,    /* declared non-transactional: statement by statement */
};

#define RISK_DEFAULT_LOCK_TIMEOUT_CEILING_MS 60000

struct risk_report;
struct config;
struct sect_directive;
struct arena;
struct statement_list;
struct PgQuery__ParseResult;

struct risk_options {
	enum risk_txn_mode txn;
	/* lock_timeout / statement_timeout the runner sets before the section;
	 * 0 = none. pgstep's runner always sets lock_timeout. For
	 * risk_analyze_migration they come from settings_of(config, m). */
	int64_t lock_timeout_ms;
	int64_t statement_timeout_ms;
	/* Where those came from (settings_origin_text), named in the timeout
	 * findings; NULL: not said. Borrowed. */
	const char *lock_timeout_from;
	const char *statement_timeout_from;
	/* risk_analyze_migration: the pgstep.conf whose settings apply (NULL:
	 * the built-in defaults). */
	const struct config *config;
	/* A SET lock_timeout above this counts as disabling it; 0 = no ceiling. */
	int64_t lock_timeout_ceiling_ms;
	/* Schema of unqualified names in the report; NULL means "public". */
	const char *default_schema;
	/* Where the text sits in its file, for line numbers and offsets. */
	int base_line; /* line of the text's first byte (1 when 0) */
	size_t base_offset;
	/* The directives of the file holding the text, as the section reader
	 * found them (file offsets), when have_dirs; dirs_settings says whether
	 * its leading pgstep:no-transaction applies to this section (the
	 * timeouts are always the caller's, from settings_of). Without have_dirs
	 * the engine reads the text's own, with settings for an up section. */
	const struct sect_directive *dirs;
	size_t n_dirs;
	bool have_dirs;
	bool dirs_settings;
	/* The text's statements and their trees, already split by the one
	 * splitter (risk_analyze_migration gives the loader's): walked instead
	 * of parsing the text again. The report takes trees (the arena is its
	 * to free after the call, used or not). */
	const struct statement_list *stmts;
	struct arena *trees;
	struct PgQuery__ParseResult *tree;
	/* Down section: the analysis of its up section (what the up created),
	 * for down-loses-data. NULL for an up section. */
	const struct risk_report *up;
	/* An up section whose migration has no down (irreversible-migration). */
	bool no_down;
	/* Relations ("schema.name") that earlier migrations of the same plan
	 * create: new and empty here, like those the section creates. NULL:
	 * none. Borrowed. */
	const struct strvec *plan_created;
	/* Connected mode; all optional. */
	const struct risk_catalog *catalog;
	int server_version_num; /* 0 unknown */
	bool timezone_utc;      /* session TimeZone is UTC */
};

/* A relation the statement locks, strongest mode only. */
struct risk_lock_claim {
	char *relation; /* owned: "schema.name" */
	enum risk_lock mode;
	bool new_relation; /* created earlier in this section */
	bool catalog;      /* a system catalog (pg_catalog, pg_toast, information_schema) */
	bool type;         /* a composite type's relation: it holds no rows */
};

struct risk_finding {
	const struct risk_rule *rule;
	enum risk_severity severity; /* the rule's, unless scaled by facts */
	char *message;               /* owned: names the relation/column */
	char *relation;              /* owned, may be NULL */
	int line, col;               /* where in the file (statement start unless known) */
	bool allowed;                /* silenced by pgstep:allow */
	char *allow_reason;          /* owned when allowed */
};

struct PgQuery__Node;

struct risk_stmt {
	char *sql; /* owned: statement text without the ';' */
	/* Its parse tree, kept in the report's arena for the consumers after
	 * the risk engine (preflight), so the text is not parsed again; NULL
	 * for a text past SQL_CHUNK_BYTES, whose trees are not kept. */
	const struct PgQuery__Node *node;
	size_t offset;    /* byte offset of its first token in the file */
	int line, col;    /* of its first token, in the file (col in characters) */
	const char *kind; /* static short name: "alter table", "create index", ... */
	char *explain;    /* owned: one plain-language sentence */
	struct risk_lock_claim *locks;
	size_t n_locks, cap_locks;
	unsigned effects;    /* enum risk_effect bits */
	bool in_transaction; /* runs inside a transaction block */
	struct risk_finding *findings;
	size_t n_findings, cap_findings;
};

/* A pgstep:allow directive that was read (the audit log records reasons). */
struct risk_allow {
	char *rule;      /* owned: a valid rule id */
	char *reason;    /* owned */
	int line;        /* in the file */
	bool file_level; /* from the leading comment block */
	bool used;       /* silenced at least one finding */
};

/* A problem with the input itself: a parse error or a bad directive. */
struct risk_problem {
	int line, col;
	char *message; /* owned */
};

/* A foreign key a section added (all names "schema.name"). */
struct risk_foreign_key {
	char *rel;     /* owned: the referencing table */
	char *name;    /* owned */
	char *ref_rel; /* owned: the referenced table */
};

struct risk_report {
	struct risk_stmt *stmts;
	size_t n_stmts, cap_stmts;
	struct risk_problem *problems;
	size_t n_problems, cap_problems;
	struct risk_allow *allows;
	size_t n_allows, cap_allows;
	bool parse_failed;   /* a statement did not parse (a problem): the others are analysed */
	struct arena *trees; /* owned: where the statements' trees live */
	bool runs_in_transaction; /* how pgstep runs it (false: statement by statement) */
	/* What the section created, for the analysis of its down section. */
	struct strvec created_relations; /* "schema.name" */
	struct strvec created_columns;   /* "schema.table.column" on existing tables */
	struct strvec retyped_columns;   /* "schema.table.column" */
	struct risk_foreign_key *foreign_keys;
	size_t n_foreign_keys, cap_foreign_keys;
};

void risk_options_init(struct risk_options *o);
void risk_report_init(struct risk_report *r);
void risk_report_clear(struct risk_report *r);

/* Analyse text (one migration section). Problems, including parse errors,
 * land in out->problems; the return value is false only when a statement
 * does not parse (the statements that do are still analysed). */
bool risk_analyze(const char *text, const struct risk_options *opt, struct risk_report *out);

/* One migration file: a dbmate file's "-- migrate:up" and "-- migrate:down"
 * sections (with "transaction:false"), or the whole text as an up section.
 * The down section is analysed with the up's report, for down-loses-data. */
struct risk_file_report {
	struct risk_report up;
	struct risk_report down;
	bool has_down_section;
};

void risk_file_report_init(struct risk_file_report *r);
void risk_file_report_clear(struct risk_file_report *r);
/* base gives the runner's settings; for text without dbmate markers,
 * base->no_down says whether the migration has a down elsewhere. Returns
 * false when a section does not parse. */
bool risk_analyze_file(const char *text, const struct risk_options *base,
                       struct risk_file_report *out);
/* The same with the section reader's flags: SECT_MARKERS for a file whose
 * name allows markers (NNN_name.sql), 0 for an up or down file of a pair
 * (with base->up set for a down: its own leading directives are then no
 * settings). */
bool risk_analyze_text(const char *text, unsigned flags, const struct risk_options *base,
                       struct risk_file_report *out);

/* A file as `pgstep lint FILE` sees it: its name (pgstep/migfile.h) says
 * whether it is an up (analysed with its own sections, and no_down unless
 * has_partner) or a down (analysed against its up, partner_text, which may
 * be NULL when unreadable). */
bool risk_analyze_named(const char *path, const char *text, bool has_partner,
                        const char *partner_text, const struct risk_options *base,
                        struct risk_file_report *out);

struct migration;
/* One migration of a set (pgstep plan, the interface): its up and down
 * sections with the settings settings_of(base->config, m) says apply
 * (timeouts, no-transaction) and each section's directives (pgstep:allow).
 * The sections are split (migration_split) if they were not, and the trees
 * of that split move to the report: one parse serves the runner's list, the
 * risk engine and preflight. */
bool risk_analyze_migration(struct migration *m, const struct risk_options *base,
                            struct risk_file_report *out);

/* Whether a statement must be confirmed before the step runner runs it, and
 * why: it takes a lock stronger than ROW EXCLUSIVE on a relation that existed
 * before the migration, or it has an error-level finding (not allowed), or
 * it can lose data (a rule flagged RISK_RULE_CONFIRM, allowed or not: the
 * author's reason is no excuse at 3 a.m.), which asks for the relation's
 * name to be typed. */
enum risk_confirm_kind {
	RISK_CONFIRM_NONE,
	RISK_CONFIRM_LOCK,  /* a strong lock on an existing relation */
	RISK_CONFIRM_ERROR, /* an error-level finding */
	RISK_CONFIRM_TYPED, /* can lose data: type the relation's name */
};
struct risk_confirm {
	enum risk_confirm_kind kind; /* the strongest reason */
	/* The strongest lock on an existing relation (NULL, NONE: none); borrowed. */
	const char *lock_relation;
	enum risk_lock lock_mode;
	/* The finding behind ERROR or TYPED; borrowed. */
	const struct risk_finding *finding;
	/* TYPED: the name to type, without its schema; borrowed from the
	 * statement (points into a "schema.name"). */
	const char *typed_name;
};
void risk_stmt_confirm(const struct risk_stmt *st, struct risk_confirm *out);

/* Highest severity of the non-allowed findings and problems (problems count
 * as errors); -1 when there are none. */
int risk_report_worst(const struct risk_report *r);

#endif
