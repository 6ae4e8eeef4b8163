/* pbtree_json: SQL parsed by libpg_query, its tree built in an arena from
 * the parser's JSON (see pbtree.h).
 *
 * libpg_query gives the tree as protobuf or as JSON. Its protobuf encoder
 * sizes every sub-message again at each level above it (protobuf-c's pack),
 * so its cost grows with the depth of the tree times its size: two thirds
 * of the time `pgstep lint` took went there. The JSON writer is one pass,
 * about a quarter of that, and reading it here is another. Both carry the
 * same tree: libpg_query writes the JSON of the C structs its protobuf
 * messages mirror, so a JSON key names a field of the message as the C
 * struct spells it ("whereClause", a node type "A_Expr") where the .proto
 * has it in snake case ("where_clause", "a_expr"). Names are matched
 * ignoring case and underscores; a key that matches no field, or two fields
 * that would match the same key, make the decoding fail rather than drop a
 * part of the tree.
 *
 * One thing the JSON loses: libpg_query 15 writes an Integer's value only
 * when it is above zero, so "{}" is 0 or a negative number (ARRAY bounds
 * "[]" are -1, "DEFAULT -1" is an Integer -1). A statement holding such an
 * Integer is parsed again alone through the protobuf route, its locations
 * moved by its offset. Packing the result with protobuf-c gives back
 * libpg_query's own protobuf bytes (tests/unit/test_risk checks that on the
 * corpus). */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <pg_query.h>

#include "pgstep/arena.h"
#include "pgstep/json.h"
#include "pgstep/pbtree.h"
#include "pgstep/strbuf.h"
#include "pgstep/xalloc.h"

/* Deeper than any tree the parser builds (its own stack limit comes first). */
#define PBTREE_MAX_DEPTH 10000
#define KEY_MAX          64

/* ---- field names ------------------------------------------------------------ */

struct key {
	char name[KEY_MAX]; /* lower case, no underscores */
	const ProtobufCFieldDescriptor *field;
};

struct message_keys {
	const ProtobufCMessageDescriptor *desc;
	struct key *keys; /* sorted by name */
	size_t n;
};

static struct {
	struct message_keys *msgs; /* open addressing on the descriptor's address */
	size_t cap;
	bool ambiguous;
} index_;
static pthread_once_t index_once = PTHREAD_ONCE_INIT;

/* name without underscores, in lower case, into out; false if too long */
static bool normalize(const char *name, size_t len, char out[KEY_MAX])
{
	size_t k = 0;
	for (size_t i = 0; i < len; i++) {
		char c = name[i];
		if (c == '_')
			continue;
		if (k + 1 >= KEY_MAX)
			return false;
		out[k++] = c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
	}
	out[k] = '\0';
	return true;
}

static size_t slot_of(const ProtobufCMessageDescriptor *d)
{
	uintptr_t h = (uintptr_t)d;
	h ^= h >> 17;
	h *= (uintptr_t)0x9e3779b97f4a7c15ull;
	return (size_t)(h >> 7) & (index_.cap - 1);
}

static struct message_keys *keys_of(const ProtobufCMessageDescriptor *d)
{
	for (size_t i = slot_of(d);; i = (i + 1) & (index_.cap - 1)) {
		if (index_.msgs[i].desc == d || !index_.msgs[i].desc)
			return &index_.msgs[i];
	}
}

static int key_cmp(const void *a, const void *b)
{
	return strcmp(((const struct key *)a)->name, ((const struct key *)b)->name);
}

static void add_message(const ProtobufCMessageDescriptor *d)
{
	struct message_keys *m = keys_of(d);
	if (m->desc)
		return;
	m->desc = d;
	m->n = d->n_fields;
	m->keys = xcalloc(d->n_fields ? d->n_fields : 1, sizeof *m->keys);
	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		m->keys[i].field = f;
		if (!normalize(f->name, strlen(f->name), m->keys[i].name))
			index_.ambiguous = true;
	}
	qsort(m->keys, m->n, sizeof *m->keys, key_cmp);
	for (size_t i = 1; i < m->n; i++)
		if (strcmp(m->keys[i - 1].name, m->keys[i].name) == 0)
			index_.ambiguous = true;
	for (unsigned i = 0; i < d->n_fields; i++)
		if (d->fields[i].type == PROTOBUF_C_TYPE_MESSAGE)
			add_message(d->fields[i].descriptor);
}

static void build_index(void)
{
	index_.cap = 1024; /* pg_query.proto has some 270 messages */
	index_.msgs = xcalloc(index_.cap, sizeof *index_.msgs);
	add_message(&pg_query__parse_result__descriptor);
}

bool pbtree_names_unambiguous(void)
{
	pthread_once(&index_once, build_index);
	return !index_.ambiguous;
}

