/* SHA-256, as lowercase hex: the names of things keyed by their content. */
#pragma once

#include <stddef.h>

#define DIGEST_HEX_LEN 64

/* Writes the 64 hex digits of SHA-256(data) and a NUL into ret (65 bytes). */
void digest_sha256_hex(const void *data, size_t len, char ret[DIGEST_HEX_LEN + 1]);

/* Streaming: new, update any number of times, then final (which frees). */
struct digest_ctx;
struct digest_ctx *digest_sha256_new(void); /* NULL when out of memory */
void digest_update(struct digest_ctx *c, const void *data, size_t len);
void digest_final_hex(struct digest_ctx *c, char ret[DIGEST_HEX_LEN + 1]);
void digest_free(struct digest_ctx *c); /* without a result; NULL ok */
