/* cli: the command line front end. main.c takes the global options (which
 * may stand before or after the command), then hands the remaining
 * arguments to one command function. Commands print; the engine never does. */
#ifndef PGSTEP_CLI_H
#define PGSTEP_CLI_H

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include "pgstep/error.h"
#include "pgstep/ops.h"
#include "pgstep/risk.h"

struct cli_globals {
	const char *config_path; /* -c FILE, or NULL */
	bool json;               /* --json */
	bool color;              /* terminal, no NO_COLOR, no --no-color */
	int width;               /* text lines wrap here (cli_term_width) */
};

/* $COLUMNS when set, else the columns of the terminal on stdout, else 80. */
int cli_term_width(void);
/* Print s (its lines, each wrapped to g->width; text_wrap) to stdout;
 * lines that wrap continue after indent. */
void cli_print_wrapped(const struct cli_globals *g, const char *s, const char *indent);

/* Each command gets argv[0] = command name and its own options. Returns an
 * exit code (enum pgstep_exit). */
typedef int (*cli_command_fn)(const struct cli_globals *g, int argc, char **argv);

int cli_status(const struct cli_globals *g, int argc, char **argv);
int cli_plan(const struct cli_globals *g, int argc, char **argv);
int cli_up(const struct cli_globals *g, int argc, char **argv);
int cli_down(const struct cli_globals *g, int argc, char **argv);
int cli_history(const struct cli_globals *g, int argc, char **argv);
int cli_verify(const struct cli_globals *g, int argc, char **argv);
int cli_repair(const struct cli_globals *g, int argc, char **argv);
int cli_demo(const struct cli_globals *g, int argc, char **argv);
int cli_lint(const struct cli_globals *g, int argc, char **argv);
int cli_adopt(const struct cli_globals *g, int argc, char **argv);
int cli_schema(const struct cli_globals *g, int argc, char **argv);

/* Options shared by the commands; each command says which it accepts. */
enum cli_opt {
	OPT_TENANT = 1 << 0,     /* --tenant NAME (repeatable) */
	OPT_ALL = 1 << 1,        /* --all */
	OPT_GROUP = 1 << 2,      /* --group key=value (repeatable) */
	OPT_TO = 1 << 3,         /* --to VERSION */
	OPT_STEPS = 1 << 4,      /* --steps N */
	OPT_YES = 1 << 5,        /* --yes */
	OPT_DRY_RUN = 1 << 6,    /* --dry-run */
	OPT_RESUME = 1 << 7,     /* --resume */
	OPT_USE_FILE = 1 << 8,   /* --use-file */
	OPT_CHECK = 1 << 9,      /* --check */
	OPT_KEEP = 1 << 10,      /* --keep */
	OPT_VERSION = 1 << 11,   /* --version V */
	OPT_REASON = 1 << 12,    /* --reason TEXT */
	OPT_MARK = 1 << 13,      /* --mark applied|rolled_back */
	OPT_PREFLIGHT = 1 << 14, /* --preflight */
	OPT_FAIL_ON = 1 << 15,   /* --fail-on error|warn|info */
	OPT_VERBOSE = 1 << 16,   /* --verbose */
	OPT_ANCHOR = 1 << 17,    /* --anchor FILE */
	OPT_FROM = 1 << 18,      /* --from TOOL[:TABLE] */
	OPT_COMPARE = 1 << 19,   /* --compare TENANT */
	OPT_PRIVILEGE = 1 << 20, /* --privileges */
	OPT_SELECT = OPT_TENANT | OPT_ALL | OPT_GROUP,
};

struct cli_opts {
	const char *tenants[64];
	size_t n_tenants;
	const char *groups[16];
	size_t n_groups;
	bool all, yes, dry_run, resume, use_file, check, keep, preflight, verbose, privileges;
	const char *to, *version, *reason, *mark, *fail_on, *anchor, *from, *compare;
	int steps;
	int n_args; /* arguments left after the options */
	char **args;
};

/* Parse argv (argv[0] is the command). Returns -1 when parsing succeeded,
 * PGSTEP_EXIT_OK after printing --help, or PGSTEP_EXIT_USAGE after printing
 * a usage error. */
int cli_parse(int argc, char **argv, unsigned allowed, const char *usage, struct cli_opts *o);

/* What most commands work on: their options, the project, the tenants
 * selected (commands.c). */
struct cli_command {
	struct cli_opts o;
	struct engine e;
	struct tenant **ts;
	size_t n;
	bool check_sql; /* parse every migration first (plan, up): engine_check_sql */
};

