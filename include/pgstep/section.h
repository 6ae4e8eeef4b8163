/* section: the one reader of a migration file's text. It scans the text
 * once with libpg_query's scanner and says what the file holds: its up and
 * down sections (dbmate's "-- migrate:up" / "-- migrate:down" markers,
 * goose's "-- +goose Up" / "-- +goose Down"), each with its byte range,
 * line and transaction option; its comments; its pgstep: directives, each
 * placed in the leading comment block (the file's directives) or before a
 * statement; and the problems of its markers. The loader, lint, the risk
 * engine and the runner all take a file's meaning from here, and statements
 * from sect_split over the same ranges, so they cannot disagree on it.
 *
 * A file that cannot hold a marker or a directive (no "pgstep:", no
 * "migrate:", no "+goose") is not scanned at all.
 *
 * Markers are line comments that begin a line; directives are comments (line
 * or block) whose text starts with "pgstep:". Words inside strings, dollar
 * quotes and identifiers are never comments. A UTF-8 byte-order mark at the
 * start is skipped. */
#ifndef PGSTEP_SECTION_H
#define PGSTEP_SECTION_H

#include <stdbool.h>
#include <stddef.h>
#include "pgstep/error.h"
#include "pgstep/split.h"
#include "pgstep/text.h"

enum sect_marker_kind {
	SECT_MARK_DBMATE_UP,
	SECT_MARK_DBMATE_DOWN,
	SECT_MARK_GOOSE_UP,
	SECT_MARK_GOOSE_DOWN,
	SECT_MARK_GOOSE_BEGIN,  /* +goose StatementBegin: the parser splits anyway */
	SECT_MARK_GOOSE_END,    /* +goose StatementEnd */
	SECT_MARK_GOOSE_NO_TXN, /* +goose NO TRANSACTION: the whole file */
};

struct sect_comment {
	size_t offset, len; /* the whole comment token, in the file */
	int line, col;
	bool block; /* a block comment */
};

struct sect_marker {
	enum sect_marker_kind kind;
	size_t offset, len; /* the comment token */
	int line;
	bool no_txn; /* dbmate's transaction:false */
};

struct sect_directive {
	char *name;      /* owned: the word after "pgstep:", e.g. "lock-timeout" */
	char *arg;       /* owned: the rest of the comment, trimmed ("" when none) */
	size_t offset;   /* of "pgstep:" in the file */
	int line, col;   /* of "pgstep:" */
	bool leading;    /* in the leading comment block (the comments before the
	                    first token): a directive of the file */
	bool header;     /* leading, and before the block's first blank line: a
	                    pgstep:allow there is for the whole file, one after
	                    it for the first statement */
	bool in_down;    /* after the down marker */
	size_t next_tok; /* file offset of the first token after the comment that is
	                    not a comment (the statement it stands before), or the
	                    text's length when none */
};

struct sect_problem {
	int line;
	bool error; /* else a warning */
	char *msg;  /* owned */
};

struct sect_range {
	bool present;
	size_t start, end; /* byte range in the file */
	int line;          /* line of start (sections begin at column 1) */
	bool no_txn;       /* the marker's transaction option */
	bool blank;        /* nothing but blanks, comments and ';' */
	int marker_line;   /* line of its marker, 0 without one */
};

enum sect_kind {
	SECT_PLAIN,  /* no markers: the whole file is the up section */
	SECT_DBMATE, /* migrate:up / migrate:down */
	SECT_GOOSE,  /* +goose Up / +goose Down */
};

struct sect_file {
	const char *text; /* not owned */
	size_t len;
	enum sect_kind kind;
	struct sect_range up, down;
	bool no_txn; /* goose NO TRANSACTION (covers both sections) */
	struct sect_comment *comments;
	size_t n_comments;
	struct sect_marker *markers;
	size_t n_markers;
	struct sect_directive *dirs;
	size_t n_dirs;
	struct sect_problem *problems;
	size_t n_problems;
	bool ok; /* no problem is an error */
};

/* sect_read flags. */
enum {
	SECT_MARKERS = 1u << 0, /* look for dbmate and goose markers (NNN_name.sql files) */
	SECT_BLANK = 1u << 1,   /* decide blank even when it takes a scan (the loader's
	                           "empty migration"); without it, a file whose first
	                           token is a comment and that has no marker or
	                           directive is taken as not blank, unscanned */
};

/* Read text[0..len) (NUL-terminated at len). Problems (marker errors, a
 * scanner error such as an unterminated string) are recorded in out; the
 * return value is out->ok. The text must outlive out. */
bool sect_read(const char *text, size_t len, struct sect_file *out, unsigned flags);
void sect_file_clear(struct sect_file *f);

/* The statements of range r of f (one parse), positioned in the file. A
 * parse error or a statement nested too deep fails with err naming line and
 * column in the file (not the path: callers add it). */
bool sect_split(const struct sect_file *f, const struct sect_range *r, struct statement_list *out,
                struct pgstep_error *err);

/* The body of comment c, without "--" or the block comment's delimiters and
 * trimmed; *len receives its length. */
const char *sect_comment_body(const char *text, const struct sect_comment *c, size_t *len);

/* The argument of pgstep:allow, "RULE[, RULE...] reason: TEXT": the rule
 * ids (owned, in order) and the reason (owned, NULL when missing or empty). */
struct sect_allow {
	char **rules;
	size_t n_rules;
	char *reason;
};
void sect_allow_parse(const char *arg, struct sect_allow *out);
void sect_allow_clear(struct sect_allow *a);

/* Copy n directives (deep). */
struct sect_directive *sect_directives_copy(const struct sect_directive *d, size_t n);
void sect_directives_free(struct sect_directive *d, size_t n);

#endif
