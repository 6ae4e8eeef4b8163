/* section: a migration file's sections, comments, markers and directives
 * from one pass of libpg_query's scanner (see section.h). Files without a
 * comment are not scanned at all: they can hold neither markers nor
 * directives, and their blankness shows in their bytes. */
#include "config.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <pg_query.h>
#include <pg_query/pg_query.pb-c.h>

#include "pgstep/section.h"
#include "pgstep/xalloc.h"

struct reader {
	struct sect_file *f;
	size_t cap_comments, cap_markers, cap_dirs, cap_problems;
};

__attribute__((format(printf, 4, 5))) static void problem(struct reader *rd, bool error, int line,
                                                          const char *fmt, ...);

static void problem(struct reader *rd, bool error, int line, const char *fmt, ...)
{
	struct sect_file *f = rd->f;
	va_list ap;
	va_start(ap, fmt);
	char *msg = xvasprintf(fmt, ap);
	va_end(ap);
	XGROW(f->problems, rd->cap_problems, f->n_problems + 1);
	f->problems[f->n_problems++] = (struct sect_problem){line, error, msg};
	if (error)
		f->ok = false;
}

const char *sect_comment_body(const char *text, const struct sect_comment *c, size_t *len)
{
	const char *p = text + c->offset, *end = p + c->len;
	if (c->block) {
		p += 2;
		if (end - p >= 2 && end[-2] == '*' && end[-1] == '/')
			end -= 2;
	} else {
		p += 2;
	}
	while (p < end && isspace((unsigned char)*p))
		p++;
	while (end > p && isspace((unsigned char)end[-1]))
		end--;
	*len = (size_t)(end - p);
	return p;
}

static bool at_line_start(const char *text, size_t offset, size_t body)
{
	while (offset > body && (text[offset - 1] == ' ' || text[offset - 1] == '\t'))
		offset--;
	return offset == body || text[offset - 1] == '\n';
}

/* Is body "word" followed by its end or a blank? */
static bool body_word(const char *body, size_t len, const char *word, bool nocase)
{
	size_t n = strlen(word);
	if (len < n || (nocase ? strncasecmp(body, word, n) : memcmp(body, word, n)) != 0)
		return false;
	return len == n || body[n] == ' ' || body[n] == '\t';
}

/* The marker a line comment's body is, or -1. *opts receives dbmate's
 * options after the marker word. */
static int marker_kind(const char *body, size_t len, const char **opts, size_t *opts_len)
{
	*opts = NULL;
	*opts_len = 0;
	if (body_word(body, len, "migrate:up", false) ||
	    body_word(body, len, "migrate:down", false)) {
		bool up = body[8] == 'u';
		size_t wl = up ? 10 : 12;
		*opts = body + wl;
		*opts_len = len - wl;
		return up ? SECT_MARK_DBMATE_UP : SECT_MARK_DBMATE_DOWN;
	}
	if (!body_word(body, len, "+goose", false))
		return -1;
	const char *w = body + 6, *end = body + len;
	while (w < end && (*w == ' ' || *w == '\t'))
		w++;
	size_t wl = (size_t)(end - w);
	if (body_word(w, wl, "Up", true) && wl == 2)
		return SECT_MARK_GOOSE_UP;
	if (body_word(w, wl, "Down", true) && wl == 4)
		return SECT_MARK_GOOSE_DOWN;
	if (body_word(w, wl, "StatementBegin", true) && wl == 14)
		return SECT_MARK_GOOSE_BEGIN;
	if (body_word(w, wl, "StatementEnd", true) && wl == 12)
		return SECT_MARK_GOOSE_END;
	if (body_word(w, wl, "NO", true) && wl > 3) {
		const char *t = w + 2;
		while (t < end && (*t == ' ' || *t == '\t'))
			t++;
		if ((size_t)(end - t) == 11 && strncasecmp(t, "TRANSACTION", 11) == 0)
			return SECT_MARK_GOOSE_NO_TXN;
	}
	return -1;
}

static const char *marker_name(int kind)
{
	switch (kind) {
	case SECT_MARK_DBMATE_UP: return "migrate:up";
	case SECT_MARK_DBMATE_DOWN: return "migrate:down";
	case SECT_MARK_GOOSE_UP: return "+goose Up";
	case SECT_MARK_GOOSE_DOWN: return "+goose Down";
	default: return "+goose";
	}
}

static bool marker_opts(struct reader *rd, int line, const char *opts, size_t len)
{
	bool no_txn = false;
	char *s = xstrndup(opts, len);
	for (char *save = NULL, *tok = strtok_r(s, " \t", &save); tok;
	     tok = strtok_r(NULL, " \t", &save)) {
		if (strcmp(tok, "transaction:false") == 0)
			no_txn = true;
		else if (strcmp(tok, "transaction:true") != 0)
			problem(rd, false, line, "unknown dbmate option '%s' ignored", tok);
	}
	free(s);
	return no_txn;
}

