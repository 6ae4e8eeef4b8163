/* demo: `pgstep demo` starts the throwaway cluster, shows its status and how
 * to use it, and stays up until Ctrl-C (or SIGTERM/SIGHUP), then removes
 * everything unless --keep. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "../tui/tui.h"
#include "pgstep/demo.h"
#include "pgstep/xalloc.h"

static void demo_progress(void *ctx, const char *line)
{
	(void)ctx;
	fprintf(stderr, "demo: %s\n", cli_safe(line));
}

int cli_demo(const struct cli_globals *g, int argc, char **argv)
{
	struct cli_opts o;
	int rc = cli_parse(argc, argv, OPT_KEEP, "demo [--keep]", &o);
	if (rc >= 0)
		return rc;
	volatile sig_atomic_t *stop = cli_signals();
	struct pgstep_error err = {0};
	struct demo *d = demo_start(demo_progress, NULL, stop, &err);
	if (!d) {
		if (*stop) {
			/* Everything made so far is already removed. */
			fprintf(stderr, "pgstep: demo: interrupted while it was being built; "
			                "nothing is kept\n");
			error_clear(&err);
			return PGSTEP_EXIT_FAILED;
		}
		rc = cli_fail(&err);
		error_clear(&err);
		return rc;
	}
	struct cli_globals dg = *g;
	dg.config_path = d->config_path;
	if (!g->json && !*stop && isatty(STDIN_FILENO) && isatty(STDOUT_FILENO)) {
		/* On a terminal the demo is the interface on its own cluster;
		 * quitting it stops and removes the cluster (unless --keep). */
		char *note =
		    o.keep ? xasprintf("The demo's cluster stays in %s (--keep).", d->cluster->dir)
		           : xasprintf("Quitting stops the demo and deletes its cluster (%s) with "
		                       "everything done in it.",
		                       d->cluster->dir);
		struct tui_options t = {.config_path = d->config_path,
		                        .color = g->color,
		                        .title = "demo",
		                        .quit_note = note};
		rc = tui_run(&t);
		free(note);
		fprintf(stderr, "demo: stopping\n");
		demo_stop(&d, o.keep);
		return rc;
	}
	char *status_argv[] = {"status", "--all", NULL};
	if (!*stop)
		cli_status(&dg, 2, status_argv);
	fflush(stdout);
	if (!g->json && !*stop) {
		/* The path that works from any directory, even when pgstep is not on
		 * PATH yet (the README runs ./pgstep). */
		char *self = realpath("/proc/self/exe", NULL);
		const char *me = self ? self : "pgstep";
		printf("\nThe demo is running: a throwaway PostgreSQL in %s\n", d->cluster->dir);
		printf("  %s -c %s status --tenant initech\n", me, d->config_path);
		printf("  %s -c %s plan --tenant globex\n", me, d->config_path);
		printf("  %s -c %s up --tenant initech --resume --yes\n", me, d->config_path);
		free(self);
		printf("  psql 'host=%s port=%d dbname=app user=postgres'\n",
		       d->cluster->socket_dir, d->cluster->port);
		printf("Press Ctrl-C to stop it%s.\n",
		       o.keep ? " (files are kept: --keep)" : " and remove everything");
		fflush(stdout);
	}
	while (!*stop)
		pause();
	fprintf(stderr, "demo: stopping\n");
	demo_stop(&d, o.keep);
	return PGSTEP_EXIT_OK;
}
