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

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_vectors),
                cmocka_unit_test(test_million_a),
                cmocka_unit_test(test_pieces),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
