/* bars: the title bar, the key-hint bar and the `?` help, all generated
 * from the action table, and the message line (errors carry the SQLSTATE in
 * their text, as the engine formats them). */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pgstep/strbuf.h"
#include "pgstep/xalloc.h"
#include "tui_int.h"

void app_message(struct app *app, bool error, const char *fmt, ...)
{
	va_list ap;
	struct strbuf sb;
	strbuf_init(&sb);
	va_start(ap, fmt);
	strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	free(app->msg);
	app->msg = strbuf_detach(&sb);
	app->msg_error = error;
	app->msg_dirty = true;
	if (*app->msg) {
		free(app->last_msg);
		app->last_msg = xstrdup(app->msg);
		app->last_msg_error = error;
	}
}

void bars_draw_title(struct app *app)
{
	WINDOW *w = app->title_win;
	attr_t a = role_attr(ROLE_TITLE);
	werase(w);
	wmove(w, 0, 0);
	char buf[512];
	size_t n = app->eng.tenants.n, known = app->status ? status_async_known(app->status) : 0;
	snprintf(buf, sizeof buf, " pgstep%s%s  %s  %zu migrations, %zu tenants%s",
	         app->title ? " " : "", app->title ? app->title : "",
	         app->eng.cfg->path ? app->eng.cfg->path : "", app->eng.set->n, n,
	         known < n ? " (loading status)" : "");
	int used = draw_str(w, buf, app->cols, a);
	draw_fill(w, app->cols - used, a);
}

void bars_draw_hints(struct app *app)
{
	WINDOW *w = app->hint_win;
	werase(w);
	wmove(w, 0, 0);
	int used = 0;
	if (app->mode == MODE_COMMAND || app->mode == MODE_SEARCH) {
		/* While typing: completion matches, else the prompt's keys. */
		if (app->msg && *app->msg)
			draw_str(w, app->msg, app->cols, role_attr(ROLE_HINT_LABEL));
		else
			draw_str(w, "Enter run  Esc cancel  Tab complete  Up/Down history",
			         app->cols, role_attr(ROLE_HINT_LABEL));
		return;
	}
	/* With the run view shown its keys come first; otherwise they are
	 * left out (they only answer with "needs a run"). */
	bool in_run = app->run && app->show_run;
	for (int k = 0; k < 2 * ACT_COUNT; k++) {
		int i = k % ACT_COUNT;
		const struct action_info *ai = action_info((enum action)i);
		bool run_key = ai->flags & IN_RUN;
		if (!ai->hint || !ai->keys[0] || (k < ACT_COUNT) != (in_run && run_key) ||
		    (!in_run && run_key))
			continue;
		/* An ended run only closes. */
		if (run_key && !run_busy(app) && i != ACT_CLOSE)
			continue;
		const char *key = action_key_name(ai->keys[0]);
		int need = text_width(key) + text_width(ai->hint) + 2;
		if (used + need > app->cols)
			break;
		used += draw_str(w, key, app->cols - used, role_attr(ROLE_HINT_KEY));
		used += draw_str(w, " ", 1, 0);
		used += draw_str(w, ai->hint, app->cols - used, role_attr(ROLE_HINT_LABEL));
		used += draw_str(w, " ", app->cols - used, 0);
	}
}

void bars_draw_message(struct app *app)
{
	WINDOW *w = app->msg_win;
	werase(w);
	wmove(w, 0, 0);
	if (!app->msg)
		return;
	attr_t a = role_attr(app->msg_error ? ROLE_MSG_ERROR : ROLE_MSG_INFO);
	/* A message longer than the line says where the rest is. */
	static const char more[] = " ... (:message shows all)";
	int room = app->cols - 1, mw = (int)text_width(more);
	if ((int)text_width(app->msg) <= room || room <= mw + 10) {
		draw_str(w, app->msg, room, a);
		return;
	}
	draw_str(w, app->msg, room - mw, a);
	wmove(w, 0, room - mw);
	draw_str(w, more, mw, role_attr(ROLE_HINT_LABEL));
}

