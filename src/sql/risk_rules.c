/* risk_rules: the rule table built from risk_rules.def, lookups over it,
 * lock-mode names and conflicts, and the texts derived from the table
 * (`pgstep lint --explain`, doc/risk-rules.md). */
#include "config.h"

#include <string.h>
#include <strings.h>
#include "risk_int.h"

static const struct risk_rule rules[] = {
#define RULE(e, id, sev, sec, fx, fl, title, lock, explain, alt)                                   \
	{id, sev, sec, fx, fl, title, lock, explain, alt},
#include "risk_rules.def"
#undef RULE
};

_Static_assert(sizeof rules / sizeof rules[0] == RULE_COUNT, "rule table and enum differ");

size_t risk_rule_count(void)
{
	return RULE_COUNT;
}

const struct risk_rule *risk_rule_at(size_t i)
{
	return i < RULE_COUNT ? &rules[i] : NULL;
}

const struct risk_rule *risk_rule_get(enum rule_id id)
{
	return &rules[id];
}

const struct risk_rule *risk_rule_find(const char *id)
{
	for (size_t i = 0; i < RULE_COUNT; i++)
		if (strcmp(rules[i].id, id) == 0)
			return &rules[i];
	return NULL;
}

static const char *const severity_names[] = {"info", "warn", "error"};

const char *risk_severity_name(enum risk_severity s)
{
	return (unsigned)s < 3 ? severity_names[s] : "?";
}

bool risk_severity_parse(const char *s, enum risk_severity *out)
{
	for (int i = 0; i < 3; i++) {
		if (strcasecmp(s, severity_names[i]) == 0) {
			*out = (enum risk_severity)i;
			return true;
		}
	}
	if (strcasecmp(s, "warning") == 0) {
		*out = RISK_WARN;
		return true;
	}
	return false;
}

static const char *const section_titles[RISK_SEC_COUNT] = {
    [RISK_SEC_INDEXES] = "Indexes",
    [RISK_SEC_COLUMNS] = "Columns",
    [RISK_SEC_CONSTRAINTS] = "Constraints",
    [RISK_SEC_DESTRUCTIVE] = "Destructive statements and data",
    [RISK_SEC_TRANSACTIONS] = "Transactions, timeouts, lock holding",
    [RISK_SEC_MAINTENANCE] = "Partitions, maintenance, storage",
    [RISK_SEC_DBA] = "Maintenance-window rules",
};

static const struct {
	const char *pg;  /* pg_locks.mode */
	const char *sql; /* LOCK TABLE ... IN <sql> MODE */
} lock_names[] = {
    [RISK_LOCK_NONE] = {"", ""},
    [RISK_LOCK_ACCESS_SHARE] = {"AccessShareLock", "ACCESS SHARE"},
    [RISK_LOCK_ROW_SHARE] = {"RowShareLock", "ROW SHARE"},
    [RISK_LOCK_ROW_EXCLUSIVE] = {"RowExclusiveLock", "ROW EXCLUSIVE"},
    [RISK_LOCK_SHARE_UPDATE_EXCLUSIVE] = {"ShareUpdateExclusiveLock", "SHARE UPDATE EXCLUSIVE"},
    [RISK_LOCK_SHARE] = {"ShareLock", "SHARE"},
    [RISK_LOCK_SHARE_ROW_EXCLUSIVE] = {"ShareRowExclusiveLock", "SHARE ROW EXCLUSIVE"},
    [RISK_LOCK_EXCLUSIVE] = {"ExclusiveLock", "EXCLUSIVE"},
    [RISK_LOCK_ACCESS_EXCLUSIVE] = {"AccessExclusiveLock", "ACCESS EXCLUSIVE"},
};

const char *risk_lock_name(enum risk_lock m)
{
	return (unsigned)m <= RISK_LOCK_ACCESS_EXCLUSIVE ? lock_names[m].pg : "";
}

const char *risk_lock_sql_name(enum risk_lock m)
{
	return (unsigned)m <= RISK_LOCK_ACCESS_EXCLUSIVE ? lock_names[m].sql : "";
}

bool risk_lock_parse(const char *s, enum risk_lock *out)
{
	for (int m = RISK_LOCK_ACCESS_SHARE; m <= RISK_LOCK_ACCESS_EXCLUSIVE; m++) {
		if (strcasecmp(s, lock_names[m].pg) == 0 || strcasecmp(s, lock_names[m].sql) == 0) {
			*out = (enum risk_lock)m;
			return true;
		}
	}
	return false;
}

