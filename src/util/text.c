/* text: UTF-8 checks, control characters, line numbers, durations, natural
 * order. */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "pgstep/strbuf.h"
#include "pgstep/text.h"
#include "pgstep/xalloc.h"

/* Length of the valid UTF-8 sequence at p (n bytes available), 0 when
 * there is none (NUL included). */
static size_t utf8_seq_len(const unsigned char *p, size_t n)
{
	unsigned c = p[0];
	size_t len;
	unsigned min;
	if (n == 0 || c == 0)
		return 0;
	if (c < 0x80)
		return 1;
	if ((c & 0xE0) == 0xC0)
		len = 2, min = 0x80, c &= 0x1F;
	else if ((c & 0xF0) == 0xE0)
		len = 3, min = 0x800, c &= 0x0F;
	else if ((c & 0xF8) == 0xF0)
		len = 4, min = 0x10000, c &= 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (size_t k = 1; k < len; k++) {
		if ((p[k] & 0xC0) != 0x80)
			return 0;
		c = (c << 6) | (p[k] & 0x3F);
	}
	if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
		return 0;
	return len;
}

size_t text_control_len(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	if ((p[0] > 0 && p[0] < 0x20) || p[0] == 0x7F)
		return 1;
	if (p[0] == 0xC2 && p[1] >= 0x80 && p[1] <= 0x9F)
		return 2;
	return 0;
}

bool text_has_control(const char *s, size_t *at)
{
	size_t n = strlen(s);
	for (size_t i = 0; i < n;) {
		size_t len = utf8_seq_len((const unsigned char *)s + i, n - i);
		if (!len || text_control_len(s + i)) {
			if (at)
				*at = i;
			return true;
		}
		i += len;
	}
	return false;
}

void text_escape_controls(struct strbuf *out, const char *s)
{
	size_t n = strlen(s), run = 0, i = 0;
	while (i < n) {
		const unsigned char *p = (const unsigned char *)s + i;
		size_t len = utf8_seq_len(p, n - i);
		size_t ctl = len ? text_control_len(s + i) : 0;
		if (len && !ctl) {
			i += len;
			continue;
		}
		strbuf_add(out, s + run, i - run);
		if (ctl == 2)
			strbuf_addf(out, "\\u%04x",
			            (unsigned)(((p[0] & 0x1F) << 6) | (p[1] & 0x3F)));
		else if (p[0] == '\n')
			strbuf_adds(out, "\\n");
		else if (p[0] == '\r')
			strbuf_adds(out, "\\r");
		else if (p[0] == '\t')
			strbuf_adds(out, "\\t");
		else
			strbuf_addf(out, "\\x%02x", p[0]);
		i += ctl ? ctl : 1;
		run = i;
	}
	strbuf_add(out, s + run, n - run);
}

bool text_utf8_valid(const char *s, size_t n, size_t *bad_offset)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;
	while (i < n) {
		unsigned c = p[i];
		size_t len;
		unsigned min;
		if (c == 0)
			goto bad;
		if (c < 0x80) {
			i++;
			continue;
		} else if ((c & 0xE0) == 0xC0) {
			len = 2, min = 0x80, c &= 0x1F;
		} else if ((c & 0xF0) == 0xE0) {
			len = 3, min = 0x800, c &= 0x0F;
		} else if ((c & 0xF8) == 0xF0) {
			len = 4, min = 0x10000, c &= 0x07;
		} else {
			goto bad;
		}
		if (i + len > n)
			goto bad;
		for (size_t k = 1; k < len; k++) {
			if ((p[i + k] & 0xC0) != 0x80)
				goto bad;
			c = (c << 6) | (p[i + k] & 0x3F);
		}
		if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
			goto bad;
		i += len;
	}
	return true;
bad:
	if (bad_offset)
		*bad_offset = i;
	return false;
}

