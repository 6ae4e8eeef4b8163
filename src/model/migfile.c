/* migfile: migration file names (see migfile.h). */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "pgstep/migfile.h"
#include "pgstep/section.h"
#include "pgstep/strbuf.h"
#include "pgstep/text.h"
#include "pgstep/xalloc.h"

/* "<version><sep><name>": the version is digits (with '.' between parts)
 * or diesel's dashed timestamp; sep is '_' or '-'. */
static bool parse_stem(const char *stem, struct version *v, char **name)
{
	size_t i = 0;
	bool ok = false;
	if (strlen(stem) >= 17 && (stem[17] == '\0' || stem[17] == '_' || stem[17] == '-')) {
		char *stamp = xstrndup(stem, 17);
		ok = version_parse(stamp, v);
		free(stamp);
		i = 17;
	}
	if (!ok) {
		i = 0;
		while (isdigit((unsigned char)stem[i]) ||
		       (i > 0 && stem[i] == '.' && isdigit((unsigned char)stem[i + 1])))
			i++;
		if (i == 0 || (stem[i] && stem[i] != '_' && stem[i] != '-'))
			return false;
		char *vt = xstrndup(stem, i);
		ok = version_parse(vt, v);
		free(vt);
		if (!ok)
			return false;
	}
	*name = xstrdup(stem[i] ? stem + i + 1 : "");
	return true;
}

/* Flyway: "V1_10__desc" (prefix already checked); '_' or '.' between
 * version parts, "__" before the description. */
static bool parse_flyway(const char *stem, struct version *v, char **name)
{
	const char *sep = strstr(stem + 1, "__");
	if (!sep)
		return false;
	char *vt = xstrndup(stem + 1, (size_t)(sep - stem - 1));
	bool ok = version_parse(vt, v);
	free(vt);
	if (ok)
		*name = xstrdup(sep + 2);
	return ok;
}

enum migfile_status migfile_parse(const char *fname, struct migfile_name *out)
{
	memset(out, 0, sizeof *out);
	size_t flen = strlen(fname);
	char *stem;
	bool ok;
	if (text_starts_with(fname, "R__"))
		return MIGFILE_REPEATABLE;
	size_t ext = text_ends_with(fname, ".sql") ? 4 : 0;
	if ((fname[0] == 'V' || fname[0] == 'U') && isdigit((unsigned char)fname[1])) {
		stem = xstrndup(fname, flen - ext);
		out->role = fname[0] == 'V' ? MIGFILE_UP : MIGFILE_DOWN;
		out->format = FORMAT_FLYWAY;
		ok = parse_flyway(stem, &out->version, &out->name);
	} else {
		if (text_ends_with(fname, ".up.sql")) {
			stem = xstrndup(fname, flen - 7);
			out->format = FORMAT_PAIR;
		} else if (text_ends_with(fname, ".down.sql")) {
			stem = xstrndup(fname, flen - 9);
			out->format = FORMAT_PAIR;
			out->role = MIGFILE_DOWN;
		} else {
			stem = xstrndup(fname, flen - ext);
			out->format = FORMAT_PLAIN; /* or dbmate or goose, once markers are seen */
		}
		ok = parse_stem(stem, &out->version, &out->name);
	}
	free(stem);
	return ok ? MIGFILE_OK : MIGFILE_NO_VERSION;
}

enum migfile_status migfile_parse_diesel(const char *dname, struct migfile_name *out)
{
	memset(out, 0, sizeof *out);
	out->format = FORMAT_DIESEL;
	return parse_stem(dname, &out->version, &out->name) ? MIGFILE_OK : MIGFILE_NO_VERSION;
}

enum migfile_status migfile_parse_path(const char *path, struct migfile_name *out)
{
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	bool prisma = strcmp(base, "migration.sql") == 0;
	bool up = prisma || strcmp(base, "up.sql") == 0;
	if (!up && strcmp(base, "down.sql") != 0)
		return migfile_parse(base, out);
	/* the directory's own name */
	const char *end = base > path ? base - 1 : path;
	while (end > path && end[-1] == '/')
		end--;
	const char *start = end;
	while (start > path && start[-1] != '/')
		start--;
	char *dname = xstrndup(start, (size_t)(end - start));
	enum migfile_status st = migfile_parse_diesel(dname, out);
	free(dname);
	out->role = up ? MIGFILE_UP : MIGFILE_DOWN;
	if (prisma)
		out->format = FORMAT_PRISMA;
	return st;
}

/* The lines of a small text file (diesel's metadata.toml, sqitch.plan),
 * trimmed, with blank lines and those starting with a character of skip
 * left out, each handed to fn with its number; false when it cannot be
 * read (an error in diags when given). */
static bool each_line(const char *path, const char *skip, struct diag_list *diags,
                      void (*fn)(char *l, int line, void *arg), void *arg)
{
	struct strbuf sb;
	strbuf_init(&sb);
	int e = strbuf_read_file(&sb, path);
	if (e) {
		if (diags)
			diag_add(diags, DIAG_ERROR, path, 0, "cannot read: %s", strerror(e));
		strbuf_release(&sb);
		return false;
	}
	int line = 0;
	for (char *l = sb.buf, *next; l; l = next) {
		next = strchr(l, '\n');
		if (next)
			*next++ = '\0';
		line++;
		l = text_trim(l);
		if (*l && !strchr(skip, *l))
			fn(l, line, arg);
	}
	strbuf_release(&sb);
	return true;
}

