/* version: migration versions. A version is one or more numeric parts
 * ("001", "20250120000000", Flyway "1.10" or "1_10"); they compare
 * numerically part by part, so "4" equals "004" and "1.10" follows "1.9".
 * Parts may be longer than 64 bits: they are compared as digit strings. */
#ifndef PGSTEP_VERSION_H
#define PGSTEP_VERSION_H

#include <stdbool.h>

struct version {
	char *text; /* owned: as written in the file name, e.g. "001" or "1_10" */
	char *key;  /* owned: canonical form, parts without leading zeros joined by
	             * '.', e.g. "1" or "1.10"; equal versions have equal keys */
};

/* Parse s as a version (digits, with '.' or '_' between parts). Returns false
 * when s is not a version. */
bool version_parse(const char *s, struct version *out);
void version_release(struct version *v);
void version_copy(struct version *dst, const struct version *src);
int version_cmp(const struct version *a, const struct version *b);
/* Compare canonical keys (as stored in the database). */
int version_key_cmp(const char *a, const char *b);
/* Canonical key of a version written by a user ("004" -> "4"); NULL if invalid. */
char *version_key_of(const char *s);

#endif
