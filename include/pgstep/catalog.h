/* catalog: what a tenant's database says about objects that exist before a
 * migration runs, for the risk engine (struct risk_catalog) and the
 * preflight checks: a relation's size and row estimate, a column's type,
 * NOT NULL and default, domain CHECKs, an index's table, enum labels,
 * primary keys and constraint definitions.
 *
 * Names come as the risk report writes them: "schema.name". A name in the
 * default schema (the tenant's schema, or "public") stands for an
 * unqualified name in the SQL, so it is resolved through the session's
 * search_path, exactly as the migration will resolve it; other names are
 * looked up as qualified. Names are passed to the server as parameters and
 * quoted there (quote_ident + to_regclass / to_regtype), never pasted into
 * SQL. Every answer, including "does not exist", is cached for the life of
 * the catalog: a plan asks about the same tables many times. */
#ifndef PGSTEP_CATALOG_H
#define PGSTEP_CATALOG_H

#include <stdbool.h>
#include <stdint.h>
#include "pgstep/error.h"
#include "pgstep/inflight.h"
#include "pgstep/risk.h"
#include "pgstep/strvec.h"

struct session;
struct catalog;

/* default_schema NULL means "public". The session must outlive the catalog. */
struct catalog *catalog_new(struct session *s, const char *default_schema);
void catalog_free(struct catalog **c);

/* The risk engine's view of c; valid while c lives. */
const struct risk_catalog *catalog_risk(struct catalog *c);

/* Size and row estimate. rows: reltuples scaled to the relation's current
 * size (as the planner does), 0 when the table has no pages at all, -1 when
 * it has pages but was never analyzed. bytes: pg_total_relation_size (sum
 * over the partitions of a partitioned table), -1 when the relation was
 * locked too long to measure or has no storage (views). False when the
 * question could not be asked (query failed); out->exists says whether the
 * relation is there. */
bool catalog_relation(struct catalog *c, const char *rel, struct risk_rel_facts *out);
/* pg_class oid of rel, 0 when it does not exist. */
bool catalog_oid(struct catalog *c, const char *rel, uint32_t *oid);
bool catalog_column(struct catalog *c, const char *rel, const char *col,
                    struct risk_col_facts *out);
/* Labels of enum type ("schema.name" or a bare name), in their order. False
 * when the type is not an enum or does not exist. */
bool catalog_enum_labels(struct catalog *c, const char *type, struct strvec *out);
/* Column names of rel's primary key, in key order. False when it has none. */
bool catalog_primary_key(struct catalog *c, const char *rel, struct strvec *out);
/* pg_get_constraintdef of rel's constraint name (xmalloc'd), NULL if none. */
char *catalog_constraint_def(struct catalog *c, const char *rel, const char *name);

/* The first query that failed ("SQLSTATE: message"), or NULL. Lookups that
 * fail answer "unknown", so the analysis goes on; front ends show this once. */
const char *catalog_error(const struct catalog *c);

/* Whether an index exists and is valid, uncached (it is asked after the
 * statement that builds it). With a table, the index is looked up among that
 * table's indexes (an unqualified index lives in its table's schema);
 * without, through the search_path. */
enum index_validity { INDEX_ABSENT, INDEX_VALID, INDEX_INVALID };
bool catalog_index_validity(struct session *s, const struct rel_name *index,
                            const struct rel_name *table, enum index_validity *out,
                            struct pgstep_error *err);
const char *index_validity_name(enum index_validity v);

#endif
