/* SHA-256, as lowercase hex: the names of things keyed by their content. */
#pragma once

#include <stddef.h>

#define DIGEST_HEX_LEN 64

/* Writes the 64 hex digits of SHA-256(data) and a NUL into ret (65 bytes). */
void digest_sha256_hex(const void *data, size_t len, char ret[DIGEST_HEX_LEN + 1]);
