/* text: small helpers over byte strings that the parsers of files and
 * settings share: UTF-8 validation, line numbers, durations, trimming, and
 * the one definition of a control character that every output escapes. */
#ifndef PGSTEP_TEXT_H
#define PGSTEP_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* True when s[0..n) is valid UTF-8 (no NUL bytes either). Otherwise, when
 * bad_offset is given, it receives the offset of the first bad byte. */
bool text_utf8_valid(const char *s, size_t n, size_t *bad_offset);
/* Length in bytes of the control character at s: 1 for C0 (below 0x20,
 * NUL excluded) and DEL, 2 for a C1 control (U+0080..U+009F in UTF-8), 0
 * for anything else. A terminal acts on these (ESC starts a sequence, CSI
 * is C1 U+009B), so text from a server or a file never reaches one raw. */
size_t text_control_len(const char *s);
/* True when s holds a control character (text_control_len) or is not
 * valid UTF-8; *at (when given) gets the offset of the first one. */
bool text_has_control(const char *s, size_t *at);
struct strbuf;
/* Append s to out with control characters and bytes that are not UTF-8
 * escaped, C style: \n \r \t, \xHH for other C0, DEL and stray bytes,
 * \u00HH for C1. Printable text (UTF-8 included) is copied as is. */
void text_escape_controls(struct strbuf *out, const char *s);
/* A position in a text: byte offset, 1-based line, and 1-based column in
 * characters (UTF-8 sequences count once, a tab counts once, a UTF-8
 * byte-order mark at the start counts as nothing). This is the one rule every line:column pgstep
 * shows comes from. */
struct text_pos {
	size_t offset;
	int line, col;
};
#define TEXT_BOM       "\xEF\xBB\xBF"
#define TEXT_POS_START ((struct text_pos){0, 1, 1})
/* Move p forward to byte offset to (not past the end of s). Walking
 * positions in ascending order costs one pass over the text. */
void text_pos_advance(const char *s, struct text_pos *p, size_t to);
/* Line and column (struct text_pos's rule) of offset within s. */
void text_line_col(const char *s, size_t offset, int *line, int *col);
/* Parse "3s", "500ms", "2min", "1h", "0" or a bare number of milliseconds. */
bool text_parse_duration_ms(const char *s, int64_t *ms);
/* Strip leading and trailing ASCII whitespace in place; returns s. */
char *text_trim(char *s);
bool text_starts_with(const char *s, const char *prefix);
bool text_ends_with(const char *s, const char *suffix);
/* Compare two names with embedded numbers in numeric order ("p2" < "p10"). */
int text_natural_cmp(const char *a, const char *b);

/* Columns s takes on a terminal: UTF-8 characters count one (East Asian
 * wide two, combining marks none) and colour sequences (ESC [ ... m)
 * nothing. The one measure of text width, command line and interface. */
int text_width(const char *s);
int text_width_n(const char *s, size_t n);
/* Bytes of the longest start of s[0..n) that takes at most cols columns. */
size_t text_fit(const char *s, size_t n, int cols);
/* Append s to out as lines of at most width columns (text_width), each
 * ending in '\n'. Lines break at blanks; a word longer than a line is cut
 * where the line ends, so nothing is lost. A line of s that has to wrap
 * continues on lines that begin with indent. The one wrapping routine:
 * the command line and the interface both use it. */
void text_wrap(struct strbuf *out, const char *s, int width, const char *indent);
/* text_wrap's step, for a screen that draws rows itself: of s[0..n) (one
 * line), the bytes that fill the next row of width columns (up to its
 * last whole word; a word wider than the row is cut). *next gets where
 * the row after starts (blanks skipped; n when nothing is left). */
size_t text_wrap_next(const char *s, size_t n, int width, size_t *next);
/* "512 bytes", "976 kB", "1.3 MB", "2.0 GB" ("size unknown" below 0): the
 * one way pgstep prints a size. Caller frees. */
char *text_bytes(int64_t b);

#endif
