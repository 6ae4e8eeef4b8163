/* xalloc: allocation that never returns NULL; running out of memory ends the
 * program with a clear message instead of a crash somewhere later. */
#ifndef PGSTEP_XALLOC_H
#define PGSTEP_XALLOC_H

#include <stdarg.h>
#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t count, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *xvasprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

/* Grow *items so that it holds at least need elements of size elem. */
void xgrow(void **items, size_t *cap, size_t need, size_t elem);

#define XGROW(arr, cap, need) xgrow((void **)&(arr), &(cap), (need), sizeof *(arr))

#endif
