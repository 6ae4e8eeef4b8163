/* pbtree: a protobuf decoder for libpg_query's parse trees (see pbtree.h).
 * It handles what the descriptors of pg_query.proto use and the rest of the
 * wire format a correct encoder may produce: varints (int32/64, uint32/64,
 * sint32/64, bool, enum), fixed 32 and 64-bit values, strings, bytes,
 * messages, repeated fields packed or not, and oneofs. Unknown fields are
 * skipped. */
#include "config.h"

#include <stdbool.h>
#include <string.h>

#include "pgstep/arena.h"
#include "pgstep/pbtree.h"

/* Deeper than any tree the parser builds (its own stack limit comes first). */
#define PBTREE_MAX_DEPTH 10000

struct reader {
	const uint8_t *p, *end;
};

static bool get_varint(struct reader *r, uint64_t *out)
{
	uint64_t v = 0;
	for (unsigned shift = 0; shift < 64 && r->p < r->end; shift += 7) {
		uint8_t b = *r->p++;
		v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*out = v;
			return true;
		}
	}
	return false;
}

static bool get_fixed(struct reader *r, unsigned n, uint64_t *out)
{
	if ((size_t)(r->end - r->p) < n)
		return false;
	uint64_t v = 0;
	for (unsigned i = 0; i < n; i++)
		v |= (uint64_t)r->p[i] << (8 * i);
	r->p += n;
	*out = v;
	return true;
}

/* A length-delimited payload. */
static bool get_bytes(struct reader *r, const uint8_t **data, size_t *len)
{
	uint64_t n;
	if (!get_varint(r, &n) || n > (uint64_t)(r->end - r->p))
		return false;
	*data = r->p;
	*len = (size_t)n;
	r->p += n;
	return true;
}

