/* adopt: take over another tool's history (golang-migrate, dbmate, Flyway,
 * Prisma, sqitch, goose). The tool's rows are mapped to the files of the
 * set; when every row agrees with the set, each migration the tool applied
 * is written to pgstep's state as applied (with the file's checksum, the
 * tool's who/when/duration and an "adopt" event holding the source rows
 * verbatim), in one transaction under the tenant's lock. Any mismatch (a
 * recorded version with no file, an edited file, a failed or dirty row, an
 * order that differs from the set's) is reported and nothing is written.
 * The other tool's table is only read. */
#ifndef PGSTEP_ADOPT_H
#define PGSTEP_ADOPT_H

#include <stdbool.h>
#include <stddef.h>
#include "pgstep/foreign_history.h"
#include "pgstep/ops.h"

struct adopt_options {
	enum foreign_tool from; /* FOREIGN_NONE: detect */
	const char *table;      /* the tool's table (sqitch: registry schema); NULL: default */
	bool dry_run;           /* map and report, write nothing */
};

enum adopt_what {
	ADOPT_PENDING, /* the tool never applied it: left for `up` */
	ADOPT_NEW,     /* to be recorded as applied (dry run) or recorded now */
	ADOPT_HAVE,    /* pgstep records it already: nothing to do */
};

struct adopt_item {
	struct migration *m;
	enum adopt_what what;
	const struct foreign_entry *src; /* the deciding row; NULL when pending */
	bool covered;  /* applied by a later version's claim (golang-migrate, BASELINE) */
	bool verified; /* the tool's checksum equals the file's */
};

struct adopt_report {
	struct foreign_history hist;
	struct adopt_item *items; /* owned, in the set's order */
	size_t n;
	size_t to_adopt;        /* items ADOPT_NEW */
	bool written;           /* they were recorded */
	struct diag_list lines; /* mismatches: "tenant T: version V: what differs" */
};

/* Adopt t's history (see above). Returns PGSTEP_EXIT_OK, PGSTEP_EXIT_DRIFT
 * when r->lines holds mismatches (nothing written), or the failure's code
 * with err set (no history table or several: PGSTEP_EXIT_USAGE). */
enum pgstep_exit adopt_tenant(struct engine *e, struct tenant *t, const struct adopt_options *o,
                              struct adopt_report *r, struct pgstep_error *err);
void adopt_report_release(struct adopt_report *r);

#endif
