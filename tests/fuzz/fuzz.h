/* fuzz.h: what every fuzz target shares. pgstep reads files only after
 * checking they are UTF-8 without NUL bytes (migset, config, lint), so the
 * targets give the code under test the same promise and spend no time on
 * inputs it never sees. */
#ifndef PGSTEP_FUZZ_H
#define PGSTEP_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "pgstep/text.h"
#include "pgstep/xalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A NUL-terminated copy of data, or NULL when it is not valid UTF-8 or
 * holds a NUL byte. The caller frees it. */
static inline char *fuzz_text(const uint8_t *data, size_t size)
{
	size_t bad;
	if (!text_utf8_valid((const char *)data, size, &bad))
		return NULL;
	char *s = xmalloc(size + 1);
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

#endif
