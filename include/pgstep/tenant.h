/* tenant: a target of migrations: a database (conninfo), a schema inside a
 * shared database (search_path set per tenant), or both, with labels used to
 * select groups. */
#ifndef PGSTEP_TENANT_H
#define PGSTEP_TENANT_H

#include <stdbool.h>
#include <stddef.h>
#include "pgstep/strvec.h"

struct label {
	char *key;   /* owned */
	char *value; /* owned */
};

struct tenant {
	char *name;     /* owned */
	char *conninfo; /* owned: libpq conninfo; may hold a password: never print it */
	char *schema;   /* owned: NULL for a database tenant */
	struct label *labels;
	size_t n_labels, cap_labels;
	char *origin;   /* owned: "pgstep.conf:12" or "query" — for messages */
};

struct tenant_list {
	struct tenant **items; /* owned */
	size_t n, cap;
};

struct tenant *tenant_new(const char *name, const char *conninfo, const char *schema);
void tenant_free(struct tenant **t);
void tenant_add_label(struct tenant *t, const char *key, const char *value);
const char *tenant_label(const struct tenant *t, const char *key);
/* Parse "region=eu tier=gold" into labels; false on a word without '='. */
bool tenant_parse_labels(struct tenant *t, const char *text, char **bad_word);

void tenant_list_init(struct tenant_list *l);
void tenant_list_clear(struct tenant_list *l);
void tenant_list_add(struct tenant_list *l, struct tenant *t); /* takes ownership */
struct tenant *tenant_list_find(const struct tenant_list *l, const char *name);

struct strbuf;
/* Append v as a conninfo value: as is when plain, else single-quoted with
 * ' and \ escaped, as libpq reads it. */
void conninfo_append_value(struct strbuf *sb, const char *v);

/* The conninfo with any password replaced by "********", for messages. */
char *conninfo_redact(const char *conninfo);
/* text (e.g. a libpq error message about conninfo) with every occurrence of
 * the conninfo's password, raw or decoded, replaced by "********". Works
 * even when libpq cannot parse conninfo. */
char *conninfo_scrub(const char *conninfo, const char *text);

#endif