void text_pos_advance(const char *s, struct text_pos *p, size_t to)
{
	/* A byte-order mark is not a character a reader sees. */
	if (p->offset == 0 && to >= 3 && memcmp(s, TEXT_BOM, 3) == 0)
		p->offset = 3;
	for (; p->offset < to && s[p->offset]; p->offset++) {
		unsigned char ch = (unsigned char)s[p->offset];
		if (ch == '\n') {
			p->line++;
			p->col = 1;
		} else if ((ch & 0xC0) != 0x80) {
			p->col++; /* a character starts here */
		}
	}
}

void text_line_col(const char *s, size_t offset, int *line, int *col)
{
	struct text_pos p = TEXT_POS_START;
	text_pos_advance(s, &p, offset);
	if (line)
		*line = p.line;
	if (col)
		*col = p.col;
}

bool text_parse_duration_ms(const char *s, int64_t *ms)
{
	while (isspace((unsigned char)*s))
		s++;
	if (!isdigit((unsigned char)*s))
		return false;
	char *end;
	double v = strtod(s, &end);
	while (isspace((unsigned char)*end))
		end++;
	double mult;
	if (*end == '\0' || strcmp(end, "ms") == 0)
		mult = 1;
	else if (strcmp(end, "s") == 0)
		mult = 1000;
	else if (strcmp(end, "min") == 0)
		mult = 60000;
	else if (strcmp(end, "h") == 0)
		mult = 3600000;
	else
		return false;
	double r = v * mult;
	if (r < 0 || r > 2147483647.0) /* PostgreSQL's limit for timeouts */
		return false;
	*ms = (int64_t)(r + 0.5);
	return true;
}

char *text_trim(char *s)
{
	char *p = s;
	while (isspace((unsigned char)*p))
		p++;
	size_t n = strlen(p);
	while (n > 0 && isspace((unsigned char)p[n - 1]))
		n--;
	memmove(s, p, n);
	s[n] = '\0';
	return s;
}

bool text_starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

bool text_ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);
	return a >= b && memcmp(s + a - b, suffix, b) == 0;
}

int text_natural_cmp(const char *a, const char *b)
{
	while (*a && *b) {
		if (isdigit((unsigned char)*a) && isdigit((unsigned char)*b)) {
			while (*a == '0')
				a++;
			while (*b == '0')
				b++;
			size_t la = 0, lb = 0;
			while (isdigit((unsigned char)a[la]))
				la++;
			while (isdigit((unsigned char)b[lb]))
				lb++;
			if (la != lb)
				return la < lb ? -1 : 1;
			int c = strncmp(a, b, la);
			if (c)
				return c;
			a += la;
			b += lb;
		} else {
			if (*a != *b)
				return (unsigned char)*a < (unsigned char)*b ? -1 : 1;
			a++;
			b++;
		}
	}
	return (unsigned char)*a - (unsigned char)*b;
}

/* ---- display width and wrapping ---------------------------------------------- */

/* Columns a terminal gives code point c: 0 for combining marks and
 * zero-width characters, 2 for East Asian wide and emoji, else 1. Our own
 * table, not wcwidth(): the answer must not depend on the locale, so a
 * test under LANG=C measures what a UTF-8 terminal shows. */
static int cp_width(unsigned c)
{
	if ((c >= 0x300 && c <= 0x36F) || (c >= 0x200B && c <= 0x200F) || c == 0xFEFF ||
	    (c >= 0xFE00 && c <= 0xFE0F) || (c >= 0x20D0 && c <= 0x20FF))
		return 0;
	if ((c >= 0x1100 && c <= 0x115F) || (c >= 0x2E80 && c <= 0xA4CF && c != 0x303F) ||
	    (c >= 0xAC00 && c <= 0xD7A3) || (c >= 0xF900 && c <= 0xFAFF) ||
	    (c >= 0xFE30 && c <= 0xFE4F) || (c >= 0xFF00 && c <= 0xFF60) ||
	    (c >= 0xFFE0 && c <= 0xFFE6) || (c >= 0x1F300 && c <= 0x1F64F) ||
	    (c >= 0x1F900 && c <= 0x1F9FF) || (c >= 0x20000 && c <= 0x3FFFD))
		return 2;
	return 1;
}

/* Length in bytes of the unit at s and its width: a colour sequence (ESC [
 * ... final byte) is 0 columns, a stray byte 1. */
