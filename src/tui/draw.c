/* draw: UTF-8 text into curses windows clipped by display columns (wide
 * characters count two), and the line-and-span documents the detail tabs
 * build. */
#include "config.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "pgstep/xalloc.h"
#include "tui_int.h"

int draw_text(WINDOW *w, const char *s, size_t len, int maxcols, attr_t a)
{
	int used = 0;
	mbstate_t st;
	memset(&st, 0, sizeof st);
	size_t i = 0;
	while (i < len && used < maxcols) {
		wchar_t wc;
		size_t n = mbrtowc(&wc, s + i, len - i, &st);
		int cw;
		if (n == (size_t)-1 || n == (size_t)-2 || n == 0) {
			memset(&st, 0, sizeof st);
			wc = L'?';
			n = 1;
		}
		if (wc == L'\t')
			wc = L' ';
		cw = wcwidth(wc);
		if (cw < 0) {
			wc = L'?';
			cw = 1;
		}
		if (used + cw > maxcols)
			break;
		cchar_t cc;
		wchar_t str[2] = {wc, 0};
		setcchar(&cc, str, a, PAIR_NUMBER(a), NULL);
		wadd_wch(w, &cc);
		used += cw;
		i += n;
	}
	return used;
}

int draw_str(WINDOW *w, const char *s, int maxcols, attr_t a)
{
	return s ? draw_text(w, s, strlen(s), maxcols, a) : 0;
}

void draw_fill(WINDOW *w, int cols, attr_t a)
{
	for (int i = 0; i < cols; i++)
		waddch(w, ' ' | a);
}

void doc_clear(struct doc *d)
{
	for (size_t i = 0; i < d->n; i++) {
		free(d->lines[i].text);
		free(d->lines[i].spans);
	}
	free(d->lines);
	*d = (struct doc){0};
}

static struct doc_line *doc_push(struct doc *d, enum role base, char *text)
{
	XGROW(d->lines, d->cap, d->n + 1);
	struct doc_line *l = &d->lines[d->n++];
	*l = (struct doc_line){.text = text, .base = base};
	return l;
}

struct doc_line *doc_add(struct doc *d, enum role base, const char *fmt, ...)
{
	va_list ap;
	struct strbuf sb;
	strbuf_init(&sb);
	va_start(ap, fmt);
	strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	return doc_push(d, base, strbuf_detach(&sb));
}

void doc_span(struct doc_line *l, size_t start, size_t end, enum role r)
{
	if (end <= start)
		return;
	XGROW(l->spans, l->cap_spans, l->n_spans + 1);
	l->spans[l->n_spans++] = (struct doc_span){start, end, r};
}

void doc_add_text(struct doc *d, const char *text, const enum role *roles, enum role base,
                  int first_line_number)
{
	const char *p = text ? text : "";
	size_t off = 0;
	int lineno = first_line_number;
	for (;;) {
		const char *nl = strchr(p + off, '\n');
		size_t len = nl ? (size_t)(nl - (p + off)) : strlen(p + off);
		if (!nl && len == 0 && off > 0)
			break;
		/* Expand tabs (to 4) and keep a map for the roles. */
		struct strbuf sb;
		strbuf_init(&sb);
		size_t gutter = 0;
		if (first_line_number > 0) {
			strbuf_addf(&sb, "%4d ", lineno);
			gutter = sb.len;
		}
		struct doc_line *l = doc_push(d, base, NULL);
		l->code = first_line_number > 0; /* SQL keeps its lines */
		if (gutter)
			doc_span(l, 0, gutter, ROLE_LINE_NUMBER);
		size_t col = 0, run_start = sb.len;
		enum role run = base;
		for (size_t i = 0; i < len; i++) {
			enum role r = roles ? roles[off + i] : base;
			if (r != run) {
				if (run != base)
					doc_span(l, run_start, sb.len, run);
				run = r;
				run_start = sb.len;
			}
			char c = p[off + i];
			if (c == '\t') {
				do {
					strbuf_addc(&sb, ' ');
					col++;
				} while (col % 4);
			} else if (c != '\r') {
				strbuf_addc(&sb, c);
				col++;
			}
		}
		if (run != base)
			doc_span(l, run_start, sb.len, run);
		l->text = strbuf_detach(&sb);
		lineno++;
		if (!nl)
			break;
		off += len + 1;
		if (!p[off])
			break;
	}
}

int doc_draw_slice(WINDOW *w, const struct doc_line *l, size_t start, size_t end, int maxcols)
{
	size_t len = strlen(l->text), pos = start;
	int used = 0;
	if (end > len)
		end = len;
	for (size_t s = 0; s <= l->n_spans && used < maxcols && pos < end; s++) {
		size_t from = s < l->n_spans ? l->spans[s].start : end;
		size_t to = s < l->n_spans ? l->spans[s].end : end;
		from = from < pos ? pos : from > end ? end : from;
		to = to > end ? end : to;
		if (from > pos)
			used += draw_text(w, l->text + pos, from - pos, maxcols - used,
			                  role_attr(l->base));
		if (s == l->n_spans)
			break;
		if (to > from && used < maxcols)
			used += draw_text(w, l->text + from, to - from, maxcols - used,
			                  role_attr(l->spans[s].role));
		pos = to > from ? to : from;
	}
	return used;
}

void doc_draw_line(WINDOW *w, const struct doc_line *l, int maxcols)
{
	doc_draw_slice(w, l, 0, strlen(l->text), maxcols);
}

/* Row [start, end) of src as a line of out, indent blanks first, its
 * spans cut to the row. */
static void doc_push_row(struct doc *out, const struct doc_line *src, size_t start, size_t end,
                         int indent)
{
	struct strbuf sb;
	strbuf_init(&sb);
	strbuf_addf(&sb, "%*s", indent, "");
	size_t shift = sb.len;
	strbuf_add(&sb, src->text + start, end - start);
	struct doc_line *l = doc_push(out, src->base, strbuf_detach(&sb));
	l->code = src->code;
	for (size_t k = 0; k < src->n_spans; k++) {
		size_t a = src->spans[k].start > start ? src->spans[k].start : start;
		size_t b = src->spans[k].end < end ? src->spans[k].end : end;
		if (b > a)
			doc_span(l, a - start + shift, b - start + shift, src->spans[k].role);
	}
}

void doc_wrap(const struct doc *src, int width, struct doc *out)
{
	for (size_t i = 0; i < src->n; i++) {
		const struct doc_line *l = &src->lines[i];
		size_t len = strlen(l->text);
		if (l->code || text_width(l->text) <= width) {
			doc_push_row(out, l, 0, len, 0);
			continue;
		}
		int indent = l->hang ? l->hang : (int)strspn(l->text, " ") + 2;
		if (indent > width / 2)
			indent = width / 2;
		size_t pos = 0;
		bool first = true;
		while (pos < len) {
			size_t next;
			size_t n = text_wrap_next(l->text + pos, len - pos,
			                          first ? width : width - indent, &next);
			doc_push_row(out, l, pos, pos + n, first ? 0 : indent);
			if (next == 0)
				break;
			pos += next;
			first = false;
		}
	}
}

/* Outside a UTF-8 locale ncurses draws lines through the terminal's
 * alternate character set, which many terminals (and terminals behind
 * screen, mosh or a serial console) show as the letters "lqqk": plain
 * ASCII is always legible, as the glyphs already are. */
void draw_box(WINDOW *w)
{
	if (glyph->ascii)
		wborder(w, '|', '|', '-', '-', '+', '+', '+', '+');
	else
		box(w, 0, 0);
}
