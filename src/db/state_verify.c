/* state_verify: `pgstep verify`'s reading of the pgstep schema: each
 * tenant's chain recomputed (keyed or not), checked against its head in
 * pgstep.heads, every migrations row against the event bound to it, and
 * an anchored head (verify --anchor) looked for. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pgstep/sha256.h"
#include "pgstep/state.h"
#include "pgstep/xalloc.h"
#include "state_int.h"

/* "apply 004" or just "repair" when the event names no version. */
static char *state_event_what(const struct event_row *e)
{
	return e->version ? xasprintf("%s %s", e->action, e->version) : xstrdup(e->action);
}

/* Checks one tenant's chain, items[from..to). */
static void state_verify_chain(const struct event_row *items, size_t from, size_t to,
                               struct diag_list *problems)
{
	const char *prev_hash = state_zero_hash;
	int64_t expect = 1;
	bool seen_keyed = false;
	for (size_t i = from; i < to; i++) {
		const struct event_row *e = &items[i];
		char *what = state_event_what(e);
		bool gap = e->seq != expect;
		if (gap) {
			/* The prev_hash of the event after a hole cannot link
			 * either; one message says what happened. */
			if (e->seq - expect == 1)
				diag_add(problems, DIAG_ERROR, NULL, 0,
				         "tenant %s: event %" PRId64
				         " is missing (before event %" PRId64
				         " (%s)): gap in the chain",
				         e->tenant, expect, e->seq, what);
			else
				diag_add(problems, DIAG_ERROR, NULL, 0,
				         "tenant %s: events %" PRId64 "-%" PRId64
				         " are missing (before event %" PRId64
				         " (%s)): gap in the chain",
				         e->tenant, expect, e->seq - 1, e->seq, what);
		}
		bool keyed = state_hash_keyed(e->hash);
		char hash[STATE_HASH_MAX];
		state_event_hash(e, keyed, hash);
		if (state_event_ambiguous(e))
			diag_add(problems, DIAG_ERROR, NULL, 0,
			         "tenant %s: event %" PRId64
			         " (%s) was altered: a field holds a separator byte",
			         e->tenant, e->seq, what);
		else if (keyed && !state_audit_keyed())
			; /* a keyed hash needs the key: links, rows and head are still checked */
		else if (!e->hash || strcmp(hash, e->hash) != 0)
			diag_add(problems, DIAG_ERROR, NULL, 0,
			         "tenant %s: event %" PRId64 " (%s) was altered: hash mismatch%s",
			         e->tenant, e->seq, what,
			         keyed ? " (keyed with a different key, or forged)" : "");
		else if (state_audit_keyed() && !keyed && seen_keyed)
			diag_add(problems, DIAG_ERROR, NULL, 0,
			         "tenant %s: event %" PRId64
			         " (%s) is not keyed although events before it are: the chain "
			         "was re-forged from here",
			         e->tenant, e->seq, what);
		seen_keyed = seen_keyed || keyed;
		if (!gap && (!e->prev_hash || strcmp(e->prev_hash, prev_hash) != 0)) {
			if (e->seq == 1)
				diag_add(problems, DIAG_ERROR, NULL, 0,
				         "tenant %s: event 1 (%s) does not start the chain: "
				         "prev_hash is not zero",
				         e->tenant, what);
			else
				diag_add(problems, DIAG_ERROR, NULL, 0,
				         "tenant %s: event %" PRId64
				         " (%s) does not link to event %" PRId64
				         ": prev_hash mismatch (an event was replaced)",
				         e->tenant, e->seq, what, e->seq - 1);
		}
		/* Link to the stored hash: an altered row is reported once, a
		 * re-hashed one breaks the link of the next. */
		prev_hash = e->hash ? e->hash : "";
		expect = e->seq + 1;
		free(what);
	}
	/* Anyone who can write the database can re-hash an unkeyed chain;
	 * only a keyed last event shows that the key's holder wrote it. */
	if (state_audit_keyed() && to > from && !state_hash_keyed(items[to - 1].hash)) {
		char *what = state_event_what(&items[to - 1]);
		diag_add(problems, DIAG_ERROR, NULL, 0,
		         "tenant %s: the last event %" PRId64
		         " (%s) is not keyed with [audit] key_file: the chain was re-forged "
		         "without the key, or nothing was recorded since the key was set",
		         items[to - 1].tenant, items[to - 1].seq, what);
		free(what);
	}
}

void chain_head_release(struct chain_head *h)
{
	free(h->hash);
	h->hash = NULL;
	h->seq = 0;
}

/* What verify reads: events with their row hashes, rows with their
 * bindings, heads. */
