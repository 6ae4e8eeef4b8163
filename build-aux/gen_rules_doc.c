/* gen_rules_doc: writes doc/risk-rules.md from the rule table
 * (src/sql/risk_rules.def), so the documentation cannot drift from the
 * rules. `make rules-doc` runs it; test_risk fails when the committed file
 * differs. */
#include "config.h"

#include <stdio.h>

#include "pgstep/risk.h"
#include "pgstep/strbuf.h"

int main(int argc, char **argv)
{
	struct strbuf sb;
	strbuf_init(&sb);
	risk_rules_markdown(&sb);
	FILE *f = argc > 1 ? fopen(argv[1], "w") : stdout;
	if (!f) {
		perror(argv[1]);
		return 2;
	}
	fwrite(sb.buf, 1, sb.len, f);
	int rc = ferror(f) ? 2 : 0;
	if (f != stdout && fclose(f) != 0)
		rc = 2;
	strbuf_release(&sb);
	return rc;
}
