/* SHA-256 through libcrypto's EVP interface, loaded on first use
 * (lib/crypto-dl.h): most box commands hash nothing, and those that do pay
 * for the library only then.  A digest of at most SMALL_MAX bytes (cache
 * keys, configs, manifests: all a fully cached build hashes) is computed
 * here in plain C instead: loading and relocating libcrypto cost ~1.5 ms,
 * a sixth of such a build; bigger inputs (layers, blobs) switch to
 * libcrypto and its SHA-NI code. */
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

#define SMALL_MAX 16384

/* FIPS 180-4, one shot over at most SMALL_MAX bytes. */
static const uint32_t K[64] = {
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
        0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
        0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
        0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
        0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
        0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
        0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
        0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
        0xc67178f2};

#define ROR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static void small_block(uint32_t h[8], const unsigned char *p)
{
        uint32_t w[64], a[8];
        for (int i = 0; i < 16; i++)
                w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
                       (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
        for (int i = 16; i < 64; i++) {
                uint32_t s0 = ROR(w[i - 15], 7) ^ ROR(w[i - 15], 18) ^ (w[i - 15] >> 3);
                uint32_t s1 = ROR(w[i - 2], 17) ^ ROR(w[i - 2], 19) ^ (w[i - 2] >> 10);
                w[i] = w[i - 16] + s0 + w[i - 7] + s1;
        }
        memcpy(a, h, sizeof(a));
        for (int i = 0; i < 64; i++) {
                uint32_t t1 = a[7] + (ROR(a[4], 6) ^ ROR(a[4], 11) ^ ROR(a[4], 25)) +
                              ((a[4] & a[5]) ^ (~a[4] & a[6])) + K[i] + w[i];
                uint32_t t2 = (ROR(a[0], 2) ^ ROR(a[0], 13) ^ ROR(a[0], 22)) +
                              ((a[0] & a[1]) ^ (a[0] & a[2]) ^ (a[1] & a[2]));
                memmove(a + 1, a, 7 * sizeof(a[0]));
                a[4] += t1;
                a[0] = t1 + t2;
        }
        for (int i = 0; i < 8; i++)
                h[i] += a[i];
}

static void small_digest(const unsigned char *p, size_t n, unsigned char md[32])
{
        uint32_t h[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                         0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
        size_t off = 0;
        for (; n - off >= 64; off += 64)
                small_block(h, p + off);
        unsigned char last[128] = {0};
        size_t rest = n - off, len = rest + 9 <= 64 ? 64 : 128;
        memcpy(last, p + off, rest);
        last[rest] = 0x80;
        uint64_t bits = (uint64_t)n * 8;
        for (int i = 0; i < 8; i++)
                last[len - 1 - i] = (unsigned char)(bits >> (8 * i));
        for (size_t b = 0; b < len; b += 64)
                small_block(h, last + b);
        for (int i = 0; i < 8; i++) {
                md[4 * i] = (unsigned char)(h[i] >> 24);
                md[4 * i + 1] = (unsigned char)(h[i] >> 16);
                md[4 * i + 2] = (unsigned char)(h[i] >> 8);
                md[4 * i + 3] = (unsigned char)h[i];
        }
}

/* Either the first SMALL_MAX bytes, held (md NULL), or libcrypto's context. */
struct sha256_ctx {
        EVP_MD_CTX *md;
        size_t n;
        unsigned char small[SMALL_MAX];
};

struct sha256_ctx *sha256_new(void)
{
        struct sha256_ctx *c = malloc(sizeof(*c));
        if (!c)
                abort();
        c->md = NULL;
        c->n = 0;
        return c;
}

void sha256_update(struct sha256_ctx *c, const void *p, size_t n)
{
        if (!n)
                return;
        if (!c->md && n <= SMALL_MAX - c->n) {
                memcpy(c->small + c->n, p, n);
                c->n += n;
                return;
        }
        if (!c->md) {
                pthread_once(&evp_once, evp_load);
                c->md = evp.ctx_new();
                if (!c->md || evp.init(c->md, evp.sha256(), NULL) != 1 ||
                    (c->n && evp.update(c->md, c->small, c->n) != 1))
                        abort();
        }
        evp.update(c->md, p, n);
}

void sha256_final_str(struct sha256_ctx *c, char out[SHA256_DIGEST_STR_LEN + 1])
{
        static const char hex[] = "0123456789abcdef";
        unsigned char md[32];
        unsigned int len = 0;
        if (c->md)
                evp.final(c->md, md, &len);
        else
                small_digest(c->small, c->n, md);
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
        if (c->md)
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
