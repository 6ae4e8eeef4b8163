/* checksum: digests other tools record (see checksum.h). */
#include "config.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>

#include "pgstep/checksum.h"

/* OpenSSL has no CRC-32 and zlib is no dependency of pgstep: one function
 * did not justify a new library in configure, so the table-driven CRC is
 * here (reflected polynomial 0xEDB88320, as Java's CRC32). */
static uint32_t crc_table[256];
static int crc_table_ready;

static void crc32_init(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;
		for (int k = 0; k < 8; k++)
			c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
		crc_table[i] = c;
	}
	crc_table_ready = 1;
}

uint32_t crc32_update(uint32_t crc, const void *data, size_t n)
{
	/* The table is computed once; a race would only compute it twice with
	 * the same values, but callers are single-threaded here anyway. */
	if (!crc_table_ready)
		crc32_init();
	const unsigned char *p = data;
	crc = ~crc;
	for (size_t i = 0; i < n; i++)
		crc = crc_table[(crc ^ p[i]) & 0xFF] ^ (crc >> 8);
	return ~crc;
}

int32_t checksum_flyway(const char *text, size_t n)
{
	/* Flyway feeds each line without its terminator to one CRC32: that is
	 * the CRC of the text with every \r and \n removed. */
	size_t i = 0;
	if (n >= 3 && (unsigned char)text[0] == 0xEF && (unsigned char)text[1] == 0xBB &&
	    (unsigned char)text[2] == 0xBF)
		i = 3;
	uint32_t crc = 0;
	while (i < n) {
		size_t start = i;
		while (i < n && text[i] != '\r' && text[i] != '\n')
			i++;
		crc = crc32_update(crc, text + start, i - start);
		while (i < n && (text[i] == '\r' || text[i] == '\n'))
			i++;
	}
	return (int32_t)crc;
}

void checksum_sha1_hex(const void *data, size_t n, char out[SHA1_HEX_LEN + 1])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned len = 0;
	if (EVP_Digest(data, n, md, &len, EVP_sha1(), NULL) != 1 || len != 20) {
		fprintf(stderr, "pgstep: OpenSSL SHA-1 failed\n");
		abort();
	}
	static const char digits[] = "0123456789abcdef";
	for (unsigned i = 0; i < len; i++) {
		out[2 * i] = digits[md[i] >> 4];
		out[2 * i + 1] = digits[md[i] & 15];
	}
	out[2 * len] = '\0';
}
