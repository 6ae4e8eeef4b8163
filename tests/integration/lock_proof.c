/* lock_proof: the proof that the risk engine's lock claims are true.
 *
 * It reads what `pgstep lint --json` claims for every statement of the rule
 * corpus, runs each statement on a real server and compares the claim with
 * what the server did, one TAP line per statement. Driven by
 * tests/integration/lock_proof.sh, which starts the server.
 *
 * How a statement is observed. Every corpus file gets its own copy of a
 * fixture database (tests/risk/proof-setup.sql: every object the corpus
 * names, with rows). The file's statements run in order, each in its own
 * transaction:
 *
 *   BEGIN; <snapshot of pg_class>; <statement>; <pg_locks of this backend,
 *   pg_class again>; COMMIT
 *
 * so later statements see what earlier ones created, and every lock the
 * statement takes is visible: in one transaction a mode already held from an
 * earlier statement would not show up again in pg_locks. The copy is dropped
 * afterwards, so nothing survives a file. A file with a single statement
 * (besides transaction control) and no @before needs no copy: it runs on a
 * copy shared by the files of one statement, and its transaction is rolled
 * back instead of committed. Files run on four sessions in parallel
 * (LOCK_PROOF_JOBS), each file's TAP lines printed in corpus order.
 *
 * What is compared, per statement: the relation locks the backend holds
 * after it (locktype 'relation', granted), strongest mode per relation, on
 * relations that existed before the statement. System catalogs (oid below
 * FirstNormalObjectId) only where lint claims them, marked "catalog": the
 * server takes catalog locks of its own for nearly every statement, and the
 * snapshot before the statement already holds ACCESS SHARE on pg_class and
 * pg_namespace, so a claim of that mode on those two proves nothing. Left
 * out: TOAST tables; relations the statement
 * created itself; indexes the statement does not name (PostgreSQL locks
 * every index of a table it plans, writes or rebuilds, at the table's level
 * or weaker: the table's lock is the claim that matters). An index the
 * statement names (DROP INDEX, ALTER INDEX, CLUSTER ... USING, ... USING
 * INDEX) or the analyzer claims is compared like a table. A claimed relation
 * that does not exist before the statement is excluded only when the
 * statement created it; otherwise the claim names something the server never
 * locked, and that is a contradiction. Names are schema.name, temporary
 * schemas as pg_temp. The rewrite flag is true when a compared relation
 * (with storage) has another relfilenode after the statement.
 *
 * Statements that are not compared get a "# SKIP" line with the reason:
 * transaction control (each statement already runs in its own transaction),
 * statements the server refuses inside a transaction block (SQLSTATE 25001;
 * they run outside one for their effect, unless they act on the whole
 * cluster or nothing follows them in their file), and statements the fixture
 * file declares to fail (an
 * "@fails" line with the SQLSTATE they must fail with).
 *
 * One server behaviour depends on the transaction: TRUNCATE of a table that
 * got its file in the same transaction empties it in place (no new
 * relfilenode), and the analyzer claims what pgstep's run does. The fixture
 * file names such statements with "@together FILE:FIRST-LAST": those lines
 * run in one transaction, as pgstep runs them, and each is observed with the
 * locks the transaction holds at that point.
 *
 * A lock the server takes on a relation the SQL text cannot name (the table
 * of an index named alone, the tables behind a view or a dropped type) is
 * out of reach of the offline analysis. Each such case is declared in the
 * fixture file with an "@offline" line; the statement then reports
 * "not ok ... # TODO" when that is its only difference, and fails when
 * anything else differs. When the analyzer learns to claim it, the TODO line
 * passes, which the TAP driver reports as an unexpected pass: the
 * declaration has to go. A directive that matches no statement also fails.
 *
 * usage: lock_proof SETUP_FILE LINT_JSON
 * The server comes from libpq's environment (PGHOST, PGPORT, PGUSER). */
#include "config.h"

#include <ctype.h>
#include <libpq-fe.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pgstep/risk.h"
#include "pgstep/strbuf.h"
#include "pgstep/xalloc.h"

#define FIRST_NORMAL_OID 16384
#define TEMPLATE_DB      "lock_proof_fixture"
#define SHARED_DB        "lock_proof_shared"
/* Nothing else runs on the server: a wait would be a bug of the test. */
#define SESSION_SETTINGS "SET lock_timeout = '10s'; SET statement_timeout = '60s'"

/* ---- a small JSON reader (lint's output) ------------------------------------ */

enum jtype { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ };

struct jv {
	enum jtype type;
	bool b;
	double num;
	char *str;
	struct jv *items; /* array elements or object values */
	char **keys;      /* object keys */
	size_t n, cap;
};

struct jparser {
	const char *p;
	const char *err;
};

static void jv_free(struct jv *v)
{
	for (size_t i = 0; i < v->n; i++) {
		jv_free(&v->items[i]);
		if (v->keys)
			free(v->keys[i]);
	}
	free(v->items);
	free(v->keys);
	free(v->str);
}

static void skip_ws(struct jparser *jp)
{
	while (*jp->p == ' ' || *jp->p == '\n' || *jp->p == '\r' || *jp->p == '\t')
		jp->p++;
}

static void put_utf8(struct strbuf *sb, unsigned cp)
{
	if (cp < 0x80) {
		strbuf_addc(sb, (char)cp);
	} else if (cp < 0x800) {
		strbuf_addc(sb, (char)(0xC0 | (cp >> 6)));
		strbuf_addc(sb, (char)(0x80 | (cp & 0x3F)));
	} else if (cp < 0x10000) {
		strbuf_addc(sb, (char)(0xE0 | (cp >> 12)));
		strbuf_addc(sb, (char)(0x80 | ((cp >> 6) & 0x3F)));
		strbuf_addc(sb, (char)(0x80 | (cp & 0x3F)));
	} else {
		strbuf_addc(sb, (char)(0xF0 | (cp >> 18)));
		strbuf_addc(sb, (char)(0x80 | ((cp >> 12) & 0x3F)));
		strbuf_addc(sb, (char)(0x80 | ((cp >> 6) & 0x3F)));
		strbuf_addc(sb, (char)(0x80 | (cp & 0x3F)));
	}
}

static bool hex4(const char *p, unsigned *out)
{
	unsigned v = 0;
	for (int i = 0; i < 4; i++) {
		char c = p[i];
		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (unsigned)(c - 'A' + 10);
		else
			return false;
	}
	*out = v;
	return true;
}

