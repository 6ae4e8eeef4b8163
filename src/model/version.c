/* version: parsing and numeric ordering of migration versions. Versions are
 * kept as digit strings, never converted to integers: timestamps such as
 * 20250120000000 fit in 64 bits, but nothing stops a project from using
 * longer ones, and a silent overflow would reorder migrations. */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "pgstep/strbuf.h"
#include "pgstep/version.h"
#include "pgstep/xalloc.h"

/* Diesel names its migrations "2019-01-01-000000_name": the dashed
 * timestamp stands for the single number 20190101000000. */
static bool is_diesel_stamp(const char *s)
{
	static const char pattern[] = "dddd-dd-dd-dddddd";
	for (size_t i = 0; i < sizeof pattern - 1; i++) {
		if (pattern[i] == 'd' ? !isdigit((unsigned char)s[i]) : s[i] != pattern[i])
			return false;
	}
	return s[sizeof pattern - 1] == '\0';
}

/* Append the canonical form of s (validated by the caller) to sb. */
static void add_key(struct strbuf *sb, const char *s, bool diesel)
{
	const char *p = s;
	while (*p) {
		const char *start = p;
		while (*p && (isdigit((unsigned char)*p) || (diesel && *p == '-')))
			p++;
		const char *q = start;
		/* Keep one zero of an all-zero part: "000" is 0, not "". */
		while (q + 1 < p && (*q == '0' || *q == '-'))
			q++;
		if (sb->len > 0)
			strbuf_addc(sb, '.');
		for (; q < p; q++)
			if (*q != '-')
				strbuf_addc(sb, *q);
		if (*p)
			p++; /* the '.' or '_' between parts */
	}
}

static bool valid_version(const char *s)
{
	if (!isdigit((unsigned char)*s))
		return false;
	for (const char *p = s; *p; p++) {
		if (isdigit((unsigned char)*p))
			continue;
		if ((*p == '.' || *p == '_') && isdigit((unsigned char)p[1]))
			continue;
		return false;
	}
	return true;
}

bool version_parse(const char *s, struct version *out)
{
	if (!s)
		return false;
	bool diesel = is_diesel_stamp(s);
	if (!diesel && !valid_version(s))
		return false;
	struct strbuf key;
	strbuf_init(&key);
	add_key(&key, s, diesel);
	out->text = xstrdup(s);
	out->key = strbuf_detach(&key);
	strbuf_release(&key);
	return true;
}

void version_release(struct version *v)
{
	if (!v)
		return;
	free(v->text);
	free(v->key);
	v->text = v->key = NULL;
}

void version_copy(struct version *dst, const struct version *src)
{
	dst->text = src->text ? xstrdup(src->text) : NULL;
	dst->key = src->key ? xstrdup(src->key) : NULL;
}

/* Compare two digit runs as numbers: after leading zeros, the longer is
 * larger; equal lengths compare digit by digit. */
static int digits_cmp(const char *a, size_t la, const char *b, size_t lb)
{
	while (la > 1 && *a == '0')
		a++, la--;
	while (lb > 1 && *b == '0')
		b++, lb--;
	if (la != lb)
		return la < lb ? -1 : 1;
	int c = memcmp(a, b, la);
	return c < 0 ? -1 : c > 0;
}

/* The length of the digit run at s. A plain loop: strspn's set lookup
 * costs more than the few digits of a version part, and version compares
 * are most of sorting and searching a tenant's rows. */
static size_t digit_run(const char *s)
{
	size_t n = 0;
	while (s[n] >= '0' && s[n] <= '9')
		n++;
	return n;
}

/* Keys and version texts share one shape: digit runs separated by '.' or
 * '_'. A version that is a prefix of another sorts first ("1" < "1.1"). */
int version_key_cmp(const char *a, const char *b)
{
	for (;;) {
		size_t la = digit_run(a);
		size_t lb = digit_run(b);
		int c = digits_cmp(a, la, b, lb);
		if (c)
			return c;
		a += la;
		b += lb;
		if (!*a || !*b)
			return *a ? 1 : *b ? -1 : 0;
		a++;
		b++;
	}
}

int version_cmp(const struct version *a, const struct version *b)
{
	return version_key_cmp(a->key, b->key);
}

char *version_key_of(const char *s)
{
	struct version v;
	if (!s || !version_parse(s, &v))
		return NULL;
	free(v.text);
	return v.key;
}
