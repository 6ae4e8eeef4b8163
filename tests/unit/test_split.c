/* test_split: statement boundaries, positions, kinds and transaction roles
 * from libpg_query, and comment tokens. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pg_query.h>
#include <pg_query/pg_query.pb-c.h>

#include "pgstep/section.h"
#include "pgstep/split.h"
#include "pgstep/strbuf.h"
#include "pgstep/xalloc.h"
#include "tap.h"

/* Split text placed at offset 0, line 1; aborts the checks of a case when
 * splitting fails so later assertions do not read garbage. */
static bool split(const char *text, struct statement_list *l)
{
	struct pgstep_error err = {0};
	statement_list_init(l);
	bool r = sql_split(text, (struct text_pos){0, 1, 1}, l, &err);
	if (!r)
		printf("# unexpected error: %s\n", err.msg);
	error_clear(&err);
	return r;
}

static void test_positions(void)
{
	const char *text = "-- leading comment\n"                  /* line 1 */
	                   "\n"                                    /* 2 */
	                   "CREATE TABLE a (id int);\n"            /* 3 */
	                   "/* block\n"                            /* 4 */
	                   "   comment */\n"                       /* 5 */
	                   "\n"                                    /* 6 */
	                   "  ALTER TABLE a ADD b text; -- tail\n" /* 7 */
	                   "INSERT INTO a VALUES (1)\n"            /* 8 */
	                   "  -- trailing comment, no ';'\n";      /* 9 */
	struct statement_list l;
	if (!split(text, &l))
		return;
	is_int(l.n, 3, "three statements around comments and blank lines");
	if (l.n == 3) {
		is_int(l.items[0].line, 3, "first statement on line 3, after the comment");
		is_int(l.items[0].offset, strlen("-- leading comment\n\n"),
		       "first statement offset skips the comment");
		is_str(l.items[0].sql, "CREATE TABLE a (id int)", "sql without ';'");
		is_str(l.items[0].kind, "CreateStmt", "kind CreateStmt");
		is_int(l.items[1].line, 7, "second statement on line 7, after a block comment");
		is_int(l.items[1].offset, (size_t)(strstr(text, "ALTER") - text),
		       "second statement offset at ALTER");
		is_str(l.items[1].sql, "ALTER TABLE a ADD b text", "second sql trimmed");
		is_str(l.items[1].kind, "AlterTableStmt", "kind AlterTableStmt");
		is_int(l.items[1].txn, STMT_TXN_NORMAL, "ALTER TABLE is normal");
		is_int(l.items[2].line, 8, "third statement on line 8");
		is_str(l.items[2].sql, "INSERT INTO a VALUES (1)",
		       "last statement without ';' drops the trailing comment");
		is_str(l.items[2].kind, "InsertStmt", "kind InsertStmt");
	}
	statement_list_clear(&l);
	is_int(l.n, 0, "clear empties the list");

	/* base_offset and base_line place the text inside its file */
	struct pgstep_error err = {0};
	statement_list_init(&l);
	ok(sql_split("\n\nSELECT 1;\nSELECT 2;", (struct text_pos){100, 10, 1}, &l, &err),
	   "split with a base");
	if (l.n == 2) {
		is_int(l.items[0].line, 12, "line counted from base_line");
		is_int(l.items[0].offset, 102, "offset counted from base_offset");
		is_int(l.items[1].line, 13, "second line counted from base_line");
		is_int(l.items[1].offset, 112, "second offset counted from base_offset");
	} else {
		ok(0, "expected 2 statements, got %zu", l.n);
	}
	statement_list_clear(&l);
	error_clear(&err);
}

