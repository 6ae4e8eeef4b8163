/* tenant_fetch: one tenant's recorded state for a poll loop: its rows with
 * the stored up/down texts, merged with the migration set (status_merge),
 * and its event log. Read over its own connection through libpq's
 * non-blocking API (connect, then two queries), so an unresponsive server
 * costs a "loading" line and never a frozen screen. Never prints. */
#ifndef PGSTEP_TENANT_FETCH_H
#define PGSTEP_TENANT_FETCH_H

#include <poll.h>
#include <stdbool.h>
#include "pgstep/migset.h"
#include "pgstep/state.h"
#include "pgstep/status.h"
#include "pgstep/strvec.h"
#include "pgstep/tenant.h"

struct tenant_fetch;

/* Start reading t (not owned; set and t must outlive the fetch). */
struct tenant_fetch *tenant_fetch_start(const struct migset *set, struct tenant *t);
void tenant_fetch_free(struct tenant_fetch **f);

/* The socket to watch while the fetch runs: false when done. */
bool tenant_fetch_pollfd(const struct tenant_fetch *f, struct pollfd *pfd);
/* Milliseconds until the connect deadline; -1 when none. */
int tenant_fetch_timeout_ms(const struct tenant_fetch *f);
/* Advance on what poll reported for its socket (0 after a timeout).
 * Returns true when the fetch finished in this step. */
bool tenant_fetch_step(struct tenant_fetch *f, short revents);
bool tenant_fetch_done(const struct tenant_fetch *f);

/* Once done: the merged status (items with rows holding the texts) and the
 * events, or NULL/empty with tenant_fetch_error saying why. */
const struct tenant_status *tenant_fetch_status(const struct tenant_fetch *f);
const struct event_rows *tenant_fetch_events(const struct tenant_fetch *f);
const char *tenant_fetch_error(const struct tenant_fetch *f);
/* The server's notices and warnings so far ("NOTICE: text"), in order. */
const struct strvec *tenant_fetch_notices(const struct tenant_fetch *f);

#endif
