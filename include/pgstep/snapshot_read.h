/* snapshot_read: a tenant's schema read from its server into a snapshot
 * (snapshot.h). Every definition is printed by the server's own deparsers
 * (pg_get_*def, format_type, pg_get_expr) inside one REPEATABLE READ, READ
 * ONLY transaction with search_path pinned to '' so that every name prints
 * schema-qualified and two servers print the same object the same way.
 * All the catalog queries go in one multi-statement message: one round
 * trip, whatever the size of the schema.
 *
 * Scope: one schema (a schema tenant; its name is abstracted, see
 * snapshot.h) or every non-system schema of a database (a database tenant;
 * pg_catalog, information_schema, pg_toast, temporary schemas and pgstep's
 * own state schema are left out). Objects that belong to an extension are
 * left out as pg_dump leaves them out: the extension stands for them. */
#ifndef PGSTEP_SNAPSHOT_READ_H
#define PGSTEP_SNAPSHOT_READ_H

#include <stdbool.h>
#include "pgstep/error.h"
#include "pgstep/snapshot.h"

struct session;

struct snapshot_read_options {
	/* The privileges layer: each object's owner and ACL as the attributes
	 * "owner" and "privileges" (else listed as not compared). Off by
	 * default: owners differ between tenants by design in many setups. */
	bool privileges;
};

/* Read the schema (NULL: the database) over s into out (initialised here);
 * o NULL: the defaults. On failure out is empty and err says why (SQLSTATE
 * and server message). */
bool snapshot_read(struct session *s, const char *schema, const struct snapshot_read_options *o,
                   struct snapshot *out, struct pgstep_error *err);

/* Several schemas of one database (schema tenants sharing it) in the same
 * single read: outs[i] gets schemas[i]'s snapshot, equal to what
 * snapshot_read would give it (n distinct names; n == 0 reads the database
 * into outs[0]). read_ms is that of the whole read. Drift over many schema
 * tenants takes one read per database instead of one per tenant, each
 * kind's catalog scanned once. */
bool snapshot_read_schemas(struct session *s, const char *const *schemas, size_t n,
                           const struct snapshot_read_options *o, struct snapshot *outs,
                           struct pgstep_error *err);

#endif
