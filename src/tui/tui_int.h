/* tui_int.h: what the interface's modules share; private to src/tui/ and
 * the only place curses is included (through it). The app owns the engine,
 * the asynchronous status reader, the panes and the view state; each pane is
 * a struct with a const ops table; the terminal is owned by screen.c. */
#ifndef PGSTEP_TUI_INT_H
#define PGSTEP_TUI_INT_H

#include <curses.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "pgstep/activity.h"
#include "pgstep/ops.h"
#include "pgstep/risk.h"
#include "pgstep/status_async.h"
#include "pgstep/tenant_fetch.h"
#include "pgstep/strbuf.h"
#include "pgstep/text.h"

#ifndef CTRL
#define CTRL(c) ((c)&0x1f)
#endif

/* ---- roles (roles.c) ------------------------------------------------- */
enum role {
	ROLE_NORMAL,
	ROLE_TITLE,
	ROLE_BORDER,
	ROLE_BORDER_FOCUS,
	ROLE_SELECTED,
	ROLE_SELECTED_DIM, /* the selection of a pane without focus */
	ROLE_DIM,
	ROLE_PHASE,
	ROLE_OK,
	ROLE_PENDING,
	ROLE_FAILED,
	ROLE_DIRTY,
	ROLE_UNREACHABLE,
	ROLE_LOADING,
	ROLE_RISK_LOW,
	ROLE_RISK_MEDIUM,
	ROLE_RISK_HIGH,
	ROLE_SQL_KEYWORD,
	ROLE_SQL_IDENT,
	ROLE_SQL_STRING,
	ROLE_SQL_NUMBER,
	ROLE_SQL_COMMENT,
	ROLE_SQL_OPERATOR,
	ROLE_LINE_NUMBER,
	ROLE_DIFF_ADD,
	ROLE_DIFF_DEL,
	ROLE_DIFF_HUNK,
	ROLE_HEADING,
	ROLE_TAB_ACTIVE,
	ROLE_TAB,
	ROLE_HINT_KEY,
	ROLE_HINT_LABEL,
	ROLE_MSG_INFO,
	ROLE_MSG_ERROR,
	ROLE_PROMPT,
	ROLE_COUNT
};
void roles_init(bool color);
attr_t role_attr(enum role r);
bool roles_color(void);

/* Glyphs: UTF-8 when the locale is, ASCII otherwise. */
struct glyphs {
	const char *ok, *pending, *failed, *dirty, *unreachable, *loading;
	const char *applied, *mpending, *mfailed, *mdirty, *rolled_back, *archived, *skipped,
	    *missing, *changed;
	const char *folded, *unfolded, *irreversible, *baseline, *ellipsis;
	const char *more_left, *more_right; /* a code line goes on past the pane's edge */
	bool ascii;                         /* frames in + - | too (see draw_box) */
};
extern const struct glyphs *glyph;
void glyphs_init(void);

/* ---- actions (actions.c, actions.def) -------------------------------- */
enum action_flag {
	NEEDS_TENANT = 1u << 0,
	NEEDS_MIGRATION = 1u << 1,
	NEEDS_CONNECTION = 1u << 2,
	TAKES_ARG = 1u << 3,
	OPT_ARG = 1u << 4,   /* an argument that may be left out */
	NEEDS_RUN = 1u << 5, /* a run view is open */
	IN_RUN = 1u << 6,    /* hinted while the run view is shown */
};
enum action {
#define ACTION(id, cmd, hint, help, flags, k1, k2, k3) ACT_##id,
#include "actions.def"
#undef ACTION
	ACT_COUNT,
	ACT_NONE = -1
};
struct action_info {
	const char *command, *hint, *help;
	unsigned flags;
	int keys[3];
};
const struct action_info *action_info(enum action a);
enum action action_for_key(int key);
enum action action_for_command(const char *name);
/* "q", "PgDn", "Tab": how a key is written in the help and the hint bar. */
const char *action_key_name(int key);
/* Whether ai's k-th key has the name of an earlier one (Enter's three
 * codes): the help and the man page list each name once. */
bool action_key_repeats(const struct action_info *ai, int k);

/* ---- text drawing (draw.c) ------------------------------------------- */
/* Draw at most maxcols columns of s[0..len) (UTF-8) at the cursor; returns
 * the columns used. Invalid bytes show as '?'. */
int draw_text(WINDOW *w, const char *s, size_t len, int maxcols, attr_t a);
int draw_str(WINDOW *w, const char *s, int maxcols, attr_t a);
void draw_fill(WINDOW *w, int cols, attr_t a);
/* The frame of a window: line drawing under UTF-8, + - | otherwise. */
void draw_box(WINDOW *w);

