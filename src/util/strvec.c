/* strvec: arrays of owned strings. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "pgstep/strvec.h"
#include "pgstep/xalloc.h"

void strvec_init(struct strvec *v)
{
	v->items = NULL;
	v->n = v->cap = 0;
}

void strvec_clear(struct strvec *v)
{
	for (size_t i = 0; i < v->n; i++)
		free(v->items[i]);
	free(v->items);
	strvec_init(v);
}

void strvec_push_owned(struct strvec *v, char *s)
{
	XGROW(v->items, v->cap, v->n + 2);
	v->items[v->n++] = s;
	v->items[v->n] = NULL;
}

void strvec_push(struct strvec *v, const char *s)
{
	strvec_push_owned(v, xstrdup(s));
}

int strvec_find(const struct strvec *v, const char *s)
{
	for (size_t i = 0; i < v->n; i++)
		if (strcmp(v->items[i], s) == 0)
			return (int)i;
	return -1;
}