static void add_directive(struct reader *rd, const char *text, const struct sect_comment *c,
                          const char *body, size_t len, bool leading, bool header, bool in_down)
{
	struct sect_file *f = rd->f;
	const char *p = body + 7, *end = body + len; /* after "pgstep:" */
	const char *w = p;
	while (w < end && !isspace((unsigned char)*w))
		w++;
	const char *a = w;
	while (a < end && isspace((unsigned char)*a))
		a++;
	struct text_pos pos = {c->offset, c->line, c->col};
	text_pos_advance(text, &pos, (size_t)(body - text));
	XGROW(f->dirs, rd->cap_dirs, f->n_dirs + 1);
	f->dirs[f->n_dirs++] = (struct sect_directive){
	    .name = xstrndup(p, (size_t)(w - p)),
	    .arg = xstrndup(a, (size_t)(end - a)),
	    .offset = (size_t)(body - text),
	    .line = pos.line,
	    .col = pos.col,
	    .leading = leading,
	    .header = header,
	    .in_down = in_down,
	    .next_tok = f->len,
	};
}

/* Offset just after the line holding offset (or the end of the text). */
static size_t next_line(const char *text, size_t len, size_t offset)
{
	const char *nl = memchr(text + offset, '\n', len - offset);
	return nl ? (size_t)(nl - text) + 1 : len;
}

static size_t line_start(const char *text, size_t offset)
{
	while (offset > 0 && text[offset - 1] != '\n')
		offset--;
	return offset;
}

/* The first marker of kind up and of kind down, checked for order. */
static void find_sections(struct reader *rd, size_t body)
{
	struct sect_file *f = rd->f;
	const struct sect_marker *up = NULL, *down = NULL;
	for (size_t i = 0; i < f->n_markers; i++) {
		const struct sect_marker *m = &f->markers[i];
		bool is_up = m->kind == SECT_MARK_DBMATE_UP || m->kind == SECT_MARK_GOOSE_UP;
		bool is_down = m->kind == SECT_MARK_DBMATE_DOWN || m->kind == SECT_MARK_GOOSE_DOWN;
		if (m->kind == SECT_MARK_GOOSE_NO_TXN)
			f->no_txn = true;
		if (!is_up && !is_down)
			continue;
		const struct sect_marker **slot = is_up ? &up : &down;
		if (*slot) {
			problem(rd, true, m->line, "second %s marker (first at line %d)",
			        marker_name(m->kind), (*slot)->line);
			continue;
		}
		if (is_up && down)
			problem(rd, true, down->line, "%s marker before the %s marker (line %d)",
			        marker_name(down->kind), marker_name(m->kind), m->line);
		*slot = m;
	}
	if (down && !up)
		problem(rd, true, down->line, "%s marker without a %s marker",
		        marker_name(down->kind),
		        down->kind == SECT_MARK_DBMATE_DOWN ? "migrate:up" : "+goose Up");
	if (!up) {
		f->kind = SECT_PLAIN;
		f->up =
		    (struct sect_range){.present = true, .start = body, .end = f->len, .line = 1};
		return;
	}
	f->kind = up->kind == SECT_MARK_DBMATE_UP ? SECT_DBMATE : SECT_GOOSE;
	size_t up_start = next_line(f->text, f->len, up->offset + up->len);
	size_t up_end = down ? line_start(f->text, down->offset) : f->len;
	if (up_end < up_start)
		up_end = up_start;
	f->up = (struct sect_range){.present = true,
	                            .start = up_start,
	                            .end = up_end,
	                            .line = up->line + 1,
	                            .no_txn = up->no_txn || f->no_txn,
	                            .marker_line = up->line};
	if (down) {
		size_t down_start = next_line(f->text, f->len, down->offset + down->len);
		size_t down_end =
		    down->offset < up->offset ? line_start(f->text, up->offset) : f->len;
		if (down_end < down_start)
			down_end = down_start;
		f->down = (struct sect_range){.present = true,
		                              .start = down_start,
		                              .end = down_end,
		                              .line = down->line + 1,
		                              .no_txn = down->no_txn || f->no_txn,
		                              .marker_line = down->line};
	}
}

static bool token_is_comment(int t)
{
	return t == PG_QUERY__TOKEN__SQL_COMMENT || t == PG_QUERY__TOKEN__C_COMMENT;
}

