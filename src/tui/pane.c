/* pane: what every pane shares: the frame with its title (bold when it has
 * the focus) and keeping a selection in view. */
#include "config.h"

#include "tui_int.h"

int pane_rows(const struct pane *p)
{
	return p->h > 2 ? p->h - 2 : 0;
}

void pane_scroll_to(struct pane *p, size_t sel)
{
	size_t rows = (size_t)pane_rows(p);
	if (!rows)
		return;
	if (sel < p->top)
		p->top = sel;
	else if (sel >= p->top + rows)
		p->top = sel - rows + 1;
}

void pane_frame(struct app *app, struct pane *p, const char *title)
{
	bool focus = &app->panes[app->focus] == p;
	attr_t a = role_attr(focus ? ROLE_BORDER_FOCUS : ROLE_BORDER);
	werase(p->win);
	wattrset(p->win, a);
	draw_box(p->win);
	wattrset(p->win, A_NORMAL);
	wmove(p->win, 0, 2);
	draw_str(p->win, " ", 1, a);
	int used = draw_str(p->win, title, p->w - 6, a | (focus ? A_BOLD : 0));
	if (focus && used < p->w - 6)
		draw_str(p->win, " *", 2, a | A_BOLD);
	draw_str(p->win, " ", 1, a);
}
