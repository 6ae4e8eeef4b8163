/* output: how the command line shows errors, diagnostics and run progress,
 * and how it asks and handles signals. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "cli.h"
#include "pgstep/json.h"
#include "pgstep/runner.h"
#include "pgstep/strbuf.h"
#include "pgstep/text.h"
#include "pgstep/xalloc.h"

const char *cli_safe(const char *s)
{
	static _Thread_local struct strbuf ring[CLI_SAFE_SLOTS];
	static _Thread_local size_t next;
	if (!s || !text_has_control(s, NULL))
		return s;
	struct strbuf *sb = &ring[next];
	next = (next + 1) % CLI_SAFE_SLOTS;
	if (!sb->buf)
		strbuf_init(sb);
	strbuf_reset(sb);
	text_escape_controls(sb, s);
	return sb->buf;
}

int cli_term_width(void)
{
	/* COLUMNS first, as ls and man do: a pipe to a wide viewer, a script. */
	const char *env = getenv("COLUMNS");
	char *end;
	long c = env ? strtol(env, &end, 10) : 0;
	if (env && *env && !*end && c >= 20 && c <= 100000)
		return (int)c;
	struct winsize ws;
	if (isatty(STDOUT_FILENO) && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	return 80;
}

void cli_print_wrapped(const struct cli_globals *g, const char *s, const char *indent)
{
	struct strbuf sb;
	strbuf_init(&sb);
	text_wrap(&sb, s, g->width, indent);
	fwrite(sb.buf, 1, sb.len, stdout);
	strbuf_release(&sb);
}

void cli_json_tenants_begin(struct json *j, struct strbuf *sb)
{
	strbuf_init(sb);
	json_init(j, sb);
	json_begin_object(j);
	json_key(j, "tenants");
	json_begin_array(j);
}

void cli_json_tenants_end(struct json *j, struct strbuf *sb, bool print)
{
	json_end_array(j);
	json_end_object(j);
	if (print)
		printf("%s\n", sb->buf);
	strbuf_release(sb);
}

int cli_fail(const struct pgstep_error *err)
{
	fprintf(stderr, "pgstep: %s\n", err->msg ? cli_safe(err->msg) : "failed");
	return err->code ? (int)err->code : PGSTEP_EXIT_FAILED;
}

void cli_diags(const struct cli_globals *g, const struct diag_list *d)
{
	(void)g;
	for (size_t i = 0; i < d->n; i++) {
		const struct diag *x = &d->items[i];
		if (x->file && x->line)
			fprintf(stderr, "%s:%d: %s: %s\n", cli_safe(x->file), x->line,
			        diag_level_name(x->level), cli_safe(x->msg));
		else if (x->file)
			fprintf(stderr, "%s: %s: %s\n", cli_safe(x->file),
			        diag_level_name(x->level), cli_safe(x->msg));
		else
			fprintf(stderr, "pgstep: %s: %s\n", diag_level_name(x->level),
			        cli_safe(x->msg));
	}
}

const char *cli_color(const struct cli_globals *g, const char *state)
{
	if (!g->color)
		return "";
	if (!strcmp(state, "ok") || !strcmp(state, "applied"))
		return "\033[32m";
	if (!strcmp(state, "pending") || !strcmp(state, "rolled_back") || !strcmp(state, "skipped"))
		return "\033[33m";
	if (!strcmp(state, "archived"))
		return "\033[2m";
	return "\033[1;31m";
}

const char *cli_reset(const struct cli_globals *g)
{
	return g->color ? "\033[0m" : "";
}

/* The first line of a statement, shortened for a progress line. */
static void print_short_sql(const char *sql)
{
	size_t n = strcspn(sql, "\n");
	if (n > 60)
		n = 57;
	char *first = xstrndup(sql, n);
	printf("%s%s", cli_safe(first), n < strlen(sql) ? " ..." : "");
	free(first);
}

static void cli_on_event(void *ctx, const struct run_event *ev)
{
	const struct cli_globals *g = ctx;
	const char *t = ev->tenant ? cli_safe(ev->tenant->name) : "";
	const char *label =
	    ev->migration ? cli_safe(migration_label((struct migration *)ev->migration)) : "";
	const char *verb = ev->direction == RUN_UP ? "apply" : "roll back";
	switch (ev->kind) {
	case RUN_EV_START:
		printf("%s: %s %s (%zu statement%s)\n", t,
		       ev->direction == RUN_UP ? "applying" : "rolling back", label, ev->total,
		       ev->total == 1 ? "" : "s");
		break;
	case RUN_EV_STATEMENT:
		printf("%s:   [%zu/%zu] line %d: ", t, ev->index + 1, ev->total, ev->line);
		print_short_sql(ev->sql ? ev->sql : "");
		printf("\n");
		break;
	case RUN_EV_STATEMENT_DONE:
	case RUN_EV_STATEMENT_FAILED: /* step mode only: the interface's */
	case RUN_EV_UNDONE: break;
	case RUN_EV_LOCK_WAIT:
		printf("%s:   %s: lock not available; retry %d in %lld ms\n", t, label,
		       ev->attempt - 1, (long long)ev->backoff_ms);
		break;
	case RUN_EV_DONE:
		printf("%s: %s%s%s %s in %lld ms\n", t, cli_color(g, "ok"), label, cli_reset(g),
		       ev->direction == RUN_UP ? "applied" : "rolled back",
		       (long long)ev->elapsed_ms);
		break;
	case RUN_EV_FAILED:
	case RUN_EV_CANCELLED:
		printf("%s: %s%s%s: could not %s\n", t, cli_color(g, "failed"), label, cli_reset(g),
		       verb);
		break;
	case RUN_EV_NOTICE: printf("%s: %s\n", t, ev->message ? cli_safe(ev->message) : ""); break;
	case RUN_EV_WAITING:
		printf("%s:   %s: statement %zu %swaits%s: %s\n", t, label, ev->index + 1,
		       cli_color(g, "failed"), cli_reset(g),
		       ev->message ? cli_safe(ev->message) : "");
		break;
	}
	fflush(stdout);
}

void cli_observer(const struct cli_globals *g, struct run_observer *obs)
{
	obs->event = g->json ? NULL : cli_on_event;
	obs->ctx = (void *)g;
}

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

volatile sig_atomic_t *cli_signals(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	/* No SA_RESTART: poll() must return so the runner cancels at once. */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	return &interrupted;
}

bool cli_confirm(const char *question)
{
	if (!isatty(STDIN_FILENO) || !isatty(STDERR_FILENO)) {
		fprintf(stderr,
		        "pgstep: %s\npgstep: no terminal to ask on: pass --yes to proceed\n",
		        cli_safe(question));
		return false;
	}
	fprintf(stderr, "%s [y/N] ", cli_safe(question));
	fflush(stderr);
	char line[32];
	if (!fgets(line, sizeof line, stdin))
		return false;
	return line[0] == 'y' || line[0] == 'Y';
}
