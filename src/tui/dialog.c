/* dialog: the modal box of the step runner's confirmations. Focus starts on
 * the first button, which is always the harmless one (Cancel), so a stray
 * Enter never runs anything; a statement that can lose data also wants its
 * relation's name typed before any other button does anything. */
#include "config.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "pgstep/xalloc.h"
#include "tui_int.h"

struct dialog *dialog_open(struct app *app, enum dialog_kind kind, const char *title,
                           const char *const *buttons, int n_buttons, const char *expect)
{
	dialog_close(app);
	struct dialog *d = xcalloc(1, sizeof *d);
	d->kind = kind;
	d->title = xstrdup(title);
	for (int i = 0; i < n_buttons && i < DIALOG_MAX_BUTTONS; i++)
		d->buttons[d->n_buttons++] = buttons[i];
	d->expect = expect ? xstrdup(expect) : NULL;
	app->dialog = d;
	app->mode = MODE_DIALOG;
	return d;
}

void dialog_close(struct app *app)
{
	struct dialog *d = app->dialog;
	if (!d)
		return;
	if (d->win)
		delwin(d->win);
	doc_clear(&d->body);
	free(d->title);
	free(d->expect);
	free(d);
	app->dialog = NULL;
	if (app->mode == MODE_DIALOG)
		app->mode = MODE_NORMAL;
	app->full_redraw = true;
	screen_mark_all(app);
}

void dialog_draw(struct app *app)
{
	struct dialog *d = app->dialog;
	if (!d || app->too_small)
		return;
	int w = app->cols - 8 < 100 ? app->cols - 8 : 100;
	int extra = d->expect ? 6 : 4; /* frame, blank, field, buttons */
	struct doc body = {0};         /* the body wrapped: no line is cut at the frame */
	doc_wrap(&d->body, w - 4, &body);
	int h = (int)body.n + extra;
	if (h > app->rows - 4)
		h = app->rows - 4;
	int y = (app->rows - h) / 2, x = (app->cols - w) / 2;
	if (d->win) {
		int oh, ow;
		getmaxyx(d->win, oh, ow);
		if (oh != h || ow != w) {
			delwin(d->win);
			d->win = NULL;
		}
	}
	if (!d->win)
		d->win = newwin(h, w, y, x);
	WINDOW *win = d->win;
	werase(win);
	wattrset(win, role_attr(ROLE_BORDER_FOCUS));
	draw_box(win);
	wattrset(win, A_NORMAL);
	wmove(win, 0, 2);
	draw_str(win, " ", 1, 0);
	int tw = draw_str(win, d->title, w - 6, role_attr(ROLE_HEADING));
	draw_str(win, " ", w - 5 - tw, 0);
	int body_rows = h - extra;
	size_t max_top = body.n > (size_t)body_rows ? body.n - (size_t)body_rows : 0;
	if (d->body_top > max_top)
		d->body_top = max_top;
	for (int r = 0; r < body_rows && d->body_top + (size_t)r < body.n; r++) {
		wmove(win, r + 1, 2);
		doc_draw_line(win, &body.lines[d->body_top + (size_t)r], w - 4);
	}
	doc_clear(&body);
	int row = h - 2;
	if (d->expect) {
		wmove(win, h - 4, 2);
		int used = draw_str(win, "Type ", w - 4, 0);
		used += draw_str(win, d->expect, w - 4 - used, A_BOLD);
		used += draw_str(win, " to run it: ", w - 4 - used, 0);
		wmove(win, h - 3, 2);
		used = draw_str(win, "> ", w - 4, role_attr(ROLE_PROMPT));
		used += draw_str(win, d->typed, w - 6, A_UNDERLINE);
		draw_str(win, "_", w - 4 - used, A_BLINK);
	}
	wmove(win, row, 2);
	int used = 0;
	for (int i = 0; i < d->n_buttons; i++) {
		bool on = d->focus == i;
		char lab[64];
		/* Brackets mark the focus without colour. */
		snprintf(lab, sizeof lab, on ? "[ %s ]" : "  %s  ", d->buttons[i]);
		used += draw_str(win, lab, w - 4 - used,
		                 on ? role_attr(ROLE_SELECTED) | A_BOLD : role_attr(ROLE_NORMAL));
		used += draw_str(win, "  ", w - 4 - used, 0);
	}
	wnoutrefresh(win);
}

/* The typed name matches: the bare name, or schema-qualified. */
static bool dialog_typed_ok(const struct dialog *d)
{
	if (!d->expect)
		return true;
	size_t tl = strlen(d->typed), el = strlen(d->expect);
	if (strcmp(d->typed, d->expect) == 0)
		return true;
	return tl > el + 1 && d->typed[tl - el - 1] == '.' &&
	       strcmp(d->typed + tl - el, d->expect) == 0;
}

static void dialog_answer(struct app *app, int button)
{
	struct dialog *d = app->dialog;
	if (button > 0 && !dialog_typed_ok(d)) {
		app_message(app, true, "type %s exactly to run it (Esc cancels)", d->expect);
		return;
	}
	if (app->msg_error) /* "type X exactly" is answered */
		app_message(app, false, "%s", "");
	enum dialog_kind kind = d->kind;
	char typed[sizeof d->typed];
	memcpy(typed, d->typed, sizeof typed);
	dialog_close(app);
	run_dialog_done(app, kind, button, typed);
}

void dialog_key(struct app *app, int rc, wint_t wch)
{
	struct dialog *d = app->dialog;
	if (!d)
		return;
	int key = rc == KEY_CODE_YES ? (int)wch : (wch < 256 ? (int)wch : -1);
	switch (key) {
	case 27: dialog_answer(app, 0); return;
	case '\n':
	case '\r':
	case KEY_ENTER: dialog_answer(app, d->focus); return;
	case '\t':
	case KEY_RIGHT: d->focus = (d->focus + 1) % d->n_buttons; return;
	case KEY_BTAB:
	case KEY_LEFT: d->focus = (d->focus + d->n_buttons - 1) % d->n_buttons; return;
	case KEY_UP:
		if (d->body_top)
			d->body_top--;
		return;
	case KEY_DOWN: d->body_top++; return;
	case KEY_BACKSPACE:
	case 127:
	case 8:
		if (d->expect) {
			size_t n = strlen(d->typed);
			/* Drop a whole UTF-8 character. */
			while (n && ((unsigned char)d->typed[n - 1] & 0xC0) == 0x80)
				n--;
			if (n)
				n--;
			d->typed[n] = '\0';
		}
		return;
	default: break;
	}
	if (!d->expect || rc == KEY_CODE_YES || wch < 32)
		return;
	char mb[MB_LEN_MAX];
	mbstate_t st;
	memset(&st, 0, sizeof st);
	size_t k = wcrtomb(mb, (wchar_t)wch, &st);
	size_t n = strlen(d->typed);
	if (k != (size_t)-1 && n + k < sizeof d->typed) {
		memcpy(d->typed + n, mb, k);
		d->typed[n + k] = '\0';
	}
}