static size_t unit_at(const char *s, int *width)
{
	const unsigned char *p = (const unsigned char *)s;
	if (p[0] >= 0x20 && p[0] < 0x7F) { /* most of what is measured */
		*width = 1;
		return 1;
	}
	if (p[0] == 0x1B && p[1] == '[') {
		size_t k = 2;
		while (p[k] && (p[k] < 0x40 || p[k] > 0x7E))
			k++;
		*width = 0;
		return p[k] ? k + 1 : k;
	}
	size_t len = utf8_seq_len(p, strnlen(s, 4));
	if (!len) {
		*width = 1;
		return 1;
	}
	unsigned c = p[0];
	if (len > 1) {
		c &= 0xFF >> (len + 1);
		for (size_t k = 1; k < len; k++)
			c = (c << 6) | (p[k] & 0x3F);
	}
	*width = c < 0x20 || c == 0x7F ? 0 : cp_width(c);
	return len;
}

int text_width_n(const char *s, size_t n)
{
	int w = 0, cw;
	for (size_t i = 0; i < n && s[i];) {
		i += unit_at(s + i, &cw);
		w += cw;
	}
	return w;
}

size_t text_fit(const char *s, size_t n, int cols)
{
	size_t i = 0;
	int used = 0, cw;
	while (i < n && s[i]) {
		size_t len = unit_at(s + i, &cw);
		if (used + cw > cols)
			break;
		used += cw;
		i += len;
	}
	return i;
}

int text_width(const char *s)
{
	return text_width_n(s, strlen(s));
}

size_t text_wrap_next(const char *s, size_t n, int width, size_t *next)
{
	int col = 0, cw;
	size_t i = 0, end = 0;
	bool word_seen = false;
	while (i < n) {
		size_t gap = i;
		while (i < n && s[i] == ' ')
			i++;
		size_t word = i;
		while (i < n && s[i] != ' ')
			i++;
		if (word == i)
			break; /* blanks to the end */
		int ww = text_width_n(s + word, i - word);
		if (col + (int)(word - gap) + ww > width) {
			if (!word_seen) { /* wider than a row: cut where the row ends */
				size_t k = word;
				col += (int)(word - gap);
				while (k < i) {
					size_t len = unit_at(s + k, &cw);
					if (col + cw > width && k > word)
						break;
					col += cw;
					k += len;
				}
				end = k;
				*next = k;
				return end;
			}
			break;
		}
		col += (int)(word - gap) + ww;
		end = i;
		word_seen = true;
	}
	size_t k = end;
	while (k < n && s[k] == ' ')
		k++;
	*next = k > 0 ? k : n; /* nothing but blanks: done */
	return end;
}

/* One line (no '\n') of text_wrap. */
static void wrap_line(struct strbuf *out, const char *s, size_t n, int width, const char *indent)
{
	int iw = text_width(indent);
	if (width < iw + 8)
		width = iw + 8; /* a narrow terminal still gets words, not letters */
	size_t pos = 0;
	bool first = true;
	do {
		size_t next;
		size_t len = text_wrap_next(s + pos, n - pos, first ? width : width - iw, &next);
		if (!first)
			strbuf_adds(out, indent);
		strbuf_add(out, s + pos, len);
		strbuf_addc(out, '\n');
		pos += next;
		first = false;
	} while (pos < n);
}

void text_wrap(struct strbuf *out, const char *s, int width, const char *indent)
{
	for (;;) {
		size_t n = strcspn(s, "\n");
		wrap_line(out, s, n, width, indent ? indent : "");
		if (!s[n] || !s[n + 1])
			break;
		s += n + 1;
	}
}

char *text_bytes(int64_t b)
{
	if (b < 0)
		return xstrdup("size unknown");
	if (b < 1024)
		return xasprintf("%lld bytes", (long long)b);
	if (b < 1024 * 1024)
		return xasprintf("%.0f kB", (double)b / 1024);
	if (b < 1024LL * 1024 * 1024)
		return xasprintf("%.1f MB", (double)b / (1024 * 1024));
	return xasprintf("%.1f GB", (double)b / (1024.0 * 1024 * 1024));
}