static void test_dollar_quotes(void)
{
	const char *text = "CREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS $body$\n"
	                   "BEGIN\n"
	                   "  DROP TABLE x; ALTER TABLE y ADD z int;\n"
	                   "  RAISE NOTICE 'a;b';\n"
	                   "  RETURN NEW;\n"
	                   "END;\n"
	                   "$body$;\n"
	                   "SELECT 'it''s; here' AS \"semi;colon\", $$;$$;\n";
	struct statement_list l;
	if (!split(text, &l))
		return;
	is_int(l.n, 2, "dollar-quoted body with ';' and DDL stays one statement");
	if (l.n == 2) {
		is_str(l.items[0].kind, "CreateFunctionStmt", "kind CreateFunctionStmt");
		ok(strstr(l.items[0].sql, "RETURN NEW;\nEND;\n$body$") != NULL,
		   "function body kept whole");
		is_int(l.items[1].line, 8, "statement after the function on line 8");
		is_str(l.items[1].sql, "SELECT 'it''s; here' AS \"semi;colon\", $$;$$",
		       "quoted strings and identifiers with ';'");
		is_str(l.items[1].kind, "SelectStmt", "kind SelectStmt");
	}
	statement_list_clear(&l);
}

static void test_nested_comment(void)
{
	const char *text = "/* outer /* inner; SELECT 2; */ still comment; */\n"
	                   "SELECT 1;";
	struct statement_list l;
	if (!split(text, &l))
		return;
	is_int(l.n, 1, "nested block comment hides its ';'");
	if (l.n == 1) {
		is_int(l.items[0].line, 2, "statement after nested comment on line 2");
		is_str(l.items[0].sql, "SELECT 1", "nested comment not in sql");
	}
	statement_list_clear(&l);
}

static void test_quoted_identifiers(void)
{
	const char *text = "CREATE TABLE \"weird;name\" (\"col -- not a comment\" int);\n"
	                   "DROP TABLE \"weird;name\";";
	struct statement_list l;
	if (!split(text, &l))
		return;
	is_int(l.n, 2, "quoted identifiers with ';' and '--'");
	if (l.n == 2) {
		is_str(l.items[0].sql, "CREATE TABLE \"weird;name\" (\"col -- not a comment\" int)",
		       "quoted identifiers kept");
		is_str(l.items[1].kind, "DropStmt", "kind DropStmt");
		is_int(l.items[1].txn, STMT_TXN_NORMAL, "plain DROP TABLE is normal");
	}
	statement_list_clear(&l);
}

struct txn_case {
	const char *sql;
	enum stmt_txn txn;
	const char *kind;
};