static char *parse_string(struct jparser *jp)
{
	struct strbuf sb;
	strbuf_init(&sb);
	jp->p++; /* the opening quote */
	while (*jp->p && *jp->p != '"') {
		if (*jp->p != '\\') {
			strbuf_addc(&sb, *jp->p++);
			continue;
		}
		jp->p++;
		char e = *jp->p++;
		unsigned cp;
		switch (e) {
		case '"': strbuf_addc(&sb, '"'); break;
		case '\\': strbuf_addc(&sb, '\\'); break;
		case '/': strbuf_addc(&sb, '/'); break;
		case 'b': strbuf_addc(&sb, '\b'); break;
		case 'f': strbuf_addc(&sb, '\f'); break;
		case 'n': strbuf_addc(&sb, '\n'); break;
		case 'r': strbuf_addc(&sb, '\r'); break;
		case 't': strbuf_addc(&sb, '\t'); break;
		case 'u':
			if (!hex4(jp->p, &cp)) {
				jp->err = "bad \\u escape";
				strbuf_release(&sb);
				return NULL;
			}
			jp->p += 4;
			if (cp >= 0xD800 && cp < 0xDC00 && jp->p[0] == '\\' && jp->p[1] == 'u') {
				unsigned lo;
				if (hex4(jp->p + 2, &lo) && lo >= 0xDC00 && lo < 0xE000) {
					cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
					jp->p += 6;
				}
			}
			put_utf8(&sb, cp);
			break;
		default:
			jp->err = "bad escape";
			strbuf_release(&sb);
			return NULL;
		}
	}
	if (*jp->p != '"') {
		jp->err = "unterminated string";
		strbuf_release(&sb);
		return NULL;
	}
	jp->p++;
	return strbuf_detach(&sb);
}

static bool parse_value(struct jparser *jp, struct jv *v, int depth);

static bool parse_items(struct jparser *jp, struct jv *v, char close, int depth)
{
	jp->p++;
	skip_ws(jp);
	if (*jp->p == close) {
		jp->p++;
		return true;
	}
	for (;;) {
		xgrow((void **)&v->items, &v->cap, v->n + 1, sizeof *v->items);
		if (v->type == J_OBJ) {
			v->keys = xrealloc(v->keys, v->cap * sizeof *v->keys);
			skip_ws(jp);
			if (*jp->p != '"') {
				jp->err = "expected a key";
				return false;
			}
			char *key = parse_string(jp);
			if (!key)
				return false;
			v->keys[v->n] = key;
			skip_ws(jp);
			if (*jp->p++ != ':') {
				v->items[v->n++] = (struct jv){0};
				jp->err = "expected ':'";
				return false;
			}
		}
		struct jv *item = &v->items[v->n++];
		*item = (struct jv){0};
		if (!parse_value(jp, item, depth + 1))
			return false;
		skip_ws(jp);
		if (*jp->p == ',') {
			jp->p++;
			continue;
		}
		if (*jp->p == close) {
			jp->p++;
			return true;
		}
		jp->err = "expected ',' or a closing bracket";
		return false;
	}
}

static bool parse_value(struct jparser *jp, struct jv *v, int depth)
{
	if (depth > 64) {
		jp->err = "too deep";
		return false;
	}
	skip_ws(jp);
	char c = *jp->p;
	if (c == '{' || c == '[') {
		v->type = c == '{' ? J_OBJ : J_ARR;
		return parse_items(jp, v, c == '{' ? '}' : ']', depth);
	}
	if (c == '"') {
		v->type = J_STR;
		v->str = parse_string(jp);
		return v->str != NULL;
	}
	if (strncmp(jp->p, "true", 4) == 0 || strncmp(jp->p, "false", 5) == 0) {
		v->type = J_BOOL;
		v->b = c == 't';
		jp->p += v->b ? 4 : 5;
		return true;
	}
	if (strncmp(jp->p, "null", 4) == 0) {
		v->type = J_NULL;
		jp->p += 4;
		return true;
	}
	char *end;
	v->type = J_NUM;
	v->num = strtod(jp->p, &end);
	if (end == jp->p) {
		jp->err = "unexpected character";
		return false;
	}
	jp->p = end;
	return true;
}

static const struct jv *jget(const struct jv *obj, const char *key)
{
	if (!obj || obj->type != J_OBJ)
		return NULL;
	for (size_t i = 0; i < obj->n; i++)
		if (strcmp(obj->keys[i], key) == 0)
			return &obj->items[i];
	return NULL;
}

static const char *jstr(const struct jv *obj, const char *key)
{
	const struct jv *v = jget(obj, key);
	return v && v->type == J_STR ? v->str : "";
}

/* ---- the fixture file ----------------------------------------------------------
 *
 * Everything before the first "-- @" line builds the fixture database. Then:
 *   -- @before FILE          SQL lines up to the next "-- @": run (committed)
 *                            in FILE's copy before its statements
 *   -- @fails FILE:LINE SQLSTATE reason
 *   -- @offline FILE:LINE RELATION MODE reason
 *   -- @together FILE:FIRST-LAST reason
 */

struct before {
	char *file;
	char *sql;
	bool used;
};

struct fails {
	char *file;
	int line;
	char sqlstate[6];
	char *reason;
	bool used;
};

struct offline {
	char *file;
	int line;
	char *rel;
	enum risk_lock mode;
	char *reason;
	bool used;
};

struct together {
	char *file;
	int first, last;
	bool used;
};

struct fixture {
	char *setup;
	struct together *togethers;
	size_t n_togethers, cap_togethers;
	struct before *befores;
	size_t n_befores, cap_befores;
	struct fails *fails;
	size_t n_fails, cap_fails;
	struct offline *offlines;
	size_t n_offlines, cap_offlines;
};

static char *next_word(char **p)
{
	while (**p == ' ' || **p == '\t')
		(*p)++;
	char *start = *p;
	while (**p && **p != ' ' && **p != '\t')
		(*p)++;
	if (**p)
		*(*p)++ = '\0';
	return start;
}

/* "FILE:LINE" */
static bool split_place(char *w, char **file, int *line)
{
	char *colon = strrchr(w, ':');
	if (!colon)
		return false;
	*colon = '\0';
	*file = w;
	*line = atoi(colon + 1);
	return *line > 0;
}

