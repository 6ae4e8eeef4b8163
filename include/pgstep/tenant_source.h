/* tenant_source: tenants from a query against a control database. Columns:
 * name, schema (may be NULL), then any further columns become labels named
 * after the column. */
#ifndef PGSTEP_TENANT_SOURCE_H
#define PGSTEP_TENANT_SOURCE_H

#include <stdbool.h>
#include <stdint.h>
#include "pgstep/error.h"
#include "pgstep/tenant.h"

/* Each tenant from the query gets conninfo control_conninfo (schema
 * tenants live beside the control table). A tenant whose name is already
 * in out, a name or schema tenant_name_problem / tenant_schema_problem
 * refuses, or two tenants on one schema (tenant_list_check_distinct) is an
 * error (PGSTEP_EXIT_USAGE) naming the row, and out is left as it was.
 *
 * The query runs read-only with statement_timeout timeout_ms; past it the
 * error is PGSTEP_EXIT_CONNECTION. While it runs, SIGINT, SIGTERM and
 * SIGHUP cancel it on the server; the error is then PGSTEP_EXIT_FAILED
 * (the previous handlers are back in place when this returns, and a
 * handler function among them was called too). Not thread-safe: one query
 * at a time, on the thread that receives the signals. */
bool tenant_source_query(const char *control_conninfo, const char *query, int64_t timeout_ms,
                         struct tenant_list *out, struct pgstep_error *err);

#endif
