/* app: the interface's main loop and its actions. One poll() over the
 * terminal, the sockets of the asynchronous status reader and its connect
 * deadlines; signal handlers only set flags; each iteration redraws the
 * dirty windows with one doupdate(). Actions come from actions.def by key or
 * by `:` command, with their preconditions checked in one place. */
#include "config.h"

#include <errno.h>
#include <locale.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "pgstep/strbuf.h"
#include "pgstep/text.h"
#include "pgstep/xalloc.h"
#include "tui.h"
#include "tui_int.h"

static volatile sig_atomic_t got_quit, got_winch;

static void on_quit(int sig)
{
	got_quit = sig;
}

static void on_winch(int sig)
{
	(void)sig;
	got_winch = 1;
}

static void app_signals(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_quit;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = on_winch;
	sigaction(SIGWINCH, &sa, NULL);
}

static void app_resize(struct app *app)
{
	struct winsize ws;
	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row && ws.ws_col)
		resizeterm(ws.ws_row, ws.ws_col);
	screen_layout(app);
}

/* ---- selection helpers ------------------------------------------------- */

static void app_select_migration(struct app *app, struct migration *m)
{
	for (size_t i = 0; i < app->n_rows; i++)
		if (app->rows_v[i].m == m) {
			app->mig_sel = i;
			app->panes[PANE_MIGRATIONS].dirty = true;
			app_invalidate_detail(app);
			return;
		}
	/* Folded away: unfold its phase. */
	for (size_t i = 0; i < app_n_sets(app); i++)
		if (app_set_item(app, i) == m) {
			for (size_t p = 0; p < app->n_phases; p++)
				if ((m->archived && p == 0 &&
				     strcmp(app->phase_names[0], "archive") == 0) ||
				    (!m->archived &&
				     strcmp(app->phase_names[p],
				            m->phase && *m->phase ? m->phase : "migrations") == 0))
					app->folded[p] = false;
			app_rebuild_rows(app);
			for (size_t k = 0; k < app->n_rows; k++)
				if (app->rows_v[k].m == m)
					app->mig_sel = k;
			app_invalidate_detail(app);
			return;
		}
}

void app_search(struct app *app, const char *text, int direction, bool from_next)
{
	if (!from_next) {
		free(app->search);
		app->search = xstrdup(text);
		app->search_tenants = app->focus == PANE_TENANTS;
	}
	if (!app->search || !*app->search) {
		app_message(app, true, "%s", "no search yet: / searches");
		return;
	}
	const char *needle = app->search;
	if (app->search_tenants) {
		size_t n = app->eng.tenants.n;
		for (size_t k = 1; k <= n; k++) {
			size_t i = (app->tenant_sel + (direction > 0 ? k : n * 2 - k)) % n;
			if (strcasestr(app->eng.tenants.items[i]->name, needle)) {
				app_select_tenant(app, i);
				app_message(app, false, "/%s: tenant %s", needle,
				            app->eng.tenants.items[i]->name);
				return;
			}
		}
		app_message(app, true, "no tenant matches /%s", needle);
		return;
	}
	size_t n = app_n_sets(app), start = 0;
	struct migration *cur = app_selected_migration(app);
	for (size_t i = 0; i < n && cur; i++)
		if (app_set_item(app, i) == cur)
			start = i;
	if (!cur && !from_next)
		start = n - 1; /* from a phase line: the first match from the top */
	for (size_t k = (cur || from_next) ? 1 : 1; k <= n; k++) {
		size_t i = (start + (direction > 0 ? k : n * 2 - k)) % n;
		struct migration *m = app_set_item(app, i);
		if (strcasestr(migration_label(m), needle)) {
			app_select_migration(app, m);
			app_message(app, false, "/%s: %s", needle, migration_label(m));
			return;
		}
	}
	app_message(app, true, "no migration matches /%s", needle);
}

static bool app_allowed(struct app *app, enum action a)
{
	const struct action_info *ai = action_info(a);
	if ((ai->flags & NEEDS_TENANT) && !app_tenant(app)) {
		app_message(app, true, ":%s needs a tenant (none configured)", ai->command);
		return false;
	}
	if ((ai->flags & NEEDS_RUN) && !app->run) {
		app_message(app, true, ":%s needs a run: a applies, s opens step mode",
		            ai->command);
		return false;
	}
	if ((ai->flags & NEEDS_MIGRATION) && !app_selected_migration(app)) {
		app_message(app, true, ":%s needs a migration: select one in the migrations pane",
		            ai->command);
		return false;
	}
	if (ai->flags & NEEDS_CONNECTION) {
		const struct tenant_status *ts = app_tenant_status(app, app->tenant_sel);
		if (!ts || ts->state == TSTATE_UNREACHABLE) {
			app_message(app, true, ":%s needs a connected tenant: %s", ai->command,
			            ts && ts->error ? ts->error : "status still loading");
			return false;
		}
	}
	return true;
}