static const ProtobufCFieldDescriptor *field_of(const ProtobufCMessageDescriptor *d,
                                                const char *key, size_t len)
{
	struct message_keys *m = keys_of(d);
	struct key k;
	if (!m->desc || !normalize(key, len, k.name))
		return NULL;
	const struct key *hit = bsearch(&k, m->keys, m->n, sizeof *m->keys, key_cmp);
	return hit ? hit->field : NULL;
}

/* ---- the JSON text -------------------------------------------------------- */

struct reader {
	struct arena *a;
	const char *p;
	int depth;
	bool unsure; /* an Integer "{}" was read: 0, or a negative number */
	/* the statements that hold one */
	PgQuery__RawStmt **unsure_stmts;
	size_t n_unsure, cap_unsure;
};

static void skip_ws(struct reader *r)
{
	while (*r->p == ' ' || *r->p == '\n' || *r->p == '\t' || *r->p == '\r')
		r->p++;
}

static bool eat(struct reader *r, char c)
{
	skip_ws(r);
	if (*r->p != c)
		return false;
	r->p++;
	return true;
}

/* A string (r->p at its opening quote) into the arena. */
static char *read_string(struct reader *r, size_t *len_out)
{
	if (!eat(r, '"'))
		return NULL;
	const char *s = r->p, *e = s;
	while (*e && *e != '"' && *e != '\\')
		e++;
	if (*e == '"') { /* no escapes: copied as is */
		size_t n = (size_t)(e - s);
		char *out = arena_alloc(r->a, n + 1);
		memcpy(out, s, n);
		out[n] = '\0';
		r->p = e + 1;
		if (len_out)
			*len_out = n;
		return out;
	}
	struct strbuf sb;
	strbuf_init(&sb);
	bool ok = json_read_string(&r->p, &sb);
	char *out = NULL;
	if (ok) {
		out = arena_alloc(r->a, sb.len + 1);
		memcpy(out, sb.buf ? sb.buf : "", sb.len + 1);
		if (len_out)
			*len_out = sb.len;
	}
	strbuf_release(&sb);
	return out;
}

/* A key (its quotes, no escapes in the names libpg_query writes) and ':'. */
static bool read_key(struct reader *r, const char **key, size_t *len)
{
	if (!eat(r, '"'))
		return false;
	const char *s = r->p;
	while (*r->p && *r->p != '"' && *r->p != '\\')
		r->p++;
	if (*r->p != '"')
		return false;
	*key = s;
	*len = (size_t)(r->p - s);
	r->p++;
	return eat(r, ':');
}

static bool read_number(struct reader *r, ProtobufCType t, void *dst)
{
	skip_ws(r);
	bool quoted = *r->p == '"'; /* 64-bit integers may come quoted */
	if (quoted)
		r->p++;
	char *end;
	errno = 0;
	switch (t) {
	case PROTOBUF_C_TYPE_FLOAT: {
		float x = strtof(r->p, &end);
		memcpy(dst, &x, sizeof x);
		break;
	}
	case PROTOBUF_C_TYPE_DOUBLE: {
		double x = strtod(r->p, &end);
		memcpy(dst, &x, sizeof x);
		break;
	}
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64: {
		uint64_t x = strtoull(r->p, &end, 10);
		memcpy(dst, &x, sizeof x);
		break;
	}
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64: {
		int64_t x = strtoll(r->p, &end, 10);
		memcpy(dst, &x, sizeof x);
		break;
	}
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32: {
		unsigned long long x = strtoull(r->p, &end, 10);
		if (x > UINT32_MAX)
			return false;
		uint32_t v = (uint32_t)x;
		memcpy(dst, &v, sizeof v);
		break;
	}
	default: { /* int32, sint32, sfixed32 */
		long long x = strtoll(r->p, &end, 10);
		if (x < INT32_MIN || x > INT32_MAX)
			return false;
		int32_t v = (int32_t)x;
		memcpy(dst, &v, sizeof v);
		break;
	}
	}
	if (end == r->p || errno == ERANGE)
		return false;
	r->p = end;
	return !quoted || eat(r, '"');
}

static ProtobufCMessage *read_message(struct reader *r, const ProtobufCMessageDescriptor *d);