static bool fixture_load(const char *path, struct fixture *fx)
{
	struct strbuf text;
	strbuf_init(&text);
	if (strbuf_read_file(&text, path) != 0) {
		printf("Bail out! cannot read %s\n", path);
		return false;
	}
	memset(fx, 0, sizeof *fx);
	struct strbuf setup, *into = &setup;
	strbuf_init(&setup);
	struct strbuf cur;
	strbuf_init(&cur);
	bool ok = true;
	for (char *line = text.buf; line && *line;) {
		char *nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		if (strncmp(line, "-- @", 4) == 0) {
			if (into == &cur) {
				fx->befores[fx->n_befores - 1].sql = strbuf_detach(&cur);
				strbuf_init(&cur);
			}
			into = NULL;
			char *p = line + 4;
			char *what = next_word(&p);
			char *place = next_word(&p);
			char *file = NULL;
			int ln = 0;
			if (strcmp(what, "before") == 0) {
				xgrow((void **)&fx->befores, &fx->cap_befores, fx->n_befores + 1,
				      sizeof *fx->befores);
				fx->befores[fx->n_befores++] =
				    (struct before){.file = xstrdup(place), .sql = NULL};
				into = &cur;
			} else if (strcmp(what, "fails") == 0 && split_place(place, &file, &ln)) {
				char *state = next_word(&p);
				xgrow((void **)&fx->fails, &fx->cap_fails, fx->n_fails + 1,
				      sizeof *fx->fails);
				struct fails *f = &fx->fails[fx->n_fails++];
				*f = (struct fails){.file = xstrdup(file), .line = ln};
				snprintf(f->sqlstate, sizeof f->sqlstate, "%s", state);
				f->reason = xstrdup(p);
			} else if (strcmp(what, "together") == 0 && strrchr(place, ':')) {
				char *colon = strrchr(place, ':');
				*colon = '\0';
				const char *dash = strchr(colon + 1, '-');
				xgrow((void **)&fx->togethers, &fx->cap_togethers,
				      fx->n_togethers + 1, sizeof *fx->togethers);
				struct together *t = &fx->togethers[fx->n_togethers++];
				*t = (struct together){.file = xstrdup(place),
				                       .first = atoi(colon + 1)};
				t->last = dash ? atoi(dash + 1) : 0;
				if (t->first <= 0 || t->last < t->first) {
					printf("Bail out! %s: @together needs FILE:FIRST-LAST\n",
					       path);
					ok = false;
				}
			} else if (strcmp(what, "offline") == 0 && split_place(place, &file, &ln)) {
				char *rel = next_word(&p);
				char *mode = next_word(&p);
				xgrow((void **)&fx->offlines, &fx->cap_offlines, fx->n_offlines + 1,
				      sizeof *fx->offlines);
				struct offline *o = &fx->offlines[fx->n_offlines++];
				*o = (struct offline){.file = xstrdup(file), .line = ln};
				o->rel = xstrdup(rel);
				o->reason = xstrdup(p);
				if (!risk_lock_parse(mode, &o->mode)) {
					printf("Bail out! %s: unknown lock mode \"%s\"\n", path,
					       mode);
					ok = false;
				}
			} else {
				printf("Bail out! %s: cannot read directive \"-- @%s\"\n", path,
				       what);
				ok = false;
			}
		} else if (into) {
			strbuf_adds(into, line);
			strbuf_addc(into, '\n');
		}
		line = nl ? nl + 1 : NULL;
	}
	if (into == &cur)
		fx->befores[fx->n_befores - 1].sql = strbuf_detach(&cur);
	strbuf_release(&cur);
	fx->setup = strbuf_detach(&setup);
	strbuf_release(&text);
	return ok;
}

static void fixture_free(struct fixture *fx)
{
	for (size_t i = 0; i < fx->n_befores; i++) {
		free(fx->befores[i].file);
		free(fx->befores[i].sql);
	}
	for (size_t i = 0; i < fx->n_fails; i++) {
		free(fx->fails[i].file);
		free(fx->fails[i].reason);
	}
	for (size_t i = 0; i < fx->n_offlines; i++) {
		free(fx->offlines[i].file);
		free(fx->offlines[i].rel);
		free(fx->offlines[i].reason);
	}
	for (size_t i = 0; i < fx->n_togethers; i++)
		free(fx->togethers[i].file);
	free(fx->togethers);
	free(fx->befores);
	free(fx->fails);
	free(fx->offlines);
	free(fx->setup);
}

/* ---- TAP ------------------------------------------------------------------------
 *
 * Files run in parallel, so each one's TAP lines go to a report of its own;
 * main prints the reports in corpus order and numbers the lines then. */

struct report {
	struct strbuf text; /* "ok - ..." / "not ok - ..." and "#" lines */
	int compared, matched, todo, failed;
	int skip_txn, skip_block, skip_fails, skip_parse;
};

static void tap_line(struct report *out, bool pass, const char *directive, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void tap_line(struct report *out, bool pass, const char *directive, const char *fmt, ...)
{
	va_list ap;
	strbuf_adds(&out->text, pass ? "ok - " : "not ok - ");
	va_start(ap, fmt);
	strbuf_vaddf(&out->text, fmt, ap);
	va_end(ap);
	if (directive)
		strbuf_addf(&out->text, " # %s", directive);
	strbuf_addc(&out->text, '\n');
	if (!pass && !directive)
		out->failed++;
}

static void diag(struct report *out, const char *text)
{
	for (const char *p = text; *p;) {
		const char *nl = strchr(p, '\n');
		int n = nl ? (int)(nl - p) : (int)strlen(p);
		strbuf_addf(&out->text, "#   %.*s\n", n, p);
		p += n + (nl ? 1 : 0);
	}
}

/* Print a report's lines with their numbers; add its counts to sum. */
static void report_print(struct report *r, int *tap_n, struct report *sum)
{
	for (char *line = r->text.buf; line && *line;) {
		char *nl = strchr(line, '\n');
		int len = nl ? (int)(nl - line) : (int)strlen(line);
		if (strncmp(line, "ok - ", 5) == 0)
			printf("ok %d - %.*s\n", ++*tap_n, len - 5, line + 5);
		else if (strncmp(line, "not ok - ", 9) == 0)
			printf("not ok %d - %.*s\n", ++*tap_n, len - 9, line + 9);
		else
			printf("%.*s\n", len, line);
		line = nl ? nl + 1 : NULL;
	}
	sum->compared += r->compared;
	sum->matched += r->matched;
	sum->todo += r->todo;
	sum->failed += r->failed;
	sum->skip_txn += r->skip_txn;
	sum->skip_block += r->skip_block;
	sum->skip_fails += r->skip_fails;
	sum->skip_parse += r->skip_parse;
}

/* ---- the server ------------------------------------------------------------------ */

/* The corpus's NOTICEs (RAISE NOTICE, IF EXISTS skips) are not results. */
static void quiet_notice(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

static PGconn *connect_db(const char *dbname, char **err)
{
	char *ci = xasprintf("dbname=%s application_name=lock_proof", dbname);
	PGconn *c = PQconnectdb(ci);
	free(ci);
	if (PQstatus(c) != CONNECTION_OK) {
		*err = xasprintf("cannot connect to %s: %s", dbname, PQerrorMessage(c));
		PQfinish(c);
		return NULL;
	}
	PQsetNoticeProcessor(c, quiet_notice, NULL);
	return c;
}

/* Run sql; on failure fill *err (message) and state (SQLSTATE). */
static bool run(PGconn *c, const char *sql, char **err, char state[6])
{
	PGresult *r = PQexec(c, sql);
	ExecStatusType st = PQresultStatus(r);
	bool ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK || st == PGRES_EMPTY_QUERY;
	if (!ok) {
		const char *s = PQresultErrorField(r, PG_DIAG_SQLSTATE);
		if (state)
			snprintf(state, 6, "%s", s ? s : "?????");
		if (err) {
			const char *m = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);
			*err = xstrdup(m ? m : PQerrorMessage(c));
		}
	}
	PQclear(r);
	return ok;
}

static PGresult *query(PGconn *c, const char *sql)
{
	PGresult *r = PQexec(c, sql);
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		printf("Bail out! %s: %s", sql, PQerrorMessage(c));
		exit(1);
	}
	return r;
}

