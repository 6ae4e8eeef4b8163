/* anchor: the file of `pgstep verify --anchor FILE`, which keeps each
 * tenant's chain head (last event's seq and hash) outside the database, so
 * that a truncated or rewritten history is found even without an audit
 * key. One line per tenant: "SEQ HASH TENANT", the tenant with \\, \n, \r
 * and \t escaped. */
#ifndef PGSTEP_ANCHOR_H
#define PGSTEP_ANCHOR_H

#include <stdbool.h>
#include <stddef.h>
#include "pgstep/error.h"
#include "pgstep/state.h"

struct anchor_entry {
	char *tenant;           /* owned */
	struct chain_head head; /* owned */
};

struct anchor {
	char *path; /* owned */
	struct anchor_entry *items;
	size_t n, cap;
	bool changed;
};

/* Read path; a missing file is an empty anchor (the first run records).
 * Errors name the file and line. */
bool anchor_load(struct anchor *a, const char *path, struct pgstep_error *err);
const struct chain_head *anchor_find(const struct anchor *a, const char *tenant);
/* Record head for tenant (when it differs from what is there). */
void anchor_set(struct anchor *a, const char *tenant, const struct chain_head *head);
/* Write the file when something changed: a temporary file renamed over it. */
bool anchor_save(struct anchor *a, struct pgstep_error *err);
void anchor_release(struct anchor *a);

#endif
