/* pane_tenants: one line per tenant: name, labels and a badge that fills in
 * as the tenant's status arrives (up to date, N pending, failed, dirty,
 * unreachable), each with a glyph and a word besides its colour. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "pgstep/strbuf.h"
#include "tui_int.h"

static void tenant_badge(const struct tenant_status *ts, char *buf, size_t len, enum role *r)
{
	if (!ts) {
		snprintf(buf, len, "%s loading", glyph->loading);
		*r = ROLE_LOADING;
		return;
	}
	switch (ts->state) {
	case TSTATE_OK:
		/* Not "up to date" when applied files changed since: the list
		 * shows them with the same glyph. */
		if (ts->changed > 0) {
			snprintf(buf, len, "%s %d changed", glyph->changed, ts->changed);
			*r = ROLE_PENDING;
		} else {
			snprintf(buf, len, "%s up to date", glyph->ok);
			*r = ROLE_OK;
		}
		break;
	case TSTATE_PENDING:
		if (ts->changed > 0)
			snprintf(buf, len, "%s %d pending %s %d changed", glyph->pending,
			         ts->pending, glyph->changed, ts->changed);
		else
			snprintf(buf, len, "%s %d pending", glyph->pending, ts->pending);
		*r = ROLE_PENDING;
		break;
	case TSTATE_FAILED:
		snprintf(buf, len, "%s failed", glyph->failed);
		*r = ROLE_FAILED;
		break;
	case TSTATE_DIRTY:
		snprintf(buf, len, "%s dirty", glyph->dirty);
		*r = ROLE_DIRTY;
		break;
	case TSTATE_UNREACHABLE:
		snprintf(buf, len, "%s unreachable", glyph->unreachable);
		*r = ROLE_UNREACHABLE;
		break;
	}
}

static void tenants_draw(struct app *app, struct pane *p)
{
	size_t n = app->eng.tenants.n;
	char title[64];
	size_t known = app->status ? status_async_known(app->status) : 0;
	if (known < n)
		snprintf(title, sizeof title, "Tenants %zu (%zu loading)", n, n - known);
	else
		snprintf(title, sizeof title, "Tenants %zu", n);
	pane_frame(app, p, title);
	int rows = pane_rows(p), width = p->w - 2;
	pane_scroll_to(p, app->tenant_sel);
	bool focus = app->focus == PANE_TENANTS;
	for (int r = 0; r < rows && p->top + (size_t)r < n; r++) {
		size_t i = p->top + (size_t)r;
		struct tenant *t = app->eng.tenants.items[i];
		const struct tenant_status *ts = app_tenant_status(app, i);
		char badge[48];
		enum role br = ROLE_NORMAL;
		tenant_badge(ts, badge, sizeof badge, &br);
		bool sel = i == app->tenant_sel;
		attr_t base = sel ? role_attr(focus ? ROLE_SELECTED : ROLE_SELECTED_DIM) : 0;
		wmove(p->win, r + 1, 1);
		int bw = text_width(badge);
		int used = draw_str(p->win, sel ? ">" : " ", 1, base);
		/* Marked for a group apply: a glyph, not colour alone. */
		used +=
		    draw_str(p->win, app->marked && app->marked[i] ? "*" : " ", 1, base | A_BOLD);
		used += draw_str(p->win, t->name, width - bw - 2 - used, base | A_BOLD);
		struct strbuf lb;
		strbuf_init(&lb);
		for (size_t k = 0; k < t->n_labels; k++)
			strbuf_addf(&lb, " %s=%s", t->labels[k].key, t->labels[k].value);
		if (width - bw - 1 - used > 4)
			used += draw_str(p->win, lb.buf, width - bw - 1 - used,
			                 base | role_attr(ROLE_DIM));
		strbuf_release(&lb);
		if (width - bw - used > 0)
			draw_fill(p->win, width - bw - used, base);
		draw_str(p->win, badge, bw, sel ? base : role_attr(br));
	}
}

static bool tenants_act(struct app *app, struct pane *p, enum action a)
{
	size_t n = app->eng.tenants.n, sel = app->tenant_sel, page = (size_t)pane_rows(p);
	if (!n)
		return false;
	switch (a) {
	case ACT_UP: sel = sel ? sel - 1 : 0; break;
	case ACT_DOWN: sel = sel + 1 < n ? sel + 1 : sel; break;
	case ACT_PAGE_UP: sel = sel > page ? sel - page : 0; break;
	case ACT_PAGE_DOWN: sel = sel + page < n ? sel + page : n - 1; break;
	case ACT_FIRST: sel = 0; break;
	case ACT_LAST: sel = n - 1; break;
	case ACT_OPEN:
	case ACT_RIGHT:
		app->focus = PANE_MIGRATIONS;
		screen_mark_all(app);
		return true;
	default: return false;
	}
	if (sel != app->tenant_sel)
		app_select_tenant(app, sel);
	return true;
}

const struct pane_ops tenants_pane_ops = {
    .name = "tenants",
    .draw = tenants_draw,
    .act = tenants_act,
};