static void help_text(struct strbuf *sb, size_t line, bool *have)
{
	/* Line 0..: a heading, then one line per action. */
	*have = true;
	if (line == 0) {
		strbuf_adds(sb,
		            "Keys and commands (Esc or q closes; every action is also `:command`)");
		return;
	}
	if (line == 1) {
		strbuf_adds(sb, "");
		return;
	}
	size_t i = line - 2;
	if (i >= ACT_COUNT) {
		*have = false;
		return;
	}
	const struct action_info *ai = action_info((enum action)i);
	struct strbuf keys;
	strbuf_init(&keys);
	/* One line per action, all its keys on it; codes with one name (Enter
	 * is '\n', '\r' and KEY_ENTER) once. */
	for (int k = 0; k < 3; k++)
		if (ai->keys[k] && !action_key_repeats(ai, k))
			strbuf_addf(&keys, "%s%s", keys.len ? " " : "",
			            action_key_name(ai->keys[k]));
	char cmd[40];
	snprintf(cmd, sizeof cmd, ":%s%s", ai->command,
	         ai->flags & TAKES_ARG ? " ARG"
	         : ai->flags & OPT_ARG ? " [ARG]"
	                               : "");
	strbuf_addf(sb, "%-14s %-16s %s", keys.len ? keys.buf : "-", cmd, ai->help);
	strbuf_release(&keys);
}

size_t help_lines(void)
{
	return ACT_COUNT + 2;
}

/* The help as drawn: one line per action, wrapped to width under its
 * description's column, so no help text is cut at the frame. */
static void help_doc(struct doc *out, int width)
{
	struct doc d = {0};
	for (size_t i = 0; i < help_lines(); i++) {
		struct strbuf sb;
		strbuf_init(&sb);
		bool have;
		help_text(&sb, i, &have);
		struct doc_line *l = doc_add(&d, i == 0 ? ROLE_HEADING : ROLE_NORMAL, "%s", sb.buf);
		l->hang = 32; /* keys (14), command (16), two blanks */
		strbuf_release(&sb);
	}
	doc_wrap(&d, width, out);
	doc_clear(&d);
}

size_t help_page(const struct app *app)
{
	int h = app->rows - 6;
	return h > 1 ? (size_t)h : 1;
}

void help_draw(struct app *app)
{
	int h = app->rows - 4, w = app->cols - 8;
	struct doc d = {0};
	help_doc(&d, w - 4);
	if (h > (int)d.n + 2)
		h = (int)d.n + 2;
	if (!app->help_win)
		app->help_win = newwin(h, w, 2, 4);
	WINDOW *win = app->help_win;
	werase(win);
	wattrset(win, role_attr(ROLE_BORDER_FOCUS));
	draw_box(win);
	wattrset(win, A_NORMAL);
	mvwaddstr(win, 0, 2, " Help ");
	size_t rows = (size_t)(h - 2);
	size_t max_top = d.n > rows ? d.n - rows : 0;
	if (app->help_top > max_top)
		app->help_top = max_top;
	for (size_t r = 0; r < rows && app->help_top + r < d.n; r++) {
		wmove(win, (int)r + 1, 2);
		doc_draw_line(win, &d.lines[app->help_top + r], w - 4);
	}
	/* Where we are, as the detail pane says it, and how to move. */
	if (d.n > rows) {
		char pos[64];
		snprintf(pos, sizeof pos, " %zu-%zu/%zu  PgDn Space PgUp g G ", app->help_top + 1,
		         app->help_top + rows < d.n ? app->help_top + rows : d.n, d.n);
		int pw = text_width(pos);
		if (pw < w - 2) {
			wmove(win, h - 1, w - 1 - pw);
			draw_str(win, pos, pw, role_attr(ROLE_BORDER));
		}
	}
	doc_clear(&d);
}
