/* status: tenants' recorded state merged with the migration set. Tenants that
 * share a conninfo (schema tenants) are read with one connection and one
 * query, which keeps `status --all` close to the cost of that query. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "pgstep/session.h"
#include "pgstep/status.h"
#include "pgstep/xalloc.h"

const char *mstate_name(enum mstate s)
{
	switch (s) {
	case MSTATE_PENDING: return "pending";
	case MSTATE_APPLIED: return "applied";
	case MSTATE_FAILED: return "failed";
	case MSTATE_DIRTY: return "dirty";
	case MSTATE_ROLLED_BACK: return "rolled_back";
	case MSTATE_ARCHIVED: return "archived";
	case MSTATE_SKIPPED: return "skipped";
	case MSTATE_MISSING: return "missing";
	}
	return "pending";
}

const char *tstate_name(enum tstate s)
{
	switch (s) {
	case TSTATE_OK: return "ok";
	case TSTATE_PENDING: return "pending";
	case TSTATE_FAILED: return "failed";
	case TSTATE_DIRTY: return "dirty";
	case TSTATE_UNREACHABLE: return "unreachable";
	}
	return "unreachable";
}

static int row_cmp(const void *a, const void *b)
{
	const struct state_row *x = a, *y = b;
	return version_key_cmp(x->version, y->version);
}

static void status_add(struct tenant_status *ts, size_t *cap, struct migration *m,
                       const struct state_row *row, enum mstate st)
{
	XGROW(ts->items, *cap, ts->n + 1);
	ts->items[ts->n++] =
	    (struct mig_status){.m = m, .row = row, .state = st, .checksum_ok = true};
}

static enum mstate state_of_row(const struct state_row *row)
{
	switch (row->state) {
	case ROW_APPLIED: return MSTATE_APPLIED;
	case ROW_FAILED: return MSTATE_FAILED;
	case ROW_DIRTY: return MSTATE_DIRTY;
	case ROW_ROLLED_BACK: return MSTATE_ROLLED_BACK;
	}
	return MSTATE_PENDING;
}

/* A baseline stands for every earlier version: it applies only to a tenant
 * with nothing applied, and once applied, earlier versions are covered. */
static void status_apply_baselines(struct tenant_status *ts, bool tenant_empty)
{
	for (size_t i = 0; i < ts->n; i++) {
		struct mig_status *b = &ts->items[i];
		if (!b->m || !b->m->baseline || b->state == MSTATE_ARCHIVED)
			continue;
		if (b->state == MSTATE_PENDING && !tenant_empty) {
			b->state = MSTATE_SKIPPED;
			continue;
		}
		if (b->state != MSTATE_PENDING && b->state != MSTATE_APPLIED)
			continue;
		for (size_t k = 0; k < ts->n; k++) {
			struct mig_status *e = &ts->items[k];
			if (e->m && e->state == MSTATE_PENDING && !e->m->archived &&
			    version_cmp(&e->m->version, &b->m->version) < 0)
				e->state = MSTATE_SKIPPED;
		}
	}
}

/* Rows usually arrive sorted (state_load sorts): check before sorting. */
static void status_sort_rows(struct tenant_status *ts)
{
	for (size_t i = 1; i < ts->rows.n; i++) {
		if (row_cmp(&ts->rows.items[i - 1], &ts->rows.items[i]) > 0) {
			qsort(ts->rows.items, ts->rows.n, sizeof *ts->rows.items, row_cmp);
			break;
		}
	}
}

const char *tenant_state_word(const struct tenant_status *ts)
{
	return ts->state == TSTATE_OK && ts->changed > 0 ? "changed" : tstate_name(ts->state);
}

static void status_set_overall(struct tenant_status *ts, bool dirty, bool failed)
{
	ts->state = dirty         ? TSTATE_DIRTY
	            : failed      ? TSTATE_FAILED
	            : ts->pending ? TSTATE_PENDING
	                          : TSTATE_OK;
}