/* One relation as the snapshot before the statement saw it. */
struct rel {
	unsigned oid;
	char *name; /* schema.name; temporary schemas as pg_temp */
	char kind;  /* relkind */
	unsigned filenode;
};

struct snapshot {
	struct rel *rels; /* sorted by oid */
	size_t n;
};

static const char *SNAPSHOT_SQL =
    "SELECT c.oid, CASE WHEN n.nspname LIKE 'pg\\_temp\\_%' THEN 'pg_temp' ELSE n.nspname END"
    "       || '.' || c.relname, c.relkind, c.relfilenode"
    "  FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
    " WHERE c.oid >= 16384 AND n.nspname NOT LIKE 'pg\\_toast%'"
    " ORDER BY c.oid";

static void snapshot_take(PGconn *c, struct snapshot *s)
{
	PGresult *r = query(c, SNAPSHOT_SQL);
	s->n = (size_t)PQntuples(r);
	s->rels = xcalloc(s->n ? s->n : 1, sizeof *s->rels);
	for (size_t i = 0; i < s->n; i++) {
		s->rels[i].oid = (unsigned)strtoul(PQgetvalue(r, (int)i, 0), NULL, 10);
		s->rels[i].name = xstrdup(PQgetvalue(r, (int)i, 1));
		s->rels[i].kind = PQgetvalue(r, (int)i, 2)[0];
		s->rels[i].filenode = (unsigned)strtoul(PQgetvalue(r, (int)i, 3), NULL, 10);
	}
	PQclear(r);
}

static void snapshot_free(struct snapshot *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->rels[i].name);
	free(s->rels);
	s->rels = NULL;
	s->n = 0;
}

static const struct rel *snapshot_oid(const struct snapshot *s, unsigned oid)
{
	size_t lo = 0, hi = s->n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (s->rels[mid].oid == oid)
			return &s->rels[mid];
		if (s->rels[mid].oid < oid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static const struct rel *snapshot_name(const struct snapshot *s, const char *name)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->rels[i].name, name) == 0)
			return &s->rels[i];
	return NULL;
}

/* ---- claims and observations ---------------------------------------------------- */

struct lock {
	char *rel;
	enum risk_lock mode;
	bool catalog; /* claimed as a system catalog */
};

struct lockset {
	struct lock *items;
	size_t n, cap;
	bool rewrite;
};

static struct lock *lockset_find(struct lockset *ls, const char *rel)
{
	for (size_t i = 0; i < ls->n; i++)
		if (strcmp(ls->items[i].rel, rel) == 0)
			return &ls->items[i];
	return NULL;
}

/* Keep the strongest mode per relation. */
static void lockset_add(struct lockset *ls, const char *rel, enum risk_lock mode)
{
	struct lock *l = lockset_find(ls, rel);
	if (l) {
		if (mode > l->mode)
			l->mode = mode;
		return;
	}
	xgrow((void **)&ls->items, &ls->cap, ls->n + 1, sizeof *ls->items);
	ls->items[ls->n++] = (struct lock){.rel = xstrdup(rel), .mode = mode};
}

static void lockset_remove(struct lockset *ls, const char *rel)
{
	for (size_t i = 0; i < ls->n; i++) {
		if (strcmp(ls->items[i].rel, rel) == 0) {
			free(ls->items[i].rel);
			ls->items[i] = ls->items[--ls->n];
			return;
		}
	}
}

static void lockset_clear(struct lockset *ls)
{
	for (size_t i = 0; i < ls->n; i++)
		free(ls->items[i].rel);
	free(ls->items);
	memset(ls, 0, sizeof *ls);
}

static int lock_cmp(const void *a, const void *b)
{
	return strcmp(((const struct lock *)a)->rel, ((const struct lock *)b)->rel);
}

static void lockset_describe(struct lockset *ls, struct strbuf *out)
{
	if (ls->n > 1)
		qsort(ls->items, ls->n, sizeof *ls->items, lock_cmp);
	for (size_t i = 0; i < ls->n; i++)
		strbuf_addf(out, "%s%s %s", i ? ", " : "", ls->items[i].rel,
		            risk_lock_name(ls->items[i].mode));
	if (ls->n == 0)
		strbuf_adds(out, "no relation locks");
	if (ls->rewrite)
		strbuf_adds(out, ", rewrite");
}

static bool ident_char(char c)
{
	return isalnum((unsigned char)c) || c == '_' || c == '$' || (c & 0x80);
}

/* Does the SQL text name this relation (its unqualified name, as a word)? */
static bool sql_names(const char *sql, const char *qualified)
{
	const char *dot = strchr(qualified, '.');
	const char *name = dot ? dot + 1 : qualified;
	size_t n = strlen(name);
	for (const char *p = sql; *p; p++) {
		if (strncasecmp(p, name, n) != 0)
			continue;
		bool left = p == sql || !ident_char(p[-1]);
		bool right = !ident_char(p[n]);
		if (left && right)
			return true;
	}
	return false;
}

