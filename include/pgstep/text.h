/* text: small helpers over byte strings that the parsers of files and
 * settings share: UTF-8 validation, line numbers, durations, trimming. */
#ifndef PGSTEP_TEXT_H
#define PGSTEP_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* True when s[0..n) is valid UTF-8 (no NUL bytes either). Otherwise, when
 * bad_offset is given, it receives the offset of the first bad byte. */
bool text_utf8_valid(const char *s, size_t n, size_t *bad_offset);
/* 1-based line and column (in bytes) of offset within s. */
void text_line_col(const char *s, size_t offset, int *line, int *col);
/* Parse "3s", "500ms", "2min", "1h", "0" or a bare number of milliseconds. */
bool text_parse_duration_ms(const char *s, int64_t *ms);
/* Strip leading and trailing ASCII whitespace in place; returns s. */
char *text_trim(char *s);
bool text_starts_with(const char *s, const char *prefix);
bool text_ends_with(const char *s, const char *suffix);
/* Compare two names with embedded numbers in numeric order ("p2" < "p10"). */
int text_natural_cmp(const char *a, const char *b);

#endif