/* clang-format off */
static const char state_verify_events_sql[] =
	"SELECT seq, tenant, version, action, detail, db_user, os_user, client_addr, "
	STATE_TS("at") ", prev_hash, hash, row_hash"
	" FROM pgstep.events WHERE ($1::text IS NULL OR tenant = $1)"
	" ORDER BY tenant, seq";
static const char state_verify_rows_sql[] =
	"SELECT " STATE_CANON_COLS ", m.event_seq, m.event_hash"
	" FROM pgstep.migrations m WHERE ($1::text IS NULL OR m.tenant = $1)"
	" ORDER BY m.tenant, m.version";
static const char state_verify_heads_sql[] =
	"SELECT tenant, seq, hash FROM pgstep.heads WHERE ($1::text IS NULL OR tenant = $1)";
/* clang-format on */

/* One tenant's share of what verify read. */
struct verify_tenant {
	const char *tenant;
	const struct event_row *ev; /* in seq order */
	size_t n_ev;
	const struct state_row **rows;
	size_t n_rows;
	const PGresult *heads; /* the head is row head_row, or none when -1 */
	int head_row;
};

static const struct event_row *verify_find_event(const struct verify_tenant *v, int64_t seq)
{
	size_t lo = 0, hi = v->n_ev;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (v->ev[mid].seq == seq)
			return &v->ev[mid];
		if (v->ev[mid].seq < seq)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static bool verify_same(const char *a, const char *b)
{
	return a && b && strcmp(a, b) == 0;
}

/* The last event that wrote each version's row, newest first: one pass
 * over the chain, so a long log costs events x versions, not events^2. */
static size_t verify_last_writers(const struct verify_tenant *v, const struct event_row ***out)
{
	const struct event_row **w = xcalloc(v->n_ev + 1, sizeof *w);
	size_t n = 0;
	for (size_t i = v->n_ev; i-- > 0;) {
		const struct event_row *e = &v->ev[i];
		if (!e->row_hash || !e->version)
			continue;
		bool seen = false;
		for (size_t k = 0; k < n && !seen; k++)
			seen = strcmp(w[k]->version, e->version) == 0;
		if (!seen)
			w[n++] = e;
	}
	*out = w;
	return n;
}

static const struct event_row *verify_last_writer(const struct event_row *const *w, size_t n,
                                                  const char *version)
{
	for (size_t k = 0; k < n; k++)
		if (verify_same(w[k]->version, version))
			return w[k];
	return NULL;
}

/* The head row against the chain's end: deleted trailing events show. */
static void verify_head(const struct verify_tenant *v, struct diag_list *problems)
{
	const struct event_row *last = v->n_ev ? &v->ev[v->n_ev - 1] : NULL;
	if (v->head_row < 0) {
		if (last)
			diag_add(problems, DIAG_ERROR, NULL, 0,
			         "tenant %s: the chain's head row in pgstep.heads is missing "
			         "(%zu events remain): the head, and maybe events after event "
			         "%" PRId64 ", were deleted",
			         v->tenant, v->n_ev, last->seq);
		return;
	}
	int64_t head = strtoll(PQgetvalue(v->heads, v->head_row, 1), NULL, 10);
	const char *head_hash = PQgetvalue(v->heads, v->head_row, 2);
	if (!last)
		diag_add(problems, DIAG_ERROR, NULL, 0,
		         "tenant %s: all %" PRId64 " events are missing (the head records event "
		         "%" PRId64 ")",
		         v->tenant, head, head);
	else if (last->seq + 1 == head)
		diag_add(problems, DIAG_ERROR, NULL, 0,
		         "tenant %s: event %" PRId64 " is missing at the end of the chain (the "
		         "head records it): the last event was deleted",
		         v->tenant, head);
	else if (last->seq < head)
		diag_add(problems, DIAG_ERROR, NULL, 0,
		         "tenant %s: events %" PRId64 "-%" PRId64
		         " are missing at the end of the chain (the head records event %" PRId64
		         "): the last events were deleted",
		         v->tenant, last->seq + 1, head, head);
	else if (last->seq > head)
		diag_add(problems, DIAG_ERROR, NULL, 0,
		         "tenant %s: events %" PRId64 "-%" PRId64
		         " come after the head (event %" PRId64 "): added outside pgstep",
		         v->tenant, head + 1, last->seq, head);
	else if (!verify_same(last->hash, head_hash))
		diag_add(problems, DIAG_ERROR, NULL, 0,
		         "tenant %s: the last event %" PRId64
		         " is not the one its head records: it was replaced",
		         v->tenant, last->seq);
}

/* Each row against the event bound to it, and each row an event wrote. */
static void verify_rows(const struct verify_tenant *v, struct diag_list *problems)
{
	if (v->n_ev == 0) {
		if (v->n_rows)
			diag_add(problems, DIAG_ERROR, NULL, 0,
			         "tenant %s: the event log is empty but %zu migrations rows "
			         "remain: its events were deleted",
			         v->tenant, v->n_rows);
		return;
	}
	const struct event_row **writers;
	size_t n_writers = verify_last_writers(v, &writers);
	for (size_t i = 0; i < v->n_rows; i++) {
		const struct state_row *r = v->rows[i];
		const char *name = r->name ? r->name : "";
		const struct event_row *e =
		    r->event_seq ? verify_find_event(v, r->event_seq) : NULL;
		const struct event_row *last = verify_last_writer(writers, n_writers, r->version);
		char row_hash[SHA256_HEX_LEN + 1];
		state_row_hash(r, row_hash);
		if (!r->event_seq || !r->event_hash) {
			diag_add(problems, DIAG_ERROR, NULL, 0,
			         "tenant %s: the migrations row of version %s (%s) is bound to no "
			         "event: it was written outside pgstep",
			         v->tenant, r->version, name);
			continue;
		}
		if (!e) {
			diag_add(problems, DIAG_ERROR, NULL, 0,
			         "tenant %s: the migrations row of version %s (%s) was written by "
			         "event %" PRId64 ", which is missing",
			         v->tenant, r->version, name, r->event_seq);
			continue;
		}
		char *what = state_event_what(e);
		if (!e->row_hash || !verify_same(e->hash, r->event_hash) ||
		    !verify_same(e->version, r->version))
			diag_add(problems, DIAG_ERROR, NULL, 0,
			         "tenant %s: the migrations row of version %s (%s) names event "
			         "%" PRId64 " (%s) as its writer, which did not write it: the row "
			         "was moved, or its binding forged",
			         v->tenant, r->version, name, r->event_seq, what);
		else if (strcmp(e->row_hash, row_hash) != 0)
			diag_add(problems, DIAG_ERROR, NULL, 0,
			         "tenant %s: the migrations row of version %s (%s) was altered "
			         "after event %" PRId64 " (%s) wrote it: it now says %s, %d of %d "
			         "statements done, which is not what was recorded",
			         v->tenant, r->version, name, e->seq, what,
			         row_state_name(r->state), r->statements_done, r->statements_total);
		else if (last && last->seq > e->seq) {
			char *lw = state_event_what(last);
			diag_add(problems, DIAG_ERROR, NULL, 0,
			         "tenant %s: the migrations row of version %s (%s) is the one "
			         "event %" PRId64 " wrote, but event %" PRId64 " (%s) wrote it "
			         "later: an old copy was put back",
			         v->tenant, r->version, name, e->seq, last->seq, lw);
			free(lw);
		}
		free(what);
	}
	/* Rows that events wrote and that are gone (oldest first). */
	for (size_t i = n_writers; i-- > 0;) {
		const struct event_row *e = writers[i];
		bool found = false;
		for (size_t k = 0; k < v->n_rows && !found; k++)
			found = verify_same(v->rows[k]->version, e->version);
		if (!found) {
			char *what = state_event_what(e);
			diag_add(problems, DIAG_ERROR, NULL, 0,
			         "tenant %s: the migrations row of version %s is missing: event "
			         "%" PRId64 " (%s) wrote it last",
			         v->tenant, e->version, e->seq, what);
			free(what);
		}
	}
	free(writers);
}

static void verify_anchor(const struct verify_tenant *v, const struct chain_head *anchor,
                          struct diag_list *problems)
{
	if (!anchor || anchor->seq <= 0)
		return;
	const struct event_row *e = verify_find_event(v, anchor->seq);
	if (!e)
		diag_add(problems, DIAG_ERROR, NULL, 0,
		         "tenant %s: the anchored head, event %" PRId64
		         ", is missing: the history was truncated",
		         v->tenant, anchor->seq);
	else if (!verify_same(e->hash, anchor->hash))
		diag_add(problems, DIAG_ERROR, NULL, 0,
		         "tenant %s: event %" PRId64
		         " is not the anchored head (hash %.16s, anchored %.16s): the history up "
		         "to it was rewritten",
		         v->tenant, anchor->seq, e->hash ? e->hash : "", anchor->hash);
}

static int verify_strcmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Verify of a version 1 schema: the chain as version 1 had it. */
static bool state_verify_v1(struct session *s, const char *tenant, struct diag_list *problems,
                            struct pgstep_error *err)
{
	struct event_rows rows = {0};
	if (!state_load_events(s, tenant, NULL, &rows, err))
		return false;
	size_t from = 0;
	for (size_t i = 1; i <= rows.n; i++) {
		if (i == rows.n || strcmp(rows.items[i].tenant, rows.items[from].tenant) != 0) {
			state_verify_chain(rows.items, from, i, problems);
			from = i;
		}
	}
	event_rows_clear(&rows);
	diag_add(problems, DIAG_ERROR, NULL, 0,
	         "tenant %s: the pgstep schema here is version 1, whose migrations rows and "
	         "chain head are not bound to the event log: run a pgstep command that writes "
	         "(up, down, repair) to upgrade it to version %d",
	         tenant ? tenant : session_label(s), STATE_SCHEMA_VERSION);
	return true;
}

bool state_verify_events(struct session *s, const char *tenant, const struct chain_head *anchor,
                         struct chain_head *head, struct diag_list *problems,
                         struct pgstep_error *err)
{
	if (head) {
		head->seq = 0;
		head->hash = NULL;
	}
	int version;
	if (!state_version(s, &version, err))
		return false;
	if (version == 0) {
		if (anchor && anchor->seq > 0)
			diag_add(problems, DIAG_ERROR, NULL, 0,
			         "tenant %s: the anchored head, event %" PRId64
			         ", is missing: there is no pgstep schema",
			         tenant ? tenant : session_label(s), anchor->seq);
		return true;
	}
	if (version < 2)
		return state_verify_v1(s, tenant, problems, err);

	const char *p[] = {tenant};
	PGresult *ev_res = session_query(s, state_verify_events_sql, 1, p, err);
	PGresult *row_res = ev_res ? session_query(s, state_verify_rows_sql, 1, p, err) : NULL;
	PGresult *head_res = row_res ? session_query(s, state_verify_heads_sql, 1, p, err) : NULL;
	if (!head_res) {
		PQclear(ev_res);
		PQclear(row_res);
		error_prefix(err, "tenant %s: reading the pgstep schema",
		             tenant ? tenant : session_label(s));
		return false;
	}
	struct event_rows events = {0};
	state_events_result(ev_res, &events);
	PQclear(ev_res);
	size_t n_rows = (size_t)PQntuples(row_res);
	struct state_row *rows = xcalloc(n_rows + 1, sizeof *rows);
	for (size_t i = 0; i < n_rows; i++) {
		state_canon_parse(row_res, (int)i, &rows[i]);
		rows[i].event_seq = state_int(row_res, (int)i, STATE_CANON_NCOLS);
		rows[i].event_hash = state_dup(row_res, (int)i, STATE_CANON_NCOLS + 1);
	}
	PQclear(row_res);

	/* Every tenant that has events, rows or a head. */
	size_t n_names = 0;
	const char **names =
	    xcalloc(events.n + n_rows + (size_t)PQntuples(head_res) + 1, sizeof *names);
	for (size_t i = 0; i < events.n; i++)
		names[n_names++] = events.items[i].tenant;
	for (size_t i = 0; i < n_rows; i++)
		names[n_names++] = rows[i].tenant;
	for (int i = 0; i < PQntuples(head_res); i++)
		names[n_names++] = PQgetvalue(head_res, i, 0);
	if (n_names > 1)
		qsort(names, n_names, sizeof *names, verify_strcmp);
	const struct state_row **mine = xcalloc(n_rows + 1, sizeof *mine);
	for (size_t k = 0; k < n_names; k++) {
		if (k > 0 && strcmp(names[k], names[k - 1]) == 0)
			continue;
		struct verify_tenant v = {
		    .tenant = names[k], .heads = head_res, .head_row = -1, .rows = mine};
		size_t from = 0;
		while (from < events.n && strcmp(events.items[from].tenant, v.tenant) != 0)
			from++;
		size_t to = from;
		while (to < events.n && strcmp(events.items[to].tenant, v.tenant) == 0)
			to++;
		v.ev = events.items + from;
		v.n_ev = to - from;
		for (size_t i = 0; i < n_rows; i++)
			if (strcmp(rows[i].tenant, v.tenant) == 0)
				mine[v.n_rows++] = &rows[i];
		for (int i = 0; i < PQntuples(head_res); i++)
			if (strcmp(PQgetvalue(head_res, i, 0), v.tenant) == 0)
				v.head_row = i;
		state_verify_chain(events.items, from, to, problems);
		verify_head(&v, problems);
		verify_rows(&v, problems);
		if (tenant) {
			verify_anchor(&v, anchor, problems);
			if (head && v.n_ev) {
				head->seq = v.ev[v.n_ev - 1].seq;
				head->hash =
				    xstrdup(v.ev[v.n_ev - 1].hash ? v.ev[v.n_ev - 1].hash : "");
			}
		}
	}
	/* The anchored tenant may have left no trace at all. */
	if (tenant && n_names == 0)
		verify_anchor(&(struct verify_tenant){.tenant = tenant}, anchor, problems);
	free(mine);
	free(names);
	for (size_t i = 0; i < n_rows; i++)
		state_row_release(&rows[i]);
	free(rows);
	PQclear(head_res);
	event_rows_clear(&events);
	return true;
}
