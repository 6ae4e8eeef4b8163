/* fuzz_version: version parsing and ordering (src/model/version.c). The
 * input is up to three lines, each parsed as a version; besides crashes the
 * target checks what version.h promises, so a wrong order aborts too:
 * equal versions have equal keys, a key is its own canonical form, and the
 * comparison is a total order. */
#include "config.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "pgstep/version.h"

#define N_LINES 3

static int sign(int c)
{
	return c < 0 ? -1 : c > 0;
}

static void check_one(const struct version *v)
{
	/* the canonical key parses to itself */
	char *again = version_key_of(v->key);
	if (!again || strcmp(again, v->key) != 0)
		abort();
	free(again);
	if (version_cmp(v, v) != 0)
		abort();
	struct version copy;
	version_copy(&copy, v);
	if (strcmp(copy.text, v->text) != 0 || version_cmp(&copy, v) != 0)
		abort();
	version_release(&copy);
}

static bool is_diesel(const struct version *v)
{
	return strchr(v->text, '-') != NULL;
}

static void check_pair(const struct version *a, const struct version *b)
{
	int ab = sign(version_cmp(a, b));
	if (ab != -sign(version_cmp(b, a)))
		abort();
	if ((ab == 0) != (strcmp(a->key, b->key) == 0))
		abort();
	/* texts and keys share one shape: comparing texts gives the same order
	 * (diesel's dashed timestamp is the exception: one number) */
	if (!is_diesel(a) && !is_diesel(b) && sign(version_key_cmp(a->text, b->text)) != ab)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_text(data, size);
	if (!text)
		return 0;
	struct version v[N_LINES];
	size_t n = 0;
	char *save = NULL;
	for (char *line = strtok_r(text, "\n", &save); line && n < N_LINES;
	     line = strtok_r(NULL, "\n", &save)) {
		char *key = version_key_of(line);
		if (!version_parse(line, &v[n])) {
			if (key)
				abort(); /* version_key_of and version_parse disagree */
			continue;
		}
		if (!key || strcmp(key, v[n].key) != 0)
			abort();
		free(key);
		check_one(&v[n]);
		n++;
	}
	for (size_t i = 0; i < n; i++)
		for (size_t j = i + 1; j < n; j++)
			check_pair(&v[i], &v[j]);
	/* transitivity over the three */
	if (n == 3) {
		for (size_t i = 0; i < 3; i++) {
			const struct version *a = &v[i], *b = &v[(i + 1) % 3], *c = &v[(i + 2) % 3];
			if (version_cmp(a, b) <= 0 && version_cmp(b, c) <= 0 &&
			    version_cmp(a, c) > 0)
				abort();
		}
	}
	for (size_t i = 0; i < n; i++)
		version_release(&v[i]);
	free(text);
	return 0;
}
