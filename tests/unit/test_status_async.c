/* test_status_async: the poll-driven status reader against a real server
 * and an unreachable one, compared with the blocking status_collect. Run by
 * tests/integration/status_async.sh, which passes the project's config in
 * PGSTEP_TEST_CONFIG; skipped without it. */
#include "config.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pgstep/ops.h"
#include "pgstep/status_async.h"
#include "tap.h"

static const struct tenant_status *find(const struct status_report *r, const char *name)
{
	for (size_t i = 0; i < r->n; i++)
		if (strcmp(r->items[i].tenant->name, name) == 0)
			return &r->items[i];
	return NULL;
}

int main(void)
{
	const char *conf = getenv("PGSTEP_TEST_CONFIG");
	if (!conf) {
		printf("1..0 # SKIP PGSTEP_TEST_CONFIG not set (run status_async.sh)\n");
		return 0;
	}
	struct engine e = {0};
	struct pgstep_error err = {0};
	if (!engine_open(&e, conf, &err)) {
		printf("Bail out! %s\n", err.msg);
		return 1;
	}
	struct tenant **ts = e.tenants.items;
	size_t n = e.tenants.n;
	ok(n == 4, "four tenants configured (%zu)", n);

	struct status_async *sa = status_async_start(e.set, ts, n, 2);
	ok(status_async_known(sa) <= n, "starting does not wait for answers");
	size_t steps = 0, seen = 0;
	bool monotonic = true;
	struct pollfd fds[8];
	time_t t0 = time(NULL);
	while (!status_async_done(sa) && time(NULL) - t0 < 30) {
		size_t nfds = status_async_fds(sa, fds, 8);
		int rc = poll(fds, nfds, status_async_timeout_ms(sa));
		if (rc < 0)
			break;
		status_async_step(sa, fds, nfds);
		if (status_async_known(sa) < seen)
			monotonic = false;
		seen = status_async_known(sa);
		steps++;
	}
	ok(status_async_done(sa), "every tenant is known after %zu steps", steps);
	ok(monotonic, "the number of known tenants only grows");

	struct status_report sync = {0};
	status_collect(e.set, ts, n, &sync);
	for (size_t i = 0; i < n; i++) {
		const struct tenant_status *a = status_async_get(sa, i);
		const struct tenant_status *b = find(&sync, ts[i]->name);
		ok(a && a->tenant == ts[i], "%s: result in the caller's order", ts[i]->name);
		if (!a || !b)
			continue;
		if (a->error)
			printf("# %s: %s\n", ts[i]->name, a->error);
		is_str(tstate_name(a->state), tstate_name(b->state),
		       "%s: same state as status_collect", ts[i]->name);
		is_int(a->applied, b->applied, "%s: same applied count", ts[i]->name);
		is_int(a->pending, b->pending, "%s: same pending count", ts[i]->name);
		is_int(a->n, b->n, "%s: same number of items", ts[i]->name);
	}
	const struct tenant_status *a = NULL, *bad = NULL, *fresh = NULL;
	for (size_t i = 0; i < n; i++) {
		if (strcmp(ts[i]->name, "alpha") == 0)
			a = status_async_get(sa, i);
		if (strcmp(ts[i]->name, "down") == 0)
			bad = status_async_get(sa, i);
		if (strcmp(ts[i]->name, "fresh") == 0)
			fresh = status_async_get(sa, i);
	}
	ok(a && a->state == TSTATE_OK && a->applied > 0, "alpha is up to date");
	ok(fresh && fresh->state == TSTATE_PENDING && fresh->applied == 0,
	   "a database without the pgstep schema has everything pending");
	ok(bad && bad->state == TSTATE_UNREACHABLE, "the tenant on a closed port is unreachable");
	ok(bad && bad->error && strstr(bad->error, "tenant down:") &&
	       (strstr(bad->error, "refused") || strstr(bad->error, "connect")),
	   "its reason is libpq's (%s)", bad && bad->error ? bad->error : "none");
	status_report_clear(&sync);
	status_async_free(&sa);
	ok(sa == NULL, "free NULLs the pointer");

	/* Nothing to read: done at once. */
	sa = status_async_start(e.set, ts, 0, 0);
	ok(status_async_done(sa) && status_async_fds(sa, fds, 8) == 0, "no tenants: done at once");
	status_async_free(&sa);
	engine_close(&e);
	return done_testing();
}