static void test_classification(void)
{
	static const struct txn_case cases[] = {
	    {"BEGIN", STMT_TXN_BEGIN, "TransactionStmt"},
	    {"START TRANSACTION ISOLATION LEVEL SERIALIZABLE", STMT_TXN_BEGIN, "TransactionStmt"},
	    {"COMMIT", STMT_TXN_COMMIT, "TransactionStmt"},
	    {"END", STMT_TXN_COMMIT, "TransactionStmt"},
	    {"ROLLBACK", STMT_TXN_ROLLBACK, "TransactionStmt"},
	    {"ABORT", STMT_TXN_ROLLBACK, "TransactionStmt"},
	    {"SAVEPOINT s", STMT_TXN_NORMAL, "TransactionStmt"},
	    {"ROLLBACK TO SAVEPOINT s", STMT_TXN_NORMAL, "TransactionStmt"},
	    {"CREATE INDEX CONCURRENTLY i ON t (a)", STMT_TXN_FORBIDDEN, "IndexStmt"},
	    {"CREATE UNIQUE INDEX i ON t (a)", STMT_TXN_NORMAL, "IndexStmt"},
	    {"DROP INDEX CONCURRENTLY i", STMT_TXN_FORBIDDEN, "DropStmt"},
	    {"DROP INDEX i", STMT_TXN_NORMAL, "DropStmt"},
	    {"REINDEX INDEX CONCURRENTLY i", STMT_TXN_FORBIDDEN, "ReindexStmt"},
	    {"REINDEX (CONCURRENTLY) TABLE t", STMT_TXN_FORBIDDEN, "ReindexStmt"},
	    {"REINDEX TABLE t", STMT_TXN_NORMAL, "ReindexStmt"},
	    {"REINDEX DATABASE app", STMT_TXN_FORBIDDEN, "ReindexStmt"},
	    {"ALTER TABLE p DETACH PARTITION c CONCURRENTLY", STMT_TXN_FORBIDDEN, "AlterTableStmt"},
	    {"ALTER TABLE p DETACH PARTITION c", STMT_TXN_NORMAL, "AlterTableStmt"},
	    {"VACUUM", STMT_TXN_FORBIDDEN, "VacuumStmt"},
	    {"VACUUM (ANALYZE) t", STMT_TXN_FORBIDDEN, "VacuumStmt"},
	    {"ANALYZE t", STMT_TXN_NORMAL, "VacuumStmt"},
	    {"ALTER SYSTEM SET work_mem = '64MB'", STMT_TXN_FORBIDDEN, "AlterSystemStmt"},
	    {"CREATE DATABASE app2", STMT_TXN_FORBIDDEN, "CreatedbStmt"},
	    {"DROP DATABASE app2", STMT_TXN_FORBIDDEN, "DropdbStmt"},
	    {"ALTER DATABASE app SET TABLESPACE fast", STMT_TXN_FORBIDDEN, "AlterDatabaseStmt"},
	    {"CREATE TABLESPACE fast LOCATION '/srv/fast'", STMT_TXN_FORBIDDEN,
	     "CreateTableSpaceStmt"},
	    {"DROP TABLESPACE fast", STMT_TXN_FORBIDDEN, "DropTableSpaceStmt"},
	    {"CREATE SUBSCRIPTION s CONNECTION 'host=x' PUBLICATION p", STMT_TXN_FORBIDDEN,
	     "CreateSubscriptionStmt"},
	    {"CREATE SUBSCRIPTION s CONNECTION 'host=x' PUBLICATION p WITH (create_slot = false)",
	     STMT_TXN_NORMAL, "CreateSubscriptionStmt"},
	    {"CREATE SUBSCRIPTION s CONNECTION 'host=x' PUBLICATION p WITH (connect = false)",
	     STMT_TXN_NORMAL, "CreateSubscriptionStmt"},
	    {"ALTER SUBSCRIPTION s REFRESH PUBLICATION", STMT_TXN_FORBIDDEN,
	     "AlterSubscriptionStmt"},
	    {"ALTER SUBSCRIPTION s SET PUBLICATION p WITH (refresh = off)", STMT_TXN_NORMAL,
	     "AlterSubscriptionStmt"},
	    {"ALTER SUBSCRIPTION s ADD PUBLICATION p", STMT_TXN_FORBIDDEN, "AlterSubscriptionStmt"},
	    {"ALTER SUBSCRIPTION s DISABLE", STMT_TXN_NORMAL, "AlterSubscriptionStmt"},
	    {"DROP SUBSCRIPTION s", STMT_TXN_FORBIDDEN, "DropSubscriptionStmt"},
	    {"CLUSTER", STMT_TXN_FORBIDDEN, "ClusterStmt"},
	    {"CLUSTER t USING i", STMT_TXN_NORMAL, "ClusterStmt"},
	    {"DISCARD ALL", STMT_TXN_FORBIDDEN, "DiscardStmt"},
	    {"COMMIT PREPARED 'x'", STMT_TXN_FORBIDDEN, "TransactionStmt"},
	    /* PostgreSQL 12+ allows ADD VALUE in a transaction block */
	    {"ALTER TYPE mood ADD VALUE 'meh'", STMT_TXN_NORMAL, "AlterEnumStmt"},
	    {"REFRESH MATERIALIZED VIEW CONCURRENTLY mv", STMT_TXN_NORMAL, "RefreshMatViewStmt"},
	    {"CREATE TYPE mood AS ENUM ('a', 'b')", STMT_TXN_NORMAL, "CreateEnumStmt"},
	    {"ALTER TABLE t RENAME COLUMN type TO key_type", STMT_TXN_NORMAL, "RenameStmt"},
	    {"UPDATE t SET a = 1", STMT_TXN_NORMAL, "UpdateStmt"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct statement_list l;
		if (!split(cases[i].sql, &l)) {
			ok(0, "%s parses", cases[i].sql);
			continue;
		}
		if (l.n != 1) {
			ok(0, "%s: one statement, got %zu", cases[i].sql, l.n);
		} else {
			is_int(l.items[0].txn, cases[i].txn, "txn role of %s", cases[i].sql);
			is_str(l.items[0].kind, cases[i].kind, "kind of %s", cases[i].sql);
		}
		statement_list_clear(&l);
	}

	/* a file's own transaction, in order */
	struct statement_list l;
	if (split("BEGIN;\nCREATE TABLE t (a int);\nCOMMIT;\n", &l)) {
		is_int(l.n, 3, "BEGIN, CREATE, COMMIT");
		if (l.n == 3) {
			is_int(l.items[0].txn, STMT_TXN_BEGIN, "BEGIN first");
			is_int(l.items[1].txn, STMT_TXN_NORMAL, "CREATE inside");
			is_int(l.items[2].txn, STMT_TXN_COMMIT, "COMMIT last");
			is_int(l.items[2].line, 3, "COMMIT on line 3");
		}
		statement_list_clear(&l);
	}
}

static void test_errors(void)
{
	struct pgstep_error err = {0};
	struct statement_list l;
	statement_list_init(&l);
	const char *text = "SELECT 1;\n"
	                   "-- comment\n"
	                   "CREATE TABLE t (a int,, b int);\n";
	ok(!sql_split(text, (struct text_pos){0, 1, 1}, &l, &err), "syntax error fails");
	is_str(err.msg, "line 3, column 23: syntax error at or near \",\"",
	       "error names line and column in the text");
	is_int(err.code, PGSTEP_EXIT_USAGE, "parse error is a usage error");
	is_int(l.n, 0, "nothing appended on error");

	/* placed at line 20 of a file; columns count characters, not bytes */
	ok(!sql_split("\nSELECT 'é', ,1;", (struct text_pos){50, 20, 1}, &l, &err),
	   "error with a base line");
	is_str(err.msg, "line 21, column 13: syntax error at or near \",\"",
	       "line from base_line, column in characters");

	ok(!sql_split("SELECT 1;\nSELECT 'abc", (struct text_pos){0, 5, 1}, &l, &err),
	   "unterminated string fails");
	is_str(err.msg, "line 6, column 8: unterminated quoted string at or near \"'abc\"",
	       "unterminated string position");

	ok(!sql_split("CREATE TABLE", (struct text_pos){0, 1, 1}, &l, &err),
	   "incomplete statement fails");
	is_str(err.msg, "line 1, column 13: syntax error at end of input", "end of input position");
	error_clear(&err);
	statement_list_clear(&l);

	ok(sql_split("", (struct text_pos){0, 1, 1}, &l, &err), "empty text is fine");
	is_int(l.n, 0, "empty text: no statements");
	ok(sql_split("-- only a comment\n/* and another */\n", (struct text_pos){0, 1, 1}, &l,
	             &err),
	   "comment-only text is fine");
	is_int(l.n, 0, "comment-only text: no statements");
	ok(!error_isset(&err), "no error set");
	statement_list_clear(&l);
}

/* The section reader's comments, markers and directives (it replaced
 * sql_leading_comments / sql_all_comments; the same cases). */
static void test_comments(void)
{
	const char *text = "-- pgstep:note hello\n"
	                   "/* block */\n"
	                   "-- migrate:up\n"
	                   "SELECT 1; -- after\n"
	                   "/* last */";
	struct sect_file f;
	ok(sect_read(text, strlen(text), &f, SECT_MARKERS), "comments read");
	is_int(f.n_comments, 5, "five comments in all");
	if (f.n_comments == 5) {
		const struct sect_comment *c = f.comments;
		is_int(c[0].offset, 0, "first at 0");
		is_int(c[0].len, strlen("-- pgstep:note hello"), "first length");
		is_int(c[0].line, 1, "first on line 1");
		is_int(c[1].line, 2, "block on line 2");
		is_int(c[1].len, strlen("/* block */"), "block length");
		ok(c[1].block && !c[0].block, "block and line comments told apart");
		is_int(c[2].line, 3, "marker on line 3");
		is_int(c[2].offset, (size_t)(strstr(text, "-- migrate") - text), "marker offset");
		is_int(c[3].line, 4, "inline comment on line 4");
		is_int(c[3].offset, (size_t)(strstr(text, "-- after") - text), "inline offset");
		is_int(c[4].line, 5, "last comment on line 5");
		is_int(c[4].len, strlen("/* last */"), "last comment length");
	}
	ok(f.kind == SECT_DBMATE && f.n_markers == 1 && f.markers[0].line == 3, "the marker");
	ok(f.up.start == (size_t)(strstr(text, "SELECT") - text) && f.up.line == 4 && !f.up.blank,
	   "the up section starts on the line after it");
	ok(f.n_dirs == 1 && strcmp(f.dirs[0].name, "note") == 0 &&
	       strcmp(f.dirs[0].arg, "hello") == 0 && f.dirs[0].leading && f.dirs[0].header &&
	       f.dirs[0].line == 1 && f.dirs[0].col == 4,
	   "the directive, in the leading block, at 1:4");
	sect_file_clear(&f);

	/* dollar quotes and strings are not comments */
	const char *q = "SELECT $$ -- pgstep:no $$, '/* pgstep:no */';";
	ok(sect_read(q, strlen(q), &f, SECT_MARKERS), "quotes scanned");
	is_int(f.n_comments + f.n_dirs, 0, "no comment inside quotes");
	sect_file_clear(&f);

	const char *bad = "-- pgstep:x\nSELECT 'open";
	ok(!sect_read(bad, strlen(bad), &f, 0), "scanner error fails");
	ok(f.n_problems == 1 && f.problems[0].error &&
	       strcmp(f.problems[0].msg,
	              "line 2, column 8: unterminated quoted string at or near \"'open\"") == 0,
	   "scanner error position");
	is_int(f.n_comments, 0, "no comments on error");
	sect_file_clear(&f);
}

/* Deep nesting is refused with its position, before the parser. */
static void test_depth(void)
{
	struct strbuf sb;
	strbuf_init(&sb);
	strbuf_addf(&sb, "SELECT 1;\nSELECT 1");
	for (int i = 0; i < 4500; i++)
		strbuf_addf(&sb, "+1");
	strbuf_addf(&sb, ";\n");
	struct statement_list l;
	statement_list_init(&l);
	struct pgstep_error err = {0};
	ok(!sql_split(sb.buf, (struct text_pos){0, 1, 1}, &l, &err), "4,500 chained terms refused");
	ok(err.msg && strstr(err.msg, "line 2, column ") && strstr(err.msg, "too deeply nested"),
	   "names line 2: %s", err.msg ? err.msg : "");
	is_int(err.code, PGSTEP_EXIT_USAGE, "a usage error");
	error_clear(&err);
	strbuf_reset(&sb);
	strbuf_addf(&sb, "SELECT 1");
	for (int i = 0; i < 990; i++)
		strbuf_addf(&sb, "+1");
	strbuf_addf(&sb, ", (((1)))");
	for (int i = 0; i < 990; i++)
		strbuf_addf(&sb, "+1");
	ok(sql_split(sb.buf, (struct text_pos){0, 1, 1}, &l, &err) && l.n == 1,
	   "990 terms per list element is fine");
	statement_list_clear(&l);
	/* in a text parsed a chunk at a time */
	strbuf_reset(&sb);
	int lines = 0;
	while (sb.len < SQL_CHUNK_BYTES + SQL_CHUNK_BYTES / 2) {
		strbuf_addf(&sb, "SELECT 1 + 2 * (3 - 4);\n");
		lines++;
	}
	strbuf_addf(&sb, "SELECT 1");
	for (int i = 0; i < 4500; i++)
		strbuf_addf(&sb, "+1");
	strbuf_addf(&sb, ";\nSELECT 2;\n");
	char want[64];
	snprintf(want, sizeof want, "line %d, column ", lines + 1);
	ok(!sql_split(sb.buf, (struct text_pos){0, 1, 1}, &l, &err) && err.msg &&
	       strstr(err.msg, want) && strstr(err.msg, "too deeply nested"),
	   "a deep statement in a big text: %s", err.msg ? err.msg : "");
	error_clear(&err);
	statement_list_clear(&l);
	strbuf_release(&sb);
}

static bool count_stmt(struct statement *s, const struct PgQuery__RawStmt *raw, void *arg)
{
	(void)s;
	*(size_t *)arg += raw != NULL;
	return true;
}

/* A text past SQL_CHUNK_BYTES is parsed a chunk at a time and gives the
 * same statements; a BEGIN ATOMIC body (where the scanner's split is
 * wrong) at every chunk boundary stays whole. */
static void test_chunks(void)
{
	struct strbuf sb;
	strbuf_init(&sb);
	size_t n = 0, n_atomic = 0;
	size_t *offsets = NULL, cap = 0;
	int *lines = NULL, line = 1;
	size_t cap_l = 0;
	while (sb.len < 3 * SQL_CHUNK_BYTES) {
		XGROW(offsets, cap, n + 1);
		XGROW(lines, cap_l, n + 1);
		offsets[n] = sb.len;
		lines[n] = line;
		if (n % 2 == 0) {
			strbuf_addf(
			    &sb,
			    "CREATE FUNCTION f%zu() RETURNS int LANGUAGE sql\nBEGIN ATOMIC\n"
			    "  SELECT 1;\n  SELECT 2;\nEND;\n",
			    n);
			line += 5;
			n_atomic++;
		} else {
			strbuf_addf(&sb, "INSERT INTO t VALUES (%zu, 'a;b -- c'); -- %zu\n", n, n);
			line++;
		}
		n++;
	}
	struct statement_list l;
	statement_list_init(&l);
	struct pgstep_error err = {0};
	ok(sql_split(sb.buf, (struct text_pos){0, 1, 1}, &l, &err), "a %zu-byte text splits",
	   sb.len);
	is_int(l.n, n, "every statement, %zu BEGIN ATOMIC bodies whole", n_atomic);
	size_t bad = 0;
	for (size_t i = 0; i < l.n && i < n; i++)
		bad += l.items[i].offset != offsets[i] || l.items[i].line != lines[i] ||
		       l.items[i].col != 1;
	is_int(bad, 0, "offsets and lines as written");
	statement_list_clear(&l);
	size_t counted = 0;
	ok(sql_split_each(sb.buf, (struct text_pos){0, 1, 1}, count_stmt, &counted, &err) &&
	       counted == n,
	   "sql_split_each hands every statement with its tree");
	/* a syntax error near the end names its line */
	strbuf_addf(&sb, "SELECT 1;\nSELEC 2;\n");
	ok(!sql_split(sb.buf, (struct text_pos){0, 1, 1}, &l, &err), "a late syntax error fails");
	char want[64];
	snprintf(want, sizeof want, "line %d, column 1:", line + 1);
	ok(err.msg && strstr(err.msg, want), "names line %d: %s", line + 1, err.msg ? err.msg : "");
	ok(l.n == 0, "nothing appended");
	statement_list_clear(&l);
	error_clear(&err);
	free(offsets);
	free(lines);
	strbuf_release(&sb);
}

/* A "--" comment ends at a carriage return too (PostgreSQL's newline is
 * [\n\r]): what follows it on an old Mac line end is a statement. The
 * fuzzer found the splitter taking it for comment and giving an empty one. */
static void test_carriage_return(void)
{
	struct statement_list l;
	if (ok(split("-- note\rCREATE TABLE t (id int);\rSELECT 1 -- why\r", &l),
	       "CR line ends split")) {
		is_int((int)l.n, 2, "two statements");
		if (l.n == 2) {
			is_str(l.items[0].sql, "CREATE TABLE t (id int)",
			       "the statement after a comment ended by CR");
			is_int((int)l.items[0].offset, 8, "starts after the CR");
			is_str(l.items[1].sql, "SELECT 1",
			       "a trailing comment before CR is not part of it");
		}
	}
	statement_list_clear(&l);
}

/* A big file's comments, markers and directives come from a scan a chunk
 * at a time (issue 10: a 50 MB migration held every token at once). The
 * chunks must read what one scan of the whole text reads, even where a
 * chunk's window ends inside a dollar-quoted body or a string, and nothing
 * longer than a chunk may reach libpg_query. */
static void test_big_section(void)
{
	struct strbuf sb;
	strbuf_init(&sb);
	strbuf_adds(&sb, "-- pgstep:note a big one\n-- migrate:up\n");
	size_t n = 0;
	for (size_t g = 0; sb.len < 5 * 1024 * 1024; g++) {
		for (size_t i = 0; i < 500; i++, n++)
			strbuf_addf(
			    &sb, "-- row %zu\nINSERT INTO t VALUES (%zu, 'a;b -- no\n/* no */');\n",
			    i, i);
		strbuf_addf(&sb, "CREATE FUNCTION f%zu() RETURNS void LANGUAGE plpgsql AS $body$\n",
		            g);
		for (size_t k = 0; k < 9000; k++)
			strbuf_adds(&sb, "BEGIN PERFORM 1; END; -- x /* y\n");
		strbuf_adds(&sb, "$body$; /* after; */\n");
		n++;
	}
	strbuf_adds(&sb, "-- migrate:down\n-- nothing to undo\n;\n");

	struct pgstep_error err = {0};
	PgQuery__ScanResult *whole = NULL;
	if (!ok(sql_scan(sb.buf, &whole, &err), "the whole text scans"))
		goto out;
	size_t n_comments = 0;
	for (size_t i = 0; i < whole->n_tokens; i++)
		n_comments += whole->tokens[i]->token == PG_QUERY__TOKEN__SQL_COMMENT ||
		              whole->tokens[i]->token == PG_QUERY__TOKEN__C_COMMENT;

	struct sql_feed_stats fs;
	sql_feed_stats(&fs, true);
	struct sect_file f;
	ok(sect_read(sb.buf, sb.len, &f, SECT_MARKERS), "a %zu-byte file reads", sb.len);
	sql_feed_stats(&fs, true);
	ok(fs.longest <= SQL_CHUNK_BYTES, "the scanner saw at most a chunk at a time (%zu bytes)",
	   fs.longest);
	is_int((int)f.n_comments, (int)n_comments, "every comment of the whole scan");
	size_t same = 0;
	for (size_t i = 0, k = 0; i < whole->n_tokens && k < f.n_comments; i++) {
		const PgQuery__ScanToken *t = whole->tokens[i];
		if (t->token != PG_QUERY__TOKEN__SQL_COMMENT &&
		    t->token != PG_QUERY__TOKEN__C_COMMENT)
			continue;
		same += f.comments[k].offset == (size_t)t->start &&
		        f.comments[k].len == (size_t)(t->end - t->start);
		k++;
	}
	is_int((int)same, (int)n_comments, "... each at its offset and length");
	ok(f.kind == SECT_DBMATE && f.up.present && f.down.present, "both sections");
	ok(!f.up.blank && f.down.blank, "the up holds statements, the down none");
	is_int(f.n_dirs, 1, "the directive");
	if (f.n_comments) {
		struct text_pos p = TEXT_POS_START;
		text_pos_advance(sb.buf, &p, f.comments[f.n_comments - 1].offset);
		is_int(f.comments[f.n_comments - 1].line, p.line,
		       "the last comment's line counted across chunks");
	}

	struct statement_list l;
	statement_list_init(&l);
	sql_feed_stats(&fs, true);
	if (ok(sect_split(&f, &f.up, &l, &err), "the up section splits"))
		is_int((int)l.n, (int)n, "every statement");
	sql_feed_stats(&fs, true);
	ok(fs.longest <= SQL_CHUNK_BYTES, "the parser saw at most a chunk at a time (%zu bytes)",
	   fs.longest);
	statement_list_clear(&l);
	sect_file_clear(&f);

	/* A string left open at the end: the error's line is the file's. */
	size_t lines = 1;
	for (size_t i = 0; i < sb.len; i++)
		lines += sb.buf[i] == '\n';
	strbuf_adds(&sb, "SELECT 'open;\n");
	ok(!sect_read(sb.buf, sb.len, &f, SECT_MARKERS), "an unterminated string fails");
	if (f.n_problems)
		ok(strstr(f.problems[0].msg, "line ") &&
		       atoi(strstr(f.problems[0].msg, "line ") + 5) == (int)lines,
		   "at line %zu: %s", lines, f.problems[0].msg);
	else
		ok(false, "a problem is recorded");
	sect_file_clear(&f);
	pg_query__scan_result__free_unpacked(whole, NULL);
out:
	error_clear(&err);
	strbuf_release(&sb);
}

int main(void)
{
	test_positions();
	test_dollar_quotes();
	test_nested_comment();
	test_quoted_identifiers();
	test_classification();
	test_errors();
	test_comments();
	test_depth();
	test_chunks();
	test_carriage_return();
	test_big_section();
	return done_testing();
}
