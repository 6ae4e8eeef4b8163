/* sha256: SHA-256 through OpenSSL EVP. */
#include "config.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "pgstep/sha256.h"
#include "pgstep/xalloc.h"

struct sha256 {
	EVP_MD_CTX *ctx;
};

static void sha256_fail(const char *what)
{
	fprintf(stderr, "pgstep: OpenSSL SHA-256 %s failed\n", what);
	abort();
}

struct sha256 *sha256_new(void)
{
	struct sha256 *h = xmalloc(sizeof *h);
	h->ctx = EVP_MD_CTX_new();
	if (!h->ctx || EVP_DigestInit_ex(h->ctx, EVP_sha256(), NULL) != 1)
		sha256_fail("init");
	return h;
}

void sha256_update(struct sha256 *h, const void *data, size_t n)
{
	if (n && EVP_DigestUpdate(h->ctx, data, n) != 1)
		sha256_fail("update");
}

static void to_hex(const unsigned char *md, unsigned len, char *out)
{
	static const char digits[] = "0123456789abcdef";
	for (unsigned i = 0; i < len; i++) {
		out[2 * i] = digits[md[i] >> 4];
		out[2 * i + 1] = digits[md[i] & 15];
	}
	out[2 * len] = '\0';
}

void sha256_finish(struct sha256 *h, char out[SHA256_HEX_LEN + 1])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned len = 0;
	if (EVP_DigestFinal_ex(h->ctx, md, &len) != 1 || len != 32)
		sha256_fail("final");
	to_hex(md, len, out);
	EVP_MD_CTX_free(h->ctx);
	free(h);
}

void sha256_hex(const void *data, size_t n, char out[SHA256_HEX_LEN + 1])
{
	struct sha256 *h = sha256_new();
	sha256_update(h, data, n);
	sha256_finish(h, out);
}

void sha256_raw(const void *data, size_t n, uint8_t out[32])
{
	unsigned len = 0;
	if (EVP_Digest(data, n, out, &len, EVP_sha256(), NULL) != 1 || len != 32)
		sha256_fail("digest");
}

void sha256_hmac_hex(const void *key, size_t keylen, const void *data, size_t n,
                     char out[SHA256_HEX_LEN + 1])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned len = 0;
	/* HMAC() with a NULL md buffer would use a static one: pass ours. */
	if (keylen > INT32_MAX || !HMAC(EVP_sha256(), key, (int)keylen, data, n, md, &len) ||
	    len != 32)
		sha256_fail("HMAC");
	to_hex(md, len, out);
}
