/* libFuzzer target for the Dockerfile language: the parser, its JSON and
 * listing output, the checker, the shell-word expander and the ignore-file
 * reader and matcher all run on every input. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "build/dockerfile.h"
#include "build/dockerignore.h"
#include "lib/strv.h"
#include "lib/xalloc.h"
#include "spec/json.h"

static void fuzz_parse(const char *data, size_t size)
{
        struct dockerfile *df = NULL;
        struct box_err err = {0};

        if (build_dockerfile_parse("Dockerfile", data, size, &df, &err) < 0)
                return;
        char *dump = build_dockerfile_dump(df);
        free(dump);
        struct jv *j = build_dockerfile_to_json(df);
        char *s = jv_dump(j, JV_PRETTY);
        free(s);
        jv_free(j);
        char **warnings = NULL;
        char *args[] = {"A=1", "HTTP_PROXY=x", NULL};
        if (build_dockerfile_check("Dockerfile", df, args, &warnings, &err) >= 0)
                strv_free(warnings);
        build_dockerfile_free(df);
}

static void fuzz_words(const char *word)
{
        char *env[] = {"A=a b", "B=", "PATH=/bin", NULL};
        struct shell_env e = SHELL_ENV_STRV(env);
        struct box_err err = {0};
        char *out = NULL, **words = NULL, **m = NULL, **u = NULL;

        if (build_shell_expand_word(word, '\\', 0, &e, &out, &m, &u, &err) >= 0) {
                free(out);
                strv_free(m);
                strv_free(u);
        }
        if (build_shell_expand_words(word, '`', SHELL_RAW_QUOTES | SHELL_SKIP_UNSET, &e, &words,
                                     &err) >= 0)
                strv_free(words);
}

static void fuzz_ignore(const char *data, size_t size)
{
        char **patterns = NULL;
        struct dockerignore *m = NULL;
        struct box_err err = {0};
        bool ex;

        if (build_dockerignore_read(data, size, &patterns, &err) < 0)
                return;
        if (build_dockerignore_new(patterns, &m, &err) >= 0) {
                static const char *paths[] = {"a", "a/b/c.txt", ".git/config", "docs/README.md",
                                              "x(1)/y"};
                for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
                        build_dockerignore_matches(m, paths[i], &ex, &err);
                build_dockerignore_free(m);
        }
        strv_free(patterns);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        if (size > 8192)
                return 0;
        char *s = xstrndup((const char *)data, size);
        fuzz_parse((const char *)data, size);
        fuzz_words(s);
        fuzz_ignore((const char *)data, size);
        free(s);
        return 0;
}