/* The scan's state between tokens (the text comes a chunk at a time). */
struct scan_state {
	struct reader *rd;
	size_t body;
	bool markers;
	struct text_pos pos;
	bool leading, header, in_down;
	size_t first_dir, prev_end;
	/* Where the statements' tokens are, for blankness, without keeping
	 * them: for each stretch between two markers (stretch k follows
	 * marker k-1), its first and last token that is not a comment or ';'. */
	struct stretch {
		bool any;
		size_t first, last;
	} * stretches;
	size_t cap_stretches;
};

/* Comments, markers and directives from the scanner's tokens. */
static bool read_token(int token, size_t start, size_t end, void *arg)
{
	struct scan_state *st = arg;
	struct reader *rd = st->rd;
	struct sect_file *f = rd->f;
	const char *text = f->text;
	size_t off = st->body + start;
	/* A blank line (two line ends between tokens) ends the header. */
	int newlines = 0;
	for (size_t k = st->prev_end; st->header && k < off; k++)
		newlines += text[k] == '\n';
	if (newlines >= 2)
		st->header = false;
	st->prev_end = st->body + end;
	if (!token_is_comment(token)) {
		st->header = false;
		st->leading = false;
		/* directives waiting for the statement they stand before */
		for (; st->first_dir < f->n_dirs; st->first_dir++)
			f->dirs[st->first_dir].next_tok = off;
		if (token != ';') {
			XGROW(st->stretches, st->cap_stretches, f->n_markers + 1);
			struct stretch *s = &st->stretches[f->n_markers];
			if (!s->any)
				*s = (struct stretch){true, off, off};
			s->last = off;
		}
		return true;
	}
	text_pos_advance(text, &st->pos, off);
	XGROW(f->comments, rd->cap_comments, f->n_comments + 1);
	struct sect_comment *c = &f->comments[f->n_comments++];
	*c = (struct sect_comment){off, end - start, st->pos.line, st->pos.col,
	                           token == PG_QUERY__TOKEN__C_COMMENT};
	size_t len;
	const char *b = sect_comment_body(text, c, &len);
	if (len >= 7 && memcmp(b, "pgstep:", 7) == 0) {
		add_directive(rd, text, c, b, len, st->leading && !st->in_down,
		              st->header && !st->in_down, st->in_down);
		return true;
	}
	const char *opts;
	size_t opts_len;
	int kind = c->block || !st->markers ? -1 : marker_kind(b, len, &opts, &opts_len);
	if (kind < 0)
		return true;
	if (!at_line_start(text, off, st->body)) {
		problem(rd, false, c->line, "marker ignored: %s markers must begin a line",
		        kind <= SECT_MARK_DBMATE_DOWN ? "dbmate" : "goose");
		return true;
	}
	bool is_up = kind == SECT_MARK_DBMATE_UP || kind == SECT_MARK_GOOSE_UP;
	if (is_up && !st->leading && !st->in_down)
		problem(rd, true, c->line, "SQL before the %s marker belongs to no section",
		        marker_name(kind));
	if (kind == SECT_MARK_DBMATE_DOWN || kind == SECT_MARK_GOOSE_DOWN)
		st->in_down = true; /* the down section is not the up's block */
	XGROW(f->markers, rd->cap_markers, f->n_markers + 1);
	f->markers[f->n_markers++] = (struct sect_marker){
	    .kind = (enum sect_marker_kind)kind,
	    .offset = off,
	    .len = c->len,
	    .line = c->line,
	    .no_txn = opts ? marker_opts(rd, c->line, opts, opts_len) : false,
	};
	XGROW(st->stretches, st->cap_stretches, f->n_markers + 1);
	st->stretches[f->n_markers] = (struct stretch){0};
	return true;
}

/* A range runs from just after a marker's line to the line of another (or
 * the end), so it cuts at most one end of a stretch: it holds a token of
 * the stretch if and only if it holds the first or the last. */
static void mark_blank(const struct scan_state *st, struct sect_range *r)
{
	if (!r->present)
		return;
	r->blank = true;
	for (size_t k = 0; k <= st->rd->f->n_markers && r->blank; k++) {
		const struct stretch *s = &st->stretches[k];
		if (s->any && ((s->first >= r->start && s->first < r->end) ||
		               (s->last >= r->start && s->last < r->end)))
			r->blank = false;
	}
}

