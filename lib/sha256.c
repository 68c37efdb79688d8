/* SHA-256 through libcrypto's EVP interface, loaded on first use
 * (lib/crypto-dl.h): most box commands hash nothing, and those that do pay
 * for the library only then. */
#include "lib/sha256.h"

#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/crypto-dl.h"

/* libcrypto's entry points, resolved once */
static struct {
        EVP_MD_CTX *(*ctx_new)(void);
        void (*ctx_free)(EVP_MD_CTX *);
        const EVP_MD *(*sha256)(void);
        int (*init)(EVP_MD_CTX *, const EVP_MD *, ENGINE *);
        int (*update)(EVP_MD_CTX *, const void *, size_t);
        int (*final)(EVP_MD_CTX *, unsigned char *, unsigned int *);
} evp;
static pthread_once_t evp_once = PTHREAD_ONCE_INIT;

static void evp_load(void)
{
        evp.ctx_new = (EVP_MD_CTX * (*)(void)) crypto_dl_sym("EVP_MD_CTX_new");
        evp.ctx_free = (void (*)(EVP_MD_CTX *))crypto_dl_sym("EVP_MD_CTX_free");
        evp.sha256 = (const EVP_MD *(*)(void))crypto_dl_sym("EVP_sha256");
        evp.init =
                (int (*)(EVP_MD_CTX *, const EVP_MD *, ENGINE *))crypto_dl_sym("EVP_DigestInit_ex");
        evp.update = (int (*)(EVP_MD_CTX *, const void *, size_t))crypto_dl_sym("EVP_DigestUpdate");
        evp.final = (int (*)(EVP_MD_CTX *, unsigned char *, unsigned int *))crypto_dl_sym(
                "EVP_DigestFinal_ex");
}

struct sha256_ctx {
        EVP_MD_CTX *md;
};

struct sha256_ctx *sha256_new(void)
{
        pthread_once(&evp_once, evp_load);
        struct sha256_ctx *c = malloc(sizeof(*c));
        if (!c)
                abort();
        c->md = evp.ctx_new();
        if (!c->md || evp.init(c->md, evp.sha256(), NULL) != 1)
                abort();
        return c;
}

void sha256_update(struct sha256_ctx *c, const void *p, size_t n)
{
        if (n)
                evp.update(c->md, p, n);
}

void sha256_final_str(struct sha256_ctx *c, char out[SHA256_DIGEST_STR_LEN + 1])
{
        static const char hex[] = "0123456789abcdef";
        unsigned char md[32];
        unsigned int len = 0;
        evp.final(c->md, md, &len);
        memcpy(out, "sha256:", 7);
        for (unsigned i = 0; i < 32; i++) {
                out[7 + 2 * i] = hex[md[i] >> 4];
                out[8 + 2 * i] = hex[md[i] & 15];
        }
        out[SHA256_DIGEST_STR_LEN] = '\0';
        sha256_free(c);
}

void sha256_free(struct sha256_ctx *c)
{
        if (!c)
                return;
        evp.ctx_free(c->md);
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
