/* migset: a migration set read from a directory: every file format of
 * doc/formats.md, phases from sub-directories or configured version ranges,
 * archive/, pairing by version, numeric ordering, directives and statement
 * splitting. Problems (duplicates, unpairable files, bad directives, invalid
 * UTF-8, empty files, unparsable SQL) are collected as diagnostics naming the
 * file and line; nothing is skipped without one. */
#ifndef PGSTEP_MIGSET_H
#define PGSTEP_MIGSET_H

#include <stdbool.h>
#include <stddef.h>
#include "pgstep/error.h"
#include "pgstep/migration.h"

struct sect_file;

struct phase_range {
	char *name;        /* owned */
	struct version lo; /* inclusive */
	struct version hi; /* inclusive */
};

struct migset_options {
	const struct phase_range *phases; /* from the config; may be empty */
	size_t n_phases;
	bool split_statements; /* split every migration while loading */
	/* Threads reading files: 0 picks the number of CPUs for a large set,
	 * 1 reads serially. The result is the same either way. */
	int jobs;
};

struct migset {
	char *dir;                /* owned */
	struct migration **items; /* owned, active migrations in version order */
	size_t n, cap;
	struct migration **archived; /* owned, archive/ contents in version order */
	size_t n_archived, cap_archived;
	struct strvec phases; /* phase names in order of first appearance */
	bool has_baseline;    /* an active migration is a baseline */
};

/* Read dir. Problems go to diags; returns NULL only when the directory cannot
 * be read at all (err says why, naming dir). A set with DIAG_ERROR entries
 * must not be applied. */
struct migset *migset_load(const char *dir, const struct migset_options *opts,
                           struct diag_list *diags, struct pgstep_error *err);
void migset_free(struct migset **set);

/* Find an active migration by version as a user wrote it ("4" finds "004"). */
struct migration *migset_find(const struct migset *set, const char *version_text);
struct migration *migset_find_key(const struct migset *set, const char *key);
/* Find an active migration by any spelling status, the interface or the
 * file names show: a version ("4", "004", "1.10", "1_10"), a Flyway version
 * as in its file name ("V1_10"), a label ("001_tenancy"), a file or
 * directory name ("V1_10__tenancy.sql", "migrations/001_tenancy.up.sql"),
 * or a name ("tenancy", when no other migration has it). */
struct migration *migset_resolve(const struct migset *set, const char *spelling);
/* migset_find_key for keys looked up in ascending order: *pos (0 at first)
 * is where the previous search ended and the next starts, so walking sorted
 * keys costs the gaps between them rather than a full search each. */
struct migration *migset_find_key_from(const struct migset *set, const char *key, size_t *pos);

/* Split every section of the set not split yet; each syntax error becomes
 * one diagnostic naming its file and line: an error for an up section, at
 * down_level for a down (a down that does not parse blocks only rolling
 * that migration back). A section that failed is reported again by a
 * second call. The parse trees stay for the consumers (migration.h) only
 * for the newest migrations whose texts add up to at most keep_trees
 * bytes: a whole set's would cost some forty times its text. */
void migset_split_all(struct migset *set, enum diag_level down_level, struct diag_list *diags,
                      size_t keep_trees);
/* The same for one section (a run needs only the one it runs: a down that
 * does not parse must not stop the up). */
bool migration_split_section(struct migration_section *s, struct pgstep_error *err);

/* Parse one file's text as a migration (used by migset_load and by tests).
 * path is used in messages only. */
bool migration_parse_directives(struct migration *m, const char *path, const char *text,
                                struct diag_list *diags);
/* The same over a file the section reader has read: leading directives
 * apply, a pgstep:allow before a statement is the risk engine's, any other
 * directive is a warning. */
bool migration_apply_directives(struct migration *m, const char *path, const struct sect_file *sf,
                                struct diag_list *diags);

#endif
