/* error: error values and diagnostic lists. */
#include "config.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "pgstep/error.h"
#include "pgstep/xalloc.h"

void error_set(struct pgstep_error *e, enum pgstep_exit code, const char *fmt, ...)
{
	if (!e)
		return;
	va_list ap;
	va_start(ap, fmt);
	char *msg = xvasprintf(fmt, ap);
	va_end(ap);
	free(e->msg);
	e->msg = msg;
	e->code = code;
	e->sqlstate[0] = '\0';
	e->position = 0;
}

void error_prefix(struct pgstep_error *e, const char *fmt, ...)
{
	if (!e || !e->msg)
		return;
	va_list ap;
	va_start(ap, fmt);
	char *prefix = xvasprintf(fmt, ap);
	va_end(ap);
	/* Layers that each name the tenant must not make it read twice. */
	size_t n = strlen(prefix);
	if (strncmp(e->msg, prefix, n) == 0 && e->msg[n] == ':' && e->msg[n + 1] == ' ') {
		free(prefix);
		return;
	}
	char *msg = xasprintf("%s: %s", prefix, e->msg);
	free(prefix);
	free(e->msg);
	e->msg = msg;
}

const char *error_unprefixed(const char *msg, const char *prefix)
{
	size_t n = strlen(prefix);
	if (msg && strncmp(msg, prefix, n) == 0 && msg[n] == ':' && msg[n + 1] == ' ')
		return msg + n + 2;
	return msg;
}

void error_clear(struct pgstep_error *e)
{
	if (!e)
		return;
	free(e->msg);
	e->msg = NULL;
	e->code = PGSTEP_EXIT_OK;
	e->sqlstate[0] = '\0';
	e->position = 0;
}

bool error_isset(const struct pgstep_error *e)
{
	return e && e->msg != NULL;
}

void diag_list_init(struct diag_list *d)
{
	d->items = NULL;
	d->n = d->cap = 0;
}

void diag_list_clear(struct diag_list *d)
{
	for (size_t i = 0; i < d->n; i++) {
		free(d->items[i].file);
		free(d->items[i].msg);
		free(d->items[i].kind);
		free(d->items[i].version);
		free(d->items[i].expected);
		free(d->items[i].found);
	}
	free(d->items);
	diag_list_init(d);
}

void diag_add(struct diag_list *d, enum diag_level level, const char *file, int line,
              const char *fmt, ...)
{
	XGROW(d->items, d->cap, d->n + 1);
	struct diag *g = &d->items[d->n++];
	va_list ap;
	va_start(ap, fmt);
	g->msg = xvasprintf(fmt, ap);
	va_end(ap);
	g->level = level;
	g->file = file ? xstrdup(file) : NULL;
	g->line = line;
	g->kind = g->version = g->expected = g->found = NULL;
}

void diag_set_fields(struct diag_list *d, const char *kind, const char *version,
                     const char *expected, const char *found)
{
	if (!d->n)
		return;
	struct diag *g = &d->items[d->n - 1];
	const char *v[] = {kind, version, expected, found};
	char **to[] = {&g->kind, &g->version, &g->expected, &g->found};
	for (size_t i = 0; i < 4; i++)
		if (v[i]) {
			free(*to[i]);
			*to[i] = xstrdup(v[i]);
		}
}

size_t diag_count(const struct diag_list *d, enum diag_level level)
{
	size_t n = 0;
	for (size_t i = 0; i < d->n; i++)
		n += d->items[i].level == level;
	return n;
}

const char *diag_level_name(enum diag_level level)
{
	switch (level) {
	case DIAG_NOTE: return "note";
	case DIAG_WARNING: return "warning";
	case DIAG_ERROR: return "error";
	}
	return "error";
}
