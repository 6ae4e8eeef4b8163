/* fuzz_risk: the risk analyzer (pgstep/risk.h) on one migration file's
 * text, as `pgstep lint` reads it: dbmate sections, directives and every
 * rule. Then each statement's confirmation, which the step runner asks. */
#include "config.h"

#include <stdlib.h>

#include "fuzz.h"
#include "pgstep/risk.h"

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
	struct risk_file_report rep;
	risk_file_report_init(&rep);
	risk_analyze_file(text, &o, &rep);
	walk(&rep.up);
	walk(&rep.down);
	risk_file_report_clear(&rep);
	free(text);
	return 0;
}
