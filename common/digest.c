#include "digest.h"

#include <openssl/sha.h>
#include <stdio.h>

void digest_sha256_hex(const void *data, size_t len, char ret[DIGEST_HEX_LEN + 1])
{
	unsigned char md[SHA256_DIGEST_LENGTH];

	SHA256(data, len, md);
	for (size_t i = 0; i < sizeof(md); i++)
		snprintf(ret + 2 * i, 3, "%02x", md[i]);
}
