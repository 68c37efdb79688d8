/* SHA-256 over buffers and fds (libcrypto, loaded on first use: lib/crypto-dl.h).
 * Digests travel as "sha256:<64 hex>" strings elsewhere. */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include "lib/err.h"

#define SHA256_HEX_LEN        64
#define SHA256_DIGEST_STR_LEN (7 + SHA256_HEX_LEN) /* "sha256:" + hex */

struct sha256_ctx;

struct sha256_ctx *sha256_new(void);
void sha256_update(struct sha256_ctx *c, const void *p, size_t n);
/* Writes "sha256:<hex>" (SHA256_DIGEST_STR_LEN + 1 bytes) and frees c. */
void sha256_final_str(struct sha256_ctx *c, char out[SHA256_DIGEST_STR_LEN + 1]);
void sha256_free(struct sha256_ctx *c);

void sha256_buf(const void *p, size_t n, char out[SHA256_DIGEST_STR_LEN + 1]);
/* Hashes from the fd's current position to EOF; returns bytes read. */
int sha256_fd(int fd, char out[SHA256_DIGEST_STR_LEN + 1], uint64_t *ret_size, struct box_err *err);

static inline void sha256_freep(struct sha256_ctx **c)
{
        sha256_free(*c);
}
#define _cleanup_sha256_ _cleanup_(sha256_freep)