static bool skip_field(struct reader *r, unsigned wire)
{
	uint64_t v;
	const uint8_t *d;
	size_t n;
	switch (wire) {
	case 0: return get_varint(r, &v);
	case 1: return get_fixed(r, 8, &v);
	case 2: return get_bytes(r, &d, &n);
	case 5: return get_fixed(r, 4, &v);
	default: return false; /* groups are not used by proto3 */
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

static unsigned wire_type(ProtobufCType t)
{
	switch (t) {
	case PROTOBUF_C_TYPE_SFIXED32:
	case PROTOBUF_C_TYPE_FIXED32:
	case PROTOBUF_C_TYPE_FLOAT: return 5;
	case PROTOBUF_C_TYPE_SFIXED64:
	case PROTOBUF_C_TYPE_FIXED64:
	case PROTOBUF_C_TYPE_DOUBLE: return 1;
	case PROTOBUF_C_TYPE_STRING:
	case PROTOBUF_C_TYPE_BYTES:
	case PROTOBUF_C_TYPE_MESSAGE: return 2;
	default: return 0;
	}
}

static ProtobufCMessage *decode(struct arena *a, const ProtobufCMessageDescriptor *d,
                                const uint8_t *data, size_t len, int depth);

/* One scalar, string, bytes or message value of field f into dst. */
static bool get_value(struct arena *a, struct reader *r, const ProtobufCFieldDescriptor *f,
                      void *dst, int depth)
{
	uint64_t v;
	const uint8_t *d;
	size_t n;
	switch (f->type) {
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_ENUM: {
		if (!get_varint(r, &v))
			return false;
		uint32_t x = (uint32_t)v; /* a negative int32 is sent as 64 bits */
		memcpy(dst, &x, 4);
		return true;
	}
	case PROTOBUF_C_TYPE_SINT32: {
		if (!get_varint(r, &v))
			return false;
		uint32_t u = (uint32_t)v;
		int32_t x = (int32_t)(u >> 1) ^ -(int32_t)(u & 1);
		memcpy(dst, &x, 4);
		return true;
	}
	case PROTOBUF_C_TYPE_BOOL: {
		if (!get_varint(r, &v))
			return false;
		protobuf_c_boolean x = v != 0;
		memcpy(dst, &x, sizeof x);
		return true;
	}
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_UINT64:
		if (!get_varint(r, &v))
			return false;
		memcpy(dst, &v, 8);
		return true;
	case PROTOBUF_C_TYPE_SINT64: {
		if (!get_varint(r, &v))
			return false;
		int64_t x = (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
		memcpy(dst, &x, 8);
		return true;
	}
	case PROTOBUF_C_TYPE_SFIXED32:
	case PROTOBUF_C_TYPE_FIXED32:
	case PROTOBUF_C_TYPE_FLOAT: {
		if (!get_fixed(r, 4, &v))
			return false;
		uint32_t x = (uint32_t)v;
		memcpy(dst, &x, 4);
		return true;
	}
	case PROTOBUF_C_TYPE_SFIXED64:
	case PROTOBUF_C_TYPE_FIXED64:
	case PROTOBUF_C_TYPE_DOUBLE:
		if (!get_fixed(r, 8, &v))
			return false;
		memcpy(dst, &v, 8);
		return true;
	case PROTOBUF_C_TYPE_STRING: {
		if (!get_bytes(r, &d, &n))
			return false;
		char *s = arena_alloc(a, n + 1);
		memcpy(s, d, n);
		s[n] = '\0';
		memcpy(dst, &s, sizeof s);
		return true;
	}
	case PROTOBUF_C_TYPE_BYTES: {
		if (!get_bytes(r, &d, &n))
			return false;
		ProtobufCBinaryData b = {.len = n, .data = arena_alloc(a, n ? n : 1)};
		memcpy(b.data, d, n);
		memcpy(dst, &b, sizeof b);
		return true;
	}
	case PROTOBUF_C_TYPE_MESSAGE: {
		if (!get_bytes(r, &d, &n))
			return false;
		ProtobufCMessage *m = decode(a, f->descriptor, d, n, depth + 1);
		if (!m)
			return false;
		memcpy(dst, &m, sizeof m);
		return true;
	}
	}
	return false;
}

/* Room for one more element of a repeated field: arrays double in size, at
 * counts that are powers of two, so the capacity needs no field of its own
 * (the arena keeps the outgrown copies until it is released). */
static void *append(struct arena *a, void **array, size_t *count, size_t size)
{
	size_t n = *count;
	if (n == 0 || (n >= 4 && (n & (n - 1)) == 0)) {
		size_t cap = n == 0 ? 4 : 2 * n;
		void *grown = arena_alloc(a, cap * size);
		if (n)
			memcpy(grown, *array, n * size);
		*array = grown;
	}
	(*count)++;
	return (char *)*array + n * size;
}

static ProtobufCMessage *decode(struct arena *a, const ProtobufCMessageDescriptor *d,
                                const uint8_t *data, size_t len, int depth)
{
	if (depth > PBTREE_MAX_DEPTH)
		return NULL;
	ProtobufCMessage *m = arena_alloc(a, d->sizeof_message);
	d->message_init(m);
	char *base = (char *)m;
	struct reader r = {.p = data, .end = data + len};
	while (r.p < r.end) {
		uint64_t key;
		if (!get_varint(&r, &key) || key >> 3 == 0 || key >> 3 > UINT32_MAX)
			return NULL;
		unsigned wire = (unsigned)(key & 7);
		const ProtobufCFieldDescriptor *f =
		    protobuf_c_message_descriptor_get_field(d, (unsigned)(key >> 3));
		if (!f) {
			if (!skip_field(&r, wire))
				return NULL;
			continue;
		}
		void *member = base + f->offset;
		if (f->label == PROTOBUF_C_LABEL_REPEATED) {
			size_t *count = (size_t *)(base + f->quantifier_offset);
			size_t size = elem_size(f->type);
			if (wire == 2 && wire_type(f->type) != 2) {
				/* packed scalars */
				const uint8_t *pd;
				size_t pn;
				if (!get_bytes(&r, &pd, &pn))
					return NULL;
				struct reader pr = {.p = pd, .end = pd + pn};
				while (pr.p < pr.end)
					if (!get_value(a, &pr, f, append(a, member, count, size),
					               depth))
						return NULL;
				continue;
			}
			if (wire != wire_type(f->type) ||
			    !get_value(a, &r, f, append(a, member, count, size), depth))
				return NULL;
			continue;
		}
		if (wire != wire_type(f->type) || !get_value(a, &r, f, member, depth))
			return NULL;
		if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)
			*(uint32_t *)(base + f->quantifier_offset) = f->id;
		else if (f->label == PROTOBUF_C_LABEL_OPTIONAL && f->quantifier_offset &&
		         f->type != PROTOBUF_C_TYPE_MESSAGE && f->type != PROTOBUF_C_TYPE_STRING)
			*(protobuf_c_boolean *)(base + f->quantifier_offset) = 1; /* has_ */
	}
	return m;
}

PgQuery__ParseResult *pbtree_decode(struct arena *a, const void *data, size_t len)
{
	return (PgQuery__ParseResult *)decode(a, &pg_query__parse_result__descriptor, data, len, 0);
}
