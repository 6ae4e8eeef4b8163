/* test_util: strings, SHA-256, other tools' checksums, the JSON writer, UTF-8, durations, errors,
 * the thread pool. */
#include "config.h"

#include <poll.h>
#include <stdlib.h>

#include "pgstep/checksum.h"
#include "pgstep/error.h"
#include "pgstep/json.h"
#include "pgstep/pool.h"
#include "pgstep/sha256.h"
#include "pgstep/strbuf.h"
#include "pgstep/strvec.h"
#include "pgstep/text.h"
#include "pgstep/xalloc.h"
#include "tap.h"

static void test_strbuf(void)
{
	struct strbuf sb;
	strbuf_init(&sb);
	for (int i = 0; i < 1000; i++)
		strbuf_addc(&sb, 'x');
	is_int(sb.len, 1000, "strbuf grows past its first allocation");
	strbuf_reset(&sb);
	strbuf_addf(&sb, "%s-%d-%s", "a", 42, "b");
	strbuf_adds(&sb, "!");
	is_str(sb.buf, "a-42-b!", "addf and adds append");
	char *d = strbuf_detach(&sb);
	is_str(d, "a-42-b!", "detach hands over the text");
	is_int(sb.len, 0, "detach leaves an empty buffer");
	free(d);
	strbuf_release(&sb);

	char *s = xasprintf("%05d|%s", 7, "z");
	is_str(s, "00007|z", "xasprintf formats");
	free(s);

	struct strvec v;
	strvec_init(&v);
	strvec_push(&v, "one");
	strvec_push(&v, "two");
	is_int(strvec_find(&v, "two"), 1, "strvec_find finds");
	is_int(strvec_find(&v, "three"), -1, "strvec_find misses");
	ok(v.items[v.n] == NULL, "strvec stays NULL-terminated");
	strvec_clear(&v);
}

static void test_sha256(void)
{
	char hex[SHA256_HEX_LEN + 1];
	sha256_hex("", 0, hex);
	is_str(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	       "SHA-256 of the empty string");
	sha256_hex("abc", 3, hex);
	is_str(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
	       "SHA-256 of abc (FIPS 180-2 vector)");
	struct sha256 *h = sha256_new();
	sha256_update(h, "a", 1);
	sha256_update(h, "bc", 2);
	char hex2[SHA256_HEX_LEN + 1];
	sha256_finish(h, hex2);
	is_str(hex2, hex, "streaming gives the same digest");
}

static void test_json(void)
{
	struct strbuf sb;
	struct json j;
	strbuf_init(&sb);
	json_init(&j, &sb);
	json_begin_object(&j);
	json_kv_string(&j, "s", "quote \" back \\ nl \n tab \t ctl \x01 é");
	json_kv_int(&j, "n", -5);
	json_kv_bool(&j, "b", true);
	json_kv_string(&j, "null", NULL);
	json_key(&j, "a");
	json_begin_array(&j);
	json_int(&j, 1);
	json_begin_object(&j);
	json_end_object(&j);
	json_begin_array(&j);
	json_end_array(&j);
	json_end_array(&j);
	json_end_object(&j);
	is_str(sb.buf,
	       "{\"s\":\"quote \\\" back \\\\ nl \\n tab \\t ctl \\u0001 é\",\"n\":-5,\"b\":true,"
	       "\"null\":null,\"a\":[1,{},[]]}",
	       "JSON writer: commas, nesting and escapes");
	strbuf_release(&sb);
}

static void test_text(void)
{
	size_t bad = 0;
	ok(text_utf8_valid("caf\xc3\xa9", 5, &bad), "valid UTF-8 accepted");
	ok(!text_utf8_valid("ab\ncaf\xe9 x", 9, &bad), "Latin-1 byte refused");
	is_int(bad, 6, "offset of the first bad byte");
	ok(!text_utf8_valid("\xc0\xaf", 2, NULL), "overlong encoding refused");
	ok(!text_utf8_valid("\xed\xa0\x80", 3, NULL), "UTF-16 surrogate refused");
	ok(!text_utf8_valid("a\0b", 3, NULL), "NUL byte refused");

	int line, col;
	text_line_col("ab\ncd\nef", 7, &line, &col);
	is_int(line, 3, "line of an offset");
	is_int(col, 2, "column of an offset");

	int64_t ms = 0;
	ok(text_parse_duration_ms("3s", &ms) && ms == 3000, "3s is 3000 ms");
	ok(text_parse_duration_ms("250ms", &ms) && ms == 250, "250ms");
	ok(text_parse_duration_ms("2min", &ms) && ms == 120000, "2min");
	ok(text_parse_duration_ms("1.5s", &ms) && ms == 1500, "1.5s");
	ok(text_parse_duration_ms("0", &ms) && ms == 0, "bare 0");
	ok(!text_parse_duration_ms("3 parsecs", &ms), "unknown unit refused");
	ok(!text_parse_duration_ms("-1s", &ms), "negative refused");
	ok(!text_parse_duration_ms("100000h", &ms), "beyond PostgreSQL's limit refused");

	ok(text_natural_cmp("phase-2", "phase-10") < 0, "natural order: 2 before 10");
	ok(text_natural_cmp("phase-010", "phase-10") == 0, "natural order ignores leading zeros");
	char t[] = "  padded \t";
	is_str(text_trim(t), "padded", "trim");
}

