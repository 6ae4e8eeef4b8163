/* status_async: status_collect for a poll loop. Tenants are grouped by
 * database as status_collect does; each database is read through libpq's
 * non-blocking API (PQconnectStart/PQconnectPoll, PQsendQueryParams,
 * PQconsumeInput), a bounded number at a time, so a front end stays
 * responsive with 1,000 tenants and an unreachable server costs only its own
 * tenants' badges. Connect timeouts are enforced here (libpq does not in
 * non-blocking mode). Never prints. */
#ifndef PGSTEP_STATUS_ASYNC_H
#define PGSTEP_STATUS_ASYNC_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include "pgstep/migset.h"
#include "pgstep/status.h"
#include "pgstep/tenant.h"

struct status_async;

/* Start reading tenants[0..n) (not owned; they must outlive the reader),
 * with at most max_conns connections open at once (0: a default of 16).
 * set may be NULL while it loads: answers are then kept, unsummarized,
 * until status_async_set_migset. */
struct status_async *status_async_start(const struct migset *set, struct tenant *const *tenants,
                                        size_t n, size_t max_conns);
/* Give the set (not owned) to a reader started without one; the answers
 * kept so far are summarized. Returns how many tenants became known. */
size_t status_async_set_migset(struct status_async *sa, const struct migset *set);
void status_async_free(struct status_async **sa);

/* The sockets to watch: fills up to cap entries (fd and events) and returns
 * how many; pass the same entries, with revents, to status_async_step. */
size_t status_async_fds(struct status_async *sa, struct pollfd *fds, size_t cap);
/* Milliseconds until the next connect deadline; -1 when none. */
int status_async_timeout_ms(const struct status_async *sa);
/* Advance on what poll reported (nfds may be 0 after a timeout) and start
 * waiting databases. Returns how many tenants became known in this step. */
size_t status_async_step(struct status_async *sa, const struct pollfd *fds, size_t nfds);
bool status_async_done(const struct status_async *sa);
/* Tenant i (in the order given): its status once known, else NULL. The
 * summary only (state, applied, pending, error; items NULL, n 0, no rows):
 * tenant_fetch reads one tenant's rows and merges them. */
const struct tenant_status *status_async_get(const struct status_async *sa, size_t i);
size_t status_async_known(const struct status_async *sa);

#endif