/* ---- one corpus file ------------------------------------------------------------- */

struct proof {
	struct fixture fx;
	const struct jv *files;
	struct report *reports; /* one per file */
	pthread_mutex_t mu;
	size_t next; /* the next file to run, under mu */
};

/* A worker thread: its own connections. */
struct worker {
	struct proof *pf;
	int id;
	PGconn *admin;
	PGconn *shared; /* a copy for files of one statement, rolled back */
	bool failed;
};

static const char *base_of(const char *path)
{
	const char *s = strrchr(path, '/');
	return s ? s + 1 : path;
}

static bool is_txn_control(const char *kind)
{
	return strcmp(kind, "begin") == 0 || strcmp(kind, "commit") == 0 ||
	       strcmp(kind, "rollback") == 0 || strcmp(kind, "savepoint") == 0;
}

/* Statements whose effect reaches beyond the file's database copy. */
static bool is_cluster_wide(const char *kind)
{
	static const char *const kinds[] = {"create database", "drop database", "alter system",
	                                    "create tablespace", "drop tablespace"};
	for (size_t i = 0; i < sizeof kinds / sizeof *kinds; i++)
		if (strcmp(kind, kinds[i]) == 0)
			return true;
	return false;
}

static struct fails *find_fails(struct fixture *fx, const char *file, int line)
{
	for (size_t i = 0; i < fx->n_fails; i++)
		if (fx->fails[i].line == line && strcmp(fx->fails[i].file, file) == 0)
			return &fx->fails[i];
	return NULL;
}

/* The claim of one statement, from lint's JSON. */
static void claim_read(const struct jv *st, struct lockset *claim)
{
	const struct jv *locks = jget(st, "locks");
	for (size_t i = 0; locks && i < locks->n; i++) {
		enum risk_lock m;
		if (!risk_lock_parse(jstr(&locks->items[i], "mode"), &m))
			m = RISK_LOCK_NONE;
		lockset_add(claim, jstr(&locks->items[i], "relation"), m);
		const struct jv *cat = jget(&locks->items[i], "catalog");
		if (cat && cat->type == J_BOOL && cat->b)
			lockset_find(claim, jstr(&locks->items[i], "relation"))->catalog = true;
	}
	const struct jv *rw = jget(st, "rewrite");
	claim->rewrite = rw && rw->type == J_BOOL && rw->b;
}

/* Does the relation exist now (in this transaction)? */
static bool rel_exists(PGconn *c, const char *name)
{
	const char *dot = strchr(name, '.');
	if (!dot)
		return false;
	char *schema = xstrndup(name, (size_t)(dot - name));
	const char *params[2] = {schema, dot + 1};
	PGresult *r =
	    PQexecParams(c,
	                 "SELECT 1 FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n"
	                 "  ON n.oid = c.relnamespace WHERE c.relname = $2 AND (n.nspname = $1"
	                 "  OR ($1 = 'pg_temp' AND n.oid = pg_catalog.pg_my_temp_schema()))",
	                 2, NULL, params, NULL, NULL, 0);
	bool found = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) > 0;
	PQclear(r);
	free(schema);
	return found;
}

/* After the statement, in its transaction: what the server did. */
static void observe(PGconn *c, const struct snapshot *before, const char *sql,
                    const struct lockset *claim, struct lockset *seen)
{
	PGresult *r = query(c, "SELECT relation, mode FROM pg_catalog.pg_locks"
	                       " WHERE pid = pg_catalog.pg_backend_pid() AND locktype = 'relation'"
	                       "   AND granted");
	struct strbuf catalog_oids;
	strbuf_init(&catalog_oids);
	for (int i = 0; i < PQntuples(r); i++) {
		unsigned oid = (unsigned)strtoul(PQgetvalue(r, i, 0), NULL, 10);
		if (oid < FIRST_NORMAL_OID) {
			strbuf_addf(&catalog_oids, "%s(%u,'%s')", catalog_oids.len ? "," : "", oid,
			            PQgetvalue(r, i, 1));
			continue;
		}
		const struct rel *rel =
		    snapshot_oid(before, (unsigned)strtoul(PQgetvalue(r, i, 0), NULL, 10));
		if (!rel)
			continue; /* created by the statement, or a TOAST table */
		bool index = rel->kind == 'i' || rel->kind == 'I';
		if (index && !sql_names(sql, rel->name) &&
		    !lockset_find((struct lockset *)claim, rel->name))
			continue;
		enum risk_lock m;
		if (risk_lock_parse(PQgetvalue(r, i, 1), &m))
			lockset_add(seen, rel->name, m);
	}
	PQclear(r);

	/* System catalogs: compared where the analyzer claims them (the server
	 * takes many catalog locks of its own). Names are read after pg_locks,
	 * so this query's own locks are not among them. */
	if (catalog_oids.len) {
		char *names = xasprintf(
		    "SELECT n.nspname || '.' || c.relname, l.mode"
		    "  FROM (VALUES %s) l(oid, mode) JOIN pg_catalog.pg_class c ON c.oid = l.oid"
		    "  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace",
		    catalog_oids.buf);
		r = query(c, names);
		for (int i = 0; i < PQntuples(r); i++) {
			struct lock *cl =
			    lockset_find((struct lockset *)claim, PQgetvalue(r, i, 0));
			enum risk_lock m;
			if (cl && cl->catalog && risk_lock_parse(PQgetvalue(r, i, 1), &m))
				lockset_add(seen, PQgetvalue(r, i, 0), m);
		}
		PQclear(r);
		free(names);
	}
	strbuf_release(&catalog_oids);

	/* Rewrites: a compared relation with storage that has a new file. */
	r = query(c, "SELECT oid, relfilenode FROM pg_catalog.pg_class WHERE oid >= 16384");
	for (int i = 0; i < PQntuples(r); i++) {
		const struct rel *rel =
		    snapshot_oid(before, (unsigned)strtoul(PQgetvalue(r, i, 0), NULL, 10));
		unsigned fn = (unsigned)strtoul(PQgetvalue(r, i, 1), NULL, 10);
		if (rel && rel->filenode != 0 && fn != rel->filenode &&
		    lockset_find(seen, rel->name))
			seen->rewrite = true;
	}
	PQclear(r);
}

