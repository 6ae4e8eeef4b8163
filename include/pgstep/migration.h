/* migration: one migration as read from disk, with its up and down SQL, its
 * statements (split by libpg_query), its directives and checksum. */
#ifndef PGSTEP_MIGRATION_H
#define PGSTEP_MIGRATION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "pgstep/sha256.h"
#include "pgstep/strvec.h"
#include "pgstep/version.h"

enum migration_format {
	FORMAT_DBMATE,      /* NNN_name.sql with -- migrate:up / -- migrate:down */
	FORMAT_PAIR,        /* NNN_name.up.sql + NNN_name.down.sql */
	FORMAT_DIESEL,      /* NNN_name/up.sql + NNN_name/down.sql */
	FORMAT_FLYWAY,      /* V<ver>__desc.sql + optional U<ver>__desc.sql */
	FORMAT_PLAIN,       /* NNN_name.sql, up only */
};

/* A statement's role in transaction handling, from its parse tree. */
enum stmt_txn {
	STMT_TXN_NORMAL,    /* runs inside a transaction */
	STMT_TXN_BEGIN,     /* BEGIN / START TRANSACTION written in the file */
	STMT_TXN_COMMIT,    /* COMMIT / END written in the file */
	STMT_TXN_ROLLBACK,  /* ROLLBACK written in the file */
	STMT_TXN_FORBIDDEN, /* cannot run in a transaction block (CONCURRENTLY, VACUUM, ...) */
};

struct statement {
	char *sql;         /* owned: the statement text, trimmed, without the ';' */
	size_t offset;     /* byte offset of the statement's first token in the file */
	int line;          /* 1-based line of the first token in the file */
	enum stmt_txn txn;
	char *kind;        /* owned: short parse-tree node name, e.g. "AlterTableStmt" */
};

struct statement_list {
	struct statement *items;
	size_t n, cap;
};

void statement_list_init(struct statement_list *l);
void statement_list_clear(struct statement_list *l);

struct allow_directive {
	char *rule;   /* owned */
	char *reason; /* owned */
	int line;
};

struct migration_section {
	char *path;          /* owned: file the text came from (NULL: none) */
	char *text;          /* owned: the SQL text of the section (NULL: none) */
	int first_line;      /* line in path where text begins */
	size_t file_offset;  /* byte offset in path where text begins */
	bool no_transaction; /* transaction:false marker or directive */
	struct statement_list stmts; /* filled by migration_split() */
	bool split_done;
};

struct migration {
	struct version version;
	char *name;          /* owned: description part, e.g. "tenancy" */
	char *phase;         /* owned: phase name, "" when the set has no phases */
	enum migration_format format;
	bool archived;       /* in archive/: listed, never applied */

	struct migration_section up;
	struct migration_section down; /* text NULL: irreversible */

	char checksum[SHA256_HEX_LEN + 1]; /* SHA-256 of up.text */

	/* directives (leading comment block of the up file); what applies when
	 * it runs is settings_of()'s to say (settings.h) */
	char *note;                 /* owned, may be NULL */
	struct strvec requires;     /* canonical version keys */
	bool no_transaction;        /* pgstep:no-transaction (or transaction:false) */
	int no_transaction_line;    /* line of pgstep:no-transaction in up.path; 0: none */
	int64_t lock_timeout_ms;    /* -1: none (never 0: the loader refuses it) */
	int lock_timeout_line;      /* line of pgstep:lock-timeout in up.path */
	struct allow_directive *allows;
	size_t n_allows;
	bool baseline;

	char *label; /* private: cache of migration_label(), owned */
};

/* Display label "001_tenancy" (owned by the migration). */
const char *migration_label(struct migration *m);
bool migration_reversible(const struct migration *m);
void migration_free(struct migration **m);

#endif
