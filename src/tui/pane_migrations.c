/* pane_migrations: the selected tenant's migrations grouped by phase.
 * Phases fold (Enter, Left/Right); each migration shows its state glyph,
 * version, name and highest risk, archived ones dim, baselines and
 * irreversible ones marked. Risk is computed only for the rows on screen. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "tui_int.h"

static const char *mig_glyph(const struct mig_status *st, const struct migration *m, enum role *r)
{
	if (m->archived) {
		*r = ROLE_DIM;
		return glyph->archived;
	}
	if (!st) {
		*r = ROLE_LOADING;
		return " ";
	}
	switch (st->state) {
	case MSTATE_APPLIED:
		*r = st->checksum_ok ? ROLE_OK : ROLE_PENDING;
		return st->checksum_ok ? glyph->applied : glyph->changed;
	case MSTATE_PENDING: *r = ROLE_PENDING; return glyph->mpending;
	case MSTATE_FAILED: *r = ROLE_FAILED; return glyph->mfailed;
	case MSTATE_DIRTY: *r = ROLE_DIRTY; return glyph->mdirty;
	case MSTATE_ROLLED_BACK: *r = ROLE_PENDING; return glyph->rolled_back;
	case MSTATE_ARCHIVED: *r = ROLE_DIM; return glyph->archived;
	case MSTATE_SKIPPED: *r = ROLE_DIM; return glyph->skipped;
	case MSTATE_MISSING: *r = ROLE_FAILED; return glyph->missing;
	}
	*r = ROLE_NORMAL;
	return " ";
}

static void migrations_draw(struct app *app, struct pane *p)
{
	struct tenant *t = app_tenant(app);
	char title[128];
	snprintf(title, sizeof title, "Migrations%s%s", t ? " of " : "", t ? t->name : "");
	pane_frame(app, p, title);
	int rows = pane_rows(p), width = p->w - 2;
	pane_scroll_to(p, app->mig_sel);
	bool focus = app->focus == PANE_MIGRATIONS;
	for (int r = 0; r < rows && p->top + (size_t)r < app->n_rows; r++) {
		size_t i = p->top + (size_t)r;
		const struct mig_row *row = &app->rows_v[i];
		bool sel = i == app->mig_sel;
		attr_t base = sel ? role_attr(focus ? ROLE_SELECTED : ROLE_SELECTED_DIM) : 0;
		wmove(p->win, r + 1, 1);
		int used = 0;
		if (row->kind == ROW_PHASE) {
			char line[160];
			snprintf(line, sizeof line, "%s %s",
			         app->folded[row->phase] ? glyph->folded : glyph->unfolded,
			         app->phase_names[row->phase]);
			used += draw_str(p->win, line, width, base | role_attr(ROLE_PHASE));
			draw_fill(p->win, width - used, base);
			continue;
		}
		struct migration *m = row->m;
		const struct mig_status *st =
		    row->set_index < app->n_lookup ? app->lookup[row->set_index] : NULL;
		enum role gr;
		const char *g = mig_glyph(st, m, &gr);
		int worst = app_migration_worst(app, row->set_index);
		const char *rw = risk_word(worst);
		int rwid = 7; /* "medium" + space */
		attr_t dim = m->archived ? role_attr(ROLE_DIM) : 0;
		used += draw_str(p->win, "  ", 2, base);
		used += draw_str(p->win, g, 1, sel ? base : role_attr(gr));
		used += draw_str(p->win, " ", 1, base);
		char marks[16] = "";
		if (m->baseline)
			snprintf(marks + strlen(marks), sizeof marks - strlen(marks), " %s",
			         glyph->baseline);
		if (!migration_reversible(m))
			snprintf(marks + strlen(marks), sizeof marks - strlen(marks), " %s",
			         glyph->irreversible);
		int mw = text_width(marks);
		used += draw_str(p->win, migration_label(m), width - used - rwid - mw, base | dim);
		used += draw_str(p->win, marks, width - used - rwid, base | role_attr(ROLE_DIRTY));
		if (width - used - rwid > 0)
			draw_fill(p->win, width - used - rwid, base);
		used = width - rwid;
		char rbuf[16];
		snprintf(rbuf, sizeof rbuf, " %6s", rw);
		draw_str(p->win, rbuf, rwid, sel ? base : role_attr(risk_role(worst)));
	}
}

static void migrations_fold(struct app *app, bool fold)
{
	const struct mig_row *row = &app->rows_v[app->mig_sel];
	int ph = row->phase;
	if (app->folded[ph] == fold)
		return;
	app->folded[ph] = fold;
	/* Keep the selection on the phase line when folding. */
	if (fold)
		for (size_t i = 0; i < app->n_rows; i++)
			if (app->rows_v[i].kind == ROW_PHASE && app->rows_v[i].phase == ph) {
				app->mig_sel = i;
				break;
			}
	app_rebuild_rows(app);
	app_invalidate_detail(app);
}

static bool migrations_act(struct app *app, struct pane *p, enum action a)
{
	size_t n = app->n_rows, sel = app->mig_sel, page = (size_t)pane_rows(p);
	if (!n)
		return false;
	const struct mig_row *row = &app->rows_v[sel];
	switch (a) {
	case ACT_UP: sel = sel ? sel - 1 : 0; break;
	case ACT_DOWN: sel = sel + 1 < n ? sel + 1 : sel; break;
	case ACT_PAGE_UP: sel = sel > page ? sel - page : 0; break;
	case ACT_PAGE_DOWN: sel = sel + page < n ? sel + page : n - 1; break;
	case ACT_FIRST: sel = 0; break;
	case ACT_LAST: sel = n - 1; break;
	case ACT_OPEN:
		if (row->kind == ROW_PHASE)
			migrations_fold(app, !app->folded[row->phase]);
		else {
			app->focus = PANE_DETAIL;
			screen_mark_all(app);
		}
		return true;
	case ACT_LEFT:
		if (row->kind == ROW_PHASE && !app->folded[row->phase]) {
			migrations_fold(app, true);
			return true;
		}
		return false;
	case ACT_RIGHT:
		if (row->kind == ROW_PHASE && app->folded[row->phase]) {
			migrations_fold(app, false);
			return true;
		}
		return false;
	default: return false;
	}
	if (sel != app->mig_sel) {
		app->mig_sel = sel;
		p->dirty = true;
		app_invalidate_detail(app);
	}
	return true;
}

const struct pane_ops migrations_pane_ops = {
    .name = "migrations",
    .draw = migrations_draw,
    .act = migrations_act,
};
