/* migration: one migration as read from disk, with its up and down SQL, its
 * statements (split by libpg_query), its directives and checksum. */
#ifndef PGSTEP_MIGRATION_H
#define PGSTEP_MIGRATION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "pgstep/sha256.h"
#include "pgstep/section.h"
#include "pgstep/split.h"
#include "pgstep/strvec.h"
#include "pgstep/version.h"

enum migration_format {
	FORMAT_DBMATE, /* NNN_name.sql with -- migrate:up / -- migrate:down */
	FORMAT_PAIR,   /* NNN_name.up.sql + NNN_name.down.sql */
	FORMAT_DIESEL, /* NNN_name/up.sql + NNN_name/down.sql */
	FORMAT_FLYWAY, /* V<ver>__desc.sql + optional U<ver>__desc.sql */
	FORMAT_PLAIN,  /* NNN_name.sql, up only */
	FORMAT_GOOSE,  /* NNN_name.sql with -- +goose Up / -- +goose Down */
	FORMAT_PRISMA, /* <timestamp>_name/migration.sql, up only */
	FORMAT_SQITCH, /* sqitch.plan with deploy/NAME.sql + revert/NAME.sql */
};

struct allow_directive {
	char *rule;   /* owned */
	char *reason; /* owned */
	int line;
};

struct migration_section {
	char *path;                  /* owned: file the text came from (NULL: none) */
	char *text;                  /* owned: the SQL text of the section (NULL: none) */
	int first_line;              /* line in path where text begins */
	size_t file_offset;          /* byte offset in path where text begins */
	bool no_transaction;         /* transaction:false marker or directive */
	struct statement_list stmts; /* filled by migration_split() */
	/* The parse trees of stmts, from the same parse (statement i is
	 * tree->stmts[i]), until a consumer takes them (migration_take_trees):
	 * NULL for a text past SQL_CHUNK_BYTES (parsed a chunk at a time) or
	 * once taken or dropped. */
	struct arena *trees;
	struct PgQuery__ParseResult *tree;
	/* Directives of the file holding the section (owned; for a dbmate
	 * section, those of the whole file), with file offsets. */
	struct sect_directive *dirs;
	size_t n_dirs;
	bool split_done;
};

struct migration {
	struct version version;
	char *name;  /* owned: description part, e.g. "tenancy" */
	char *phase; /* owned: phase name, "" when the set has no phases */
	enum migration_format format;
	bool archived; /* in archive/: listed, never applied */

	struct migration_section up;
	struct migration_section down; /* text NULL: irreversible */

	char checksum[SHA256_HEX_LEN + 1]; /* SHA-256 of up.text */

	/* directives (leading comment block of the up file); what applies when
	 * it runs is settings_of()'s to say (settings.h) */
	char *note;              /* owned, may be NULL */
	struct strvec requires;  /* canonical version keys */
	bool no_transaction;     /* pgstep:no-transaction (or transaction:false) */
	int no_transaction_line; /* line of pgstep:no-transaction in up.path; 0: none */
	int64_t lock_timeout_ms; /* -1: none (never 0: the loader refuses it) */
	int lock_timeout_line;   /* line of pgstep:lock-timeout in up.path */
	struct allow_directive *allows;
	size_t n_allows;
	bool baseline;

	char *label; /* private: cache of migration_label(), owned */
};

struct arena;
struct PgQuery__ParseResult;

/* Split the up and down sections into statements with libpg_query if not yet
 * done; a parse error becomes err naming file, line and column. The parse
 * trees stay with each section for the first consumer. */
bool migration_split(struct migration *m, struct pgstep_error *err);

/* The trees of a split section: the caller owns the arena (arena_release,
 * free) and *tree points into it. NULL when the section has none. */
struct arena *migration_take_trees(struct migration_section *s, struct PgQuery__ParseResult **tree);
/* Free the trees of m's sections (a caller that only runs the statements). */
void migration_drop_trees(struct migration *m);

/* Display label "001_tenancy" (owned by the migration). */
const char *migration_label(struct migration *m);
bool migration_reversible(const struct migration *m);
void migration_free(struct migration **m);
/* Free what a section owns and empty it. */
void migration_section_release(struct migration_section *s);

#endif