static void test_errors(void)
{
	struct pgstep_error e = {0};
	ok(!error_isset(&e), "a zeroed error is not set");
	error_set(&e, PGSTEP_EXIT_USAGE, "bad %s", "thing");
	error_prefix(&e, "file.sql:%d", 3);
	is_str(e.msg, "file.sql:3: bad thing", "prefix keeps the message");
	is_int(e.code, PGSTEP_EXIT_USAGE, "code kept");
	error_clear(&e);
	ok(!error_isset(&e), "cleared");

	struct diag_list d;
	diag_list_init(&d);
	diag_add(&d, DIAG_ERROR, "a.sql", 2, "dup %d", 1);
	diag_add(&d, DIAG_WARNING, NULL, 0, "w");
	is_int(diag_count(&d, DIAG_ERROR), 1, "one error counted");
	is_str(d.items[0].file, "a.sql", "diagnostic keeps its file");
	diag_list_clear(&d);
}

static void count_item(void *arg, size_t i)
{
	int *runs = arg;
	__atomic_fetch_add(&runs[i], 1, __ATOMIC_RELAXED);
}

static void test_pool(void)
{
	enum { N = 200 };
	int runs[N] = {0};
	for (int workers = 0; workers <= 4; workers += 2) {
		for (size_t i = 0; i < N; i++)
			runs[i] = 0;
		struct pool *p = pool_start(N, workers, count_item, runs);
		is_int(pool_workers(p), workers, "%d workers started", workers);
		bool ordered = true;
		for (size_t i = 0; i < N / 2; i++) {
			pool_wait(p, i);
			ordered &= __atomic_load_n(&runs[i], __ATOMIC_RELAXED) == 1;
		}
		ok(ordered, "pool_wait returns once its item has run (%d workers)", workers);
		pool_finish(&p);
		ok(p == NULL, "pool_finish NULLs the pool");
		int once = 0;
		for (size_t i = 0; i < N; i++)
			once += runs[i] == 1;
		is_int(once, N, "every item runs exactly once (%d workers)", workers);
	}

	int one[1] = {0};
	struct pool *p = pool_start(1, 1, count_item, one);
	int fd = pool_fd(p);
	ok(fd >= 0, "a pool with a worker has a descriptor");
	struct pollfd pfd = {.fd = fd, .events = POLLIN};
	ok(poll(&pfd, 1, 10000) == 1, "it becomes readable when the items have run");
	is_int(one[0], 1, "the item ran on the worker");
	pool_finish(&p);

	struct pool *none = pool_start(3, 0, count_item, runs);
	is_int(pool_fd(none), -1, "without workers there is nothing to poll");
	pool_finish(&none);
}

/* The one definition of a control character, shared by the command
 * line's text and JSON. */
static void test_controls(void)
{
	struct strbuf sb;
	strbuf_init(&sb);
	text_escape_controls(&sb, "a\x1b]0;pwned\x07 b\nFAKE: ok\tx\r\b\x7f");
	is_str(sb.buf, "a\\x1b]0;pwned\\x07 b\\nFAKE: ok\\tx\\r\\x08\\x7f", "C0 and DEL escaped");
	strbuf_reset(&sb);
	text_escape_controls(&sb, "caf\xc3\xa9 \xc2\x9b"
	                          "31m \xc2\xa0 \xe2\x82\xac \xff end");
	is_str(sb.buf, "caf\xc3\xa9 \\u009b31m \xc2\xa0 \xe2\x82\xac \\xff end",
	       "C1 CSI and a stray byte escaped; other UTF-8 (NBSP, euro) kept");
	strbuf_reset(&sb);
	text_escape_controls(&sb, "plain \\x1b text");
	is_str(sb.buf, "plain \\x1b text", "printable text, backslashes included, as is");
	size_t at = 0;
	ok(!text_has_control("tenant_acme caf\xc3\xa9", NULL), "no control in plain UTF-8");
	ok(text_has_control("ab\x1b", &at) && at == 2, "ESC found at its offset");
	ok(text_has_control("a\xc2\x85", &at) && at == 1, "C1 NEL found");
	ok(text_has_control("a\xe9", &at) && at == 1, "a byte that is not UTF-8 found");
	strbuf_reset(&sb);
	json_escape(&sb, "\x1b[31m \x7f \xc2\x9b \xc2\xa0");
	is_str(sb.buf, "\"\\u001b[31m \\u007f \\u009b \xc2\xa0\"", "JSON escapes DEL and C1 too");
	strbuf_release(&sb);
}

