/* tenant_source: tenants from a query against a control database. Columns:
 * name, schema (may be NULL), then any further columns become labels named
 * after the column. */
#ifndef PGSTEP_TENANT_SOURCE_H
#define PGSTEP_TENANT_SOURCE_H

#include <stdbool.h>
#include "pgstep/error.h"
#include "pgstep/tenant.h"

/* Each tenant from the query gets conninfo default_conninfo (the control
 * database's conninfo, since schema tenants live beside it). A tenant whose
 * name is already in out is an error naming it. */
bool tenant_source_query(const char *control_conninfo, const char *query,
			 struct tenant_list *out, struct pgstep_error *err);

#endif
