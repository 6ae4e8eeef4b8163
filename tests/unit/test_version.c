/* test_version: parsing, canonical keys and numeric ordering of versions. */
#include "config.h"

#include <stdlib.h>

#include "pgstep/version.h"
#include "tap.h"

static void check_key(const char *text, const char *want)
{
	struct version v = {0};
	bool parsed = version_parse(text, &v);
	ok(parsed, "parse %s", text);
	is_str(v.text, parsed ? text : NULL, "text of %s kept as written", text);
	is_str(v.key, want, "key of %s", text);
	version_release(&v);
}

static int cmp_text(const char *a, const char *b)
{
	struct version va, vb;
	if (!version_parse(a, &va) || !version_parse(b, &vb))
		return 99;
	int c = version_cmp(&va, &vb);
	version_release(&va);
	version_release(&vb);
	return c;
}

static void test_parse(void)
{
	check_key("001", "1");
	check_key("0", "0");
	check_key("000", "0");
	check_key("20250120000000", "20250120000000");
	check_key("1.2.3", "1.2.3");
	check_key("1_10", "1.10");
	check_key("01.002_0003", "1.2.3");
	check_key("1.0", "1.0");
	/* diesel's dashed timestamp is one number */
	check_key("2019-01-01-000000", "20190101000000");
	/* longer than 64 bits: kept as digits */
	check_key("123456789012345678901234567890", "123456789012345678901234567890");

	const char *bad[] = {"",
	                     "a1",
	                     "1a",
	                     "1.",
	                     ".1",
	                     "1..2",
	                     "1__2",
	                     "1-2",
	                     "-1",
	                     "1 ",
	                     "V1",
	                     "2019-01-01-00000",
	                     "2019-1-01-000000"};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		struct version v = {0};
		ok(!version_parse(bad[i], &v), "'%s' is not a version", bad[i]);
		ok(v.text == NULL && v.key == NULL, "'%s' leaves out untouched", bad[i]);
	}
	ok(!version_parse(NULL, &(struct version){0}), "NULL is not a version");
}

static void test_compare(void)
{
	is_int(cmp_text("4", "004"), 0, "4 == 004");
	is_int(cmp_text("1_10", "1.10"), 0, "1_10 == 1.10");
	is_int(cmp_text("1_9", "1_10"), -1, "1_9 < 1_10");
	is_int(cmp_text("1_10", "1.11"), -1, "1_10 < 1.11");
	is_int(cmp_text("1.11", "1_9"), 1, "1.11 > 1_9");
	is_int(cmp_text("9", "10"), -1, "9 < 10 (numeric, not textual)");
	is_int(cmp_text("1", "1.1"), -1, "a prefix sorts first");
	is_int(cmp_text("1.2.3", "1.10"), -1, "1.2.3 < 1.10");
	is_int(cmp_text("20250120000000", "20250121093000"), -1, "timestamps");
	is_int(cmp_text("99999999999999999999", "100000000000000000000"), -1,
	       "digit strings beyond 64 bits compare by length");
	is_int(cmp_text("123456789012345678901", "123456789012345678900"), 1,
	       "equal lengths compare digit by digit");
	is_int(cmp_text("2019-01-01-000000", "20190101000000"), 0, "diesel stamp == number");
	is_int(cmp_text("2019-01-01-000000", "20190101000001"), -1, "diesel stamp order");

	is_int(version_key_cmp("1.10", "1.9"), 1, "key 1.10 > 1.9");
	is_int(version_key_cmp("2", "10"), -1, "key 2 < 10");
	is_int(version_key_cmp("1.2", "1.2"), 0, "key equal");
	is_int(version_key_cmp("1.2", "1.2.0"), -1, "key 1.2 < 1.2.0");
}

static void test_key_of_and_copy(void)
{
	char *k = version_key_of("004");
	is_str(k, "4", "key_of 004");
	free(k);
	k = version_key_of("1_10");
	is_str(k, "1.10", "key_of 1_10");
	free(k);
	ok(version_key_of("x4") == NULL, "key_of rejects x4");
	ok(version_key_of(NULL) == NULL, "key_of rejects NULL");

	struct version a, b;
	version_parse("007", &a);
	version_copy(&b, &a);
	version_release(&a);
	ok(a.text == NULL && a.key == NULL, "release clears");
	is_str(b.text, "007", "copy text");
	is_str(b.key, "7", "copy key");
	version_release(&b);
	version_release(&b); /* twice is harmless */
}

int main(void)
{
	test_parse();
	test_compare();
	test_key_of_and_copy();
	return done_testing();
}