/* One value of field f into dst. */
static bool read_value(struct reader *r, const ProtobufCFieldDescriptor *f, void *dst)
{
	skip_ws(r);
	switch (f->type) {
	case PROTOBUF_C_TYPE_MESSAGE: {
		ProtobufCMessage *m = read_message(r, f->descriptor);
		memcpy(dst, &m, sizeof m);
		return m != NULL;
	}
	case PROTOBUF_C_TYPE_STRING: {
		char *s = read_string(r, NULL);
		memcpy(dst, &s, sizeof s);
		return s != NULL;
	}
	case PROTOBUF_C_TYPE_BOOL: {
		protobuf_c_boolean b;
		if (strncmp(r->p, "true", 4) == 0)
			b = 1, r->p += 4;
		else if (strncmp(r->p, "false", 5) == 0)
			b = 0, r->p += 5;
		else
			return false;
		memcpy(dst, &b, sizeof b);
		return true;
	}
	case PROTOBUF_C_TYPE_ENUM: {
		const ProtobufCEnumDescriptor *e = f->descriptor;
		if (*r->p != '"') {
			int32_t v;
			if (!read_number(r, PROTOBUF_C_TYPE_INT32, &v))
				return false;
			memcpy(dst, &v, sizeof v);
			return true;
		}
		r->p++;
		const char *s = r->p;
		while (*r->p && *r->p != '"')
			r->p++;
		if (*r->p != '"' || (size_t)(r->p - s) >= 128)
			return false;
		char name[128];
		memcpy(name, s, (size_t)(r->p - s));
		name[r->p - s] = '\0';
		r->p++;
		const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value_by_name(e, name);
		if (!v)
			return false;
		memcpy(dst, &v->value, sizeof v->value);
		return true;
	}
	case PROTOBUF_C_TYPE_BYTES: /* pg_query.proto has none */ return false;
	default: return read_number(r, f->type, dst);
	}
}

/* Size of one element of a field of this type in the C struct. */
static size_t elem_size(ProtobufCType t)
{
	switch (t) {
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
	case PROTOBUF_C_TYPE_DOUBLE: return 8;
	case PROTOBUF_C_TYPE_STRING: return sizeof(char *);
	case PROTOBUF_C_TYPE_BYTES: return sizeof(ProtobufCBinaryData);
	case PROTOBUF_C_TYPE_MESSAGE: return sizeof(ProtobufCMessage *);
	default: return 4; /* 32-bit integers, float, bool, enum */
	}
}

/* A repeated field: the array is allocated once its length is known (the
 * elements are read into a scratch array that doubles, in the arena). */
static bool read_array(struct reader *r, const ProtobufCFieldDescriptor *f, char *base)
{
	size_t size = elem_size(f->type), n = 0, cap = 0;
	char *items = NULL;
	if (!eat(r, '['))
		return false;
	if (!eat(r, ']')) {
		do {
			if (n == cap) {
				size_t grown = cap ? 2 * cap : 4;
				char *more = arena_alloc(r->a, grown * size);
				if (n)
					memcpy(more, items, n * size);
				items = more;
				cap = grown;
			}
			if (!read_value(r, f, items + n * size))
				return false;
			n++;
		} while (eat(r, ','));
		if (!eat(r, ']'))
			return false;
	}
	memcpy(base + f->offset, &items, sizeof items);
	*(size_t *)(base + f->quantifier_offset) = n;
	return true;
}

static ProtobufCMessage *read_message(struct reader *r, const ProtobufCMessageDescriptor *d)
{
	if (++r->depth > PBTREE_MAX_DEPTH || !eat(r, '{'))
		return NULL;
	ProtobufCMessage *m = arena_alloc(r->a, d->sizeof_message);
	d->message_init(m);
	char *base = (char *)m;
	if (!eat(r, '}')) {
		do {
			const char *key;
			size_t len;
			if (!read_key(r, &key, &len))
				return NULL;
			const ProtobufCFieldDescriptor *f = field_of(d, key, len);
			if (!f)
				return NULL;
			skip_ws(r);
			if (strncmp(r->p, "null", 4) == 0) {
				r->p += 4;
				continue;
			}
			if (f->label == PROTOBUF_C_LABEL_REPEATED) {
				if (!read_array(r, f, base))
					return NULL;
				continue;
			}
			if (!read_value(r, f, base + f->offset))
				return NULL;
			if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)
				*(uint32_t *)(base + f->quantifier_offset) = f->id;
			else if (f->label == PROTOBUF_C_LABEL_OPTIONAL && f->quantifier_offset &&
			         f->type != PROTOBUF_C_TYPE_MESSAGE &&
			         f->type != PROTOBUF_C_TYPE_STRING)
				*(protobuf_c_boolean *)(base + f->quantifier_offset) = 1; /* has_ */
		} while (eat(r, ','));
		if (!eat(r, '}'))
			return NULL;
	}
	r->depth--;
	if (d == &pg_query__integer__descriptor && ((PgQuery__Integer *)m)->ival == 0)
		r->unsure = true;
	else if (d == &pg_query__raw_stmt__descriptor && r->unsure) {
		XGROW(r->unsure_stmts, r->cap_unsure, r->n_unsure + 1);
		r->unsure_stmts[r->n_unsure++] = (PgQuery__RawStmt *)m;
		r->unsure = false;
	}
	return m;
}

