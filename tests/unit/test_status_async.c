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
#include "pgstep/tenant_fetch.h"
#include "pgstep/xalloc.h"
#include "tap.h"

static const struct tenant_status *find(const struct status_report *r, const char *name)
{
	for (size_t i = 0; i < r->n; i++)
		if (strcmp(r->items[i].tenant->name, name) == 0)
			return &r->items[i];
	return NULL;
}

static void fetch_wait(struct tenant_fetch *f)
{
	time_t t0 = time(NULL);
	struct pollfd pfd;
	while (!tenant_fetch_done(f) && time(NULL) - t0 < 30) {
		bool any = tenant_fetch_pollfd(f, &pfd);
		int rc = poll(&pfd, any ? 1 : 0, tenant_fetch_timeout_ms(f));
		tenant_fetch_step(f, rc > 0 ? pfd.revents : 0);
	}
}

static void add_row(struct tenant_status *ts, const char *version, enum row_state st)
{
	XGROW(ts->rows.items, ts->rows.cap, ts->rows.n + 1);
	ts->rows.items[ts->rows.n++] =
	    (struct state_row){.tenant = xstrdup("t"), .version = xstrdup(version), .state = st};
}

/* status_summarize against status_merge on rows made up to reach every
 * branch: applied, failed, dirty, rolled back, missing (applied and dirty),
 * a repeated version, unsorted rows, and a set with a baseline. */
static void summarize_case(const struct migset *set, const char *what, const char *const *versions,
                           const enum row_state *states, size_t k)
{
	struct tenant t = {.name = (char *)"t"};
	struct tenant_status a = {.tenant = &t}, b = {.tenant = &t};
	for (size_t i = 0; i < k; i++) {
		add_row(&a, versions[i], states[i]);
		add_row(&b, versions[i], states[i]);
	}
	status_merge(set, &a);
	status_summarize(set, &b);
	ok(a.state == b.state && a.applied == b.applied && a.pending == b.pending && !b.items,
	   "summary = merge: %s (%s %d/%d, %s %d/%d)", what, tstate_name(a.state), a.applied,
	   a.pending, tstate_name(b.state), b.applied, b.pending);
	free(a.items);
	state_rows_clear(&a.rows);
	state_rows_clear(&b.rows);
}