/* PostgreSQL's conflict table (section 4 of the catalogue, measured on 15):
 * bit b of conflicts[a] is set when mode a conflicts with mode b. */
#define B(m) (1u << (m))
static const unsigned conflicts[] = {
    [RISK_LOCK_NONE] = 0,
    [RISK_LOCK_ACCESS_SHARE] = B(RISK_LOCK_ACCESS_EXCLUSIVE),
    [RISK_LOCK_ROW_SHARE] = B(RISK_LOCK_EXCLUSIVE) | B(RISK_LOCK_ACCESS_EXCLUSIVE),
    [RISK_LOCK_ROW_EXCLUSIVE] = B(RISK_LOCK_SHARE) | B(RISK_LOCK_SHARE_ROW_EXCLUSIVE) |
                                B(RISK_LOCK_EXCLUSIVE) | B(RISK_LOCK_ACCESS_EXCLUSIVE),
    [RISK_LOCK_SHARE_UPDATE_EXCLUSIVE] = B(RISK_LOCK_SHARE_UPDATE_EXCLUSIVE) | B(RISK_LOCK_SHARE) |
                                         B(RISK_LOCK_SHARE_ROW_EXCLUSIVE) | B(RISK_LOCK_EXCLUSIVE) |
                                         B(RISK_LOCK_ACCESS_EXCLUSIVE),
    [RISK_LOCK_SHARE] = B(RISK_LOCK_ROW_EXCLUSIVE) | B(RISK_LOCK_SHARE_UPDATE_EXCLUSIVE) |
                        B(RISK_LOCK_SHARE_ROW_EXCLUSIVE) | B(RISK_LOCK_EXCLUSIVE) |
                        B(RISK_LOCK_ACCESS_EXCLUSIVE),
    [RISK_LOCK_SHARE_ROW_EXCLUSIVE] =
        B(RISK_LOCK_ROW_EXCLUSIVE) | B(RISK_LOCK_SHARE_UPDATE_EXCLUSIVE) | B(RISK_LOCK_SHARE) |
        B(RISK_LOCK_SHARE_ROW_EXCLUSIVE) | B(RISK_LOCK_EXCLUSIVE) | B(RISK_LOCK_ACCESS_EXCLUSIVE),
    [RISK_LOCK_EXCLUSIVE] = B(RISK_LOCK_ROW_SHARE) | B(RISK_LOCK_ROW_EXCLUSIVE) |
                            B(RISK_LOCK_SHARE_UPDATE_EXCLUSIVE) | B(RISK_LOCK_SHARE) |
                            B(RISK_LOCK_SHARE_ROW_EXCLUSIVE) | B(RISK_LOCK_EXCLUSIVE) |
                            B(RISK_LOCK_ACCESS_EXCLUSIVE),
    [RISK_LOCK_ACCESS_EXCLUSIVE] = 0x1feu,
};
#undef B

bool risk_lock_conflicts(enum risk_lock a, enum risk_lock b)
{
	if ((unsigned)a > RISK_LOCK_ACCESS_EXCLUSIVE || (unsigned)b > RISK_LOCK_ACCESS_EXCLUSIVE)
		return false;
	return (conflicts[a] >> b) & 1u;
}

static const struct {
	unsigned bit;
	const char *name;
} effect_names[] = {
    {RISK_FX_REWRITE, "rewrites the table"},
    {RISK_FX_SCAN, "scans the table"},
    {RISK_FX_DATA_LOSS, "can lose data"},
    {RISK_FX_BREAKS_CODE, "breaks running code"},
    {RISK_FX_CAN_FAIL, "can fail on existing data"},
    {RISK_FX_NO_TXN, "cannot run in a transaction"},
};

void risk_effects_describe(unsigned effects, struct strbuf *out)
{
	bool first = true;
	for (size_t i = 0; i < sizeof effect_names / sizeof effect_names[0]; i++) {
		if (!(effects & effect_names[i].bit))
			continue;
		if (!first)
			strbuf_adds(out, ", ");
		strbuf_adds(out, effect_names[i].name);
		first = false;
	}
}

