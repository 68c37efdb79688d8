/* BuildKit's own parser corpus (tests/data/buildkit-parser, see its NOTICE)
 * against box's parser: each testfiles/NAME/Dockerfile must parse to the AST
 * dump in its 'result' file (parser_test.go TestParseCases), each
 * testfiles-negative/NAME/Dockerfile must be refused (TestParseErrorCases),
 * and testfile-line must carry the line numbers TestParseIncludesLineNumbers
 * asserts.  The directory is found from this file's path, so the test runs
 * from the top of the tree, as make check runs it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "build/dockerfile.h"
#include "lib/macro.h"
#include "lib/fs.h"
#include "lib/strv.h"
#include "lib/xalloc.h"

#define CORPUS "tests/data/buildkit-parser"

static char *corpus_read(const char *path, size_t *ret_len)
{
        struct box_err err = {0};
        char *data = NULL;
        if (fs_read_file_at(AT_FDCWD, path, 0, &data, ret_len, &err) < 0)
                fail_msg("%s", err.msg);
        return data;
}

/* the sorted subdirectory names of DIR, NULL-terminated */
static char **corpus_list(const char *dir)
{
        _cleanup_strv_free_ char **names = NULL;
        DIR *d = opendir(dir);
        if (!d)
                fail_msg("cannot open '%s' (run from the top of the tree): %m", dir);
        struct dirent *e;
        while ((e = readdir(d)))
                if (e->d_name[0] != '.')
                        names = strv_push(names, xstrdup(e->d_name));
        closedir(d);
        strv_sort(names);
        assert_true(strv_length(names) > 0);
        return TAKE_PTR(names);
}

/* Parses with the AST parser, as BuildKit's parser package does (no check
 * of instruction names). */
static int corpus_parse(const char *path, struct dockerfile **ret, struct box_err *err)
{
        size_t len;
        _cleanup_free_ char *data = corpus_read(path, &len);
        return build_dockerfile_parse_ast("Dockerfile", data, len, ret, err);
}

static void test_parse_cases(void **state)
{
        (void)state;
        _cleanup_strv_free_ char **names = corpus_list(CORPUS "/testfiles");
        size_t failed = 0;
        STRV_FOREACH (n, names) {
                _cleanup_free_ char *df_path = xasprintf(CORPUS "/testfiles/%s/Dockerfile", *n);
                _cleanup_free_ char *res_path = xasprintf(CORPUS "/testfiles/%s/result", *n);
                _cleanup_dockerfile_ struct dockerfile *df = NULL;
                struct box_err err = {0};
                size_t len;
                if (corpus_parse(df_path, &df, &err) < 0) {
                        print_error("%s: refused: %s\n", *n, err.msg);
                        failed++;
                        continue;
                }
                _cleanup_free_ char *want = corpus_read(res_path, &len);
                _cleanup_free_ char *got = build_dockerfile_dump(df);
                if (!streq(got, want)) {
                        print_error("%s: dump differs\n--- got\n%s--- want\n%s", *n, got, want);
                        failed++;
                }
        }
        assert_int_equal(failed, 0);
}

static void test_parse_error_cases(void **state)
{
        (void)state;
        _cleanup_strv_free_ char **names = corpus_list(CORPUS "/testfiles-negative");
        STRV_FOREACH (n, names) {
                _cleanup_free_ char *path =
                        xasprintf(CORPUS "/testfiles-negative/%s/Dockerfile", *n);
                _cleanup_dockerfile_ struct dockerfile *df = NULL;
                struct box_err err = {0};
                if (corpus_parse(path, &df, &err) >= 0)
                        fail_msg("%s: accepted", *n);
                /* one line naming the file */
                assert_non_null(strstr(err.msg, "Dockerfile"));
                assert_null(strchr(err.msg, '\n'));
        }
}

static void test_parse_includes_line_numbers(void **state)
{
        (void)state;
        static const int want[][2] = {{5, 5}, {11, 12}, {17, 31}};
        _cleanup_dockerfile_ struct dockerfile *df = NULL;
        struct box_err err = {0};
        if (corpus_parse(CORPUS "/testfile-line/Dockerfile", &df, &err) < 0)
                fail_msg("%s", err.msg);
        assert_int_equal(df->n_instrs, 3);
        for (size_t i = 0; i < df->n_instrs; i++) {
                assert_int_equal(df->instrs[i].start_line, want[i][0]);
                assert_int_equal(df->instrs[i].end_line, want[i][1]);
        }
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_parse_cases),
                cmocka_unit_test(test_parse_error_cases),
                cmocka_unit_test(test_parse_includes_line_numbers),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