struct diesel_read {
	const char *path;
	struct diag_list *diags;
	bool no_txn;
};

static void diesel_line(char *l, int line, void *arg)
{
	struct diesel_read *r = arg;
	char *eq = strchr(l, '=');
	if (eq) {
		*eq = '\0';
		char *key = text_trim(l), *val = text_trim(eq + 1);
		if (strcmp(key, "run_in_transaction") == 0 && strcmp(val, "false") == 0) {
			r->no_txn = true;
			return;
		}
		if (strcmp(key, "run_in_transaction") == 0 && strcmp(val, "true") == 0)
			return;
	}
	if (r->diags)
		diag_add(r->diags, DIAG_WARNING, r->path, line, "ignored: unknown diesel setting");
}

bool migfile_diesel_metadata(const char *path, struct diag_list *diags)
{
	struct diesel_read r = {path, diags, false};
	return each_line(path, "#", diags, diesel_line, &r) && r.no_txn;
}

static ssize_t sqitch_find(const struct sqitch_plan *p, const char *name)
{
	for (size_t i = 0; i < p->n; i++)
		if (strcmp(p->items[i].name, name) == 0)
			return (ssize_t)i;
	return -1;
}

/* One change line: "[+]name [dep ...] timestamp planner <email> # note". */
static void sqitch_change_line(char *l, int line, const char *path, struct sqitch_plan *out,
                               struct diag_list *diags)
{
	if (*l == '-') {
		diag_add(diags, DIAG_ERROR, path, line,
		         "a revert line in the plan is not supported: remove the change instead");
		return;
	}
	if (*l == '+')
		l++;
	size_t len = strcspn(l, " \t[");
	char *name = xstrndup(l, len);
	if (!*name) {
		diag_add(diags, DIAG_ERROR, path, line, "no change name");
		free(name);
		return;
	}
	if (sqitch_find(out, name) >= 0) {
		diag_add(diags, DIAG_ERROR, path, line,
		         "change %s is reworked (planned twice): not supported", name);
		free(name);
		return;
	}
	struct sqitch_change c = {.name = name, .line = line};
	strvec_init(&c.requires);
	char *rest = l + len;
	while (*rest == ' ' || *rest == '\t')
		rest++;
	if (*rest == '[') {
		char *end = strchr(rest, ']');
		if (!end) {
			diag_add(diags, DIAG_ERROR, path, line, "change %s: '[' without ']'", name);
			end = rest + strlen(rest);
		}
		char *deps = xstrndup(rest + 1, (size_t)(end - rest - 1));
		for (char *save = NULL, *d = strtok_r(deps, " \t", &save); d;
		     d = strtok_r(NULL, " \t", &save)) {
			if (*d == '!')
				continue; /* a conflict: nothing to order by */
			if (strchr(d, ':'))
				diag_add(diags, DIAG_ERROR, path, line,
				         "change %s requires %s of another project: not supported",
				         name, d);
			else if (sqitch_find(out, d) < 0)
				diag_add(diags, DIAG_ERROR, path, line,
				         "change %s requires %s, which is not planned before it",
				         name, d);
			else
				strvec_push(&c.requires, d);
		}
		free(deps);
	}
	XGROW(out->items, out->cap, out->n + 1);
	out->items[out->n++] = c;
}

struct sqitch_read {
	const char *path;
	struct sqitch_plan *out;
	struct diag_list *diags;
};

static void sqitch_line(char *l, int line, void *arg)
{
	struct sqitch_read *r = arg;
	sqitch_change_line(l, line, r->path, r->out, r->diags);
}

bool migfile_sqitch_plan(const char *path, struct sqitch_plan *out, struct diag_list *diags)
{
	memset(out, 0, sizeof *out);
	struct sqitch_read r = {path, out, diags};
	/* comments, pragmas (%project=...) and tags (@v1.0 ...) */
	return each_line(path, "#%@", diags, sqitch_line, &r);
}

void migfile_sqitch_plan_clear(struct sqitch_plan *p)
{
	for (size_t i = 0; i < p->n; i++) {
		free(p->items[i].name);
		strvec_clear(&p->items[i].requires);
	}
	free(p->items);
	memset(p, 0, sizeof *p);
}

void migfile_name_release(struct migfile_name *n)
{
	version_release(&n->version);
	free(n->name);
	n->name = NULL;
}

unsigned migfile_sect_flags(const struct migfile_name *n)
{
	return n->format == FORMAT_PLAIN ? SECT_MARKERS : 0;
}

const char *migfile_status_message(enum migfile_status s)
{
	switch (s) {
	case MIGFILE_OK: return "";
	case MIGFILE_NO_VERSION:
		return "no version in file name (expected NNN_name.sql, NNN_name.up.sql, "
		       "NNN_name.down.sql or V<version>__name.sql)";
	case MIGFILE_REPEATABLE: return "Flyway repeatable migrations (R__) are not supported";
	}
	return "";
}