void status_merge(const struct migset *set, struct tenant_status *ts)
{
	size_t cap = 0;
	free(ts->items);
	ts->items = NULL;
	ts->n = 0;
	ts->applied = ts->pending = ts->changed = 0;
	status_sort_rows(ts);

	for (size_t i = 0; i < set->n_archived; i++)
		status_add(ts, &cap, set->archived[i], NULL, MSTATE_ARCHIVED);

	bool tenant_empty = true;
	for (size_t i = 0; i < ts->rows.n; i++)
		if (ts->rows.items[i].state == ROW_APPLIED || ts->rows.items[i].state == ROW_DIRTY)
			tenant_empty = false;

	/* Both lists are in version order: walk them together. */
	size_t r = 0;
	for (size_t i = 0; i < set->n; i++) {
		struct migration *m = set->items[i];
		while (r < ts->rows.n &&
		       version_key_cmp(ts->rows.items[r].version, m->version.key) < 0) {
			status_add(ts, &cap, NULL, &ts->rows.items[r], MSTATE_MISSING);
			r++;
		}
		if (r < ts->rows.n &&
		    version_key_cmp(ts->rows.items[r].version, m->version.key) == 0) {
			const struct state_row *row = &ts->rows.items[r++];
			status_add(ts, &cap, m, row, state_of_row(row));
			if (row->state == ROW_APPLIED && row->checksum)
				ts->items[ts->n - 1].checksum_ok =
				    strcmp(row->checksum, m->checksum) == 0;
		} else {
			status_add(ts, &cap, m, NULL, MSTATE_PENDING);
		}
	}
	for (; r < ts->rows.n; r++)
		status_add(ts, &cap, NULL, &ts->rows.items[r], MSTATE_MISSING);

	status_apply_baselines(ts, tenant_empty);

	bool dirty = false, failed = false;
	for (size_t i = 0; i < ts->n; i++) {
		switch (ts->items[i].state) {
		case MSTATE_APPLIED:
			ts->applied++;
			ts->changed += !ts->items[i].checksum_ok;
			break;
		case MSTATE_PENDING:
		case MSTATE_ROLLED_BACK: ts->pending++; break;
		case MSTATE_FAILED:
			ts->pending++;
			failed = true;
			break;
		case MSTATE_DIRTY: dirty = true; break;
		case MSTATE_MISSING:
			if (ts->items[i].row->state == ROW_APPLIED)
				ts->applied++;
			else if (ts->items[i].row->state == ROW_DIRTY)
				dirty = true;
			break;
		case MSTATE_ARCHIVED:
		case MSTATE_SKIPPED: break;
		}
	}
	status_set_overall(ts, dirty, failed);
}

/* The counts status_merge would give, from the rows alone: every active
 * migration is pending until a row says otherwise, so only the rows are
 * walked (each found by a search onward from the previous one's), never the
 * whole set. A row that repeats the previous one's version, or names no
 * active migration, is what status_merge calls missing. Baselines change
 * other migrations' states, so a set holding one takes status_merge's way
 * and drops the items. */
void status_summarize(const struct migset *set, struct tenant_status *ts)
{
	free(ts->items);
	ts->items = NULL;
	ts->n = 0;
	if (set->has_baseline) {
		status_merge(set, ts);
		free(ts->items);
		ts->items = NULL;
		ts->n = 0;
		return;
	}
	status_sort_rows(ts);
	int applied = 0, changed = 0;
	size_t pending = set->n;
	bool dirty = false, failed = false;
	size_t pos = 0;
	for (size_t i = 0; i < ts->rows.n; i++) {
		const struct state_row *row = &ts->rows.items[i];
		bool repeat =
		    i > 0 && version_key_cmp(ts->rows.items[i - 1].version, row->version) == 0;
		const struct migration *m =
		    repeat ? NULL : migset_find_key_from(set, row->version, &pos);
		if (!m) {
			if (row->state == ROW_APPLIED)
				applied++;
			else if (row->state == ROW_DIRTY)
				dirty = true;
			continue;
		}
		pending--;
		switch (row->state) {
		case ROW_APPLIED:
			applied++;
			/* as status_merge's checksum_ok */
			changed += row->checksum && strcmp(row->checksum, m->checksum) != 0;
			break;
		case ROW_FAILED:
			pending++;
			failed = true;
			break;
		case ROW_DIRTY: dirty = true; break;
		case ROW_ROLLED_BACK: pending++; break;
		}
	}
	ts->applied = applied;
	ts->pending = (int)pending;
	ts->changed = changed;
	status_set_overall(ts, dirty, failed);
}

