/* preflight: data checks that say, before a migration runs, whether it will
 * fail on the rows a table holds or silently change them. They are
 * generated from the parse tree of each statement: orphans for a new
 * foreign key, duplicates for a new unique index, constraint or primary key,
 * NULLs for SET NOT NULL (and rows for a NOT NULL column added without a
 * default), rows violating a new CHECK, values an enum conversion cannot
 * map (ALTER COLUMN TYPE enum USING ...), and values an UPDATE's
 * CASE ... ELSE mapping sends to its ELSE branch.
 *
 * Expressions and identifiers are turned back into SQL by the deparse module
 * (only where the deparser is faithful), and every expression is put in
 * parentheses of its own. Each query returns at
 * most 5 rows of (total bigint, sample text): the number of offending rows
 * and a few offending values. This module only writes the queries; the
 * engine runs them, read-only. */
#ifndef PGSTEP_PREFLIGHT_H
#define PGSTEP_PREFLIGHT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "pgstep/risk.h"
#include "pgstep/strvec.h"

#define PREFLIGHT_SAMPLES 5

enum preflight_kind {
	PREFLIGHT_FK_ORPHANS,      /* rows whose key has no row in the referenced table */
	PREFLIGHT_DUPLICATES,      /* key values held by more than one row */
	PREFLIGHT_NULLS,           /* NULLs in a column that becomes NOT NULL */
	PREFLIGHT_REQUIRED_COLUMN, /* rows a new NOT NULL column without default fails on */
	PREFLIGHT_CHECK,           /* rows for which a new CHECK is false */
	PREFLIGHT_ENUM_UNMAPPED,   /* values that are not labels of the target enum */
	PREFLIGHT_CASE_ELSE,       /* values no WHEN of an UPDATE's CASE matches */
};

enum preflight_status {
	PREFLIGHT_PENDING, /* generated, not run */
	PREFLIGHT_SKIPPED, /* cannot be checked now: note says why */
	PREFLIGHT_OK,      /* ran, found nothing */
	PREFLIGHT_FOUND,   /* ran, found rows */
	PREFLIGHT_ERROR,   /* the query failed (timeout, ...): error says how */
};

struct preflight_check {
	enum preflight_kind kind;
	size_t stmt;                 /* index of the statement in its report */
	int line;                    /* the statement's line in the file */
	char *relation;              /* owned: "schema.name" as the report names it */
	char *what;                  /* owned: one sentence naming constraint, table, columns */
	char *sql;                   /* owned: the query; NULL when skipped at generation */
	enum risk_severity severity; /* of found rows: error (fails) or warn (silent change) */
	char *note;                  /* owned: why skipped, or a caveat; may be NULL */
	/* Filled when run: */
	enum preflight_status status;
	int64_t count;                          /* offending rows */
	struct strvec samples;                  /* up to PREFLIGHT_SAMPLES values, as text */
	int64_t sample_rows[PREFLIGHT_SAMPLES]; /* rows holding each sample; 1 when not grouped */
	char *error;                            /* owned: when status is PREFLIGHT_ERROR */
};

struct preflight_list {
	struct preflight_check *items; /* owned */
	size_t n, cap;
};

void preflight_list_init(struct preflight_list *l);
void preflight_list_clear(struct preflight_list *l);
/* "fk-orphans", "duplicates", "nulls", "required-column", "check",
 * "enum-unmapped", "case-else". */
const char *preflight_kind_name(enum preflight_kind k);
const char *preflight_status_name(enum preflight_status s);

/* Questions about objects that exist now; every callback may be NULL.
 * Names are "schema.name" as the risk report writes them. */
struct preflight_lookup {
	void *ctx;
	/* Labels of an enum type, in order; false when not an enum. */
	bool (*enum_labels)(void *ctx, const char *type, struct strvec *out);
	/* Columns of a table's primary key; false when it has none. */
	bool (*primary_key)(void *ctx, const char *rel, struct strvec *out);
	/* pg_get_constraintdef of a constraint (caller frees), or NULL. */
	char *(*constraint_def)(void *ctx, const char *rel, const char *name);
};

/* The checks of the migrations of one plan, generated in order. State
 * carries from one migration to the next: what earlier ones create, rename,
 * add NOT VALID or change decides whether a later check can run now. */
struct preflight_plan;

/* default_schema: the schema of unqualified names in the report (NULL:
 * "public"). lookup may be NULL (offline: enum labels from the files only,
 * no primary keys). Both must outlive the plan. */
struct preflight_plan *preflight_plan_new(const char *default_schema,
                                          const struct preflight_lookup *lookup);
void preflight_plan_free(struct preflight_plan **p);

/* Append the checks of one analysed section (its statements' SQL is parsed
 * again) to out; label names the migration in notes ("012_tool_calls_fk"). */
void preflight_generate(struct preflight_plan *p, const char *label, const struct risk_report *rep,
                        struct preflight_list *out);

#endif