static void app_set_tab(struct app *app, enum tab t)
{
	app->tab = t;
	app_invalidate_detail(app);
}

static void app_focus(struct app *app, int delta)
{
	app->focus = (enum pane_id)(((int)app->focus + delta + PANE_COUNT) % PANE_COUNT);
	for (int i = 0; i < PANE_COUNT; i++)
		app->panes[i].dirty = true;
}

void app_reload_status(struct app *app)
{
	status_async_free(&app->status);
	app->status =
	    status_async_start(app->eng.set, app->eng.tenants.items, app->eng.tenants.n, 0);
	app_fetch_forget(app);
	app->sel_known = false;
	app->notices_shown = 0;
	app_rebuild_rows(app);
	app_invalidate_detail(app);
	screen_mark_all(app);
	app_message(app, false, "reading the status of %zu tenants", app->eng.tenants.n);
}

void app_dispatch(struct app *app, enum action a, const char *arg)
{
	if (a == ACT_NONE || !app_allowed(app, a))
		return;
	const struct action_info *ai = action_info(a);
	if (a == ACT_SKIP && (!arg || !*arg)) {
		/* S asks for the reason on the command line. */
		rline_begin_with(app, MODE_COMMAND, "skip ");
		return;
	}
	if ((ai->flags & TAKES_ARG) && a != ACT_SEARCH && (!arg || !*arg)) {
		app_message(app, true, "usage: :%s ARG (%s)", ai->command, ai->help);
		return;
	}
	struct pane *p = &app->panes[app->focus];
	switch (a) {
	case ACT_QUIT: run_quit(app); return;
	case ACT_HELP:
		app->mode = MODE_HELP;
		app->help_top = 0;
		return;
	case ACT_COMMAND: rline_begin(app, MODE_COMMAND); return;
	case ACT_SEARCH:
		if (arg && *arg)
			app_search(app, arg, 1, false);
		else
			rline_begin(app, MODE_SEARCH);
		return;
	case ACT_NEXT_MATCH: app_search(app, NULL, 1, true); return;
	case ACT_PREV_MATCH: app_search(app, NULL, -1, true); return;
	case ACT_UP:
	case ACT_DOWN:
	case ACT_PAGE_UP:
	case ACT_PAGE_DOWN:
	case ACT_FIRST:
	case ACT_LAST:
	case ACT_OPEN:
		if (p->ops->act(app, p, a))
			p->dirty = true;
		return;
	case ACT_LEFT:
		if (!p->ops->act(app, p, a) && app->focus > 0)
			app_focus(app, -1);
		return;
	case ACT_RIGHT:
		if (!p->ops->act(app, p, a) && app->focus + 1 < PANE_COUNT)
			app_focus(app, 1);
		return;
	case ACT_SCROLL_LEFT:
	case ACT_SCROLL_RIGHT:
		app->panes[PANE_DETAIL].ops->act(app, &app->panes[PANE_DETAIL], a);
		return;
	case ACT_ZOOM:
		app->zoom = !app->zoom;
		if (app->zoom)
			app->focus = PANE_DETAIL;
		screen_layout(app);
		return;
	case ACT_NEXT_PANE: app_focus(app, 1); return;
	case ACT_PREV_PANE: app_focus(app, -1); return;
	case ACT_TAB_SQL: app_set_tab(app, TAB_SQL); return;
	case ACT_TAB_RISK: app_set_tab(app, TAB_RISK); return;
	case ACT_TAB_DIFF: app_set_tab(app, TAB_DIFF); return;
	case ACT_TAB_HISTORY: app_set_tab(app, TAB_HISTORY); return;
	case ACT_TAB_NOTES: app_set_tab(app, TAB_NOTES); return;
	case ACT_TAB:
		for (int t = 0; t < TAB_COUNT; t++)
			if (strcasecmp(arg, tab_name((enum tab)t)) == 0 ||
			    (arg[0] == '1' + t && !arg[1])) {
				app_set_tab(app, (enum tab)t);
				return;
			}
		app_message(app, true, "no tab %s (sql, risk, diff, history, notes)", arg);
		return;
	case ACT_FILTER:
		snprintf(app->hist_filter, sizeof app->hist_filter, "%s", arg ? arg : "");
		app->doc_valid = false;
		app_set_tab(app, TAB_HISTORY);
		app->panes[PANE_DETAIL].dirty = true;
		return;
	case ACT_TENANT:
		for (size_t i = 0; i < app->eng.tenants.n; i++)
			if (strcmp(app->eng.tenants.items[i]->name, arg) == 0) {
				app_select_tenant(app, i); /* says why when unreachable */
				return;
			}
		app_message(app, true, "no tenant %s", arg);
		return;
	case ACT_GOTO: {
		struct migration *m = migset_resolve(app->eng.set, arg);
		for (size_t i = 0; !m && i < app->eng.set->n_archived; i++)
			if (strcmp(app->eng.set->archived[i]->version.text, arg) == 0)
				m = app->eng.set->archived[i];
		if (!m) {
			app_message(app, true, "no migration %s", arg);
			return;
		}
		app_select_migration(app, m);
		app->focus = PANE_MIGRATIONS;
		screen_mark_all(app);
		app_message(app, false, "%s", migration_label(m));
		return;
	}
	case ACT_RELOAD:
		if (app->run) { /* it holds migrations of the set being read */
			app_reload_status(app);
			app_message(app, false, "%s",
			            "status read again; the files are read again once the run is "
			            "closed (Esc)");
		} else if (app_reload_files(app)) {
			app_message(
			    app, engine_set_has_errors(&app->eng),
			    "read %zu migrations again%s; reading the status of %zu tenants",
			    app->eng.set->n, app->eng.diags.n ? " (problems: see pgstep lint)" : "",
			    app->eng.tenants.n);
		}
		return;
	case ACT_FACTS: app_facts_refresh(app); return;
	case ACT_REDRAW:
		app->full_redraw = true;
		screen_mark_all(app);
		return;
	case ACT_MESSAGE: {
		if (!app->last_msg) {
			app_message(app, false, "%s", "no message yet");
			return;
		}
		static const char *const ok[] = {"Close"};
		struct dialog *d = dialog_open(app, DLG_MESSAGE, "Last message", ok, 1, NULL);
		doc_add(&d->body, app->last_msg_error ? ROLE_MSG_ERROR : ROLE_NORMAL, "%s",
		        app->last_msg);
		return;
	}
	case ACT_APPLY:
	case ACT_APPLY_TO:
	case ACT_STEP:
	case ACT_RUN_NEXT:
	case ACT_RUN_ALL:
	case ACT_UNDO:
	case ACT_ROLLBACK:
	case ACT_COMMIT:
	case ACT_SKIP:
	case ACT_CANCEL:
	case ACT_BLOCKER:
	case ACT_DOWN_ONE:
	case ACT_DOWN_TO:
	case ACT_RESUME:
	case ACT_REPAIR:
	case ACT_MARK:
	case ACT_GROUP_APPLY:
	case ACT_VIEW:
	case ACT_CLOSE: run_dispatch(app, a, arg); return;
	case ACT_COUNT:
	case ACT_NONE: return;
	}
}

