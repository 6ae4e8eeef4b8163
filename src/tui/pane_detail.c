/* pane_detail: the selected migration in tabs (SQL, Risk, Diff, History,
 * Notes). The tab's document is built once per selection and tab (tabs.c)
 * and scrolled here. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "tui_int.h"

/* The document as drawn: prose wrapped to the pane (doc_wrap), rebuilt
 * when the document or the width changes. SQL and diffs stay one row a
 * line, scrolled sideways by app->hscroll. */
static struct {
	struct doc doc;
	int width;
	bool valid;
} lay;

/* A code row scrolled by app->hscroll, with a marker on each side where
 * the line goes on; SQL's line numbers stay where they are. */
static void draw_code_row(struct app *app, WINDOW *w, const struct doc_line *l, int width)
{
	size_t len = strlen(l->text), from = 0;
	if (l->n_spans && l->spans[0].start == 0 && l->spans[0].role == ROLE_LINE_NUMBER) {
		from = l->spans[0].end < len ? l->spans[0].end : len;
		width -= doc_draw_slice(w, l, 0, from, width);
	}
	int lw = text_width(l->text + from), skip = app->hscroll, avail = width;
	bool left = skip > 0 && lw > 0, right;
	if (left) {
		draw_str(w, glyph->more_left, 1, role_attr(ROLE_DIM));
		avail--;
		skip++;
	}
	right = lw - skip > avail;
	if (right)
		avail--;
	size_t start = from + (skip < lw ? text_fit(l->text + from, len - from, skip) : len - from);
	int used = doc_draw_slice(w, l, start, len, avail);
	if (right) {
		draw_fill(w, avail - used, 0);
		draw_str(w, glyph->more_right, 1, role_attr(ROLE_DIM));
	}
}

static void draw_row(struct app *app, WINDOW *w, const struct doc_line *l, int width)
{
	if (l->code)
		draw_code_row(app, w, l, width);
	else
		doc_draw_line(w, l, width);
}

/* The run view: built at each draw (it moves while statements run), kept
 * so that the current statement stays in sight. */
static void detail_draw_run(struct app *app, struct pane *p)
{
	struct doc d = {0};
	char title[256];
	size_t anchor = 0;
	run_view_build(app, &d, title, sizeof title, &anchor);
	pane_frame(app, p, title);
	int width = p->w - 2, rows = pane_rows(p);
	/* Prose wraps here as in the tabs; the anchor moves by the rows the
	 * lines above it wrapped into. */
	struct doc wrapped = {0}, above = {0};
	struct doc before = {d.lines, anchor < d.n ? anchor : d.n, 0};
	doc_wrap(&d, width, &wrapped);
	doc_wrap(&before, width, &above);
	anchor = above.n;
	doc_clear(&above);
	doc_clear(&d);
	d = wrapped;
	long top = (long)(anchor > 3 ? anchor - 3 : 0) + app->run_scroll;
	long max = d.n > (size_t)rows ? (long)(d.n - (size_t)rows) : 0;
	if (top > max)
		top = max;
	if (top < 0)
		top = 0;
	for (int r = 0; r < rows && (size_t)top + (size_t)r < d.n; r++) {
		wmove(p->win, r + 1, 1);
		doc_draw_line(p->win, &d.lines[(size_t)top + (size_t)r], width);
	}
	doc_clear(&d);
}

/* The tab's document and its layout for the pane's width, built when the
 * selection, the tab or the width changed. Keys call it too: several keys
 * read in one go (2 then G) must scroll the new tab, not the one drawn. */
static struct migration *detail_sync(struct app *app, struct pane *p)
{
	struct migration *m = app_selected_migration(app);
	if (!app->doc_valid || app->doc_for != m || app->doc_tab != app->tab) {
		doc_clear(&app->doc);
		detail_build(app, &app->doc);
		app->doc_valid = true;
		app->doc_for = m;
		app->doc_tab = app->tab;
		lay.valid = false;
		app->hscroll = 0;
	}
	int width = p->w - 2;
	if (!lay.valid || lay.width != width) {
		doc_clear(&lay.doc);
		doc_wrap(&app->doc, width, &lay.doc);
		lay.width = width;
		lay.valid = true;
	}
	return m;
}

