/* pane_detail: the selected migration in tabs (SQL, Risk, Diff, History,
 * Notes). The tab's document is built once per selection and tab (tabs.c)
 * and scrolled here. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "pgstep/xalloc.h"
#include "tui_int.h"

/* One screen row of the detail: a piece of a document line. Prose wraps
 * into several rows (continuations indented); SQL and diffs are one row
 * each, scrolled sideways by app->hscroll. */
struct vrow {
	size_t line, start, end;
	int indent;
};

static struct {
	struct vrow *rows;
	size_t n, cap;
	int width;
	bool valid; /* for the current document and width */
} lay;

static void lay_push(size_t line, size_t start, size_t end, int indent)
{
	XGROW(lay.rows, lay.cap, lay.n + 1);
	lay.rows[lay.n++] = (struct vrow){line, start, end, indent};
}

/* Wrap the prose of d to width (text_wrap_next, the one wrapping rule). */
static void lay_build(const struct doc *d, int width)
{
	lay.n = 0;
	lay.width = width;
	lay.valid = true;
	for (size_t i = 0; i < d->n; i++) {
		const char *t = d->lines[i].text;
		size_t len = strlen(t);
		if (d->lines[i].code || text_width(t) <= width) {
			lay_push(i, 0, len, 0);
			continue;
		}
		int indent = d->lines[i].hang ? d->lines[i].hang : (int)strspn(t, " ") + 2;
		if (indent > width / 2)
			indent = width / 2;
		size_t pos = 0;
		bool first = true;
		while (pos < len) {
			size_t next;
			size_t n = text_wrap_next(t + pos, len - pos,
			                          first ? width : width - indent, &next);
			lay_push(i, pos, pos + n, first ? 0 : indent);
			if (next == 0)
				break;
			pos += next;
			first = false;
		}
	}
}

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

static void draw_vrow(struct app *app, WINDOW *w, const struct doc *d, const struct vrow *v,
                      int width)
{
	const struct doc_line *l = &d->lines[v->line];
	if (l->code) {
		draw_code_row(app, w, l, width);
		return;
	}
	if (v->indent)
		draw_fill(w, v->indent, 0);
	doc_draw_slice(w, l, v->start, v->end, width - v->indent);
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

static void detail_draw(struct app *app, struct pane *p)
{
	if (app->run && app->show_run) {
		detail_draw_run(app, p);
		return;
	}
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
	if (!lay.valid || lay.width != width)
		lay_build(&app->doc, width);
	size_t n = lay.n;
	if (p->top + (size_t)body > n)
		p->top = n > (size_t)body ? n - (size_t)body : 0;
	for (int r = 0; r < body && p->top + (size_t)r < n; r++) {
		wmove(p->win, r + 2, 1);
		draw_vrow(app, p->win, &app->doc, &lay.rows[p->top + (size_t)r], width);
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
	size_t body = pane_rows(p) > 1 ? (size_t)pane_rows(p) - 1 : 1, top = p->top,
	       n = lay.valid ? lay.n : app->doc.n;
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
