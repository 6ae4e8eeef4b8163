/* inflight: what a statement that cannot run in a transaction block leaves
 * behind when the run stops while it is in flight, and so how a resume can
 * tell whether it completed. Such a statement commits on its own (or leaves
 * an INVALID index), so the history can only say "statement k was in
 * flight"; the evidence is in the catalogue. Also: the index a statement
 * builds, so a non-transactional migration is not called applied while an
 * index it built is INVALID. */
#ifndef PGSTEP_INFLIGHT_H
#define PGSTEP_INFLIGHT_H

#include <stdbool.h>

enum inflight_kind {
	INFLIGHT_UNKNOWN,      /* cannot tell from the catalogue: ask the DBA */
	INFLIGHT_RERUN,        /* repeating it is harmless (VACUUM, REINDEX, ALTER SYSTEM) */
	INFLIGHT_CREATE_INDEX, /* done when the index exists and is valid */
	INFLIGHT_DROP_INDEX,   /* done when the index no longer exists */
};

/* A relation named in a statement: schema NULL when unqualified. */
struct rel_name {
	char *schema; /* owned, may be NULL */
	char *name;   /* owned */
};

struct inflight_check {
	enum inflight_kind kind;
	struct rel_name index; /* CREATE_INDEX, DROP_INDEX */
	struct rel_name table; /* CREATE_INDEX: the indexed table */
	bool if_not_exists;    /* CREATE INDEX ... IF NOT EXISTS */
	const char *what;      /* short description, e.g. "CREATE INDEX CONCURRENTLY" */
};

/* Classify one statement's SQL text (false: it does not parse). */
bool inflight_classify(const char *sql, struct inflight_check *out);
void inflight_check_clear(struct inflight_check *c);

/* The named index a statement builds or rebuilds (CREATE INDEX name, REINDEX
 * INDEX name), with its table when known; false when it builds none. */
bool inflight_built_index(const char *sql, struct rel_name *index, struct rel_name *table);
void rel_name_clear(struct rel_name *r);

#endif