static void detail_draw(struct app *app, struct pane *p)
{
	if (app->run && app->show_run) {
		detail_draw_run(app, p);
		return;
	}
	struct migration *m = detail_sync(app, p);
	char title[160];
	snprintf(title, sizeof title, "%s", m ? migration_label(m) : "Detail");
	pane_frame(app, p, title);
	int width = p->w - 2, rows = pane_rows(p);
	/* The tab bar is the first content line. */
	static const char *const labels[TAB_COUNT] = {"SQL", "Risk", "Diff", "History", "Notes"};
	wmove(p->win, 1, 1);
	int used = 0;
	for (int t = 0; t < TAB_COUNT && used < width; t++) {
		char lab[32];
		snprintf(lab, sizeof lab, "%d %s", t + 1, labels[t]);
		bool on = app->tab == (enum tab)t;
		if (on)
			used += draw_str(p->win, "[", width - used, role_attr(ROLE_TAB_ACTIVE));
		else
			used += draw_str(p->win, " ", width - used, 0);
		used +=
		    draw_str(p->win, lab, width - used, role_attr(on ? ROLE_TAB_ACTIVE : ROLE_TAB));
		used += draw_str(p->win, on ? "]" : " ", width - used,
		                 on ? role_attr(ROLE_TAB_ACTIVE) : 0);
	}
	int body = rows - 1;
	if (body <= 0)
		return;
	size_t n = lay.doc.n;
	if (p->top + (size_t)body > n)
		p->top = n > (size_t)body ? n - (size_t)body : 0;
	for (int r = 0; r < body && p->top + (size_t)r < n; r++) {
		wmove(p->win, r + 2, 1);
		draw_row(app, p->win, &lay.doc.lines[p->top + (size_t)r], width);
	}
	if (n > (size_t)body) {
		char pos[32];
		snprintf(pos, sizeof pos, " %zu-%zu/%zu ", p->top + 1,
		         p->top + (size_t)body < n ? p->top + (size_t)body : n, n);
		int pw = text_width(pos);
		if (pw < p->w - 2) {
			wmove(p->win, p->h - 1, p->w - 1 - pw);
			draw_str(p->win, pos, pw, role_attr(ROLE_BORDER));
		}
	}
}

static bool detail_act(struct app *app, struct pane *p, enum action a)
{
	if (app->run && app->show_run) {
		long page = pane_rows(p);
		switch (a) {
		case ACT_UP: app->run_scroll--; break;
		case ACT_DOWN: app->run_scroll++; break;
		case ACT_PAGE_UP: app->run_scroll -= page; break;
		case ACT_PAGE_DOWN: app->run_scroll += page; break;
		case ACT_FIRST: app->run_scroll = -100000; break;
		case ACT_LAST: app->run_scroll = 0; break;
		default: return false;
		}
		p->dirty = true;
		return true;
	}
	detail_sync(app, p);
	size_t body = pane_rows(p) > 1 ? (size_t)pane_rows(p) - 1 : 1, top = p->top, n = lay.doc.n;
	size_t max = n > body ? n - body : 0;
	switch (a) {
	case ACT_UP: top = top ? top - 1 : 0; break;
	case ACT_DOWN: top = top < max ? top + 1 : max; break;
	case ACT_PAGE_UP: top = top > body ? top - body : 0; break;
	case ACT_PAGE_DOWN: top = top + body < max ? top + body : max; break;
	case ACT_FIRST: top = 0; break;
	case ACT_LAST: top = max; break;
	case ACT_SCROLL_LEFT:
	case ACT_SCROLL_RIGHT: {
		int step = p->w / 2 > 8 ? p->w / 2 : 8;
		app->hscroll += a == ACT_SCROLL_LEFT ? -step : step;
		if (app->hscroll < 0)
			app->hscroll = 0;
		p->dirty = true;
		return true;
	}
	default: return false;
	}
	if (top != p->top) {
		p->top = top;
		p->dirty = true;
	}
	return true;
}

const struct pane_ops detail_pane_ops = {
    .name = "detail",
    .draw = detail_draw,
    .act = detail_act,
};
