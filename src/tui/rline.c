/* rline: GNU readline in callback mode inside curses. The main loop reads
 * the bytes (keypad off on the message window, so arrows arrive as the
 * escape sequences readline binds to history) and hands them over through
 * rl_getc_function; readline never touches the terminal: no signal or
 * SIGWINCH handling, no terminal preparation, output to /dev/null, our own
 * redisplay drawing the prompt and rl_line_buffer in the message line, and
 * completion matches shown in the hint bar. The `:` and `/` prompts keep
 * separate histories, saved under $XDG_STATE_HOME/pgstep/ (or
 * ~/.local/state/pgstep/). */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <readline/history.h>
#include <readline/readline.h>

#include "pgstep/strvec.h"
#include "pgstep/text.h"
#include "pgstep/xalloc.h"
#include "tui_int.h"

#define RLINE_HISTORY_MAX 500

static struct app *rl_app;
static const unsigned char *feed_buf;
static size_t feed_len, feed_pos;
static FILE *devnull;
static struct strvec hist[2]; /* 0: commands, 1: searches */
static char *hist_path[2];
static bool installed;

static int rline_getc(FILE *f)
{
	(void)f;
	return feed_pos < feed_len ? feed_buf[feed_pos++] : EOF;
}

static int rline_input_available(void)
{
	return feed_pos < feed_len;
}

static void rline_redisplay(void)
{
	if (rl_app)
		rl_app->msg_dirty = true;
}

static void rline_noprep(int meta)
{
	(void)meta;
}

static void rline_nodeprep(void) {}

static int hist_index(enum mode m)
{
	return m == MODE_SEARCH ? 1 : 0;
}

static void rline_end(struct app *app)
{
	if (installed)
		rl_callback_handler_remove();
	installed = false;
	app->mode = MODE_NORMAL;
	app->msg_dirty = app->hint_dirty = true;
	curs_set(0);
}

static void rline_save(int h, const char *line)
{
	if (!hist_path[h])
		return;
	FILE *f = fopen(hist_path[h], "a");
	if (!f)
		return;
	fprintf(f, "%s\n", line);
	fclose(f);
}

static void rline_accept(char *line)
{
	struct app *app = rl_app;
	enum mode m = app->mode;
	rline_end(app);
	if (!line)
		return; /* Ctrl-D on an empty line */
	if (*line) {
		int h = hist_index(m);
		if (!hist[h].n || strcmp(hist[h].items[hist[h].n - 1], line) != 0) {
			strvec_push(&hist[h], line);
			rline_save(h, line);
		}
	}
	if (m == MODE_SEARCH) {
		if (*line)
			app_search(app, line, 1, false);
	} else if (*line) {
		app_run_command(app, line);
	}
	free(line);
}

/* Completion: command names first, then tenants, versions or tab names. */
static const char *const *comp_words;
static size_t comp_n;
static struct strvec comp_pool;

static char *rline_generator(const char *text, int state)
{
	static size_t i;
	if (!state)
		i = 0;
	size_t len = strlen(text);
	while (i < comp_n) {
		const char *w = comp_words[i++];
		if (strncmp(w, text, len) == 0)
			return strdup(w); /* readline frees with free() */
	}
	return NULL;
}

/* Where the first argument of the command in line begins. */
static size_t first_arg(const char *line)
{
	size_t i = strspn(line, " ");
	i += strcspn(line + i, " ");
	return i + strspn(line + i, " ");
}

static char **rline_complete(const char *text, int start, int end)
{
	(void)end;
	struct app *app = rl_app;
	rl_attempted_completion_over = 1;
	strvec_clear(&comp_pool);
	if (app->mode == MODE_SEARCH)
		return NULL;
	char first[32] = "";
	sscanf(rl_line_buffer, "%31s", first);
	if (start == 0 || strspn(rl_line_buffer, " ") == (size_t)start) {
		for (int a = 0; a < ACT_COUNT; a++)
			strvec_push(&comp_pool, action_info((enum action)a)->command);
	} else if (strcmp(first, "tenant") == 0) {
		for (size_t i = 0; i < app->eng.tenants.n; i++)
			strvec_push(&comp_pool, app->eng.tenants.items[i]->name);
	} else if (strcmp(first, "goto") == 0) {
		for (size_t i = 0; i < app_n_sets(app); i++)
			strvec_push(&comp_pool, app_set_item(app, i)->version.text);
	} else if (strcmp(first, "repair") == 0 && (size_t)start == first_arg(rl_line_buffer)) {
		strvec_push(&comp_pool, "applied");
		strvec_push(&comp_pool, "rolled_back");
	} else if (strcmp(first, "tab") == 0) {
		for (int t = 0; t < TAB_COUNT; t++)
			strvec_push(&comp_pool, tab_name((enum tab)t));
	}
	comp_words = (const char *const *)comp_pool.items;
	comp_n = comp_pool.n;
	return rl_completion_matches(text, rline_generator);
}

/* The matches that fit the message line, and how many more there are:
 * a cut line would hide the count. */
static void rline_display_matches(char **matches, int n, int max_len)
{
	(void)max_len;
	struct strbuf sb;
	strbuf_init(&sb);
	int room = rl_app->cols - 1;
	for (int i = 1; i <= n; i++) {
		char more[48];
		snprintf(more, sizeof more, "  ... and %d more: type more letters", n - i + 1);
		int w = (int)text_width(matches[i]) + (i > 1 ? 2 : 0);
		int tail = i < n ? (int)text_width(more) : 0;
		if ((int)text_width(sb.buf) + w + tail > room) {
			strbuf_adds(&sb, more);
			break;
		}
		strbuf_addf(&sb, "%s%s", i > 1 ? "  " : "", matches[i]);
	}
	app_message(rl_app, false, "%s", sb.buf);
	strbuf_release(&sb);
	rl_app->hint_dirty = true;
}

