/* foreign_history: another migration tool's history table in a tenant,
 * read and never written. Knows where each tool keeps it (golang-migrate,
 * dbmate, Flyway, Prisma, sqitch, goose), tells which one a database has,
 * and reads its rows into one shape: per version (or change), what the
 * tool says happened, its recorded checksum and facts (who, when, how
 * long) and the source rows verbatim (as the server's row_to_json). What
 * the rows mean for a migration set is the engine's (adopt.c). */
#ifndef PGSTEP_FOREIGN_HISTORY_H
#define PGSTEP_FOREIGN_HISTORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "pgstep/error.h"
#include "pgstep/session.h"

enum foreign_tool {
	FOREIGN_NONE,
	FOREIGN_GOLANG_MIGRATE,
	FOREIGN_DBMATE,
	FOREIGN_FLYWAY,
	FOREIGN_PRISMA,
	FOREIGN_SQITCH,
	FOREIGN_GOOSE,
};

const char *foreign_tool_name(enum foreign_tool t);
bool foreign_tool_parse(const char *s, enum foreign_tool *out);

/* What the tool's last word on a version is. */
enum foreign_state {
	FOREIGN_APPLIED,    /* applied (checksum may say more) */
	FOREIGN_UPTO,       /* this and every earlier version applied (golang-migrate's
	                     * one row, Flyway's BASELINE): unverified below it */
	FOREIGN_DIRTY,      /* golang-migrate: failed part-way; earlier ones applied */
	FOREIGN_FAILED,     /* a failed row (Flyway success=false, Prisma unfinished,
	                     * sqitch fail event) */
	FOREIGN_UNDONE,     /* rolled back, deleted or undone: not applied */
	FOREIGN_NOFILE,     /* applied by code, not a file (Flyway JDBC) */
	FOREIGN_REPEATABLE, /* Flyway repeatable (no version) */
};

const char *foreign_state_name(enum foreign_state s);

struct foreign_entry {
	char *key;         /* owned: version (as recorded), Prisma's migration_name or
	                    * sqitch's change name */
	char *description; /* owned, may be NULL */
	enum foreign_state state;
	char *checksum; /* owned: as recorded (Flyway's signed int, Prisma's SHA-256,
	                 * sqitch's SHA-1); NULL when the tool keeps none */
	char *who;      /* owned, may be NULL */
	char *started_at, *finished_at; /* owned: ISO 8601 UTC, may be NULL */
	int64_t duration_ms;            /* -1: not recorded */
	char *kind;                     /* owned: Flyway's type, sqitch's event; may be NULL */
	size_t rank;                    /* 1-based place of its deciding row in the
	                                 * tool's order of application */
	char *rows_json;                /* owned: every source row of this key, a JSON array */
};

struct foreign_history {
	enum foreign_tool tool;
	char *table;  /* owned: the table read, schema-qualified as the server names it */
	bool ordered; /* rank is the order of application (dbmate keeps none) */
	struct foreign_entry *items; /* owned, by rank of the key's first row */
	size_t n, cap;
};

void foreign_history_clear(struct foreign_history *h);

/* Which tool's history is here (under the session's search_path; sqitch's
 * in its registry schema "sqitch"). *found is FOREIGN_NONE when there is
 * none; two tools at once is an error (PGSTEP_EXIT_USAGE) naming them. */
bool foreign_history_detect(struct session *s, enum foreign_tool *found, struct pgstep_error *err);

/* Read tool's history. table (may be NULL: the tool's default) names the
 * table (sqitch: the registry schema). A missing table is an error
 * (PGSTEP_EXIT_USAGE). Read only: nothing is written. */
bool foreign_history_read(struct session *s, enum foreign_tool tool, const char *table,
                          struct foreign_history *out, struct pgstep_error *err);

#endif