static void describe_flags(unsigned flags, struct strbuf *out)
{
	if (flags & RISK_RULE_CONFIRM)
		strbuf_adds(out, " (typed confirmation)");
	if (flags & RISK_RULE_CONNECTED)
		strbuf_adds(out, " (complete in connected mode)");
	if (flags & RISK_RULE_POLICY)
		strbuf_adds(out, " (policy)");
}

void risk_rule_describe(const struct risk_rule *r, struct strbuf *out)
{
	strbuf_addf(out, "%s (%s", r->id, risk_severity_name(r->severity));
	describe_flags(r->flags, out);
	strbuf_addf(out, "): %s\n\n%s\n\n", r->title, r->explain);
	strbuf_addf(out, "Lock: %s.\n", r->lock);
	if (r->effects) {
		strbuf_adds(out, "Effects: ");
		risk_effects_describe(r->effects, out);
		strbuf_adds(out, ".\n");
	}
	strbuf_addf(out, "Safer: %s\n", r->alternative);
}

/* Escape the few characters that would break a Markdown table cell. */
static void md_cell(struct strbuf *out, const char *s)
{
	for (; *s; s++) {
		if (*s == '|')
			strbuf_adds(out, "\\|");
		else if (*s == '\n')
			strbuf_addc(out, ' ');
		else
			strbuf_addc(out, *s);
	}
}

void risk_rules_markdown(struct strbuf *out)
{
	strbuf_adds(
	    out,
	    "# pgstep risk rules\n\n"
	    "<!-- Generated from src/sql/risk_rules.def by gen_rules_doc; do not edit by hand.\n"
	    "     Regenerate with `make rules-doc`. -->\n\n"
	    "Every statement of a migration is classified by `pgstep lint`, `pgstep plan` and the\n"
	    "interface's risk notes. Each finding names one of the rules below. Severities:\n"
	    "**error**: the statement fails, or data loss is certain; **warn**: it blocks traffic\n"
	    "for a time that grows with the table, rewrites it, or breaks running code; **info**: "
	    "a\n"
	    "fact for the risk note. Lock modes are named as `pg_locks.mode` names them and were\n"
	    "measured on PostgreSQL 15.\n\n"
	    "Silence a rule for one statement with a comment right before it, or for the whole\n"
	    "file in its leading comment block:\n\n"
	    "```sql\n"
	    "-- pgstep:allow drop-column reason: column unused since release 42\n"
	    "ALTER TABLE users DROP COLUMN legacy_flag;\n"
	    "```\n\n"
	    "An unknown rule id or a missing reason is an error. `pgstep lint --explain RULE` "
	    "prints\n"
	    "one rule.\n\n");
	strbuf_addf(out, "%zu rules.\n\n", (size_t)RULE_COUNT);
	for (int sec = 0; sec < RISK_SEC_COUNT; sec++) {
		strbuf_addf(out, "## %s\n\n", section_titles[sec]);
		strbuf_adds(out, "| rule | severity | effects | lock |\n|---|---|---|---|\n");
		for (size_t i = 0; i < RULE_COUNT; i++) {
			const struct risk_rule *r = &rules[i];
			if ((int)r->section != sec)
				continue;
			strbuf_addf(out, "| [`%s`](#%s) | %s", r->id, r->id,
			            risk_severity_name(r->severity));
			describe_flags(r->flags, out);
			strbuf_adds(out, " | ");
			if (r->effects)
				risk_effects_describe(r->effects, out);
			else
				strbuf_adds(out, "-");
			strbuf_adds(out, " | ");
			md_cell(out, r->lock);
			strbuf_adds(out, " |\n");
		}
		strbuf_adds(out, "\n");
		for (size_t i = 0; i < RULE_COUNT; i++) {
			const struct risk_rule *r = &rules[i];
			if ((int)r->section != sec)
				continue;
			strbuf_addf(out, "### %s\n\n", r->id);
			strbuf_addf(out, "**%s** (%s", r->title, risk_severity_name(r->severity));
			describe_flags(r->flags, out);
			strbuf_addf(out, ")\n\n%s\n\n", r->explain);
			strbuf_addf(out, "- Lock: %s.\n", r->lock);
			if (r->effects) {
				strbuf_adds(out, "- Effects: ");
				risk_effects_describe(r->effects, out);
				strbuf_adds(out, ".\n");
			}
			strbuf_addf(out, "- Safer: %s\n\n", r->alternative);
		}
	}
}
