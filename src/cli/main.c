/* main: global options (before or after the command), then one command. */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "pgstep/sanitizer.h"
#include "../tui/tui.h"

PGSTEP_LSAN_SUPPRESSIONS

struct command {
	const char *name;
	cli_command_fn fn;
	const char *summary;
};

static const struct command commands[] = {
    {"status", cli_status, "what each tenant has applied and what is pending"},
    {"plan", cli_plan, "the migrations `up` would apply, per tenant"},
    {"up", cli_up, "apply pending migrations"},
    {"down", cli_down, "roll back applied migrations"},
    {"history", cli_history, "the event log of a tenant"},
    {"verify", cli_verify, "check checksums and the event hash chain"},
    {"repair", cli_repair, "record how a dirty or failed migration was resolved"},
    {"adopt", cli_adopt, "take over another tool's history (golang-migrate, Flyway, ...)"},
    {"lint", cli_lint, "risk notes for migration files"},
    {"schema", cli_schema, "a tenant's live schema; --compare: two tenants' differences"},
    {"demo", cli_demo, "a throwaway PostgreSQL with sample tenants"},
};

static void usage(FILE *f)
{
	fprintf(f,
	        "usage: pgstep [-c FILE] [--json] [--no-color] COMMAND [OPTIONS]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
		fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\nRun `pgstep COMMAND --help` for a command's options; see pgstep(1).\n");
}

/* Remove the global options from argv wherever they stand. */
static int take_globals(int argc, char **argv, struct cli_globals *g, int *rc)
{
	int out = 1;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--") == 0) {
			while (i < argc)
				argv[out++] = argv[i++];
			break;
		}
		if (strcmp(a, "-c") == 0 || strcmp(a, "--config") == 0) {
			if (i + 1 >= argc) {
				fprintf(stderr, "pgstep: %s needs a file name\n", a);
				*rc = PGSTEP_EXIT_USAGE;
				return -1;
			}
			g->config_path = argv[++i];
		} else if (strncmp(a, "--config=", 9) == 0) {
			g->config_path = a + 9;
		} else if (strncmp(a, "-c", 2) == 0 && a[2]) {
			g->config_path = a + 2;
		} else if (strcmp(a, "--json") == 0) {
			g->json = true;
		} else if (strcmp(a, "--no-color") == 0) {
			g->color = false;
		} else {
			argv[out++] = argv[i];
		}
	}
	argv[out] = NULL;
	return out;
}

static int run(int argc, char **argv)
{
	struct cli_globals g = {.color = true};
	int rc = PGSTEP_EXIT_OK;
	const char *no_color = getenv("NO_COLOR");
	if ((no_color && *no_color) || !isatty(STDOUT_FILENO))
		g.color = false;
	g.width = cli_term_width();
	signal(SIGPIPE, SIG_IGN);

	/* Hidden: the man page's key table, generated from actions.def. */
	if (argc == 2 && strcmp(argv[1], "--keys-roff") == 0) {
		tui_keys_roff(stdout);
		return PGSTEP_EXIT_OK;
	}
	argc = take_globals(argc, argv, &g, &rc);
	if (argc < 0)
		return rc;
	if (argc < 2) {
		/* On a terminal, plain `pgstep` is the interface. */
		if (isatty(STDIN_FILENO) && isatty(STDOUT_FILENO) && !g.json) {
			struct tui_options t = {.config_path = g.config_path, .color = g.color};
			return tui_run(&t);
		}
		usage(stderr);
		return PGSTEP_EXIT_USAGE;
	}
	const char *cmd = argv[1];
	if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
		usage(stdout);
		return PGSTEP_EXIT_OK;
	}
	if (strcmp(cmd, "--version") == 0) {
		printf("pgstep %s\n", PACKAGE_VERSION);
		return PGSTEP_EXIT_OK;
	}
	for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
		if (strcmp(cmd, commands[i].name) == 0)
			return commands[i].fn(&g, argc - 1, argv + 1);
	fprintf(stderr, "pgstep: unknown command '%s'\n", cmd);
	usage(stderr);
	return PGSTEP_EXIT_USAGE;
}

int main(int argc, char **argv)
{
	int rc = run(argc, argv);
	/* A sanitizer that finds a leak ends the process from an exit handler,
	 * before stdio's buffers are written: the output goes out first. */
	fflush(stdout);
	fflush(stderr);
	return rc;
}
