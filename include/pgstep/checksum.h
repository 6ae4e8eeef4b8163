/* checksum: the digests other migration tools record for a file, so that
 * `pgstep adopt` can tell an unchanged file from an edited one: CRC32 as
 * Flyway computes it, SHA-1 (sqitch's script_hash) through OpenSSL. */
#ifndef PGSTEP_CHECKSUM_H
#define PGSTEP_CHECKSUM_H

#include <stddef.h>
#include <stdint.h>

#define SHA1_HEX_LEN 40

/* CRC-32 (IEEE 802.3, as zlib's crc32 and Java's java.util.zip.CRC32):
 * crc is the value so far, 0 to start. */
uint32_t crc32_update(uint32_t crc, const void *data, size_t n);

/* Flyway's checksum of a SQL file: the CRC-32 of each line's UTF-8 bytes
 * without its terminator (\n, \r or \r\n), a leading BOM removed, stored as
 * a signed int. The text is taken as UTF-8 already (Flyway's default). */
int32_t checksum_flyway(const char *text, size_t n);

/* SHA-1 of data as 40 lowercase hex digits. */
void checksum_sha1_hex(const void *data, size_t n, char out[SHA1_HEX_LEN + 1]);

#endif
