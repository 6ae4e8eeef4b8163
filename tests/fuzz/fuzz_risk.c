/* fuzz_risk: the risk analyzer (pgstep/risk.h) on one migration file's
 * text, as `pgstep lint` reads it: dbmate sections, directives and every
 * rule; then each statement's confirmation, which the step runner asks.
 * An input of odd length is analysed as `pgstep plan` does when connected:
 * with a catalog whose made-up facts about a relation or column follow from
 * a hash of its name, so that the rules that weigh facts run too. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "pgstep/risk.h"

static unsigned hash(const char *a, const char *b)
{
	unsigned h = 2166136261u;
	for (const char *s = a; s && *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	for (const char *s = b; s && *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

static bool fake_relation(void *ctx, const char *rel, struct risk_rel_facts *out)
{
	unsigned h = hash(rel, NULL);
	if (h % 5 == 0)
		return false; /* unknown */
	static const char kinds[] = "rrrpivmS";
	out->exists = h & 8;
	out->relkind = kinds[(h >> 4) % (sizeof kinds - 1)];
	out->rows = (h & 16) ? (int64_t)(h >> 8) * 1000 : -1;
	out->bytes = (h & 32) ? (int64_t)(h >> 8) * 8192 : -1;
	return true;
}

static bool fake_column(void *ctx, const char *rel, const char *col, struct risk_col_facts *out)
{
	unsigned h = hash(rel, col);
	if (h % 5 == 0)
		return false;
	static const char *const types[] = {"integer", "bigint",
	                                    "text",    "character varying(20)",
	                                    "jsonb",   "timestamp without time zone",
	                                    ""};
	out->exists = h & 8;
	out->not_null = h & 16;
	out->has_default = h & 32;
	out->has_valid_not_null_check = h & 64;
	out->n_dependents = (int)((h >> 7) % 3);
	out->leading_index = h & 1024;
	snprintf(out->type, sizeof out->type, "%s", types[(h >> 11) % 7]);
	return true;
}

static bool fake_domain(void *ctx, const char *type, bool *out)
{
	unsigned h = hash(type, NULL);
	*out = h & 8;
	return h % 5 != 0;
}

static bool fake_index_table(void *ctx, const char *index, char **table_out)
{
	unsigned h = hash(index, NULL);
	if (h % 3 == 0)
		return false;
	*table_out = xstrdup(h & 8 ? "public.t" : "public.users");
	return true;
}

static const struct risk_catalog catalog = {
    .relation = fake_relation,
    .column = fake_column,
    .domain_has_check = fake_domain,
    .index_table = fake_index_table,
};

static void walk(const struct risk_report *r)
{
	for (size_t i = 0; i < r->n_stmts; i++) {
		struct risk_confirm c;
		risk_stmt_confirm(&r->stmts[i], &c);
		if (!r->stmts[i].kind || !r->stmts[i].explain)
			abort();
	}
	(void)risk_report_worst(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_text(data, size);
	if (!text)
		return 0;
	struct risk_options o;
	risk_options_init(&o);
	o.lock_timeout_ms = 3000;
	if (size % 2) {
		o.catalog = &catalog;
		o.server_version_num = 150000;
		o.timezone_utc = true;
	}
	struct risk_file_report rep;
	risk_file_report_init(&rep);
	risk_analyze_file(text, &o, &rep);
	walk(&rep.up);
	walk(&rep.down);
	risk_file_report_clear(&rep);
	free(text);
	return 0;
}