static struct offline *find_offline(struct fixture *fx, const char *file, int line, const char *rel)
{
	for (size_t i = 0; i < fx->n_offlines; i++) {
		struct offline *o = &fx->offlines[i];
		if (o->line == line && strcmp(o->file, file) == 0 && strcmp(o->rel, rel) == 0)
			return o;
	}
	return NULL;
}

static void compare(struct report *out, struct proof *pf, const char *file, const struct jv *st,
                    struct lockset *claim, struct lockset *seen, const char *sql)
{
	int line = (int)jget(st, "line")->num;
	const char *kind = jstr(st, "kind");
	struct strbuf diff, todo;
	strbuf_init(&diff);
	strbuf_init(&todo);
	bool offline_only = true;
	int n_offline = 0;
	for (size_t i = 0; i < seen->n; i++) {
		struct lock *s = &seen->items[i];
		struct lock *cl = lockset_find(claim, s->rel);
		if (cl && cl->mode == s->mode)
			continue;
		struct offline *o = cl ? NULL : find_offline(&pf->fx, file, line, s->rel);
		if (o && o->mode == s->mode) {
			o->used = true;
			n_offline++;
			if (!strstr(todo.buf ? todo.buf : "", o->reason))
				strbuf_addf(&todo, "%s%s", todo.len ? "; " : "", o->reason);
			continue;
		}
		offline_only = false;
		strbuf_addf(&diff, "%s: server %s, claim %s\n", s->rel, risk_lock_name(s->mode),
		            cl ? risk_lock_name(cl->mode) : "none");
	}
	for (size_t i = 0; i < claim->n; i++) {
		if (lockset_find(seen, claim->items[i].rel))
			continue;
		offline_only = false;
		strbuf_addf(&diff, "%s: server none, claim %s\n", claim->items[i].rel,
		            risk_lock_name(claim->items[i].mode));
	}
	if (claim->rewrite != seen->rewrite) {
		offline_only = false;
		strbuf_addf(&diff, "rewrite: server %s, claim %s\n", seen->rewrite ? "yes" : "no",
		            claim->rewrite ? "yes" : "no");
	}
	/* Declarations for this statement that did not hold: one the analyzer
	 * now claims is obsolete (its TODO line passes: an unexpected pass for
	 * the TAP driver); any other is wrong, a contradiction like the rest. */
	bool obsolete = false;
	for (size_t i = 0; i < pf->fx.n_offlines; i++) {
		struct offline *o = &pf->fx.offlines[i];
		if (o->line != line || strcmp(o->file, file) != 0)
			continue;
		o->used = true;
		struct lock *s = lockset_find(seen, o->rel);
		struct lock *cl = lockset_find(claim, o->rel);
		if (s && s->mode == o->mode && !cl)
			continue; /* held: counted above */
		if (s && cl && cl->mode == s->mode) {
			obsolete = true;
			strbuf_addf(&todo, "%sthe analyzer now claims %s: remove its @offline line",
			            todo.len ? "; " : "", o->rel);
			continue;
		}
		offline_only = false;
		strbuf_addf(&diff, "@offline declares %s %s, but the server took %s\n", o->rel,
		            risk_lock_name(o->mode), s ? risk_lock_name(s->mode) : "none");
	}

	struct strbuf cs, ss;
	strbuf_init(&cs);
	strbuf_init(&ss);
	lockset_describe(claim, &cs);
	lockset_describe(seen, &ss);
	out->compared++;
	if (diff.len == 0 && obsolete) {
		char *dir = xasprintf("TODO offline: %s", todo.buf);
		tap_line(out, true, dir, "%s:%d %s: %s", file, line, kind, ss.buf);
		free(dir);
	} else if (diff.len == 0 && n_offline == 0) {
		out->matched++;
		tap_line(out, true, NULL, "%s:%d %s: %s", file, line, kind, ss.buf);
	} else if (diff.len == 0 && offline_only) {
		out->todo++;
		char *dir = xasprintf("TODO offline: %s", todo.buf);
		tap_line(out, false, dir, "%s:%d %s: claimed %s; server %s", file, line, kind,
		         cs.buf, ss.buf);
		free(dir);
	} else {
		tap_line(out, false, NULL, "%s:%d %s: claimed %s; server %s", file, line, kind,
		         cs.buf, ss.buf);
		diag(out, diff.buf);
		char *s = xasprintf("sql: %s", sql);
		diag(out, s);
		free(s);
	}
	strbuf_release(&cs);
	strbuf_release(&ss);
	strbuf_release(&diff);
	strbuf_release(&todo);
}

/* A statement refused inside a transaction block: run it outside one, so
 * the statements after it see its effect. */
static void report_failure(struct report *out, struct fails *fl, const char *file, int line,
                           const char *kind, const char *sql, const char *err, const char *state);

static void run_outside(struct report *out, PGconn *c, bool shared, struct fails *fl,
                        const char *file, int line, const char *kind, const char *sql,
                        const char *refusal)
{
	char *err = NULL;
	char state[6] = "";
	out->skip_block++;
	if (shared) {
		char *why = xasprintf("SKIP cannot run inside a transaction block (%s)", refusal);
		tap_line(out, true, why, "%s:%d %s", file, line, kind);
		free(why);
	} else if (is_cluster_wide(kind)) {
		char *why =
		    xasprintf("SKIP cannot run inside a transaction block (%s); not run: it "
		              "acts on the whole cluster",
		              refusal);
		tap_line(out, true, why, "%s:%d %s", file, line, kind);
		free(why);
	} else if (!run(c, sql, &err, state)) {
		out->skip_block--;
		if (fl) {
			/* Declared to fail: outside a block it fails for its own reason. */
			report_failure(out, fl, file, line, kind, sql, err, state);
		} else {
			tap_line(out, false, NULL, "%s:%d %s: fails outside a transaction block",
			         file, line, kind);
			diag(out, err);
		}
	} else {
		char *why =
		    xasprintf("SKIP cannot run inside a transaction block (%s); run outside "
		              "one for its effect",
		              refusal);
		tap_line(out, true, why, "%s:%d %s", file, line, kind);
		free(why);
	}
	free(err);
}

/* The statement failed (its transaction is rolled back). */
static void report_failure(struct report *out, struct fails *fl, const char *file, int line,
                           const char *kind, const char *sql, const char *err, const char *state)
{
	if (fl && strcmp(fl->sqlstate, state) == 0) {
		fl->used = true;
		out->skip_fails++;
		char *why = xasprintf("SKIP fails on the server as declared: %s (%s: %s)",
		                      fl->reason, state, err);
		tap_line(out, true, why, "%s:%d %s", file, line, kind);
		free(why);
		return;
	}
	if (fl)
		fl->used = true;
	tap_line(out, false, NULL, "%s:%d %s: the server refused it: %s (%s)", file, line, kind,
	         err, state);
	char *s = xasprintf("sql: %s", sql);
	diag(out, s);
	free(s);
}

