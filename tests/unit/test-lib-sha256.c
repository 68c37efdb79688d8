/* lib/sha256.c (libcrypto's EVP, loaded on first use): FIPS 180-4 test
 * vectors, and streaming in pieces of every size gives the one-shot
 * digest. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>

#include "lib/sha256.h"

static void test_vectors(void **state)
{
        (void)state;
        static const struct {
                const char *in, *want;
        } v[] = {
                {"", "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
                {"abc", "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
                {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
                 "sha256:248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
        };
        for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
                char out[SHA256_DIGEST_STR_LEN + 1];
                sha256_buf(v[i].in, strlen(v[i].in), out);
                assert_string_equal(out, v[i].want);
        }
}

static void test_million_a(void **state)
{
        (void)state;
        static char a[1000];
        memset(a, 'a', sizeof(a));
        struct sha256_ctx *c = sha256_new();
        for (int i = 0; i < 1000; i++)
                sha256_update(c, a, sizeof(a));
        char out[SHA256_DIGEST_STR_LEN + 1];
        sha256_final_str(c, out);
        assert_string_equal(
                out, "sha256:cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

static void test_pieces(void **state)
{
        (void)state;
        unsigned char p[300];
        for (size_t i = 0; i < sizeof(p); i++)
                p[i] = (unsigned char)(i * 7 + 3);
        for (size_t n = 0; n <= sizeof(p); n += 37) {
                char whole[SHA256_DIGEST_STR_LEN + 1];
                sha256_buf(p, n, whole);
                for (size_t step = 1; step <= 70; step += 23) {
                        struct sha256_ctx *c = sha256_new();
                        for (size_t off = 0; off < n; off += step)
                                sha256_update(c, p + off, step < n - off ? step : n - off);
                        char s[SHA256_DIGEST_STR_LEN + 1];
                        sha256_final_str(c, s);
                        assert_string_equal(s, whole);
                }
        }
}

/* Short inputs are hashed by box's own code, longer ones by libcrypto
 * (lib/sha256.c, SMALL_MAX): the padding edges of one block, the switch
 * between the two at 16 KiB, and a switch in the middle of a stream. */
static void test_small_and_switch(void **state)
{
        (void)state;
        static const struct {
                size_t n;
                const char *want;
        } v[] = {
                {55, "e7313d333c272e639f790978283f9eb392e843d0f29b7016828bb1daa4aac70b"},
                {56, "4324d65f3c103567f5589c710bc08f8523f929a9272e3af36fc968e52abc6c27"},
                {63, "81c80242132f230c3bd41b3e63bbcff16107339549214a99614ff26664625055"},
                {64, "39e3d7b6b5d075d37d053ad89b24b41bef4f3c29760c84447cab3f3be1882241"},
                {119, "9ce7368e4daf32341631b492e80359dc9f594b48453cd0dd5bf0b19279cc177e"},
                {120, "7836b787757e95e58b3ca5aec90b1b004e8deba1e50e9675af9cabf1a13a04b5"},
                {16383, "9fa9dd329095e5df6e6f1e297b364f0077596ca659f6ffb9e3e81b994656154b"},
                {16384, "ab571d12466f75ae481bdbbbfec70a0c53bf78e2849862addfa9a049d8f6fbc0"},
                {16385, "5f5832559fd52d110c9c1b979698907b2204297aef4f7e35ec3eed4bfa7dd1b8"},
                {20000, "576358d0914fe2133920b1c1f46867d49959124d425af9434f431548791cca79"},
        };
        static unsigned char p[20000];
        for (size_t i = 0; i < sizeof(p); i++)
                p[i] = (unsigned char)(i * 7 + 3);
        for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
                char out[SHA256_DIGEST_STR_LEN + 1];
                sha256_buf(p, v[i].n, out);
                assert_string_equal(out + 7, v[i].want);
                /* in pieces that cross the switch */
                static const size_t steps[] = {1000, 8191, 16384, 16385};
                for (size_t s = 0; s < sizeof(steps) / sizeof(steps[0]); s++) {
                        struct sha256_ctx *c = sha256_new();
                        for (size_t off = 0; off < v[i].n; off += steps[s])
                                sha256_update(c, p + off,
                                              steps[s] < v[i].n - off ? steps[s] : v[i].n - off);
                        sha256_final_str(c, out);
                        assert_string_equal(out + 7, v[i].want);
                }
        }
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_vectors),
                cmocka_unit_test(test_million_a),
                cmocka_unit_test(test_pieces),
                cmocka_unit_test(test_small_and_switch),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
