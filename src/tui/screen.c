/* screen: the one owner of the terminal. It starts and ends curses, lays the
 * windows out for the current size (or the "terminal too small" notice
 * below 80x24), and redraws only the dirty windows with one doupdate() per
 * loop iteration. */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "tui_int.h"

#define MIN_COLS 80
#define MIN_ROWS 24

static void screen_free_windows(struct app *app)
{
	for (int i = 0; i < PANE_COUNT; i++)
		if (app->panes[i].win) {
			delwin(app->panes[i].win);
			app->panes[i].win = NULL;
		}
	WINDOW **ws[] = {&app->title_win, &app->hint_win, &app->msg_win, &app->help_win};
	for (size_t i = 0; i < sizeof ws / sizeof *ws; i++)
		if (*ws[i]) {
			delwin(*ws[i]);
			*ws[i] = NULL;
		}
}

void screen_mark_all(struct app *app)
{
	for (int i = 0; i < PANE_COUNT; i++)
		app->panes[i].dirty = true;
	app->title_dirty = app->hint_dirty = app->msg_dirty = true;
}

static void pane_place(struct pane *p, int y, int x, int h, int w)
{
	p->y = y;
	p->x = x;
	p->h = h;
	p->w = w;
	p->win = newwin(h, w, y, x);
	p->dirty = true;
}

void screen_layout(struct app *app)
{
	screen_free_windows(app);
	getmaxyx(stdscr, app->rows, app->cols);
	app->too_small = app->cols < MIN_COLS || app->rows < MIN_ROWS;
	app->full_redraw = true;
	if (app->too_small)
		return;
	int body = app->rows - 3; /* title, hint bar, message line */
	int left = app->cols * 2 / 5;
	if (left < 34)
		left = 34;
	if (left > 64)
		left = 64;
	int th = body / 3;
	size_t nt = app->eng.tenants.n;
	if ((size_t)th > nt + 2)
		th = (int)nt + 2;
	if (th < 5)
		th = 5;
	app->title_win = newwin(1, app->cols, 0, 0);
	pane_place(&app->panes[PANE_TENANTS], 1, 0, th, left);
	pane_place(&app->panes[PANE_MIGRATIONS], 1 + th, 0, body - th, left);
	/* Zoomed, the detail covers the lists, which are then not drawn. */
	if (app->zoom)
		pane_place(&app->panes[PANE_DETAIL], 1, 0, body, app->cols);
	else
		pane_place(&app->panes[PANE_DETAIL], 1, left, body, app->cols - left);
	app->hint_win = newwin(1, app->cols, app->rows - 2, 0);
	app->msg_win = newwin(1, app->cols, app->rows - 1, 0);
	/* readline reads raw bytes here: keypad off, or arrows and history break. */
	keypad(app->msg_win, FALSE);
	nodelay(app->msg_win, TRUE);
	screen_mark_all(app);
}

void screen_open(struct app *app)
{
	initscr();
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	curs_set(0);
	set_escdelay(25);
	app->panes[PANE_TENANTS].ops = &tenants_pane_ops;
	app->panes[PANE_MIGRATIONS].ops = &migrations_pane_ops;
	app->panes[PANE_DETAIL].ops = &detail_pane_ops;
	screen_layout(app);
}

void screen_close(struct app *app)
{
	screen_free_windows(app);
	endwin();
}

static void screen_too_small(struct app *app)
{
	werase(stdscr);
	const char *l1 = "terminal too small";
	char l2[64];
	snprintf(l2, sizeof l2, "%dx%d, needs %dx%d", app->cols, app->rows, MIN_COLS, MIN_ROWS);
	int y = app->rows / 2 - 1;
	if (y < 0)
		y = 0;
	mvwaddnstr(stdscr, y, 0, "", 0);
	for (int i = 0; i < 2 && y + i < app->rows; i++) {
		const char *s = i ? l2 : l1;
		int len = (int)strlen(s);
		int x = (app->cols - len) / 2;
		mvwaddnstr(stdscr, y + i, x > 0 ? x : 0, s, app->cols);
	}
	if (y + 2 < app->rows)
		mvwaddnstr(stdscr, y + 2, 0, "q quits", app->cols);
	wnoutrefresh(stdscr);
}

void screen_refresh(struct app *app)
{
	if (app->full_redraw) {
		clearok(curscr, TRUE);
		werase(stdscr);
		wnoutrefresh(stdscr);
		app->full_redraw = false;
	}
	if (app->too_small) {
		screen_too_small(app);
		doupdate();
		return;
	}
	bool any = false;
	for (int i = 0; i < PANE_COUNT; i++) {
		struct pane *p = &app->panes[i];
		if (!p->dirty || (app->zoom && i != PANE_DETAIL)) {
			p->dirty = false;
			continue;
		}
		p->ops->draw(app, p);
		wnoutrefresh(p->win);
		p->dirty = false;
		any = true;
	}
	if (app->title_dirty) {
		bars_draw_title(app);
		wnoutrefresh(app->title_win);
		app->title_dirty = false;
	}
	if (app->hint_dirty) {
		bars_draw_hints(app);
		wnoutrefresh(app->hint_win);
		app->hint_dirty = false;
	}
	if (app->msg_dirty) {
		if (app->mode == MODE_COMMAND || app->mode == MODE_SEARCH)
			rline_draw(app);
		else
			bars_draw_message(app);
		wnoutrefresh(app->msg_win);
		app->msg_dirty = false;
	}
	if (app->mode == MODE_DIALOG)
		dialog_draw(app);
	if (app->mode == MODE_HELP && (any || !app->help_win || app->help_win)) {
		help_draw(app);
		if (app->help_win)
			wnoutrefresh(app->help_win);
	}
	doupdate();
}
