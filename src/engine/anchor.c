/* anchor: reading and writing the `verify --anchor` file. */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pgstep/anchor.h"
#include "pgstep/strbuf.h"
#include "pgstep/xalloc.h"

#define ANCHOR_HEADER "# pgstep verify --anchor: SEQ HASH TENANT, one chain head a line\n"

static char *anchor_unescape(const char *s, size_t n, bool *ok)
{
	struct strbuf sb;
	strbuf_init(&sb);
	*ok = true;
	for (size_t i = 0; i < n; i++) {
		if (s[i] != '\\') {
			strbuf_addc(&sb, s[i]);
			continue;
		}
		char c = ++i < n ? s[i] : '\0';
		switch (c) {
		case '\\': strbuf_addc(&sb, '\\'); break;
		case 'n': strbuf_addc(&sb, '\n'); break;
		case 'r': strbuf_addc(&sb, '\r'); break;
		case 't': strbuf_addc(&sb, '\t'); break;
		default: *ok = false; break;
		}
	}
	return strbuf_detach(&sb);
}

static void anchor_escape(struct strbuf *sb, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '\\': strbuf_adds(sb, "\\\\"); break;
		case '\n': strbuf_adds(sb, "\\n"); break;
		case '\r': strbuf_adds(sb, "\\r"); break;
		case '\t': strbuf_adds(sb, "\\t"); break;
		default: strbuf_addc(sb, *s); break;
		}
	}
}

bool anchor_load(struct anchor *a, const char *path, struct pgstep_error *err)
{
	memset(a, 0, sizeof *a);
	a->path = xstrdup(path);
	struct strbuf sb;
	strbuf_init(&sb);
	int rc = strbuf_read_file(&sb, path);
	if (rc == ENOENT) {
		strbuf_release(&sb);
		a->changed = true; /* written even when no tenant has events yet */
		return true;
	}
	if (rc != 0) {
		error_set(err, PGSTEP_EXIT_USAGE, "--anchor %s: %s", path, strerror(rc));
		strbuf_release(&sb);
		return false;
	}
	int line = 0;
	bool ok = true;
	for (char *p = sb.buf; ok && *p;) {
		char *end = strchr(p, '\n');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		line++;
		if (len > 0 && p[0] != '#') {
			/* SEQ HASH TENANT */
			char *sp1 = memchr(p, ' ', len);
			char *sp2 = sp1 ? memchr(sp1 + 1, ' ', len - (size_t)(sp1 + 1 - p)) : NULL;
			char *num_end = NULL;
			int64_t seq = sp1 ? strtoll(p, &num_end, 10) : 0;
			bool esc_ok = false;
			char *tenant = NULL;
			if (sp2 && num_end == sp1 && seq > 0 && sp2 > sp1 + 1 && sp2 + 1 < p + len)
				tenant =
				    anchor_unescape(sp2 + 1, len - (size_t)(sp2 + 1 - p), &esc_ok);
			if (!tenant || !esc_ok) {
				free(tenant);
				error_set(err, PGSTEP_EXIT_USAGE,
				          "--anchor %s:%d: expected SEQ HASH TENANT", path, line);
				ok = false;
				break;
			}
			XGROW(a->items, a->cap, a->n + 1);
			struct anchor_entry *e = &a->items[a->n++];
			e->tenant = tenant;
			e->head.seq = seq;
			e->head.hash = xstrndup(sp1 + 1, (size_t)(sp2 - sp1 - 1));
		}
		p += len + (end ? 1 : 0);
	}
	strbuf_release(&sb);
	if (!ok)
		anchor_release(a);
	return ok;
}

static struct anchor_entry *anchor_entry(const struct anchor *a, const char *tenant)
{
	for (size_t i = 0; i < a->n; i++)
		if (strcmp(a->items[i].tenant, tenant) == 0)
			return &a->items[i];
	return NULL;
}

const struct chain_head *anchor_find(const struct anchor *a, const char *tenant)
{
	struct anchor_entry *e = anchor_entry(a, tenant);
	return e ? &e->head : NULL;
}

void anchor_set(struct anchor *a, const char *tenant, const struct chain_head *head)
{
	struct anchor_entry *e = anchor_entry(a, tenant);
	if (e && e->head.seq == head->seq && strcmp(e->head.hash, head->hash) == 0)
		return;
	if (!e) {
		XGROW(a->items, a->cap, a->n + 1);
		e = &a->items[a->n++];
		e->tenant = xstrdup(tenant);
	} else {
		chain_head_release(&e->head);
	}
	e->head.seq = head->seq;
	e->head.hash = xstrdup(head->hash ? head->hash : "");
	a->changed = true;
}

bool anchor_save(struct anchor *a, struct pgstep_error *err)
{
	if (!a->changed)
		return true;
	struct strbuf sb;
	strbuf_init(&sb);
	strbuf_adds(&sb, ANCHOR_HEADER);
	for (size_t i = 0; i < a->n; i++) {
		strbuf_addf(&sb, "%" PRId64 " %s ", a->items[i].head.seq, a->items[i].head.hash);
		anchor_escape(&sb, a->items[i].tenant);
		strbuf_addc(&sb, '\n');
	}
	/* Renamed into place: an interrupted write never leaves half a file. */
	char *tmp = xasprintf("%s.tmp.%ld", a->path, (long)getpid());
	FILE *f = fopen(tmp, "w");
	bool ok = f && fwrite(sb.buf, 1, sb.len, f) == sb.len;
	if (f && fflush(f) != 0)
		ok = false;
	if (f && fsync(fileno(f)) != 0)
		ok = false;
	if (f && fclose(f) != 0)
		ok = false;
	if (ok && rename(tmp, a->path) != 0)
		ok = false;
	if (!ok) {
		error_set(err, PGSTEP_EXIT_FAILED, "--anchor %s: cannot write: %s", a->path,
		          strerror(errno));
		unlink(tmp);
	} else {
		a->changed = false;
	}
	free(tmp);
	strbuf_release(&sb);
	return ok;
}

void anchor_release(struct anchor *a)
{
	for (size_t i = 0; i < a->n; i++) {
		free(a->items[i].tenant);
		chain_head_release(&a->items[i].head);
	}
	free(a->items);
	free(a->path);
	memset(a, 0, sizeof *a);
}