static void summarize_cases(struct migset *set)
{
	if (set->n < 4) {
		ok(false, "the sample set has at least four migrations");
		return;
	}
	const char *v0 = set->items[0]->version.key, *v1 = set->items[1]->version.key,
	           *v2 = set->items[2]->version.key, *v3 = set->items[3]->version.key;
	summarize_case(set, "nothing applied", NULL, NULL, 0);
	summarize_case(set, "two applied", (const char *[]){v0, v1},
	               (enum row_state[]){ROW_APPLIED, ROW_APPLIED}, 2);
	summarize_case(set, "failed", (const char *[]){v0, v1},
	               (enum row_state[]){ROW_APPLIED, ROW_FAILED}, 2);
	summarize_case(set, "dirty", (const char *[]){v0, v1},
	               (enum row_state[]){ROW_APPLIED, ROW_DIRTY}, 2);
	summarize_case(set, "rolled back", (const char *[]){v0, v1},
	               (enum row_state[]){ROW_APPLIED, ROW_ROLLED_BACK}, 2);
	summarize_case(set, "missing applied and dirty", (const char *[]){"0.5", v0, "99999"},
	               (enum row_state[]){ROW_APPLIED, ROW_APPLIED, ROW_DIRTY}, 3);
	summarize_case(set, "a repeated version", (const char *[]){v0, v0, v1},
	               (enum row_state[]){ROW_APPLIED, ROW_APPLIED, ROW_FAILED}, 3);
	summarize_case(set, "unsorted rows", (const char *[]){v3, v0, v2},
	               (enum row_state[]){ROW_APPLIED, ROW_APPLIED, ROW_ROLLED_BACK}, 3);
	set->items[2]->baseline = true;
	set->has_baseline = true;
	summarize_case(set, "a baseline on an empty tenant", NULL, NULL, 0);
	summarize_case(set, "a baseline, later ones applied", (const char *[]){v2, v3},
	               (enum row_state[]){ROW_APPLIED, ROW_APPLIED}, 2);
	summarize_case(set, "a baseline skipped on a non-empty tenant", (const char *[]){v0},
	               (enum row_state[]){ROW_APPLIED}, 1);
	set->items[2]->baseline = false;
	set->has_baseline = false;
	/* Every version applied. */
	const char **all = calloc(set->n, sizeof *all);
	enum row_state *st = calloc(set->n, sizeof *st);
	for (size_t i = 0; i < set->n; i++)
		all[i] = set->items[i]->version.key;
	summarize_case(set, "the whole set applied", all, st, set->n);
	free(all);
	free(st);
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
		ok(a->n == 0 && a->items == NULL && a->rows.n == 0,
		   "%s: a summary only (no items, no rows kept)", ts[i]->name);
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
	for (size_t i = 0; i < n; i++) {
		const struct tenant_status *b = find(&sync, ts[i]->name);
		if (b->state == TSTATE_UNREACHABLE)
			continue;
		struct tenant_fetch *f = tenant_fetch_start(e.set, ts[i]);
		fetch_wait(f);
		const struct tenant_status *fs = tenant_fetch_status(f);
		ok(fs != NULL, "%s: fetched (%s)", ts[i]->name,
		   tenant_fetch_error(f) ? tenant_fetch_error(f) : "no error");
		if (fs) {
			is_int(fs->n, b->n, "%s: the fetch merges as many items as status_collect",
			       ts[i]->name);
			is_int(fs->applied, b->applied, "%s: same applied count", ts[i]->name);
			bool texts = true;
			for (size_t k = 0; k < fs->rows.n; k++)
				texts = texts && fs->rows.items[k].up_sql != NULL;
			ok(texts, "%s: its rows hold the stored up SQL", ts[i]->name);
		}
		size_t applies = 0;
		for (size_t k = 0; k < tenant_fetch_events(f)->n; k++)
			applies += strcmp(tenant_fetch_events(f)->items[k].action, "apply") == 0;
		ok(b->applied == 0 || applies > 0, "%s: its events (%zu applies)", ts[i]->name,
		   applies);
		tenant_fetch_free(&f);
	}
	for (size_t i = 0; i < n; i++) {
		if (strcmp(ts[i]->name, "down") != 0)
			continue;
		struct tenant_fetch *f = tenant_fetch_start(e.set, ts[i]);
		fetch_wait(f);
		ok(tenant_fetch_done(f) && !tenant_fetch_status(f) && tenant_fetch_error(f),
		   "an unreachable tenant's fetch ends with libpq's reason (%s)",
		   tenant_fetch_error(f) ? tenant_fetch_error(f) : "none");
		tenant_fetch_free(&f);
	}
	/* Started while the set loads (the interface does): the answers wait,
	 * uncounted, for the set, then give what status_collect gives. */
	struct status_async *late = status_async_start(NULL, ts, n, 2);
	t0 = time(NULL);
	size_t nfds;
	while ((nfds = status_async_fds(late, fds, 8)) > 0 && time(NULL) - t0 < 30) {
		int rc = poll(fds, nfds, status_async_timeout_ms(late));
		if (rc < 0)
			break;
		status_async_step(late, fds, rc > 0 ? nfds : 0);
	}
	size_t early = 0;
	bool only_unreachable = true;
	for (size_t i = 0; i < n; i++) {
		const struct tenant_status *st = status_async_get(late, i);
		early += st != NULL;
		only_unreachable &= !st || st->state == TSTATE_UNREACHABLE;
	}
	ok(nfds == 0 && !status_async_done(late) && early == 1 && only_unreachable,
	   "without the set every database answers, only the unreachable tenant is known");
	is_int(status_async_set_migset(late, e.set), n - early,
	       "given the set, the other tenants become known");
	ok(status_async_done(late), "then every tenant is known");
	bool same = true;
	for (size_t i = 0; i < n; i++) {
		const struct tenant_status *x = status_async_get(late, i);
		const struct tenant_status *y = find(&sync, ts[i]->name);
		same &= x && y && x->state == y->state && x->applied == y->applied &&
		        x->pending == y->pending;
	}
	ok(same, "the same states and counts as status_collect");
	status_async_free(&late);

	summarize_cases(e.set);
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
