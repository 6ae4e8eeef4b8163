/* event_text: an event of the log in words, for people. The command line's
 * `history` and the interface's History tab both show events this way, so
 * they read the same. */
#ifndef PGSTEP_EVENT_TEXT_H
#define PGSTEP_EVENT_TEXT_H

#include <stddef.h>

struct event_row;
struct strbuf;

/* "12-07 05:08:35": the event's time (stored in UTC) in local time, to the
 * second; "2025-12-07 05:08" for another year (both 14 columns or fewer
 * than 17). at as stored when it does not parse. */
void event_text_when(char *out, size_t n, const char *at);
/* event_text_when of when e happened: an event of an open transaction is
 * written at its end, and keeps the time it happened in its detail
 * ("when"). */
struct event_row;
void event_text_happened(char *out, size_t n, const struct event_row *e);
/* The detail in words, no JSON: "up tenancy: 10 of 10 statements, 6 ms",
 * "statement 2 of 3 failed: 42P07 relation ... exists", "reason: ...".
 * Fields pgstep does not know are left out; nothing when there is no
 * detail. */
void event_text_summary(struct strbuf *out, const struct event_row *e);

#endif
