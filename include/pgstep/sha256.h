/* sha256: SHA-256 (and HMAC-SHA256) through OpenSSL, as lowercase hex. */
#ifndef PGSTEP_SHA256_H
#define PGSTEP_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_HEX_LEN 64

struct sha256;

struct sha256 *sha256_new(void);
void sha256_update(struct sha256 *h, const void *data, size_t n);
/* Writes 64 hex digits and a NUL into out, and frees h. */
void sha256_finish(struct sha256 *h, char out[SHA256_HEX_LEN + 1]);
void sha256_hex(const void *data, size_t n, char out[SHA256_HEX_LEN + 1]);
void sha256_raw(const void *data, size_t n, uint8_t out[32]);
/* HMAC-SHA256 of data under key, as 64 hex digits. */
void sha256_hmac_hex(const void *key, size_t keylen, const void *data, size_t n,
                     char out[SHA256_HEX_LEN + 1]);

#endif
