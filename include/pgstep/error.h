/* error: errors as values. Every failure the engine reports carries the exit
 * code category a front end should use and a message that names the file,
 * line, tenant or SQLSTATE involved. Diagnostics collect several problems so
 * that one run reports all of them (e.g. every duplicate version). */
#ifndef PGSTEP_ERROR_H
#define PGSTEP_ERROR_H

#include <stdbool.h>
#include <stddef.h>

/* Exit codes: stable, documented in doc/pgstep.1. */
enum pgstep_exit {
	PGSTEP_EXIT_OK = 0,
	PGSTEP_EXIT_FAILED = 1,     /* a migration failed */
	PGSTEP_EXIT_USAGE = 2,      /* usage or configuration error */
	PGSTEP_EXIT_DRIFT = 3,      /* verify / status --check found drift or pending */
	PGSTEP_EXIT_LOCKED = 4,     /* tenant locked by another pgstep */
	PGSTEP_EXIT_CONNECTION = 5, /* connection failed */
};

struct pgstep_error {
	enum pgstep_exit code; /* PGSTEP_EXIT_OK when no error is set */
	char *msg;             /* owned; NULL when no error is set */
	char sqlstate[6];      /* "" unless the error came from the server */
	/* Where in the statement the server found the error: 1-based
	 * character index (PG_DIAG_STATEMENT_POSITION), 0 when not known. */
	int position;
};

/* Set the error (replacing an earlier one). fmt is printf-style. */
void error_set(struct pgstep_error *e, enum pgstep_exit code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Prefix the existing message: "prefix: old message" (unless it already
 * begins with that prefix). */
void error_prefix(struct pgstep_error *e, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void error_clear(struct pgstep_error *e);
/* msg without a leading "prefix: ", for a message that will be given a
 * fuller one. */
const char *error_unprefixed(const char *msg, const char *prefix);
bool error_isset(const struct pgstep_error *e);

enum diag_level { DIAG_NOTE, DIAG_WARNING, DIAG_ERROR };

struct diag {
	enum diag_level level;
	char *file; /* owned, may be NULL */
	int line;   /* 0 when not known */
	char *msg;  /* owned */
	/* What `verify --json` gives as fields (owned, each may be NULL):
	 * the problem's kind ("checksum", "missing-file", "dirty", ...), the
	 * version, and for a checksum what was expected and what was found. */
	char *kind, *version, *expected, *found;
};

struct diag_list {
	struct diag *items;
	size_t n, cap;
};

void diag_list_init(struct diag_list *d);
void diag_list_clear(struct diag_list *d);
void diag_add(struct diag_list *d, enum diag_level level, const char *file, int line,
              const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* Give the last diagnostic of d its fields (copied; NULL leaves one unset). */
void diag_set_fields(struct diag_list *d, const char *kind, const char *version,
                     const char *expected, const char *found);
size_t diag_count(const struct diag_list *d, enum diag_level level);
const char *diag_level_name(enum diag_level level);

#endif
