/* strbuf: a growable, always NUL-terminated byte string. */
#ifndef PGSTEP_STRBUF_H
#define PGSTEP_STRBUF_H

#include <stdarg.h>
#include <stddef.h>

struct strbuf {
	char *buf; /* NULL only after strbuf_detach or strbuf_release */
	size_t len;
	size_t cap;
};

void strbuf_init(struct strbuf *sb);
void strbuf_release(struct strbuf *sb);
void strbuf_reset(struct strbuf *sb);
/* Hand the buffer to the caller (who frees it); sb is left released, so
 * `return strbuf_detach(&sb);` needs nothing more (adding to sb again works). */
char *strbuf_detach(struct strbuf *sb);
void strbuf_add(struct strbuf *sb, const void *data, size_t n);
void strbuf_adds(struct strbuf *sb, const char *s);
void strbuf_addf(struct strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void strbuf_vaddf(struct strbuf *sb, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));
void strbuf_grow(struct strbuf *sb, size_t extra);

/* Inline: JSON output adds bytes one at a time in its hot loop. */
static inline void strbuf_addc(struct strbuf *sb, char c)
{
	if (sb->len + 2 > sb->cap)
		strbuf_grow(sb, 1);
	sb->buf[sb->len++] = c;
	sb->buf[sb->len] = '\0';
}

/* Read a whole file; returns 0 or an errno value. */
int strbuf_read_file(struct strbuf *sb, const char *path);

#endif
