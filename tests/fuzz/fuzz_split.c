/* fuzz_split: the SQL splitter and comment scanner (pgstep/split.h), the
 * reader every migration file goes through. Besides crashes the target
 * checks that every statement and comment lies inside the text, in order. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "pgstep/error.h"
#include "pgstep/migration.h"
#include "pgstep/split.h"

static void check_comments(const char *text, size_t len, bool leading)
{
	struct pgstep_error err = {0};
	struct sql_comment *c = NULL;
	size_t n = 0;
	bool ok = leading ? sql_leading_comments(text, &c, &n, &err)
	                  : sql_all_comments(text, &c, &n, &err);
	if (!ok == !error_isset(&err))
		abort();
	for (size_t i = 0; i < n; i++) {
		if (c[i].offset + c[i].len > len || c[i].line < 1)
			abort();
		if (i > 0 &&
		    (c[i].offset < c[i - 1].offset + c[i - 1].len || c[i].line < c[i - 1].line))
			abort();
	}
	free(c);
	error_clear(&err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_text(data, size);
	if (!text)
		return 0;
	struct pgstep_error err = {0};
	struct statement_list list;
	statement_list_init(&list);
	bool ok = sql_split(text, 0, 1, &list, &err);
	if (!ok == !error_isset(&err))
		abort();
	for (size_t i = 0; i < list.n; i++) {
		const struct statement *s = &list.items[i];
		if (s->offset > size || s->offset + strlen(s->sql) > size || s->line < 1 ||
		    !s->kind)
			abort();
		if (i > 0 &&
		    (s->offset <= list.items[i - 1].offset || s->line < list.items[i - 1].line))
			abort();
	}
	statement_list_clear(&list);
	error_clear(&err);

	check_comments(text, size, true);
	check_comments(text, size, false);
	free(text);
	return 0;
}