/* One statement: in its own transaction, or in the open one of an
 * @together group (*open says whether a transaction is open; commit says
 * whether it ends after this statement). On the shared copy (a file's only
 * statement) the transaction is rolled back and nothing runs outside one. */
static void run_statement(struct report *out, struct proof *pf, PGconn *c, bool shared,
                          const char *file, const struct jv *st, bool *open, bool commit)
{
	int line = (int)jget(st, "line")->num;
	const char *kind = jstr(st, "kind");
	const char *sql = jstr(st, "sql");
	if (is_txn_control(kind)) {
		out->skip_txn++;
		tap_line(out, true,
		         "SKIP transaction control: each statement runs in its own transaction",
		         "%s:%d %s", file, line, kind);
		if (*open && commit) {
			run(c, "COMMIT", NULL, NULL);
			*open = false;
		}
		return;
	}
	char *err = NULL;
	char state[6] = "";
	if (!*open && !run(c, "BEGIN", &err, state)) {
		printf("Bail out! BEGIN failed: %s\n", err);
		exit(1);
	}
	*open = true;
	struct snapshot before;
	snapshot_take(c, &before);
	struct fails *fl = find_fails(&pf->fx, file, line);
	if (!run(c, sql, &err, state)) {
		run(c, "ROLLBACK", NULL, NULL);
		*open = false;
		snapshot_free(&before);
		if (strcmp(state, "25001") == 0)
			run_outside(out, c, shared, fl, file, line, kind, sql, err);
		else
			report_failure(out, fl, file, line, kind, sql, err, state);
		free(err);
		return;
	}
	if (fl) {
		fl->used = true;
		tap_line(out, false, NULL, "%s:%d %s: declared to fail with %s, but it ran", file,
		         line, kind, fl->sqlstate);
		run(c, "ROLLBACK", NULL, NULL);
		*open = false;
		snapshot_free(&before);
		return;
	}

	struct lockset claim = {0}, seen = {0};
	claim_read(st, &claim);
	/* A claim on a relation the statement created is not compared. */
	for (size_t i = 0; i < claim.n;) {
		if (!claim.items[i].catalog && !snapshot_name(&before, claim.items[i].rel) &&
		    rel_exists(c, claim.items[i].rel))
			lockset_remove(&claim, claim.items[i].rel);
		else
			i++;
	}
	observe(c, &before, sql, &claim, &seen);
	if (commit) {
		*open = false;
		if (!run(c, shared ? "ROLLBACK" : "COMMIT", &err, state)) {
			tap_line(out, false, NULL, "%s:%d %s: COMMIT failed: %s", file, line, kind,
			         err);
			free(err);
			goto out;
		}
	}
	compare(out, pf, file, st, &claim, &seen, sql);
out:
	lockset_clear(&claim);
	lockset_clear(&seen);
	snapshot_free(&before);
}

/* The @together group holding FILE:LINE, if any. */
static struct together *find_together(struct fixture *fx, const char *file, int line)
{
	for (size_t i = 0; i < fx->n_togethers; i++) {
		struct together *t = &fx->togethers[i];
		if (line >= t->first && line <= t->last && strcmp(t->file, file) == 0)
			return t;
	}
	return NULL;
}

static void run_file(struct report *out, struct worker *w, size_t index, const struct jv *f)
{
	struct proof *pf = w->pf;
	const char *file = base_of(jstr(f, "file"));
	const struct jv *stmts = jget(f, "statements");
	const struct jv *errors = jget(f, "errors");
	if ((!stmts || stmts->n == 0) && errors && errors->n > 0) {
		out->skip_parse++;
		char *why = xasprintf("SKIP lint reports: %s", jstr(&errors->items[0], "message"));
		tap_line(out, true, why, "%s: nothing to compare", file);
		free(why);
		return;
	}
	/* A file of one statement (besides transaction control) and no @before
	 * runs on the shared copy and is rolled back: nothing after it needs
	 * its effect. Any other file gets a copy of its own. */
	size_t n_run = 0;
	bool prepared = false;
	for (size_t i = 0; stmts && i < stmts->n; i++)
		if (!is_txn_control(jstr(&stmts->items[i], "kind")))
			n_run++;
	for (size_t i = 0; i < pf->fx.n_befores; i++)
		prepared |= strcmp(pf->fx.befores[i].file, file) == 0;
	bool shared = n_run <= 1 && !prepared;
	if (shared) {
		bool open = false;
		for (size_t i = 0; stmts && i < stmts->n; i++)
			run_statement(out, pf, w->shared, true, file, &stmts->items[i], &open,
			              true);
		return;
	}

	char *db = xasprintf("lock_proof_%zu", index);
	char *sql = xasprintf("CREATE DATABASE %s TEMPLATE " TEMPLATE_DB, db);
	char *err = NULL;
	PGconn *c = NULL;
	if (!run(w->admin, sql, &err, NULL) || !(c = connect_db(db, &err))) {
		tap_line(out, false, NULL, "%s: cannot make its database: %s", file, err);
		free(err);
		free(sql);
		free(db);
		return;
	}
	free(sql);
	run(c, SESSION_SETTINGS, NULL, NULL);
	for (size_t i = 0; i < pf->fx.n_befores; i++) {
		struct before *b = &pf->fx.befores[i];
		if (strcmp(b->file, file) != 0)
			continue;
		b->used = true;
		if (!run(c, b->sql, &err, NULL)) {
			tap_line(out, false, NULL, "%s: the fixture's @before fails: %s", file,
			         err);
			free(err);
			err = NULL;
		}
	}
	bool open = false;
	for (size_t i = 0; stmts && i < stmts->n; i++) {
		int line = (int)jget(&stmts->items[i], "line")->num;
		struct together *t = find_together(&pf->fx, file, line);
		bool commit = true;
		if (t) {
			t->used = true;
			commit = i + 1 == stmts->n ||
			         (int)jget(&stmts->items[i + 1], "line")->num > t->last;
		}
		run_statement(out, pf, c, false, file, &stmts->items[i], &open, commit);
	}
	if (open)
		run(c, "COMMIT", NULL, NULL);
	PQfinish(c);
	sql = xasprintf("DROP DATABASE %s", db);
	if (!run(w->admin, sql, &err, NULL)) {
		tap_line(out, false, NULL, "%s: %s: %s", file, sql, err);
		free(err);
	}
	free(sql);
	free(db);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct proof *pf = w->pf;
	char *err = NULL;
	char *db = xasprintf(SHARED_DB "_%d", w->id);
	char *sql = xasprintf("CREATE DATABASE %s TEMPLATE " TEMPLATE_DB, db);
	if (!(w->admin = connect_db("postgres", &err)) || !run(w->admin, sql, &err, NULL) ||
	    !(w->shared = connect_db(db, &err))) {
		printf("Bail out! worker %d: %s\n", w->id, err);
		free(err);
		w->failed = true;
	} else {
		run(w->shared, SESSION_SETTINGS, NULL, NULL);
		for (;;) {
			pthread_mutex_lock(&pf->mu);
			size_t i = pf->next++;
			pthread_mutex_unlock(&pf->mu);
			if (i >= pf->files->n)
				break;
			run_file(&pf->reports[i], w, i, &pf->files->items[i]);
		}
	}
	PQfinish(w->shared);
	free(sql);
	if (w->admin) {
		sql = xasprintf("DROP DATABASE IF EXISTS %s", db);
		run(w->admin, sql, NULL, NULL);
		free(sql);
		PQfinish(w->admin);
	}
	free(db);
	return NULL;
}

