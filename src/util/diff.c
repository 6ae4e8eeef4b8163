/* diff: Myers' greedy O(ND) shortest edit script over lines, kept simple:
 * one V array per edit distance is saved for the backtrack, which for
 * migration files (hundreds of lines, few changes) is a few kilobytes. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "pgstep/diff.h"
#include "pgstep/xalloc.h"

struct diff_text {
	const char **line; /* start of each line */
	size_t *len;       /* without the newline */
	size_t n;
};

static void diff_split(const char *s, struct diff_text *t)
{
	size_t cap = 0, lcap = 0;
	t->line = NULL;
	t->len = NULL;
	t->n = 0;
	const char *p = s ? s : "";
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		XGROW(t->line, cap, t->n + 1);
		XGROW(t->len, lcap, t->n + 1);
		t->line[t->n] = p;
		t->len[t->n++] = len;
		p += len + (nl ? 1 : 0);
	}
}

static bool diff_eq(const struct diff_text *a, size_t i, const struct diff_text *b, size_t j)
{
	return a->len[i] == b->len[j] && memcmp(a->line[i], b->line[j], a->len[i]) == 0;
}

/* One edit: ' ' keep, '-' only in a, '+' only in b. */
struct diff_op {
	char kind;
	size_t ai, bi;
};

/* The shortest edit script, in order. */
static struct diff_op *diff_script(const struct diff_text *a, const struct diff_text *b,
                                   size_t *n_ops)
{
	long n = (long)a->n, m = (long)b->n, max = n + m;
	long width = 2 * max + 1;
	long *v = xcalloc((size_t)width + 2, sizeof *v);
	long **trace = xcalloc((size_t)max + 1, sizeof *trace);
	long d_end = 0;
	for (long d = 0; d <= max; d++) {
		trace[d] = xmalloc(((size_t)width + 2) * sizeof **trace);
		memcpy(trace[d], v, ((size_t)width + 2) * sizeof *v);
		bool done = false;
		for (long k = -d; k <= d; k += 2) {
			long x;
			if (k == -d || (k != d && v[max + k - 1] < v[max + k + 1]))
				x = v[max + k + 1];
			else
				x = v[max + k - 1] + 1;
			long y = x - k;
			while (x < n && y < m && diff_eq(a, (size_t)x, b, (size_t)y)) {
				x++;
				y++;
			}
			v[max + k] = x;
			if (x >= n && y >= m) {
				done = true;
				break;
			}
		}
		if (done) {
			d_end = d;
			break;
		}
	}
	/* Backtrack from (n, m) using the V saved before each round. */
	size_t cap = (size_t)(n + m) + 1, len = 0;
	struct diff_op *rev = xmalloc(cap * sizeof *rev);
	long x = n, y = m;
	for (long d = d_end; d >= 0; d--) {
		const long *vd = trace[d];
		long k = x - y, pk;
		if (d == 0)
			pk = 0;
		else if (k == -d || (k != d && vd[max + k - 1] < vd[max + k + 1]))
			pk = k + 1;
		else
			pk = k - 1;
		long px = d == 0 ? 0 : vd[max + pk], py = px - pk;
		while (x > px && y > py) {
			x--;
			y--;
			rev[len++] = (struct diff_op){' ', (size_t)x, (size_t)y};
		}
		if (d > 0) {
			if (x == px)
				rev[len++] = (struct diff_op){'+', (size_t)x, (size_t)--y};
			else
				rev[len++] = (struct diff_op){'-', (size_t)--x, (size_t)y};
		}
	}
	for (long d = 0; d <= max && trace[d]; d++)
		free(trace[d]);
	free(trace);
	free(v);
	for (size_t i = 0; i < len / 2; i++) {
		struct diff_op t = rev[i];
		rev[i] = rev[len - 1 - i];
		rev[len - 1 - i] = t;
	}
	*n_ops = len;
	return rev;
}

static void diff_emit_line(struct strbuf *out, char kind, const struct diff_text *t, size_t i)
{
	strbuf_addc(out, kind);
	strbuf_add(out, t->line[i], t->len[i]);
	strbuf_addc(out, '\n');
}

bool diff_unified(const char *a, const char *b, const char *name_a, const char *name_b, int context,
                  struct strbuf *out)
{
	struct diff_text ta, tb;
	diff_split(a, &ta);
	diff_split(b, &tb);
	size_t n_ops = 0;
	struct diff_op *ops = diff_script(&ta, &tb, &n_ops);
	bool changed = false;
	for (size_t i = 0; i < n_ops && !changed; i++)
		changed = ops[i].kind != ' ';
	if (changed) {
		size_t ctx = context < 0 ? 0 : (size_t)context;
		strbuf_addf(out, "--- %s\n+++ %s\n", name_a ? name_a : "a", name_b ? name_b : "b");
		size_t i = 0;
		while (i < n_ops) {
			while (i < n_ops && ops[i].kind == ' ')
				i++;
			if (i == n_ops)
				break;
			/* A hunk: from ctx lines before this change to ctx lines
			 * after the last change closer than 2*ctx to the next. */
			size_t start = i > ctx ? i - ctx : 0, end = i;
			for (;;) {
				while (end < n_ops && ops[end].kind != ' ')
					end++;
				size_t next = end;
				while (next < n_ops && ops[next].kind == ' ')
					next++;
				if (next < n_ops && next - end <= 2 * ctx)
					end = next;
				else
					break;
			}
			size_t stop = end + ctx < n_ops ? end + ctx : n_ops;
			size_t na = 0, nb = 0;
			for (size_t k = start; k < stop; k++) {
				na += ops[k].kind != '+';
				nb += ops[k].kind != '-';
			}
			size_t la = ops[start].ai + (na ? 1 : 0), lb = ops[start].bi + (nb ? 1 : 0);
			strbuf_addf(out, "@@ -%zu,%zu +%zu,%zu @@\n", la, na, lb, nb);
			for (size_t k = start; k < stop; k++) {
				if (ops[k].kind == '+')
					diff_emit_line(out, '+', &tb, ops[k].bi);
				else
					diff_emit_line(out, ops[k].kind, &ta, ops[k].ai);
			}
			i = stop;
		}
	}
	free(ops);
	free(ta.line);
	free(ta.len);
	free(tb.line);
	free(tb.len);
	return changed;
}