static PgQuery__ParseResult *decode_json(struct reader *r)
{
	pthread_once(&index_once, build_index);
	if (index_.ambiguous)
		return NULL;
	ProtobufCMessage *m = read_message(r, &pg_query__parse_result__descriptor);
	skip_ws(r);
	return m && *r->p == '\0' ? (PgQuery__ParseResult *)m : NULL;
}

PgQuery__ParseResult *pbtree_decode_json(struct arena *a, const char *json)
{
	struct reader r = {.a = a, .p = json};
	PgQuery__ParseResult *t = decode_json(&r);
	free(r.unsure_stmts);
	return t;
}

/* ---- Integers the JSON leaves unsure ------------------------------------------ */

/* Every "location" below m moved by offset. A Node is a oneof of some 250
 * fields: only the one it holds is looked at. */
static void move_locations(ProtobufCMessage *m, int32_t offset)
{
	if (!m)
		return;
	const ProtobufCMessageDescriptor *d = m->descriptor;
	char *base = (char *)m;
	if (d == &pg_query__node__descriptor) {
		const ProtobufCFieldDescriptor *f =
		    protobuf_c_message_descriptor_get_field(d, ((PgQuery__Node *)m)->node_case);
		if (f)
			move_locations(*(ProtobufCMessage **)(base + f->offset), offset);
		return;
	}
	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		if (f->type == PROTOBUF_C_TYPE_INT32 && f->label != PROTOBUF_C_LABEL_REPEATED &&
		    strcmp(f->name, "location") == 0) {
			int32_t *loc = (int32_t *)(base + f->offset);
			if (*loc >= 0)
				*loc += offset;
		} else if (f->type != PROTOBUF_C_TYPE_MESSAGE) {
			continue;
		} else if (f->label == PROTOBUF_C_LABEL_REPEATED) {
			size_t n = *(size_t *)(base + f->quantifier_offset);
			ProtobufCMessage **items = *(ProtobufCMessage ***)(base + f->offset);
			for (size_t j = 0; j < n; j++)
				move_locations(items[j], offset);
		} else if (!(f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) ||
		           *(uint32_t *)(base + f->quantifier_offset) == f->id) {
			move_locations(*(ProtobufCMessage **)(base + f->offset), offset);
		}
	}
}

/* The tree of sql through libpg_query's protobuf. */
static PgQuery__ParseResult *parse_protobuf(struct arena *a, const char *sql)
{
	PgQueryProtobufParseResult r = pg_query_parse_protobuf(sql);
	PgQuery__ParseResult *t =
	    r.error ? NULL : pbtree_decode(a, r.parse_tree.data, r.parse_tree.len);
	pg_query_free_protobuf_parse_result(r);
	return t;
}

/* Each statement that holds an Integer of 0 (perhaps a negative one the JSON
 * did not write) parsed again alone; false if one does not come back as one
 * statement. */
static bool settle_integers(struct arena *a, const char *sql, const struct reader *r)
{
	size_t len = strlen(sql);
	for (size_t i = 0; i < r->n_unsure; i++) {
		PgQuery__RawStmt *rs = r->unsure_stmts[i];
		size_t start = (size_t)rs->stmt_location;
		size_t n = rs->stmt_len ? (size_t)rs->stmt_len : len - start;
		if (start > len || n > len - start)
			return false;
		char *piece = arena_alloc(a, n + 1);
		memcpy(piece, sql + start, n);
		piece[n] = '\0';
		PgQuery__ParseResult *alone = parse_protobuf(a, piece);
		if (!alone || alone->n_stmts != 1)
			return false;
		move_locations((ProtobufCMessage *)alone->stmts[0]->stmt, rs->stmt_location);
		rs->stmt = alone->stmts[0]->stmt;
	}
	return true;
}

PgQuery__ParseResult *pbtree_parse(struct arena *a, const char *sql, struct pbtree_error *err)
{
	PgQueryParseResult r = pg_query_parse(sql);
	PgQuery__ParseResult *tree = NULL;
	if (r.error) {
		if (err) {
			err->message = xstrdup(r.error->message);
			err->cursorpos = r.error->cursorpos;
		}
	} else {
		struct reader rd = {.a = a, .p = r.parse_tree};
		tree = decode_json(&rd);
		/* whatever did not settle: the whole text the protobuf way */
		if (tree && !settle_integers(a, sql, &rd))
			tree = parse_protobuf(a, sql);
		free(rd.unsure_stmts);
		if (!tree && err) {
			err->message = xstrdup("cannot decode the SQL parser's output");
			err->cursorpos = -1;
		}
	}
	pg_query_free_parse_result(r);
	return tree;
}