/* Directives that matched nothing are stale: they fail. */
static void check_unused(struct report *out, struct fixture *fx)
{
	for (size_t i = 0; i < fx->n_befores; i++)
		if (!fx->befores[i].used)
			tap_line(out, false, NULL, "@before %s matches no corpus file",
			         fx->befores[i].file);
	for (size_t i = 0; i < fx->n_fails; i++)
		if (!fx->fails[i].used)
			tap_line(out, false, NULL, "@fails %s:%d matches no statement",
			         fx->fails[i].file, fx->fails[i].line);
	for (size_t i = 0; i < fx->n_togethers; i++)
		if (!fx->togethers[i].used)
			tap_line(out, false, NULL, "@together %s:%d-%d matches no statement",
			         fx->togethers[i].file, fx->togethers[i].first,
			         fx->togethers[i].last);
	for (size_t i = 0; i < fx->n_offlines; i++)
		if (!fx->offlines[i].used)
			tap_line(out, false, NULL,
			         "@offline %s:%d %s: the server takes no such lock",
			         fx->offlines[i].file, fx->offlines[i].line, fx->offlines[i].rel);
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: lock_proof SETUP_FILE LINT_JSON\n");
		return 2;
	}
	struct proof pf = {0};
	if (!fixture_load(argv[1], &pf.fx))
		return 1;
	struct strbuf json;
	strbuf_init(&json);
	if (strbuf_read_file(&json, argv[2]) != 0) {
		printf("Bail out! cannot read %s\n", argv[2]);
		return 1;
	}
	struct jparser jp = {.p = json.buf};
	struct jv root = {0};
	if (!parse_value(&jp, &root, 0)) {
		printf("Bail out! %s: %s at offset %ld\n", argv[2], jp.err,
		       (long)(jp.p - json.buf));
		return 1;
	}
	pf.files = jget(&root, "files");
	if (!pf.files || pf.files->type != J_ARR || pf.files->n == 0) {
		printf("Bail out! %s holds no files\n", argv[2]);
		return 1;
	}

	char *err = NULL;
	PGconn *admin = connect_db("postgres", &err), *tpl = NULL;
	if (admin)
		run(admin, "DROP DATABASE IF EXISTS " TEMPLATE_DB, NULL, NULL);
	if (!admin || !run(admin, "CREATE DATABASE " TEMPLATE_DB, &err, NULL) ||
	    !(tpl = connect_db(TEMPLATE_DB, &err)) || !run(tpl, pf.fx.setup, &err, NULL)) {
		printf("Bail out! the fixture database: %s\n", err);
		return 1;
	}
	PQfinish(tpl);

	/* Most of the time goes to copying the fixture database, mostly waiting
	 * on the server's disk: four sessions keep it busy (LOCK_PROOF_JOBS). */
	const char *env = getenv("LOCK_PROOF_JOBS");
	int jobs = env && atoi(env) > 0 ? atoi(env) : 4;
	if (jobs > 8)
		jobs = 8;
	pf.reports = xcalloc(pf.files->n, sizeof *pf.reports);
	for (size_t i = 0; i < pf.files->n; i++)
		strbuf_init(&pf.reports[i].text);
	pthread_mutex_init(&pf.mu, NULL);
	struct worker workers[8];
	pthread_t threads[8];
	for (int k = 0; k < jobs; k++) {
		workers[k] = (struct worker){.pf = &pf, .id = k};
		if (pthread_create(&threads[k], NULL, worker_main, &workers[k]) != 0) {
			printf("Bail out! pthread_create failed\n");
			return 1;
		}
	}
	bool failed = false;
	for (int k = 0; k < jobs; k++) {
		pthread_join(threads[k], NULL);
		failed |= workers[k].failed;
	}
	pthread_mutex_destroy(&pf.mu);
	if (failed)
		return 1;

	int tap_n = 0;
	struct report sum = {0};
	for (size_t i = 0; i < pf.files->n; i++) {
		report_print(&pf.reports[i], &tap_n, &sum);
		strbuf_release(&pf.reports[i].text);
	}
	struct report tail = {0};
	strbuf_init(&tail.text);
	check_unused(&tail, &pf.fx);
	report_print(&tail, &tap_n, &sum);
	strbuf_release(&tail.text);

	printf("# %d statements compared: %d match, %d differ only by a declared offline gap "
	       "(TODO), %d contradicted\n",
	       sum.compared, sum.matched, sum.todo, sum.compared - sum.matched - sum.todo);
	printf("# not compared: %d transaction control, %d refused inside a transaction block, "
	       "%d declared to fail, %d files that do not parse\n",
	       sum.skip_txn, sum.skip_block, sum.skip_fails, sum.skip_parse);
	printf("1..%d\n", tap_n);
	run(admin, "DROP DATABASE IF EXISTS " TEMPLATE_DB, NULL, NULL);
	PQfinish(admin);
	free(pf.reports);
	jv_free(&root);
	strbuf_release(&json);
	fixture_free(&pf.fx);
	return sum.failed ? 1 : 0;
}
