/* lib/sha256.c: FIPS 180-4 test vectors, and the SHA-NI and portable block
 * functions agreeing on every length and every split of the input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lib/sha256.h"

extern int sha256_use_generic;

static void hash_both(const void *p, size_t n, char out[2][SHA256_DIGEST_STR_LEN + 1])
{
        for (int g = 0; g < 2; g++) {
                sha256_use_generic = g;
                sha256_buf(p, n, out[g]);
        }
        sha256_use_generic = 0;
}

static void test_vectors(void **state)
{
        (void)state;
        static const struct {
                const char *in, *out;
        } v[] = {
                {"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
                {"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
                {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
                 "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
                {"abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopq"
                 "klmnopqrlmnopqrsmnopqrstnopqrstu",
                 "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"},
        };
        char d[2][SHA256_DIGEST_STR_LEN + 1];
        for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
                hash_both(v[i].in, strlen(v[i].in), d);
                for (int g = 0; g < 2; g++) {
                        assert_memory_equal(d[g], "sha256:", 7);
                        assert_string_equal(d[g] + 7, v[i].out);
                }
        }
        size_t n = 1000000;
        char *a = malloc(n);
        assert_non_null(a);
        memset(a, 'a', n);
        hash_both(a, n, d);
        for (int g = 0; g < 2; g++)
                assert_string_equal(
                        d[g] + 7,
                        "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
        free(a);
}

/* Every length up to 300 and a few large ones, fed whole and in odd
 * pieces, give one digest whichever block function runs. */
static void test_splits(void **state)
{
        (void)state;
        size_t max = 3 << 16;
        unsigned char *p = malloc(max);
        assert_non_null(p);
        srand(16);
        for (size_t i = 0; i < max; i++)
                p[i] = (unsigned char)rand();
        static const size_t big[] = {4095, 4096, 65537, 3 << 16};
        for (size_t len = 0; len < 300 + 4; len++) {
                size_t n = len < 300 ? len : big[len - 300];
                char d[2][SHA256_DIGEST_STR_LEN + 1], s[SHA256_DIGEST_STR_LEN + 1];
                hash_both(p, n, d);
                assert_string_equal(d[0], d[1]);
                struct sha256_ctx *c = sha256_new();
                for (size_t off = 0, step = 1; off < n; off += step, step = step * 3 % 97 + 1)
                        sha256_update(c, p + off, step < n - off ? step : n - off);
                sha256_final_str(c, s);
                assert_string_equal(s, d[0]);
        }
        free(p);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_vectors),
                cmocka_unit_test(test_splits),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
