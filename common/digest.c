#include "digest.h"

#include <openssl/evp.h>
#include <openssl/sha.h>
#include <stdio.h>

static void to_hex(const unsigned char *md, size_t n, char *ret)
{
	for (size_t i = 0; i < n; i++)
		snprintf(ret + 2 * i, 3, "%02x", md[i]);
}

void digest_sha256_hex(const void *data, size_t len, char ret[DIGEST_HEX_LEN + 1])
{
	unsigned char md[SHA256_DIGEST_LENGTH];

	SHA256(data, len, md);
	to_hex(md, sizeof(md), ret);
}

struct digest_ctx *digest_sha256_new(void)
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();

	if (c && EVP_DigestInit_ex(c, EVP_sha256(), NULL) != 1) {
		EVP_MD_CTX_free(c);
		return NULL;
	}
	return (struct digest_ctx *)c;
}

void digest_update(struct digest_ctx *c, const void *data, size_t len)
{
	EVP_DigestUpdate((EVP_MD_CTX *)c, data, len);
}

void digest_final_hex(struct digest_ctx *c, char ret[DIGEST_HEX_LEN + 1])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned n = 0;

	EVP_DigestFinal_ex((EVP_MD_CTX *)c, md, &n);
	to_hex(md, n, ret);
	EVP_MD_CTX_free((EVP_MD_CTX *)c);
}

void digest_free(struct digest_ctx *c)
{
	EVP_MD_CTX_free((EVP_MD_CTX *)c);
}
