/* lib/strv: strv_join, strv_sort and its comparator; xgrowarray, which
 * strv_push and the Dockerfile's instructions grow by. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "lib/strv.h"
#include "lib/xalloc.h"

static void test_join(void **state)
{
        (void)state;
        static const struct {
                const char *v[4];
                const char *sep, *want;
        } cases[] = {
                {{NULL}, " ", ""},
                {{"a", NULL}, " ", "a"},
                {{"a", "b", "c", NULL}, " ", "a b c"},
                {{"a", "", "c", NULL}, ":", "a::c"},
                {{"", NULL}, ",", ""},
                {{"x", "y", NULL}, "", "xy"},
                {{"l1", "l2", NULL}, "\n", "l1\nl2"},
                {{"ü", "é", NULL}, " ~ ", "ü ~ é"},
        };
        for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
                _cleanup_free_ char *j = strv_join((char *const *)cases[i].v, cases[i].sep);
                assert_string_equal(j, cases[i].want);
        }
        _cleanup_free_ char *n = strv_join(NULL, " ");
        assert_string_equal(n, "");
}

static void test_split(void **state)
{
        (void)state;
        struct {
                const char *in;
                const char *want; /* fields joined by '|' */
                size_t n;
        } cases[] = {
                {"", "", 1},         {"a", "a", 1},
                {"a,b", "a|b", 2},   {",a,", "|a|", 3},
                {"a,,b", "a||b", 3}, {"type=local,dest=x", "type=local|dest=x", 2},
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                char **v = strv_split(cases[i].in, ',');
                assert_int_equal(strv_length(v), cases[i].n);
                char *j = strv_join(v, "|");
                assert_string_equal(j, cases[i].want);
                free(j);
                strv_free(v);
        }
}

static void test_sort(void **state)
{
        (void)state;
        _cleanup_strv_free_ char **v = NULL;
        static const char *const in[] = {"b", "a/b", "a", "B", "\xc3\xa9", "a-b", ""};
        for (size_t i = 0; i < ARRAY_SIZE(in); i++)
                v = strv_append(v, in[i]);
        strv_sort(v);
        /* bytewise: "" < "B" < "a" < "a-b" < "a/b" < "b" < UTF-8 */
        _cleanup_free_ char *j = strv_join(v, "|");
        assert_string_equal(j, "|B|a|a-b|a/b|b|\xc3\xa9");
        strv_sort(NULL); /* no vector: nothing to do */

        /* the comparator on an array that is not NULL-terminated */
        char *arr[] = {"zz", "z", "aa"};
        qsort(arr, ARRAY_SIZE(arr), sizeof(char *), strv_cmp);
        assert_string_equal(arr[0], "aa");
        assert_string_equal(arr[1], "z");
        assert_string_equal(arr[2], "zz");
        const char *key = "z";
        assert_ptr_equal(bsearch(&key, arr, ARRAY_SIZE(arr), sizeof(char *), strv_cmp), &arr[1]);
}

/* appending one at a time moves the array O(log N) times, keeps what it
 * held, and an array allocated elsewhere (exact size) grows the same way */
static void test_growarray(void **state)
{
        (void)state;
        size_t *v = NULL, moves = 0;
        for (size_t i = 0; i < 100000; i++) {
                size_t *w = xgrowarray(v, i + 1, sizeof(*v));
                moves += w != v;
                v = w;
                v[i] = i;
        }
        for (size_t i = 0; i < 100000; i++)
                assert_int_equal(v[i], i);
        assert_true(moves <= 40);
        free(v);
        char **s = xnew0(char *, 3);
        for (size_t i = 0; i < 1000; i++)
                s = strv_append(s, "x");
        assert_int_equal(strv_length(s), 1000);
        strv_free(s);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_join),
                cmocka_unit_test(test_sort),
                cmocka_unit_test(test_split),
                cmocka_unit_test(test_growarray),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