bool sect_read(const char *text, size_t len, struct sect_file *out, unsigned flags)
{
	memset(out, 0, sizeof *out);
	out->text = text;
	out->len = len;
	out->ok = true;
	struct reader rd = {.f = out};
	size_t body = len >= 3 && memcmp(text, TEXT_BOM, 3) == 0 ? 3 : 0;

	/* Markers and directives need the comments; so does blankness when a
	 * comment comes first. Any other file is taken whole, unscanned. */
	bool keywords = strstr(text + body, "pgstep:") ||
	                ((flags & SECT_MARKERS) &&
	                 (strstr(text + body, "migrate:") || strstr(text + body, "+goose")));
	size_t lead = body;
	while (lead < len && (isspace((unsigned char)text[lead]) || text[lead] == ';'))
		lead++;
	bool comment_first = lead + 1 < len && ((text[lead] == '-' && text[lead + 1] == '-') ||
	                                        (text[lead] == '/' && text[lead + 1] == '*'));
	if (!keywords && !((flags & SECT_BLANK) && comment_first)) {
		out->kind = SECT_PLAIN;
		out->up = (struct sect_range){
		    .present = true, .start = body, .end = len, .line = 1, .blank = lead == len};
		return true;
	}
	struct scan_state st = {
	    .rd = &rd,
	    .body = body,
	    .markers = flags & SECT_MARKERS,
	    .pos = TEXT_POS_START,
	    .leading = true,
	    .header = true,
	    .prev_end = body,
	};
	XGROW(st.stretches, st.cap_stretches, 1);
	st.stretches[0] = (struct stretch){0};
	struct pgstep_error err = {0};
	if (!sql_scan_each(text + body, read_token, &st, &err)) {
		/* What the chunks before the error held is dropped: the file is
		 * read as one plain section. Only a file that may hold markers or
		 * directives needs its comments; any other reports the error when
		 * it is parsed. */
		free(st.stretches);
		sect_file_clear(out);
		out->text = text;
		out->len = len;
		out->ok = true;
		rd = (struct reader){.f = out};
		if (((flags & SECT_MARKERS) &&
		     (strstr(text, "migrate:") || strstr(text, "+goose"))) ||
		    strstr(text, "pgstep:"))
			problem(&rd, true, 0, "%s", err.msg);
		error_clear(&err);
		out->kind = SECT_PLAIN;
		out->up =
		    (struct sect_range){.present = true, .start = body, .end = len, .line = 1};
		return out->ok;
	}
	find_sections(&rd, body);
	mark_blank(&st, &out->up);
	mark_blank(&st, &out->down);
	free(st.stretches);
	return out->ok;
}

void sect_allow_parse(const char *arg, struct sect_allow *out)
{
	memset(out, 0, sizeof *out);
	const char *end = arg + strlen(arg), *reason = NULL;
	for (const char *q = arg; q + 7 <= end && !reason; q++)
		if (strncasecmp(q, "reason:", 7) == 0)
			reason = q;
	const char *ids_end = reason ? reason : end;
	if (reason) {
		const char *w = reason + 7, *we = end;
		while (w < we && isspace((unsigned char)*w))
			w++;
		while (we > w && isspace((unsigned char)we[-1]))
			we--;
		if (we > w)
			out->reason = xstrndup(w, (size_t)(we - w));
	}
	size_t cap = 0;
	for (const char *q = arg; q < ids_end;) {
		while (q < ids_end && (isspace((unsigned char)*q) || *q == ','))
			q++;
		const char *w = q;
		while (q < ids_end && !isspace((unsigned char)*q) && *q != ',')
			q++;
		if (q == w)
			continue;
		XGROW(out->rules, cap, out->n_rules + 1);
		out->rules[out->n_rules++] = xstrndup(w, (size_t)(q - w));
	}
}

void sect_allow_clear(struct sect_allow *a)
{
	for (size_t i = 0; i < a->n_rules; i++)
		free(a->rules[i]);
	free(a->rules);
	free(a->reason);
	memset(a, 0, sizeof *a);
}

void sect_directives_free(struct sect_directive *d, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(d[i].name);
		free(d[i].arg);
	}
	free(d);
}

struct sect_directive *sect_directives_copy(const struct sect_directive *d, size_t n)
{
	if (!n)
		return NULL;
	struct sect_directive *c = xmalloc(n * sizeof *c);
	for (size_t i = 0; i < n; i++) {
		c[i] = d[i];
		c[i].name = xstrdup(d[i].name);
		c[i].arg = xstrdup(d[i].arg);
	}
	return c;
}

void sect_file_clear(struct sect_file *f)
{
	free(f->comments);
	free(f->markers);
	sect_directives_free(f->dirs, f->n_dirs);
	for (size_t i = 0; i < f->n_problems; i++)
		free(f->problems[i].msg);
	free(f->problems);
	memset(f, 0, sizeof *f);
}

bool sect_split(const struct sect_file *f, const struct sect_range *r, struct statement_list *out,
                struct pgstep_error *err)
{
	if (!r->present)
		return true;
	char *text = xstrndup(f->text + r->start, r->end - r->start);
	bool ok = sql_split(text, (struct text_pos){r->start, r->line, 1}, out, err);
	free(text);
	return ok;
}
