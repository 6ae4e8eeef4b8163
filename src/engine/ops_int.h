/* ops_int.h: what ops.c shares with job.c, private to the engine. */
#ifndef PGSTEP_OPS_INT_H
#define PGSTEP_OPS_INT_H

#include "pgstep/ops.h"
#include "pgstep/session.h"

/* A notice through the engine's observer (RUN_EV_NOTICE). */
void ops_notice(struct engine *e, struct tenant *t, const char *msg);
/* Connect, set the tenant's schema; when write: create the pgstep schema on
 * first use and take the tenant's lock. err names the tenant. */
struct session *ops_open_tenant(struct engine *e, struct tenant *t, bool write,
                                struct pgstep_error *err);
void ops_close_tenant(struct session **s, struct tenant *t);
/* The tenant's rows merged with the set (with_sql: the stored texts too). */
bool ops_load_status(struct engine *e, struct session *s, struct tenant *t, bool with_sql,
                     struct tenant_status *ts, struct pgstep_error *err);
void ops_status_release(struct tenant_status *ts);

#endif