static char *rline_state_dir(void)
{
	const char *xdg = getenv("XDG_STATE_HOME");
	const char *home = getenv("HOME");
	if (xdg && *xdg == '/')
		return xasprintf("%s/pgstep", xdg);
	if (home && *home)
		return xasprintf("%s/.local/state/pgstep", home);
	return NULL;
}

static void rline_mkdirs(const char *path)
{
	char *p = xstrdup(path);
	for (char *s = p + 1; *s; s++)
		if (*s == '/') {
			*s = '\0';
			mkdir(p, 0700);
			*s = '/';
		}
	mkdir(p, 0700);
	free(p);
}

static void rline_load(int h)
{
	FILE *f = fopen(hist_path[h], "r");
	if (!f)
		return;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	while ((n = getline(&line, &cap, f)) > 0) {
		if (line[n - 1] == '\n')
			line[n - 1] = '\0';
		if (*line)
			strvec_push(&hist[h], line);
	}
	free(line);
	fclose(f);
	/* Keep the newest entries only. */
	if (hist[h].n > RLINE_HISTORY_MAX) {
		struct strvec keep = {0};
		for (size_t i = hist[h].n - RLINE_HISTORY_MAX; i < hist[h].n; i++)
			strvec_push(&keep, hist[h].items[i]);
		strvec_clear(&hist[h]);
		hist[h] = keep;
	}
}

void rline_init(struct app *app)
{
	rl_app = app;
	devnull = fopen("/dev/null", "w+");
	rl_readline_name = "pgstep";
	rl_instream = devnull;
	rl_outstream = devnull;
	rl_catch_signals = 0;
	rl_catch_sigwinch = 0;
	rl_change_environment = 0;
	rl_getc_function = rline_getc;
	rl_input_available_hook = rline_input_available;
	rl_redisplay_function = rline_redisplay;
	rl_prep_term_function = rline_noprep;
	rl_deprep_term_function = rline_nodeprep;
	rl_attempted_completion_function = rline_complete;
	rl_completion_display_matches_hook = rline_display_matches;
	using_history();
	char *dir = rline_state_dir();
	if (dir) {
		rline_mkdirs(dir);
		hist_path[0] = xasprintf("%s/command_history", dir);
		hist_path[1] = xasprintf("%s/search_history", dir);
		free(dir);
		rline_load(0);
		rline_load(1);
	}
}

void rline_done(struct app *app)
{
	rline_end(app);
	clear_history();
	for (int h = 0; h < 2; h++) {
		strvec_clear(&hist[h]);
		free(hist_path[h]);
		hist_path[h] = NULL;
	}
	strvec_clear(&comp_pool);
	if (devnull)
		fclose(devnull);
	devnull = NULL;
	rl_app = NULL;
}

void rline_begin(struct app *app, enum mode m)
{
	app->mode = m;
	clear_history();
	int h = hist_index(m);
	for (size_t i = 0; i < hist[h].n; i++)
		add_history(hist[h].items[i]);
	installed = true;
	rl_callback_handler_install(m == MODE_SEARCH ? "/" : ":", rline_accept);
	app->msg_dirty = app->hint_dirty = true;
	curs_set(1);
}

void rline_begin_with(struct app *app, enum mode m, const char *text)
{
	rline_begin(app, m);
	rl_insert_text(text);
}

size_t rline_feed(struct app *app, const unsigned char *bytes, size_t n)
{
	/* Escape not starting a key sequence (ESC [ or ESC O), or Ctrl-G,
	 * cancels; what followed it is left for the main loop. */
	if (n >= 1 && ((bytes[0] == 27 && (n == 1 || (bytes[1] != '[' && bytes[1] != 'O'))) ||
	               bytes[0] == CTRL('g'))) {
		rline_end(app);
		app_message(app, false, "%s", "");
		return 1;
	}
	feed_buf = bytes;
	feed_len = n;
	feed_pos = 0;
	while (feed_pos < feed_len && installed)
		rl_callback_read_char();
	size_t used = feed_pos;
	feed_buf = NULL;
	feed_len = feed_pos = 0;
	app->msg_dirty = true;
	return used;
}

void rline_draw(struct app *app)
{
	WINDOW *w = app->msg_win;
	werase(w);
	wmove(w, 0, 0);
	const char *prompt = rl_prompt ? rl_prompt : ":";
	int used = draw_str(w, prompt, app->cols - 1, role_attr(ROLE_PROMPT));
	const char *buf = rl_line_buffer ? rl_line_buffer : "";
	int before = (int)(rl_point >= 0 ? rl_point : 0);
	int cursor_cols = used;
	/* Scroll left when the text is wider than the line. */
	int full = text_width(buf);
	char *head = xstrndup(buf, (size_t)before);
	int head_w = text_width(head);
	free(head);
	const char *shown = buf;
	int room = app->cols - 1 - used;
	while (head_w - (int)(shown - buf) >= room && *shown) {
		shown++;
	}
	(void)full;
	draw_str(w, shown, room, 0);
	cursor_cols = used + head_w - (int)(shown - buf);
	if (cursor_cols >= app->cols)
		cursor_cols = app->cols - 1;
	wmove(w, 0, cursor_cols);
}