/* A document: lines of text with role spans, what the detail tabs show. */
struct doc_span {
	size_t start, end;
	enum role role;
};
struct doc_line {
	char *text; /* owned, tabs expanded */
	bool code;  /* SQL or a diff: scrolls sideways; other lines (prose) wrap */
	int hang;   /* prose: columns its wrapped rows are indented by (0: its blanks + 2) */
	struct doc_span *spans;
	size_t n_spans, cap_spans;
	enum role base;
};
struct doc {
	struct doc_line *lines;
	size_t n, cap;
};
void doc_clear(struct doc *d);
/* Append a line; returns it for doc_span. */
struct doc_line *doc_add(struct doc *d, enum role base, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void doc_span(struct doc_line *l, size_t start, size_t end, enum role r);
/* Append text (several lines) with per-byte roles (NULL: base role). */
void doc_add_text(struct doc *d, const char *text, const enum role *roles, enum role base,
                  int first_line_number);
void doc_draw_line(WINDOW *w, const struct doc_line *l, int maxcols);
/* out gets src with its prose lines wrapped to width (text_wrap_next;
 * continuations indented by hang, else the line's blanks + 2); code lines
 * are copied as they are. */
void doc_wrap(const struct doc *src, int width, struct doc *out);
/* l's bytes [start, end) with their roles, in at most maxcols columns. */
int doc_draw_slice(WINDOW *w, const struct doc_line *l, size_t start, size_t end, int maxcols);

/* ---- the view model (model.c) ---------------------------------------- */
enum row_kind { ROW_PHASE, ROW_MIGRATION };
struct mig_row {
	enum row_kind kind;
	int phase;           /* index into app->phase_names */
	struct migration *m; /* ROW_MIGRATION */
	size_t set_index;    /* into the lookup of the selected tenant */
};

enum tab { TAB_SQL, TAB_RISK, TAB_DIFF, TAB_HISTORY, TAB_NOTES, TAB_COUNT };
const char *tab_name(enum tab t);

struct app;

/* ---- panes ----------------------------------------------------------- */
struct pane;
struct pane_ops {
	const char *name;
	void (*draw)(struct app *app, struct pane *p);
	/* A movement action inside the pane; false when it does not apply. */
	bool (*act)(struct app *app, struct pane *p, enum action a);
};
struct pane {
	const struct pane_ops *ops;
	WINDOW *win;
	int y, x, h, w;
	bool dirty;
	size_t top; /* first visible line */
};
enum pane_id { PANE_TENANTS, PANE_MIGRATIONS, PANE_DETAIL, PANE_COUNT };
extern const struct pane_ops tenants_pane_ops, migrations_pane_ops, detail_pane_ops;

/* Draw the frame and title of a pane; the content area is inside it. */
void pane_frame(struct app *app, struct pane *p, const char *title);
/* Keep sel visible in a list of n lines of the pane's content height. */
void pane_scroll_to(struct pane *p, size_t sel);
int pane_rows(const struct pane *p);

enum mode { MODE_NORMAL, MODE_COMMAND, MODE_SEARCH, MODE_HELP, MODE_DIALOG };

/* ---- dialogs (dialog.c) ---------------------------------------------- */
/* A modal box over the panes: a body, buttons (focus starts on the first,
 * always the harmless one) and optionally a field where a name must be
 * typed before any other button does anything. */
enum dialog_kind {
	DLG_CONFIRM_STATEMENT, /* run a statement that needs confirming */
	DLG_CONFIRM_PLAN,      /* apply / down-to: the list of migrations */
	DLG_CHOOSE_DOWN,       /* the file's down or the one stored at apply time */
	DLG_GROUP,             /* a group apply: stop at the first failure or go on */
	DLG_QUIT,              /* quit with a migration open */
	DLG_REBUILD_INDEX,     /* resume: drop the index an interrupted build left INVALID */
	DLG_BLOCKER,           /* cancel or terminate the session a statement waits for */
	DLG_REPAIR,            /* :repair: record how a migration was resolved */
	DLG_MESSAGE,           /* :message: the last message in full */
};
#define DIALOG_MAX_BUTTONS 3
struct dialog {
	enum dialog_kind kind;
	char *title;
	struct doc body;
	const char *buttons[DIALOG_MAX_BUTTONS];
	int n_buttons, focus;
	char *expect; /* the name to type (NULL: no field) */
	char typed[128];
	size_t body_top;
	WINDOW *win;
};

struct app {
	struct engine eng;
	const char *title;
	const char *quit_note; /* tui_options.quit_note */
	struct status_async *status;

	/* panes and screen */
	struct pane panes[PANE_COUNT];
	enum pane_id focus;
	WINDOW *title_win, *hint_win, *msg_win, *help_win;
	bool too_small, title_dirty, hint_dirty, msg_dirty, full_redraw;
	int rows, cols;
	enum mode mode;
	size_t help_top;

	/* tenants */
	size_t tenant_sel;

	/* migrations of the selected tenant */
	char **phase_names; /* owned array of borrowed names ("archive" first) */
	size_t n_phases;
	bool *folded; /* per phase */
	struct mig_row *rows_v;
	size_t n_rows, cap_rows, mig_sel;
	const struct mig_status **lookup; /* per set index (archived first); NULL unknown */
	size_t n_lookup;
	const struct tenant_status *lookup_for;
	signed char *worst; /* per set index: -2 not computed, -1 none, else severity */

	/* detail */
	enum tab tab;
	struct doc doc;
	bool doc_valid;
	struct migration *doc_for;
	enum tab doc_tab;
	struct risk_file_report risk;
	struct migration *risk_for;
	size_t risk_tenant; /* risk_for was analysed with this tenant's schema */
	/* The live facts of risk_for's up section on one tenant, read on
	 * request (facts.c); shown while that migration and tenant are. */
	struct activity_facts facts;
	struct migration *facts_for; /* NULL: none read */
	size_t facts_tenant;
	time_t facts_at;   /* when they were read: facts age, the screen says so */
	char *facts_error; /* owned: the first query that failed, or NULL */

	/* The selected tenant's rows (with the stored texts, merged with the
	 * set) and events, read in the poll loop (tenant_fetch) from the moment
	 * it is selected; the APP_FETCH_KEEP most recently used are kept. */
	struct tenant_fetch **fetches; /* per tenant; NULL not read */
	unsigned *fetch_used;          /* per tenant: tick of the last use */
	unsigned fetch_tick;
	size_t n_fetches; /* how many are non-NULL */
	bool sel_known;   /* the selected tenant's badge has been seen */
	/* A tenant was just selected: once its states are known, the cursor
	 * goes to its first migration still to apply, unless it was moved
	 * from to_pending_from meanwhile. */
	bool to_pending;
	size_t to_pending_from;
	size_t notices_shown; /* of the selected tenant's fetch */

	/* message line */
	char *msg;
	char *last_msg; /* owned: the last message that was not empty (:message) */
	bool last_msg_error;
	bool msg_error;

	/* search */
	char *search;
	bool search_tenants;

	/* The run view (run.c): a job on one tenant, or a group of them. */
	struct run *run;
	bool show_run;        /* the detail pane shows the run (else the tabs) */
	bool zoom;            /* the detail pane has the whole screen (z) */
	char hist_filter[64]; /* History tab: only this action or user ("": all) */
	int hscroll;          /* columns the detail's SQL and diffs are scrolled by */
	long run_scroll;      /* lines scrolled from where the run view keeps itself */
	struct dialog *dialog;
	bool *marked; /* per tenant: marked for a group apply */
	/* A run action waiting for the selected tenant's state (being read). */
	enum action deferred;
	char *deferred_arg;
	char *repair_arg; /* owned: the :repair arguments a dialog asks about */

	volatile sig_atomic_t *quit_signal, *winch;
	bool quit;
	int exit_code;
};

/* model.c */
size_t app_n_sets(const struct app *app); /* archived + active */
struct migration *app_set_item(const struct app *app, size_t i);
struct tenant *app_tenant(const struct app *app);
const struct tenant_status *app_tenant_status(const struct app *app, size_t i);
void app_rebuild_rows(struct app *app);
struct migration *app_selected_migration(const struct app *app);
const struct mig_status *app_selected_status(const struct app *app);
int app_migration_worst(struct app *app, size_t set_index);
const struct risk_file_report *app_risk(struct app *app, struct migration *m);
/* The selected tenant's fetch, started when first asked for; NULL without
 * tenants. */
struct tenant_fetch *app_fetch(struct app *app);
/* The selected tenant's fetch once done, else NULL with *why saying so
 * ("loading", or the error). */
const struct tenant_fetch *app_fetched(struct app *app, const char **why);
/* Poll entries of the running fetches (up to cap); then app_fetch_step
 * with the same entries. True when the selected tenant's finished. */
size_t app_fetch_fds(struct app *app, struct pollfd *fds, size_t cap, int *timeout);
bool app_fetch_step(struct app *app, const struct pollfd *fds, size_t nfds);
void app_fetch_forget(struct app *app);
/* Read tenant i's rows again (a run changed them); its badge and, when it
 * is selected, the list follow when the answer is in. */
void app_refetch(struct app *app, size_t i);
/* `r`: read the migration files again (the model is rebuilt on the new
 * set; no run may be open). False, with a message, when they cannot be. */
bool app_reload_files(struct app *app);
void app_invalidate_detail(struct app *app);
void app_select_tenant(struct app *app, size_t i);
void app_free_model(struct app *app);
const char *risk_word(int worst);
enum role risk_role(int worst);

/* facts.c: the Risk tab's live facts. Refresh reads them (blocking, with
 * short timeouts) for the selected migration and tenant; app_facts returns
 * them when they are of m on the selected tenant, else NULL. */
void app_facts_refresh(struct app *app);
const struct activity_facts *app_facts(const struct app *app, const struct migration *m,
                                       const char **error);
void app_facts_clear(struct app *app);

/* detail tabs (tabs.c): build the document of a tab */
void detail_build(struct app *app, struct doc *d);
/* SQL highlighted by libpg_query's scanner, with line numbers from first_line. */
void doc_add_sql(struct doc *d, const char *text, int first_line);
void doc_add_stmt_risk(struct doc *d, const struct risk_stmt *s,
                       const struct activity_facts *facts);
/* "12.5 MB": a size for people. */
char *facts_bytes(int64_t b);

/* screen.c: the terminal's one owner */
void screen_open(struct app *app);
void screen_close(struct app *app);
void screen_layout(struct app *app);
void screen_refresh(struct app *app);
void screen_mark_all(struct app *app);

/* message line and hint bar (bars.c) */
void app_message(struct app *app, bool error, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void bars_draw_title(struct app *app);
void bars_draw_hints(struct app *app);
void bars_draw_message(struct app *app);
void help_draw(struct app *app);
size_t help_lines(void);
/* Rows the help scrolls by a page (PgDn, Space). */
size_t help_page(const struct app *app);

/* app.c */
void app_dispatch(struct app *app, enum action a, const char *arg);
/* Read every tenant's status again (after a run changed one). */
void app_reload_status(struct app *app);
void app_run_command(struct app *app, const char *line);
void app_search(struct app *app, const char *text, int direction, bool from_next);

/* dialog.c */
struct dialog *dialog_open(struct app *app, enum dialog_kind kind, const char *title,
                           const char *const *buttons, int n_buttons, const char *expect);
void dialog_close(struct app *app);
void dialog_draw(struct app *app);
/* A key while the dialog is up; calls run_dialog_done when it is answered. */
void dialog_key(struct app *app, int rc, wint_t wch);

/* run.c: the step runner. The actions of actions.def that start, drive and
 * end runs; the poll loop's part (sockets, timers); the run view's data. */
void run_dispatch(struct app *app, enum action a, const char *arg);
/* An answer to a dialog: button index (0 is always the harmless one) and
 * what was typed in its field. */
void run_dialog_done(struct app *app, enum dialog_kind kind, int button, const char *typed);
size_t run_fds(struct app *app, struct pollfd *fds, size_t cap, int *timeout);
void run_poll(struct app *app, const struct pollfd *fds, size_t nfds);
/* Ctrl-C: cancel the running statement. False when nothing runs. */
bool run_interrupt(struct app *app);
/* A migration is open (quitting would roll it back). */
bool run_busy(const struct app *app);
/* q: quit now, or ask first when a migration is open. */
void run_quit(struct app *app);
/* Roll back what is open, record it, disconnect (quitting, SIGHUP). */
void run_free(struct app *app);
/* run_view.c: the run view's document and title; *anchor is the line of
 * the current statement (kept in sight). */
void run_view_build(struct app *app, struct doc *d, char *title, size_t title_len, size_t *anchor);

/* rline.c: readline in callback mode, in the message line's window */
void rline_init(struct app *app);
void rline_done(struct app *app);
void rline_begin(struct app *app, enum mode m);
/* The same with text already typed (S: "skip "). */
void rline_begin_with(struct app *app, enum mode m, const char *text);
/* Returns how many bytes it took; the rest (after the prompt ended) is
 * for the main loop. */
size_t rline_feed(struct app *app, const unsigned char *bytes, size_t n);
void rline_draw(struct app *app);

#endif
