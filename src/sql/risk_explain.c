/* risk_explain: the one plain-language sentence per statement, for a new
 * team member reading the migration: what it does (the handlers' phrases),
 * then what its strongest lock means for the application while it runs. */
#include "config.h"

#include <ctype.h>
#include <string.h>
#include "pgstep/strbuf.h"
#include "risk_int.h"

/* What holders of mode m stop the application from doing. */
static const char *lock_impact(enum risk_lock m)
{
	switch (m) {
	case RISK_LOCK_ACCESS_EXCLUSIVE: return "blocks every read and write of";
	case RISK_LOCK_EXCLUSIVE: return "blocks everything but plain reads of";
	case RISK_LOCK_SHARE_ROW_EXCLUSIVE:
	case RISK_LOCK_SHARE: return "blocks writes to";
	case RISK_LOCK_SHARE_UPDATE_EXCLUSIVE: return "lets reads and writes continue on";
	default: return NULL;
	}
}

char *risk_explain_sentence(struct risk_ctx *c)
{
	const struct risk_stmt *st = c->st;
	struct strbuf sb;
	strbuf_init(&sb);
	for (size_t i = 0; i < c->phrases.n; i++) {
		if (i)
			strbuf_adds(&sb, i + 1 == c->phrases.n ? " and " : ", ");
		strbuf_adds(&sb, c->phrases.items[i]);
	}
	if (sb.len == 0)
		strbuf_addf(&sb, "runs a %s statement", st->kind);

	/* The strongest lock on relations that existed before the section. */
	enum risk_lock top = RISK_LOCK_NONE;
	for (size_t i = 0; i < st->n_locks; i++)
		if (!st->locks[i].new_relation && st->locks[i].mode > top)
			top = st->locks[i].mode;
	const char *impact = lock_impact(top);
	bool only_types = true;
	for (size_t i = 0; i < st->n_locks; i++)
		if (!st->locks[i].new_relation && st->locks[i].mode == top && !st->locks[i].type)
			only_types = false;
	if (impact && only_types) {
		/* A composite type's lock: queries using the type take none. */
		strbuf_adds(&sb, "; other changes to the type wait");
		strbuf_adds(&sb,
		            st->in_transaction ? " until the transaction ends" : " while it runs");
	} else if (impact) {
		strbuf_addf(&sb, "; it %s ", impact);
		size_t named = 0;
		for (size_t i = 0; i < st->n_locks; i++) {
			if (st->locks[i].new_relation || st->locks[i].mode != top)
				continue;
			if (named)
				strbuf_adds(&sb, named == 1 ? " and " : ", ");
			if (named < 3)
				strbuf_adds(&sb, st->locks[i].relation);
			named++;
		}
		bool during = false;
		if (top == RISK_LOCK_SHARE_UPDATE_EXCLUSIVE) {
			strbuf_adds(&sb, " (only other schema changes and VACUUM wait)");
		} else if (st->effects & RISK_FX_REWRITE) {
			strbuf_adds(&sb, " while the data is rewritten");
			during = true;
		} else if (st->effects & RISK_FX_SCAN) {
			strbuf_adds(&sb, " while it reads every row");
			during = true;
		}
		if (st->in_transaction)
			strbuf_adds(&sb, during ? " and until the transaction ends"
			                        : " until the transaction ends");
		else if (!during)
			strbuf_adds(&sb, " while it runs");
	}
	strbuf_addc(&sb, '.');
	sb.buf[0] = (char)toupper((unsigned char)sb.buf[0]);
	return strbuf_detach(&sb);
}