static int status_name_cmp(const void *a, const void *b)
{
	const struct tenant_status *const *x = a, *const *y = b;
	return strcmp((*x)->tenant->name, (*y)->tenant->name);
}

static int status_key_cmp(const void *key, const void *elem)
{
	const struct tenant_status *const *y = elem;
	return strcmp(key, (*y)->tenant->name);
}

void status_fail_group(struct tenant_status **group, size_t n, const struct pgstep_error *err)
{
	for (size_t i = 0; i < n; i++) {
		group[i]->state = TSTATE_UNREACHABLE;
		group[i]->error = xstrdup(err->msg ? err->msg : "connection failed");
		group[i]->error_code = err->code ? err->code : PGSTEP_EXIT_CONNECTION;
	}
}

void status_assign_rows(const struct migset *set, struct tenant_status **group, size_t n,
                        struct state_rows *rows)
{
	/* Hand each row to its tenant; tenant names are unique. */
	qsort(group, n, sizeof *group, status_name_cmp);
	for (size_t i = 0; i < rows->n; i++) {
		struct tenant_status **hit =
		    bsearch(rows->items[i].tenant, group, n, sizeof *group, status_key_cmp);
		if (!hit) {
			state_row_release(&rows->items[i]);
			continue;
		}
		struct state_rows *dst = &(*hit)->rows;
		XGROW(dst->items, dst->cap, dst->n + 1);
		dst->items[dst->n++] = rows->items[i];
	}
	free(rows->items);
	*rows = (struct state_rows){0};
	for (size_t i = 0; i < n; i++)
		status_merge(set, group[i]);
}

/* Read every tenant of one database (all entries share conninfo). */
static void status_read_database(const struct migset *set, struct tenant_status **group, size_t n)
{
	struct pgstep_error err = {0};
	struct session *s =
	    session_connect(group[0]->tenant->conninfo, group[0]->tenant->name, &err);
	struct state_rows rows = {0};
	const char **names = xcalloc(n, sizeof *names);
	for (size_t i = 0; i < n; i++)
		names[i] = group[i]->tenant->name;
	if (s && !state_load(s, names, n, false, &rows, &err)) {
		session_close(&s);
	}
	free(names);
	if (!s) {
		status_fail_group(group, n, &err);
		error_clear(&err);
		return;
	}
	session_close(&s);
	status_assign_rows(set, group, n, &rows);
}

static int status_conninfo_cmp(const void *a, const void *b)
{
	const struct tenant_status *const *x = a, *const *y = b;
	return strcmp((*x)->tenant->conninfo, (*y)->tenant->conninfo);
}

void status_collect(const struct migset *set, struct tenant *const *tenants, size_t n,
                    struct status_report *out)
{
	out->items = xcalloc(n ? n : 1, sizeof *out->items);
	out->n = n;
	struct tenant_status **order = xcalloc(n ? n : 1, sizeof *order);
	for (size_t i = 0; i < n; i++) {
		out->items[i].tenant = tenants[i];
		order[i] = &out->items[i];
	}
	qsort(order, n, sizeof *order, status_conninfo_cmp);
	for (size_t i = 0; i < n;) {
		size_t j = i + 1;
		while (j < n && strcmp(order[j]->tenant->conninfo, order[i]->tenant->conninfo) == 0)
			j++;
		status_read_database(set, order + i, j - i);
		i = j;
	}
	free(order);
}

void status_report_clear(struct status_report *r)
{
	for (size_t i = 0; i < r->n; i++) {
		free(r->items[i].items);
		free(r->items[i].error);
		state_rows_clear(&r->items[i].rows);
	}
	free(r->items);
	r->items = NULL;
	r->n = 0;
}