/* The values Flyway writes, computed with Java's CRC32 over BufferedReader
 * lines as Flyway's ChecksumCalculator does. */
static void test_checksums(void)
{
	is_int(crc32_update(0, "123456789", 9), 0xCBF43926u, "CRC-32 check value");
	is_int(crc32_update(crc32_update(0, "1234", 4), "56789", 5), 0xCBF43926u,
	       "CRC-32 continues over pieces");
	const char lf[] = "CREATE TABLE fw_a (id int);\nINSERT INTO fw_a VALUES (1);\n";
	const char crlf[] = "CREATE TABLE fw_a (id int);\r\nINSERT INTO fw_a VALUES (1);\r\n";
	const char bom[] = "\xEF\xBB\xBF"
	                   "CREATE TABLE fw_a (id int);\nINSERT INTO fw_a VALUES (1);";
	is_int(checksum_flyway(lf, sizeof lf - 1), -549981484, "Flyway checksum of an LF file");
	is_int(checksum_flyway(crlf, sizeof crlf - 1), -549981484, "CRLF lines give the same");
	is_int(checksum_flyway(bom, sizeof bom - 1), -549981484,
	       "a BOM and no final newline give the same");
	const char utf8[] = "-- caf\xC3\xA9 \xE2\x82\xAC na\xC3\xAFve\nCREATE TABLE fw_d (n text "
	                    "DEFAULT 'Gr\xC3\xBC\xC3\x9F"
	                    "e');\n";
	is_int(checksum_flyway(utf8, sizeof utf8 - 1), 1290210301,
	       "non-ASCII text, as UTF-8 bytes");
	is_int(checksum_flyway("", 0), 0, "an empty file is 0");
	char hex[SHA1_HEX_LEN + 1];
	checksum_sha1_hex("abc", 3, hex);
	is_str(hex, "a9993e364706816aba3e25717850c26c9cd0d89d", "SHA-1 of abc");
}

/* Every line of text_wrap's output fits, and the words are all there. */
static void test_wrap(void)
{
	struct strbuf sb;
	strbuf_init(&sb);
	is_int(text_width("abc"), 3, "width: ASCII");
	is_int(text_width("\xE2\x89\xA0 \xE2\x80\xA6"), 3,
	       "width: UTF-8 counts characters, not bytes");
	is_int(text_width("\033[1;31merror\033[0m"), 5, "width: colour sequences take no room");
	is_int(text_width("\xE8\xA1\xA8"), 2, "width: a CJK character takes two");
	text_wrap(&sb, "one two three four five six", 10, "  ");
	is_str(sb.buf, "one two\n  three\n  four\n  five six\n",
	       "wraps at blanks with a hanging indent");
	strbuf_reset(&sb);
	text_wrap(&sb, "short", 80, "    ");
	is_str(sb.buf, "short\n", "a short line is kept as it is");
	strbuf_reset(&sb);
	text_wrap(&sb, "a:  b\nc", 80, "");
	is_str(sb.buf, "a:  b\nc\n", "blanks inside a line and its newlines are kept");
	strbuf_reset(&sb);
	text_wrap(&sb, "x migrations/phase-0-foundation/001_tenancy.sql", 20, "  ");
	is_str(sb.buf, "x\n  migrations/phase-0\n  -foundation/001_te\n  nancy.sql\n",
	       "a word longer than a line is cut, nothing is lost");
	strbuf_reset(&sb);
	text_wrap(&sb, "\xE2\x89\xA0\xE2\x89\xA0\xE2\x89\xA0 \xE2\x89\xA0\xE2\x89\xA0", 12, "");
	is_str(sb.buf, "\xE2\x89\xA0\xE2\x89\xA0\xE2\x89\xA0 \xE2\x89\xA0\xE2\x89\xA0\n",
	       "UTF-8 is measured in columns: 6 columns fit in 12");
	strbuf_release(&sb);
	char *b = text_bytes(1363148);
	is_str(b, "1.3 MB", "sizes: 1.3 MB");
	free(b);
	b = text_bytes(2 * 1024 * 1024);
	is_str(b, "2.0 MB", "sizes: 2.0 MB is not 1.3 MB");
	free(b);
	b = text_bytes(999424);
	is_str(b, "976 kB", "sizes: kB");
	free(b);
}

int main(void)
{
	test_strbuf();
	test_sha256();
	test_checksums();
	test_json();
	test_text();
	test_controls();
	test_wrap();
	test_errors();
	test_pool();
	return done_testing();
}
