/* tenant: a target of migrations: a database (conninfo), a schema inside a
 * shared database (search_path set per tenant), or both, with labels used to
 * select groups. */
#ifndef PGSTEP_TENANT_H
#define PGSTEP_TENANT_H

#include <stdbool.h>
#include <stddef.h>
#include "pgstep/error.h"
#include "pgstep/strvec.h"

/* PostgreSQL cuts identifiers to NAMEDATALEN - 1 bytes (63 in every
 * packaged build): two longer schema names with a common start would be one
 * schema. */
#define TENANT_MAX_SCHEMA_BYTES 63
/* pgstep's own state schema in every database (state.c): no tenant's. */
#define TENANT_STATE_SCHEMA "pgstep"

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
	char *origin; /* owned: "pgstep.conf:12" or "tenants query, row 3" — for messages */
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

/* Why name cannot name a tenant, or NULL: a control character or bytes
 * that are not UTF-8 (names are printed on terminals and in logs). The
 * message quotes the name escaped; the caller frees it. */
char *tenant_name_problem(const char *name);
/* Why schema cannot be a tenant's schema, or NULL: a control character,
 * more than TENANT_MAX_SCHEMA_BYTES bytes, or pgstep's state schema. */
char *tenant_schema_problem(const char *schema);

void tenant_list_init(struct tenant_list *l);
void tenant_list_clear(struct tenant_list *l);
void tenant_list_add(struct tenant_list *l, struct tenant *t); /* takes ownership */
struct tenant *tenant_list_find(const struct tenant_list *l, const char *name);

/* Refuse two tenants that would migrate one physical schema: the same
 * database and the same schema, a database tenant (no schema) counting as
 * its database's public schema. Checks every tenant of added against
 * existing and against each other (existing may be NULL). The database is
 * told from the conninfo: see tenant_database_key. The error
 * (PGSTEP_EXIT_USAGE) names both tenants and where each was defined. */
bool tenant_list_check_distinct(const struct tenant_list *existing, const struct tenant_list *added,
                                struct pgstep_error *err);
/* Which database conninfo reaches, as libpq would resolve it without
 * connecting: service, host (or hostaddr), port and dbname, each from the
 * string or else from libpq's defaults (PG* variables, port 5432, dbname =
 * user). With a service, what the string does not say comes from the
 * service file, which libpq does not expose: it stays empty. xmalloc'd;
 * NULL when libpq cannot parse conninfo. */
char *tenant_database_key(const char *conninfo);

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