void app_run_command(struct app *app, const char *line)
{
	while (*line == ' ' || *line == ':')
		line++;
	char name[64];
	size_t n = strcspn(line, " ");
	if (n >= sizeof name)
		n = sizeof name - 1;
	memcpy(name, line, n);
	name[n] = '\0';
	const char *arg = line + strcspn(line, " ");
	while (*arg == ' ')
		arg++;
	char *argc = xstrdup(arg);
	size_t al = strlen(argc);
	while (al && argc[al - 1] == ' ')
		argc[--al] = '\0';
	enum action a = action_for_command(name);
	if (a == ACT_NONE && (strcmp(name, "q") == 0 || strcmp(name, "q!") == 0))
		a = ACT_QUIT;
	if (a == ACT_NONE)
		app_message(app, true, "unknown command :%s (? lists them)", name);
	else
		app_dispatch(app, a, argc);
	free(argc);
}

/* ---- input ------------------------------------------------------------- */

static void app_help_key(struct app *app, int key)
{
	switch (key) {
	case 'q':
	case 27:
	case '?':
	case '\n':
	case '\r':
	case KEY_ENTER:
		app->mode = MODE_NORMAL;
		if (app->help_win) {
			delwin(app->help_win);
			app->help_win = NULL;
		}
		app->full_redraw = true;
		screen_mark_all(app);
		return;
	case KEY_DOWN:
	case 'j': app->help_top++; return;
	case KEY_UP:
	case 'k':
		if (app->help_top)
			app->help_top--;
		return;
	/* help_draw keeps help_top within the text. */
	case KEY_NPAGE:
	case ' ': app->help_top += help_page(app); return;
	case KEY_PPAGE:
	case 'b':
		app->help_top = app->help_top > help_page(app) ? app->help_top - help_page(app) : 0;
		return;
	case KEY_HOME:
	case 'g': app->help_top = 0; return;
	case KEY_END:
	case 'G': app->help_top = (size_t)-1 / 2; return;
	default: return;
	}
}

