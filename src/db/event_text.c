/* event_text: events in words (the detail's JSON read back, times in local
 * time). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pgstep/event_text.h"
#include "pgstep/json.h"
#include "pgstep/state.h"
#include "pgstep/strbuf.h"
#include "pgstep/text.h"

void event_text_when(char *out, size_t n, const char *at)
{
	struct tm tm = {0};
	if (!at || sscanf(at, "%d-%d-%d%*c%d:%d:%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
	                  &tm.tm_hour, &tm.tm_min, &tm.tm_sec) != 6) {
		snprintf(out, n, "%s", at ? at : "?");
		return;
	}
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	/* Stored as UTC (state_now); a "+hh" offset means the server's text. */
	const char *tz = strpbrk(at + 19, "Z+-");
	time_t t = timegm(&tm);
	if (tz && (*tz == '+' || *tz == '-')) {
		int h = 0, m = 0;
		sscanf(tz + 1, "%2d:%2d", &h, &m);
		t -= (*tz == '+' ? 1 : -1) * (h * 3600 + m * 60);
	}
	struct tm lt, now_tm;
	time_t now = time(NULL);
	localtime_r(&t, &lt);
	localtime_r(&now, &now_tm);
	/* This year's events need no year: a column of 14, not 19. */
	strftime(out, n, lt.tm_year == now_tm.tm_year ? "%m-%d %H:%M:%S" : "%Y-%m-%d %H:%M", &lt);
}

void event_text_happened(char *out, size_t n, const struct event_row *e)
{
	char *when = json_get(e->detail, "when");
	event_text_when(out, n, when ? when : e->at);
	free(when);
}

static void sep(struct strbuf *out, const char *s)
{
	if (out->len)
		strbuf_adds(out, s);
}

void event_text_summary(struct strbuf *out, const struct event_row *e)
{
	static const char *const keys[] = {
	    "direction",   "name",     "statements_done", "statements_total", "statement",
	    "duration_ms", "sqlstate", "error",           "reason",           "from",
	    "to",          "decision", "evidence",
	};
	enum {
		DIR,
		NAME,
		DONE,
		TOTAL,
		STMT,
		MS,
		SQLSTATE,
		ERROR,
		REASON,
		FROM,
		TO,
		DECISION,
		EVIDENCE,
		N_KEYS
	};
	char *v[N_KEYS];
	for (size_t i = 0; i < N_KEYS; i++)
		v[i] = json_get(e->detail, keys[i]);
	struct strbuf sb;
	strbuf_init(&sb);
	if (v[DIR] && strcmp(v[DIR], "up") != 0)
		strbuf_adds(&sb, v[DIR]);
	if (v[NAME]) {
		sep(&sb, " ");
		text_escape_controls(&sb, v[NAME]);
	}
	if (v[DONE] && v[TOTAL]) {
		sep(&sb, ": ");
		strbuf_addf(&sb, "%s/%s statements", v[DONE], v[TOTAL]);
	} else if (v[STMT]) {
		sep(&sb, ": ");
		strbuf_addf(&sb, "statement %s%s%s", v[STMT], v[TOTAL] ? " of " : "",
		            v[TOTAL] ? v[TOTAL] : "");
	}
	if (v[MS]) {
		sep(&sb, ", ");
		strbuf_addf(&sb, "%s ms", v[MS]);
	}
	if (v[FROM] && v[TO]) {
		sep(&sb, ": ");
		strbuf_addf(&sb, "marked %s (was %s)", v[TO], v[FROM]);
	}
	if (v[ERROR]) {
		sep(&sb, ": ");
		if (v[SQLSTATE])
			strbuf_addf(&sb, "%s ", v[SQLSTATE]);
		text_escape_controls(&sb, v[ERROR]);
	}
	if (v[DECISION]) {
		sep(&sb, ": ");
		text_escape_controls(&sb, v[DECISION]);
		if (v[EVIDENCE]) {
			strbuf_adds(&sb, " (");
			text_escape_controls(&sb, v[EVIDENCE]);
			strbuf_addc(&sb, ')');
		}
	}
	if (v[REASON]) {
		sep(&sb, "; ");
		strbuf_adds(&sb, "reason: ");
		text_escape_controls(&sb, v[REASON]);
	}
	strbuf_add(out, sb.buf ? sb.buf : "", sb.len);
	strbuf_release(&sb);
	for (size_t i = 0; i < N_KEYS; i++)
		free(v[i]);
}
