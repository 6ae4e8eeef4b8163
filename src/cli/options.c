/* options: the command options shared by every command, parsed once. */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const struct {
	struct option opt;
	unsigned flag;
} all_options[] = {
    {{"tenant", required_argument, NULL, 't'}, OPT_TENANT},
    {{"all", no_argument, NULL, 'a'}, OPT_ALL},
    {{"group", required_argument, NULL, 'g'}, OPT_GROUP},
    {{"to", required_argument, NULL, 'T'}, OPT_TO},
    {{"steps", required_argument, NULL, 'n'}, OPT_STEPS},
    {{"yes", no_argument, NULL, 'y'}, OPT_YES},
    {{"dry-run", no_argument, NULL, 'd'}, OPT_DRY_RUN},
    {{"resume", no_argument, NULL, 'r'}, OPT_RESUME},
    {{"use-file", no_argument, NULL, 'f'}, OPT_USE_FILE},
    {{"check", no_argument, NULL, 'k'}, OPT_CHECK},
    {{"keep", no_argument, NULL, 'K'}, OPT_KEEP},
    {{"version", required_argument, NULL, 'V'}, OPT_VERSION},
    {{"reason", required_argument, NULL, 'R'}, OPT_REASON},
    {{"mark", required_argument, NULL, 'M'}, OPT_MARK},
    {{"preflight", no_argument, NULL, 'P'}, OPT_PREFLIGHT},
    {{"fail-on", required_argument, NULL, 'F'}, OPT_FAIL_ON},
    {{"verbose", no_argument, NULL, 'v'}, OPT_VERBOSE},
    {{"anchor", required_argument, NULL, 'A'}, OPT_ANCHOR},
    {{"from", required_argument, NULL, 'O'}, OPT_FROM},
    {{"compare", required_argument, NULL, 'C'}, OPT_COMPARE},
    {{"privileges", no_argument, NULL, 'p'}, OPT_PRIVILEGE},
};
#define N_OPTIONS (sizeof all_options / sizeof *all_options)

int cli_parse(int argc, char **argv, unsigned allowed, const char *usage, struct cli_opts *o)
{
	struct option longopts[N_OPTIONS + 2];
	size_t n = 0;
	memset(o, 0, sizeof *o);
	for (size_t i = 0; i < N_OPTIONS; i++)
		if (allowed & all_options[i].flag)
			longopts[n++] = all_options[i].opt;
	longopts[n++] = (struct option){"help", no_argument, NULL, 'h'};
	longopts[n] = (struct option){0};

	optind = 1;
	opterr = 0;
	int c;
	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		switch (c) {
		case 'h': printf("usage: pgstep %s\n", usage); return PGSTEP_EXIT_OK;
		case 't':
			if (o->n_tenants == sizeof o->tenants / sizeof *o->tenants) {
				fprintf(stderr, "pgstep %s: too many --tenant options\n", argv[0]);
				return PGSTEP_EXIT_USAGE;
			}
			o->tenants[o->n_tenants++] = optarg;
			break;
		case 'g':
			if (o->n_groups == sizeof o->groups / sizeof *o->groups) {
				fprintf(stderr, "pgstep %s: too many --group options\n", argv[0]);
				return PGSTEP_EXIT_USAGE;
			}
			o->groups[o->n_groups++] = optarg;
			break;
		case 'a': o->all = true; break;
		case 'T': o->to = optarg; break;
		case 'n': {
			char *end;
			long v = strtol(optarg, &end, 10);
			if (*end || v < 1 || v > 1000000) {
				fprintf(stderr,
				        "pgstep %s: --steps %s: expected a positive number\n",
				        argv[0], optarg);
				return PGSTEP_EXIT_USAGE;
			}
			o->steps = (int)v;
			break;
		}
		case 'y': o->yes = true; break;
		case 'd': o->dry_run = true; break;
		case 'r': o->resume = true; break;
		case 'f': o->use_file = true; break;
		case 'k': o->check = true; break;
		case 'K': o->keep = true; break;
		case 'V': o->version = optarg; break;
		case 'R': o->reason = optarg; break;
		case 'M': o->mark = optarg; break;
		case 'P': o->preflight = true; break;
		case 'F': o->fail_on = optarg; break;
		case 'v': o->verbose = true; break;
		case 'A': o->anchor = optarg; break;
		case 'O': o->from = optarg; break;
		case 'C': o->compare = optarg; break;
		case 'p': o->privileges = true; break;
		case ':':
			fprintf(stderr, "pgstep %s: option %s needs a value\nusage: pgstep %s\n",
			        argv[0], argv[optind - 1], usage);
			return PGSTEP_EXIT_USAGE;
		default:
			fprintf(stderr, "pgstep %s: unknown option %s\nusage: pgstep %s\n", argv[0],
			        argv[optind - 1], usage);
			return PGSTEP_EXIT_USAGE;
		}
	}
	o->n_args = argc - optind;
	o->args = argv + optind;
	return -1;
}
