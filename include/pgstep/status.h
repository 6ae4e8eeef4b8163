/* status: what each tenant has applied, merged with the migration set:
 * per migration applied / pending / failed / dirty / rolled_back / archived
 * / skipped, checksum comparison, and the tenant's overall state. Tenants
 * sharing a conninfo are read with one connection and one query. */
#ifndef PGSTEP_STATUS_H
#define PGSTEP_STATUS_H

#include <stdbool.h>
#include <stddef.h>
#include "pgstep/migset.h"
#include "pgstep/state.h"
#include "pgstep/tenant.h"

enum mstate {
	MSTATE_PENDING,
	MSTATE_APPLIED,
	MSTATE_FAILED,
	MSTATE_DIRTY,
	MSTATE_ROLLED_BACK, /* rolled back: pending again */
	MSTATE_ARCHIVED,    /* in archive/: never applied */
	MSTATE_SKIPPED,     /* a baseline on a non-empty tenant, or covered by a baseline */
	MSTATE_MISSING,     /* recorded in the database, no file any more */
};

const char *mstate_name(enum mstate s);

struct mig_status {
	struct migration *m;         /* NULL when MSTATE_MISSING */
	const struct state_row *row; /* NULL when never recorded */
	enum mstate state;
	bool checksum_ok; /* true unless applied and the file changed */
};

enum tstate { TSTATE_OK, TSTATE_PENDING, TSTATE_FAILED, TSTATE_DIRTY, TSTATE_UNREACHABLE };

const char *tstate_name(enum tstate s);

struct tenant_status {
	struct tenant *tenant; /* not owned */
	enum tstate state;
	char *error; /* owned: why unreachable, or NULL */
	enum pgstep_exit error_code;
	struct mig_status *items; /* owned: archived first, then the set in order, then missing */
	size_t n;
	int applied, pending;
	int changed;            /* applied migrations whose file changed since (checksum drift) */
	struct state_rows rows; /* owned: the rows the items point to */
};

/* The tenant's state as a word for people: tstate_name, but "changed" for
 * a tenant with nothing to do whose applied files changed since (an "ok"
 * there would hide the drift the migration list shows). */
const char *tenant_state_word(const struct tenant_status *ts);

struct status_report {
	struct tenant_status *items; /* owned */
	size_t n;
};

/* Read the state of every tenant; unreachable tenants are reported in their
 * entry and the others go on. */
void status_collect(const struct migset *set, struct tenant *const *tenants, size_t n,
                    struct status_report *out);
/* Merge one tenant's rows (already loaded) with the set. */
void status_merge(const struct migset *set, struct tenant_status *ts);
/* What status_merge gives for state, applied and pending, without items
 * (n 0): for a badge, at the cost of the tenant's rows rather than of the
 * set (1,000 tenants by 10,000 migrations would be ten million items). */
void status_summarize(const struct migset *set, struct tenant_status *ts);
void status_report_clear(struct status_report *r);

/* The steps of status_collect for one database, for callers that read the
 * rows themselves: hand rows (emptied) to the tenants of group and merge
 * each with the set; or mark every tenant of group unreachable with err's
 * message (status_async). group is reordered. */
void status_assign_rows(const struct migset *set, struct tenant_status **group, size_t n,
                        struct state_rows *rows);
void status_fail_group(struct tenant_status **group, size_t n, const struct pgstep_error *err);

#endif
