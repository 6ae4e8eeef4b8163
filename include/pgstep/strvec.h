/* strvec: a growable array of owned, NUL-terminated strings. */
#ifndef PGSTEP_STRVEC_H
#define PGSTEP_STRVEC_H

#include <stddef.h>

struct strvec {
	char **items; /* owned; items[n] is NULL */
	size_t n;
	size_t cap;
};

void strvec_init(struct strvec *v);
void strvec_clear(struct strvec *v);
void strvec_push(struct strvec *v, const char *s);
void strvec_push_owned(struct strvec *v, char *s);
int strvec_find(const struct strvec *v, const char *s); /* index or -1 */

#endif
