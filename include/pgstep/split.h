/* split: SQL text to statements with libpg_query. Boundaries come from the
 * real parser (dollar quotes, comments and strings holding ';' are handled):
 * one pg_query_parse_protobuf of the whole text yields each statement's
 * location and length (exactly what pg_query_split_with_parser returns, as
 * it is built on the same raw parse) and its tree, from which its kind and
 * transaction role come; each statement's first token is found with
 * pg_query_scan so its line skips leading comments. */
#ifndef PGSTEP_SPLIT_H
#define PGSTEP_SPLIT_H

#include <stdbool.h>
#include <stddef.h>
#include "pgstep/error.h"
#include "pgstep/text.h"

/* A statement's role in transaction handling, from its parse tree. */
enum stmt_txn {
	STMT_TXN_NORMAL,    /* runs inside a transaction */
	STMT_TXN_BEGIN,     /* BEGIN / START TRANSACTION written in the file */
	STMT_TXN_COMMIT,    /* COMMIT / END written in the file */
	STMT_TXN_ROLLBACK,  /* ROLLBACK written in the file */
	STMT_TXN_FORBIDDEN, /* cannot run in a transaction block (CONCURRENTLY, VACUUM, ...) */
};

struct statement {
	char *sql;     /* owned: the statement text, trimmed, without the ';' */
	size_t offset; /* byte offset of the statement's first token in the file */
	int line;      /* 1-based line of the first token in the file */
	int col;       /* 1-based column (characters, struct text_pos) */
	enum stmt_txn txn;
	char *kind; /* owned: short parse-tree node name, e.g. "AlterTableStmt" */
};

struct statement_list {
	struct statement *items;
	size_t n, cap;
};

void statement_list_init(struct statement_list *l);
void statement_list_clear(struct statement_list *l);

/* Deepest expression nesting a statement may have. The parser, libpg_query's
 * tree output and every walk of a tree recurse once per level; PostgreSQL
 * itself refuses such statements ("stack depth limit exceeded"). */
#define SQL_MAX_DEPTH 1000

/* Split text into out. base places text inside its file (text begins at
 * byte base.offset, on line base.line, column base.col). On a parse error,
 * err (code PGSTEP_EXIT_USAGE) reads "line L, column C: <parser message>",
 * with L and C counted in the file; a statement nested deeper than
 * SQL_MAX_DEPTH is refused the same way before it reaches the parser. */
bool sql_split(const char *text, struct text_pos base, struct statement_list *out,
               struct pgstep_error *err);
/* Texts longer than this are parsed a chunk at a time (sql_split_each), so
 * memory holds one chunk's trees rather than the whole file's. */
#define SQL_CHUNK_BYTES (1024 * 1024)
/* What the splitter handed libpg_query so far (reset: and start again), for
 * the tests of the bounds above: the longest text scanned or parsed at
 * once, and how many texts were parsed. */
struct sql_feed_stats {
	size_t longest, parses;
};
void sql_feed_stats(struct sql_feed_stats *out, bool reset);

/* Called for each statement with its tree (valid during the call only);
 * s is the callee's to take (set its pointers to NULL when moved). False
 * stops the split. */
struct PgQuery__RawStmt;
typedef bool (*sql_stmt_fn)(struct statement *s, const struct PgQuery__RawStmt *raw, void *arg);
/* sql_split a chunk at a time: the same statements, in order. */
bool sql_split_each(const char *text, struct text_pos base, sql_stmt_fn fn, void *arg,
                    struct pgstep_error *err);

/* sql_split that also keeps the parse tree (for texts of at most
 * SQL_CHUNK_BYTES: a caller of longer ones walks them with sql_split_each), decoded into arena:
 * statement i of out is (*tree)->stmts[i]. The trees live until arena_release. */
struct arena;
struct PgQuery__ParseResult;
bool sql_split_tree(const char *text, struct text_pos base, struct statement_list *out,
                    struct arena *arena, struct PgQuery__ParseResult **tree,
                    struct pgstep_error *err);
/* sql_split_tree for a text PostgreSQL cannot parse as a whole, so the
 * statements before and after a bad one still count: the text is cut where
 * libpg_query's scanner sees statements begin and each piece parsed alone;
 * a piece that ends inside a statement (the scanner cuts a BEGIN ATOMIC
 * body at its ';') fails "at end of input" and is parsed again joined to
 * the next. The statements that parse are appended to out, their trees (in
 * arena) to *nodes (grown with xrealloc); each piece that does not goes to
 * on_error with its message (line and column in the file). False when the
 * scanner itself fails. */
struct PgQuery__Node;
typedef void (*sql_error_fn)(const char *msg, void *arg);
bool sql_split_around_errors(const char *text, struct text_pos base, struct statement_list *out,
                             struct arena *arena, const struct PgQuery__Node ***nodes,
                             size_t *n_nodes, sql_error_fn on_error, void *arg);
/* The same check alone: false (err as above) when a statement of text nests
 * deeper than SQL_MAX_DEPTH. Callers that hand text to the parser themselves
 * (the risk engine, preflight) call it first. */
bool sql_depth_check(const char *text, struct text_pos base, struct pgstep_error *err);

/* Scan text with libpg_query's scanner; on success *out is the unpacked
 * token list, freed with pg_query__scan_result__free_unpacked. A scanner
 * error (an unterminated string) fails with err naming line and column. */
struct PgQuery__ScanResult;
bool sql_scan(const char *text, struct PgQuery__ScanResult **out, struct pgstep_error *err);

/* Called for each token of a text, in order: its kind (a PgQuery__Token)
 * and byte range in the text. False stops the scan. */
typedef bool (*sql_token_fn)(int token, size_t start, size_t end, void *arg);
/* sql_scan a chunk at a time, cut where statements begin (between tokens),
 * so memory holds one chunk's tokens, never a long text's. */
bool sql_scan_each(const char *text, sql_token_fn fn, void *arg, struct pgstep_error *err);

#endif
