/* migfile: the one grammar of migration file names. A name gives the
 * version, the description, the file's role (up or down) and its format:
 *
 *   NNN_name.sql        up; markers inside decide dbmate or goose, else plain
 *   NNN_name.up.sql     up of a pair;  NNN_name.down.sql  its down
 *   V<ver>__name.sql    Flyway up;     U<ver>__name.sql   its down
 *   DIR/up.sql          diesel up;     DIR/down.sql       its down, DIR being
 *                       "YYYY-MM-DD-HHMMSS_name" or "NNN_name"
 *   DIR/migration.sql   Prisma up (no down), DIR being "<timestamp>_name"
 *   deploy/NAME.sql     sqitch up;     revert/NAME.sql    its down, NAME a
 *                       change of sqitch.plan, whose place in the plan
 *                       (1, 2, ...) is the version (migfile_sqitch_plan)
 *
 * The version is digits with '.' between parts (or Flyway's '_'), or
 * diesel's dashed timestamp; '_' or '-' separates it from the name. The
 * loader (migset) and `pgstep lint FILES...` both read names here. */
#ifndef PGSTEP_MIGFILE_H
#define PGSTEP_MIGFILE_H

#include <stdbool.h>
#include <stddef.h>
#include "pgstep/error.h"
#include "pgstep/strvec.h"
#include "pgstep/migration.h"
#include "pgstep/version.h"

enum migfile_role { MIGFILE_UP, MIGFILE_DOWN };

enum migfile_status {
	MIGFILE_OK,
	MIGFILE_NO_VERSION, /* a .sql file whose name has no version */
	MIGFILE_REPEATABLE, /* Flyway R__: not supported */
};

struct migfile_name {
	enum migfile_role role;
	enum migration_format format; /* FORMAT_PLAIN: markers may make it dbmate or goose */
	struct version version;       /* owned */
	char *name;                   /* owned: the description */
};

/* Read a *.sql file's base name. */
enum migfile_status migfile_parse(const char *fname, struct migfile_name *out);
/* Read a diesel directory's name (the migration's version and name); role
 * is up, format FORMAT_DIESEL. */
enum migfile_status migfile_parse_diesel(const char *dname, struct migfile_name *out);
/* Read a path: "up.sql" and "down.sql" (diesel) and "migration.sql"
 * (Prisma) take their version from the directory holding them, other names
 * from themselves. */
enum migfile_status migfile_parse_path(const char *path, struct migfile_name *out);
void migfile_name_release(struct migfile_name *n);
/* diesel's metadata.toml at path: true when it says run_in_transaction =
 * false (only that setting matters to us). Problems go to diags when not
 * NULL (an unreadable file is an error, other settings warnings). */
bool migfile_diesel_metadata(const char *path, struct diag_list *diags);
/* The section reader's flags for such a file: markers only in NNN_name.sql. */
unsigned migfile_sect_flags(const struct migfile_name *n);
/* sqitch.plan: its changes in plan order (the version of change i is
 * i + 1) with the changes each requires. Tags, pragmas and comments are
 * skipped; a reworked change (a name twice), a revert line, a dependency on
 * another project or on a change not planned before are errors in diags
 * naming the plan's line. False when the plan cannot be read. */
struct sqitch_change {
	char *name;             /* owned */
	struct strvec requires; /* names of earlier changes */
	int line;
};
struct sqitch_plan {
	struct sqitch_change *items; /* owned */
	size_t n, cap;
};
bool migfile_sqitch_plan(const char *path, struct sqitch_plan *out, struct diag_list *diags);
void migfile_sqitch_plan_clear(struct sqitch_plan *p);

/* The message for a status other than MIGFILE_OK. */
const char *migfile_status_message(enum migfile_status s);

#endif
