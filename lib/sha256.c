#include "lib/sha256.h"

#include <openssl/evp.h>
#include <stdio.h>

struct sha256_ctx {
        EVP_MD_CTX *md;
};

struct sha256_ctx *sha256_new(void)
{
        struct sha256_ctx *c = malloc(sizeof(*c));
        if (!c)
                abort();
        c->md = EVP_MD_CTX_new();
        if (!c->md || EVP_DigestInit_ex(c->md, EVP_sha256(), NULL) != 1)
                abort();
        return c;
}

void sha256_update(struct sha256_ctx *c, const void *p, size_t n)
{
        if (n)
                EVP_DigestUpdate(c->md, p, n);
}

void sha256_final_str(struct sha256_ctx *c, char out[SHA256_DIGEST_STR_LEN + 1])
{
        unsigned char md[32];
        unsigned int len = 0;
        EVP_DigestFinal_ex(c->md, md, &len);
        memcpy(out, "sha256:", 7);
        for (unsigned i = 0; i < 32; i++)
                snprintf(out + 7 + 2 * i, 3, "%02x", md[i]);
        sha256_free(c);
}

void sha256_free(struct sha256_ctx *c)
{
        if (!c)
                return;
        EVP_MD_CTX_free(c->md);
        free(c);
}

void sha256_buf(const void *p, size_t n, char out[SHA256_DIGEST_STR_LEN + 1])
{
        struct sha256_ctx *c = sha256_new();
        sha256_update(c, p, n);
        sha256_final_str(c, out);
}

int sha256_fd(int fd, char out[SHA256_DIGEST_STR_LEN + 1], uint64_t *ret_size, struct box_err *err)
{
        _cleanup_sha256_ struct sha256_ctx *c = sha256_new();
        char buf[1 << 16];
        uint64_t total = 0;
        for (;;) {
                ssize_t n = RETRY_EINTR(read(fd, buf, sizeof(buf)));
                if (n < 0)
                        return box_err_errno(err, errno, "read");
                if (n == 0)
                        break;
                sha256_update(c, buf, (size_t)n);
                total += (uint64_t)n;
        }
        sha256_final_str(TAKE_PTR(c), out);
        if (ret_size)
                *ret_size = total;
        return 0;
}