static void app_read_keys(struct app *app)
{
	for (int guard = 0; guard < 4096 && !app->quit; guard++) {
		if (app->mode == MODE_COMMAND || app->mode == MODE_SEARCH) {
			/* Raw bytes for readline: keypad is off on this window. */
			unsigned char buf[256];
			size_t n = 0;
			int c;
			while (n < sizeof buf && (c = wgetch(app->msg_win)) != ERR) {
				if (c == KEY_RESIZE) {
					screen_layout(app); /* resizeterm already ran */
					continue;
				}
				buf[n++] = (unsigned char)c;
			}
			if (!n)
				return;
			size_t used = rline_feed(app, buf, n);
			/* Keys typed after the prompt closed go back to curses. */
			for (size_t k = n; k > used; k--)
				ungetch(buf[k - 1]);
			continue;
		}
		wint_t wch;
		int rc = wget_wch(stdscr, &wch);
		if (rc == ERR)
			return;
		/* A character whose code collides with a KEY_ code is not that key. */
		int key = rc == OK && wch >= KEY_MIN ? -1 : (int)wch;
		if (rc == KEY_CODE_YES && key == KEY_RESIZE) {
			/* Queued by resizeterm (app_resize): the size is known. */
			screen_layout(app);
			continue;
		}
		if (app->mode == MODE_HELP) {
			app_help_key(app, key);
			continue;
		}
		if (app->mode == MODE_DIALOG) {
			dialog_key(app, rc, wch);
			continue;
		}
		if (app->too_small) {
			if (key == 'q')
				app_dispatch(app, ACT_QUIT, NULL);
			continue;
		}
		enum action a = action_for_key(key);
		if (a == ACT_NONE) {
			if (key != 27)
				app_message(app, false, "no action on %s (? lists the keys)",
				            action_key_name(key));
			continue;
		}
		if (app->msg && *app->msg && !app->msg_error && a != ACT_NEXT_MATCH) {
			free(app->msg);
			app->msg = NULL;
			app->msg_dirty = true;
		}
		app_dispatch(app, a, NULL);
	}
}

static void app_status_arrived(struct app *app)
{
	app->panes[PANE_TENANTS].dirty = true;
	app->title_dirty = true;
	const struct tenant_status *ts = app_tenant_status(app, app->tenant_sel);
	if (ts && !app->sel_known) {
		app->sel_known = true;
		if (ts->state == TSTATE_UNREACHABLE)
			app_message(app, true, "%s", ts->error ? ts->error : "unreachable");
	}
}

/* The selected tenant's rows and events are in: its states and tabs. */
static void app_fetch_arrived(struct app *app)
{
	app_rebuild_rows(app);
	app_invalidate_detail(app);
	if (app->deferred != ACT_NONE) {
		enum action a = app->deferred;
		char *arg = app->deferred_arg;
		app->deferred = ACT_NONE;
		app->deferred_arg = NULL;
		app_dispatch(app, a, arg);
		free(arg);
	}
}

/* Poll entries set aside for tenant fetches (as many as are kept), and for
 * a run (its job and its watch session). */
#define APP_FETCH_FDS 8
#define APP_RUN_FDS   2

