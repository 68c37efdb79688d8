/* SHA-256 (FIPS 180-4) without libcrypto: loading libcrypto cost every box
 * command ~0.5 ms of relocations and its first EVP call another ~0.6 ms of
 * reading openssl.cnf, to hash a few hundred bytes of JSON.  On x86-64 CPUs
 * with the SHA extensions the block function uses them (as fast as
 * OpenSSL's); elsewhere the portable one below. */
#include "lib/sha256.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define SHA256_HAVE_SHANI 1
#endif

struct sha256_ctx {
        uint32_t h[8];
        uint64_t len; /* bytes hashed so far */
        unsigned char buf[64];
        size_t n; /* bytes waiting in buf */
};

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
        0xc67178f2,
};

static inline uint32_t ror(uint32_t x, unsigned n)
{
        return (x >> n) | (x << (32 - n));
}

static void blocks_generic(uint32_t h[8], const unsigned char *p, size_t nblocks)
{
        for (; nblocks; nblocks--, p += 64) {
                uint32_t w[64], a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5],
                                g = h[6], hh = h[7];
                for (int i = 0; i < 16; i++)
                        w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
                               (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
                for (int i = 16; i < 64; i++) {
                        uint32_t s0 = ror(w[i - 15], 7) ^ ror(w[i - 15], 18) ^ (w[i - 15] >> 3);
                        uint32_t s1 = ror(w[i - 2], 17) ^ ror(w[i - 2], 19) ^ (w[i - 2] >> 10);
                        w[i] = w[i - 16] + s0 + w[i - 7] + s1;
                }
                for (int i = 0; i < 64; i++) {
                        uint32_t t1 = hh + (ror(e, 6) ^ ror(e, 11) ^ ror(e, 25)) +
                                      ((e & f) ^ (~e & g)) + K[i] + w[i];
                        uint32_t t2 = (ror(a, 2) ^ ror(a, 13) ^ ror(a, 22)) +
                                      ((a & b) ^ (a & c) ^ (b & c));
                        hh = g;
                        g = f;
                        f = e;
                        e = d + t1;
                        d = c;
                        c = b;
                        b = a;
                        a = t1 + t2;
                }
                h[0] += a;
                h[1] += b;
                h[2] += c;
                h[3] += d;
                h[4] += e;
                h[5] += f;
                h[6] += g;
                h[7] += hh;
        }
}

#ifdef SHA256_HAVE_SHANI
/* Intel's SHA extensions: the state lives as ABEF/CDGH halves; each
 * sha256rnds2 does two rounds, msg1/msg2 extend the message schedule four
 * words at a time (m[] rotates through W[j-4..j-1]). */
__attribute__((target("sha,sse4.1"))) static void
blocks_shani(uint32_t h[8], const unsigned char *p, size_t nblocks)
{
        const __m128i bswap = _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
        __m128i tmp = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)&h[0]), 0xB1);
        __m128i st1 = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)&h[4]), 0x1B);
        __m128i st0 = _mm_alignr_epi8(tmp, st1, 8); /* ABEF */
        st1 = _mm_blend_epi16(st1, tmp, 0xF0);      /* CDGH */

        for (; nblocks; nblocks--, p += 64) {
                __m128i save0 = st0, save1 = st1, m[4], msg;
                for (int j = 0; j < 16; j++) {
                        if (j < 4)
                                m[j] = _mm_shuffle_epi8(
                                        _mm_loadu_si128((const __m128i *)(p + 16 * j)), bswap);
                        else
                                m[j & 3] = _mm_sha256msg2_epu32(
                                        _mm_add_epi32(
                                                _mm_sha256msg1_epu32(m[j & 3], m[(j + 1) & 3]),
                                                _mm_alignr_epi8(m[(j + 3) & 3], m[(j + 2) & 3], 4)),
                                        m[(j + 3) & 3]);
                        msg = _mm_add_epi32(m[j & 3], _mm_loadu_si128((const __m128i *)&K[4 * j]));
                        st1 = _mm_sha256rnds2_epu32(st1, st0, msg);
                        st0 = _mm_sha256rnds2_epu32(st0, st1, _mm_shuffle_epi32(msg, 0x0E));
                }
                st0 = _mm_add_epi32(st0, save0);
                st1 = _mm_add_epi32(st1, save1);
        }
        tmp = _mm_shuffle_epi32(st0, 0x1B);                                  /* FEBA */
        st1 = _mm_shuffle_epi32(st1, 0xB1);                                  /* DCHG */
        _mm_storeu_si128((__m128i *)&h[0], _mm_blend_epi16(tmp, st1, 0xF0)); /* DCBA */
        _mm_storeu_si128((__m128i *)&h[4], _mm_alignr_epi8(st1, tmp, 8));    /* HGFE */
}
#endif

int sha256_use_generic; /* tests: compare both block functions */

static void blocks(uint32_t h[8], const unsigned char *p, size_t nblocks)
{
#ifdef SHA256_HAVE_SHANI
        static int shani = -1;
        if (shani < 0) {
                __builtin_cpu_init();
                shani = __builtin_cpu_supports("sha") && __builtin_cpu_supports("sse4.1");
        }
        if (shani && !sha256_use_generic) {
                blocks_shani(h, p, nblocks);
                return;
        }
#endif
        blocks_generic(h, p, nblocks);
}

struct sha256_ctx *sha256_new(void)
{
        static const uint32_t iv[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                       0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
        struct sha256_ctx *c = malloc(sizeof(*c));
        if (!c)
                abort();
        memcpy(c->h, iv, sizeof(iv));
        c->len = 0;
        c->n = 0;
        return c;
}

void sha256_update(struct sha256_ctx *c, const void *data, size_t n)
{
        const unsigned char *p = data;
        c->len += n;
        if (c->n) {
                size_t take = 64 - c->n < n ? 64 - c->n : n;
                memcpy(c->buf + c->n, p, take);
                c->n += take;
                p += take;
                n -= take;
                if (c->n < 64)
                        return;
                blocks(c->h, c->buf, 1);
                c->n = 0;
        }
        if (n >= 64) {
                blocks(c->h, p, n / 64);
                p += n & ~(size_t)63;
                n &= 63;
        }
        memcpy(c->buf, p, n);
        c->n = n;
}

void sha256_final_str(struct sha256_ctx *c, char out[SHA256_DIGEST_STR_LEN + 1])
{
        static const char hex[] = "0123456789abcdef";
        uint64_t bits = c->len * 8;
        c->buf[c->n++] = 0x80;
        if (c->n > 56) {
                memset(c->buf + c->n, 0, 64 - c->n);
                blocks(c->h, c->buf, 1);
                c->n = 0;
        }
        memset(c->buf + c->n, 0, 56 - c->n);
        for (int i = 0; i < 8; i++)
                c->buf[56 + i] = (unsigned char)(bits >> (56 - 8 * i));
        blocks(c->h, c->buf, 1);
        memcpy(out, "sha256:", 7);
        for (int i = 0; i < 32; i++) {
                unsigned char b = (unsigned char)(c->h[i / 4] >> (24 - 8 * (i % 4)));
                out[7 + 2 * i] = hex[b >> 4];
                out[8 + 2 * i] = hex[b & 15];
        }
        out[SHA256_DIGEST_STR_LEN] = '\0';
        sha256_free(c);
}

void sha256_free(struct sha256_ctx *c)
{
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
