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
#include "pgstep/migration.h"

/* Split text into out. base_offset and base_line place text inside its file
 * (text begins at byte base_offset, on line base_line). On a parse error,
 * err (code PGSTEP_EXIT_USAGE) reads "line L, column C: <parser message>",
 * with L and C counted in the file. */
bool sql_split(const char *text, size_t base_offset, int base_line, struct statement_list *out,
	       struct pgstep_error *err);

/* A comment token found by the scanner: used for markers and directives. */
struct sql_comment {
	size_t offset; /* byte offset in the text */
	size_t len;
	int line;      /* 1-based line in the text */
};

/* Comments of text that come before its first non-comment token (the
 * leading comment block), in order. Returns false if the scanner fails
 * (e.g. an unterminated quoted string), with err naming line and column. */
bool sql_leading_comments(const char *text, struct sql_comment **out, size_t *n,
			  struct pgstep_error *err);
/* Every comment of text, in order. */
bool sql_all_comments(const char *text, struct sql_comment **out, size_t *n,
		      struct pgstep_error *err);

#endif