/* Open the project and select the tenants; the set's diagnostics are
 * printed and errors in the set stop the command (exit 2). Returns -1 to go
 * on, or the exit code (c is then closed). */
int cli_command_open(const struct cli_globals *g, struct cli_command *c, bool default_all);
void cli_command_close(struct cli_command *c);
/* When tenants end differently: the first of failed, locked, connection,
 * drift, usage that happened. */
int cli_worst_exit(int a, int b);

struct plan_risk_options;
/* Print the plan of c's tenants (pending migrations, their locks, facts and
 * findings; as `pgstep plan`). fail_on: a risk_severity, or -1. total gets
 * the number of migrations to apply. Returns an exit code. */
int cli_plan_show(const struct cli_globals *g, struct cli_command *c,
                  const struct plan_risk_options *po, bool verbose, int fail_on, size_t *total);

struct json;
/* Every command's JSON is one object {"tenants":[...]}: sb gets initialised
 * and the array opened; end closes both, prints the document when print
 * (--json) and releases sb. */
void cli_json_tenants_begin(struct json *j, struct strbuf *sb);
void cli_json_tenants_end(struct json *j, struct strbuf *sb, bool print);

/* s with control characters escaped (text_escape_controls) for a text
 * line: every string that did not come from pgstep itself (names, SQL,
 * server messages, values from the database) goes through it, so nothing
 * can move the cursor, recolour or retitle the terminal, or forge a line.
 * Returns s itself when nothing needs escaping; otherwise a copy that stays
 * valid for the next CLI_SAFE_SLOTS - 1 escaped strings of this thread
 * (enough for one printf). NULL stays NULL. */
#define CLI_SAFE_SLOTS 16
const char *cli_safe(const char *s);

/* Print "pgstep: message" (escaped) to stderr and return err's exit code. */
int cli_fail(const struct pgstep_error *err);
void cli_diags(const struct cli_globals *g, const struct diag_list *d);

/* Colour for a word on stdout when colour is on ("ok" green, ...). */
const char *cli_color(const struct cli_globals *g, const char *state);
const char *cli_reset(const struct cli_globals *g);

struct run_observer;
/* An observer printing run progress as text lines (nothing under --json). */
void cli_observer(const struct cli_globals *g, struct run_observer *obs);
/* Install handlers so SIGINT/SIGTERM/SIGHUP cancel what runs; returns the flag. */
volatile sig_atomic_t *cli_signals(void);
/* Ask on the terminal; false without one (the message says to pass --yes). */
bool cli_confirm(const char *question);

/* ---- risk reports (report.c): lint and plan show them the same way ---- */

struct json;
const char *cli_severity_color(const struct cli_globals *g, enum risk_severity s);
/* "<lead>severity rule: message"; with safer_indent, the safer alternative
 * on the next line. */
void cli_finding_print(const struct cli_globals *g, const char *lead, const struct risk_finding *f,
                       const char *safer_indent);
void cli_problem_print(const struct cli_globals *g, const char *lead, const struct risk_problem *p);
/* The same lines appended to out (lint builds them on its worker threads). */
struct strbuf;
void cli_finding_format(struct strbuf *out, const struct cli_globals *g, const char *lead,
                        const struct risk_finding *f, const char *safer_indent);
void cli_problem_format(struct strbuf *out, const struct cli_globals *g, const char *lead,
                        const struct risk_problem *p);
/* One statement as lint's JSON object; extra (may be NULL) adds members
 * before it closes. */
typedef void (*cli_stmt_json_fn)(struct json *j, const struct risk_stmt *st, void *ctx);
void cli_stmt_json(struct json *j, const struct risk_stmt *st, cli_stmt_json_fn extra, void *ctx);
/* The report's problems as {"line","column","message"} objects. */
void cli_problems_json(struct json *j, const struct risk_report *r);

/* ---- effective settings (report.c): plan and lint show them alike ---- */

struct settings;
/* "lock_timeout 5s (pgstep:lock-timeout, 012_x.sql:3), statement_timeout
 * off (built-in default)"; with_rest adds lock_retries and the transaction
 * mode. */
void cli_settings_text(struct strbuf *out, const struct settings *s, bool with_rest);
/* "settings": {"lock_timeout": {"ms", "source", "from", "file", "line"}, ...};
 * with_rest adds "lock_retries" {"count", ...} and "transaction" {"mode", ...}. */
void cli_settings_json(struct json *j, const struct settings *s, bool with_rest);

#endif
