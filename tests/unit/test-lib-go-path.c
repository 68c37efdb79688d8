/* lib/go-path: Go's path.Clean, against Go's own table (cleantests in
 * src/path/path_test.go, written down from knowledge of Go's sources: no
 * network here) and a few hostile inputs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "lib/go-path.h"
#include "lib/macro.h"

static void test_clean(void **state)
{
        (void)state;
        static const struct {
                const char *in, *want;
        } cases[] = {
                /* already clean */
                {"", "."},
                {"abc", "abc"},
                {"abc/def", "abc/def"},
                {"a/b/c", "a/b/c"},
                {".", "."},
                {"..", ".."},
                {"../..", "../.."},
                {"../../abc", "../../abc"},
                {"/abc", "/abc"},
                {"/", "/"},
                /* trailing slash */
                {"abc/", "abc"},
                {"abc/def/", "abc/def"},
                {"a/b/c/", "a/b/c"},
                {"./", "."},
                {"../", ".."},
                {"../../", "../.."},
                {"/abc/", "/abc"},
                /* doubled slash */
                {"abc//def//ghi", "abc/def/ghi"},
                {"//abc", "/abc"},
                {"///abc", "/abc"},
                {"//abc//", "/abc"},
                {"abc//", "abc"},
                /* . elements */
                {"abc/./def", "abc/def"},
                {"/./abc/def", "/abc/def"},
                {"abc/.", "abc"},
                /* .. elements */
                {"abc/def/ghi/../jkl", "abc/def/jkl"},
                {"abc/def/../ghi/../jkl", "abc/jkl"},
                {"abc/def/..", "abc"},
                {"abc/def/../..", "."},
                {"/abc/def/../..", "/"},
                {"abc/def/../../..", ".."},
                {"/abc/def/../../..", "/"},
                {"abc/def/../../../ghi/jkl/../../../mno", "../../mno"},
                /* combinations */
                {"abc/./../def", "def"},
                {"abc//./../def", "def"},
                {"abc/../../././../def", "../../def"},
                /* more: a rooted path never climbs, names that only look
                 * like dots are names */
                {"/../../etc/passwd", "/etc/passwd"},
                {"/..", "/"},
                {"...", "..."},
                {"a/.../b", "a/.../b"},
                {"..a/b..", "..a/b.."},
                {"./-x", "-x"},
        };
        for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
                char *c = go_path_clean(cases[i].in);
                if (strcmp(c, cases[i].want) != 0)
                        fail_msg("Clean('%s') = '%s', want '%s'", cases[i].in, c, cases[i].want);
                free(c);
        }
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_clean),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
