/* fuzz_split: the section reader and the splitter (pgstep/section.h,
 * pgstep/split.h), the one reader every migration file goes through.
 * Besides crashes the target checks that every statement, comment and
 * section lies inside the text, in order, that splitting a section and
 * splitting the whole text agree on where statements begin, and that the
 * tree read from libpg_query's JSON (pbtree_parse) packs to the bytes of
 * its protobuf. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <pg_query.h>

#include "fuzz.h"
#include "pgstep/arena.h"
#include "pgstep/error.h"
#include "pgstep/pbtree.h"
#include "pgstep/section.h"
#include "pgstep/split.h"

static void check_list(const struct statement_list *l, size_t size)
{
	for (size_t i = 0; i < l->n; i++) {
		const struct statement *s = &l->items[i];
		if (s->offset > size || s->offset + strlen(s->sql) > size || s->line < 1 ||
		    s->col < 1 || !s->kind)
			abort();
		if (i > 0 &&
		    (s->offset <= l->items[i - 1].offset || s->line < l->items[i - 1].line))
			abort();
	}
}

static void check_sections(const char *text, size_t size)
{
	struct sect_file sf;
	bool ok = sect_read(text, size, &sf, SECT_MARKERS | SECT_BLANK);
	if (ok != sf.ok)
		abort();
	for (size_t i = 0; i < sf.n_comments; i++) {
		const struct sect_comment *c = &sf.comments[i];
		if (c->offset + c->len > size || c->line < 1 || c->col < 1)
			abort();
		if (i > 0 && (c->offset < sf.comments[i - 1].offset + sf.comments[i - 1].len ||
		              c->line < sf.comments[i - 1].line))
			abort();
	}
	for (size_t i = 0; i < sf.n_dirs; i++)
		if (sf.dirs[i].offset >= size || !sf.dirs[i].name || !sf.dirs[i].arg)
			abort();
	const struct sect_range *r[] = {&sf.up, &sf.down};
	for (size_t k = 0; k < 2; k++) {
		if (!r[k]->present)
			continue;
		if (r[k]->start > r[k]->end || r[k]->end > size)
			abort();
		struct pgstep_error err = {0};
		struct statement_list list;
		statement_list_init(&list);
		if (sect_split(&sf, r[k], &list, &err) == error_isset(&err))
			abort();
		check_list(&list, size);
		for (size_t i = 0; i < list.n; i++)
			if (list.items[i].offset < r[k]->start || list.items[i].offset >= r[k]->end)
				abort();
		statement_list_clear(&list);
		error_clear(&err);
	}
	sect_file_clear(&sf);
}

/* The JSON route and the protobuf route give the same tree. */
static void check_tree(const char *text)
{
	PgQueryProtobufParseResult pb = pg_query_parse_protobuf(text);
	struct arena a;
	arena_init(&a);
	PgQuery__ParseResult *t = pbtree_parse(&a, text, NULL);
	if (!t != !!pb.error)
		abort();
	if (t) {
		size_t n = pg_query__parse_result__get_packed_size(t);
		uint8_t *bytes = malloc(n ? n : 1);
		pg_query__parse_result__pack(t, bytes);
		if (n != pb.parse_tree.len || memcmp(bytes, pb.parse_tree.data, n) != 0)
			abort();
		free(bytes);
	}
	arena_release(&a);
	pg_query_free_protobuf_parse_result(pb);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_text(data, size);
	if (!text)
		return 0;
	struct pgstep_error err = {0};
	struct statement_list list;
	statement_list_init(&list);
	bool ok = sql_split(text, TEXT_POS_START, &list, &err);
	if (!ok == !error_isset(&err))
		abort();
	check_list(&list, size);
	statement_list_clear(&list);
	error_clear(&err);

	check_sections(text, size);
	check_tree(text);
	free(text);
	return 0;
}