static void app_loop(struct app *app)
{
	size_t cap = 64;
	struct pollfd *fds = xcalloc(cap, sizeof *fds);
	while (!app->quit) {
		if (app->mode == MODE_COMMAND || app->mode == MODE_SEARCH)
			app->msg_dirty = true; /* the cursor belongs to the prompt */
		screen_refresh(app);
		fds[0] = (struct pollfd){.fd = STDIN_FILENO, .events = POLLIN};
		size_t nfds = 1;
		int timeout = -1;
		size_t n_status = 0;
		if (app->status && !status_async_done(app->status)) {
			n_status = status_async_fds(app->status, fds + 1,
			                            cap - 1 - APP_FETCH_FDS - APP_RUN_FDS);
			timeout = status_async_timeout_ms(app->status);
		}
		size_t n_fetch = app_fetch_fds(app, fds + 1 + n_status, APP_FETCH_FDS, &timeout);
		size_t n_run = run_fds(app, fds + 1 + n_status + n_fetch, APP_RUN_FDS, &timeout);
		nfds += n_status + n_fetch + n_run;
		int rc = poll(fds, nfds, timeout);
		if (got_quit == SIGINT && run_busy(app)) {
			/* Ctrl-C cancels the running statement, never the open run. */
			got_quit = 0;
			run_interrupt(app);
		}
		if (got_quit) {
			app->quit = true;
			app->exit_code = got_quit == SIGINT ? 130 : 128 + got_quit;
			break;
		}
		if (got_winch) {
			got_winch = 0;
			app_resize(app);
		}
		if (rc < 0 && errno != EINTR)
			break;
		if (app->status && !status_async_done(app->status)) {
			size_t got = status_async_step(app->status, fds + 1, rc > 0 ? n_status : 0);
			if (got)
				app_status_arrived(app);
		}
		if (app_fetch_step(app, fds + 1 + n_status, rc > 0 ? n_fetch : 0))
			app_fetch_arrived(app);
		run_poll(app, fds + 1 + n_status + n_fetch, rc > 0 ? n_run : 0);
		if (rc > 0 && (fds[0].revents & (POLLIN | POLLHUP | POLLERR))) {
			if (fds[0].revents & (POLLHUP | POLLERR) && !(fds[0].revents & POLLIN)) {
				app->quit = true; /* the terminal went away */
				app->exit_code = 129;
				break;
			}
			app_read_keys(app);
		}
	}
	free(fds);
}

/* Read the tenants' status while the migration set loads: the servers
 * answer in the time the files take, and the answers wait for the set. */
static bool app_open(struct app *app, const char *config_path, struct pgstep_error *err)
{
	if (!engine_open_start(&app->eng, config_path, err))
		return false;
	app->status = status_async_start(NULL, app->eng.tenants.items, app->eng.tenants.n, 0);
	struct pollfd fds[64];
	while (engine_set_fd(&app->eng) >= 0) {
		fds[0] = (struct pollfd){.fd = engine_set_fd(&app->eng), .events = POLLIN};
		size_t n = status_async_fds(app->status, fds + 1, sizeof fds / sizeof *fds - 1);
		int rc = poll(fds, 1 + n, status_async_timeout_ms(app->status));
		if (rc < 0 && errno != EINTR)
			break;
		status_async_step(app->status, fds + 1, rc > 0 ? n : 0);
		if (rc > 0 && fds[0].revents)
			break;
	}
	if (!engine_open_finish(&app->eng, err))
		return false;
	status_async_set_migset(app->status, app->eng.set);
	return true;
}

int tui_run(const struct tui_options *o)
{
	struct app *app = xcalloc(1, sizeof *app);
	struct pgstep_error err = {0};
	setlocale(LC_ALL, "");
	if (!app_open(app, o->config_path, &err)) {
		struct strbuf msg; /* escaped: it may quote the server or the data */
		strbuf_init(&msg);
		text_escape_controls(&msg, err.msg ? err.msg : "failed");
		fprintf(stderr, "pgstep: %s\n", msg.buf);
		strbuf_release(&msg);
		int rc = err.code;
		error_clear(&err);
		status_async_free(&app->status);
		engine_close(&app->eng);
		free(app);
		return rc;
	}
	app->title = o->title;
	app->quit_note = o->quit_note;
	risk_file_report_init(&app->risk);
	activity_facts_init(&app->facts);
	glyphs_init();
	app_signals();
	screen_open(app);
	roles_init(o->color);
	rline_init(app);
	app_rebuild_rows(app);
	app->focus = PANE_TENANTS;
	app->deferred = ACT_NONE;
	if (app->eng.diags.n)
		app_message(app, engine_set_has_errors(&app->eng),
		            "%zu problem%s in the migration set (see pgstep lint)",
		            app->eng.diags.n, app->eng.diags.n == 1 ? "" : "s");
	else
		app_message(app, false, "%s", "? for help, : for commands, / to search, q to quit");
	if (status_async_known(app->status))
		app_status_arrived(app); /* answers that came while the set loaded */
	app_loop(app);
	int rc = app->exit_code;
	run_free(app); /* rolls back what is open and records it */
	dialog_close(app);
	free(app->marked);
	free(app->deferred_arg);
	free(app->repair_arg);
	free(app->last_msg);
	rline_done(app);
	screen_close(app);
	status_async_free(&app->status);
	app_free_model(app);
	engine_close(&app->eng);
	free(app);
	return rc;
}
