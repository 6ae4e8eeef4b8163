/* adopt: the `adopt` command (engine: adopt.c). Per tenant, the mapping of
 * the other tool's rows to the set, then every mismatch, one line each. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "pgstep/adopt.h"
#include "pgstep/json.h"
#include "pgstep/xalloc.h"

static const char *adopt_what_name(enum adopt_what w)
{
	switch (w) {
	case ADOPT_PENDING: return "pending";
	case ADOPT_NEW: return "adopt";
	case ADOPT_HAVE: return "recorded";
	}
	return "pending";
}

static void adopt_item_note(const struct adopt_item *it, char *buf, size_t n)
{
	if (!it->src)
		snprintf(buf, n, "not applied by the other tool: left for `up`");
	else if (it->covered)
		snprintf(buf, n, "covered by version %s, unverified", it->src->key);
	else if (it->verified)
		snprintf(buf, n, "checksum matches");
	else if (it->src->checksum)
		snprintf(buf, n, "checksum differs");
	else
		snprintf(buf, n, "no checksum kept: unverified");
}

static void adopt_text(const struct cli_globals *g, const struct tenant *t,
                       const struct adopt_report *r, bool dry_run)
{
	printf("%s: %s history in %s\n", t->name, foreign_tool_name(r->hist.tool),
	       cli_safe(r->hist.table));
	for (size_t i = 0; i < r->n; i++) {
		const struct adopt_item *it = &r->items[i];
		if (it->m->archived)
			continue;
		char note[160];
		adopt_item_note(it, note, sizeof note);
		const char *w = adopt_what_name(it->what);
		printf("  %s%-9s%s %s_%s  (%s)\n",
		       cli_color(g, it->what == ADOPT_PENDING ? "pending" : "ok"), w, cli_reset(g),
		       cli_safe(it->m->version.text), cli_safe(it->m->name), note);
	}
	for (size_t k = 0; k < r->lines.n; k++)
		printf("%s\n", cli_safe(r->lines.items[k].msg));
	if (r->lines.n)
		printf("%s: %zu mismatch(es): nothing adopted\n", t->name, r->lines.n);
	else if (r->to_adopt == 0)
		printf("%s: nothing to adopt: pgstep records every migration %s applied\n", t->name,
		       foreign_tool_name(r->hist.tool));
	else
		printf("%s: %zu migration(s) %s from %s\n", t->name, r->to_adopt,
		       dry_run ? "would be adopted" : "adopted", foreign_tool_name(r->hist.tool));
}

static void adopt_json(struct json *j, const struct tenant *t, const struct adopt_report *r, int rc,
                       const char *error)
{
	json_begin_object(j);
	json_kv_string(j, "name", t->name);
	json_kv_string(j, "source", r->hist.tool ? foreign_tool_name(r->hist.tool) : NULL);
	json_kv_string(j, "table", r->hist.table);
	json_kv_int(j, "exit", rc);
	json_kv_string(j, "error", error);
	json_kv_int(j, "to_adopt", (int64_t)r->to_adopt);
	json_kv_bool(j, "written", r->written);
	json_key(j, "migrations");
	json_begin_array(j);
	for (size_t i = 0; i < r->n; i++) {
		const struct adopt_item *it = &r->items[i];
		if (it->m->archived)
			continue;
		json_begin_object(j);
		json_kv_string(j, "version", it->m->version.text);
		json_kv_string(j, "name", it->m->name);
		json_kv_string(j, "state", adopt_what_name(it->what));
		json_kv_bool(j, "covered", it->covered);
		json_kv_bool(j, "verified", it->verified);
		json_end_object(j);
	}
	json_end_array(j);
	json_key(j, "mismatches");
	json_begin_array(j);
	for (size_t k = 0; k < r->lines.n; k++) {
		json_begin_object(j);
		json_kv_string(j, "file", r->lines.items[k].file);
		json_kv_string(j, "message", r->lines.items[k].msg);
		json_end_object(j);
	}
	json_end_array(j);
	json_end_object(j);
}

int cli_adopt(const struct cli_globals *g, int argc, char **argv)
{
	struct cli_command c;
	const char *usage =
	    "adopt --tenant T... | --all [--from TOOL[:TABLE]] [--dry-run] [--json]";
	int rc = cli_parse(argc, argv, OPT_SELECT | OPT_DRY_RUN | OPT_FROM, usage, &c.o);
	if (rc >= 0)
		return rc;
	struct adopt_options ao = {.dry_run = c.o.dry_run};
	char *tool = NULL;
	if (c.o.from) {
		tool = xstrdup(c.o.from);
		char *colon = strchr(tool, ':');
		if (colon) {
			*colon = '\0';
			ao.table = c.o.from + (colon - tool) + 1;
		}
		if (!foreign_tool_parse(tool, &ao.from) || (ao.table && !*ao.table)) {
			fprintf(stderr,
			        "pgstep adopt: --from %s: expected golang-migrate, dbmate, flyway, "
			        "prisma, sqitch or goose (optionally :TABLE)\n",
			        cli_safe(c.o.from));
			free(tool);
			return PGSTEP_EXIT_USAGE;
		}
		free(tool);
	}
	if ((rc = cli_command_open(g, &c, false)) >= 0)
		return rc;
	struct strbuf sb;
	struct json j;
	cli_json_tenants_begin(&j, &sb);
	rc = PGSTEP_EXIT_OK;
	for (size_t i = 0; i < c.n; i++) {
		struct adopt_report r;
		struct pgstep_error err = {0};
		int trc = (int)adopt_tenant(&c.e, c.ts[i], &ao, &r, &err);
		if (g->json)
			adopt_json(&j, c.ts[i], &r, trc, err.msg);
		else if (error_isset(&err))
			fprintf(stderr, "pgstep: %s\n", cli_safe(err.msg));
		else
			adopt_text(g, c.ts[i], &r, c.o.dry_run);
		rc = cli_worst_exit(rc, trc);
		adopt_report_release(&r);
		error_clear(&err);
	}
	cli_json_tenants_end(&j, &sb, g->json);
	cli_command_close(&c);
	return rc;
}
