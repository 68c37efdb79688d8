#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "build/dockerfile.h"
#include "lib/strv.h"
#include "lib/xalloc.h"

static char *env_base[] = {"HOME=/root", "SH=ash", "GREEK=αβγ", "EMPTY=", NULL};

/* WANT NULL: an error is expected */
static void word_esc(const char *in, const char *want, uint32_t esc, char **env)
{
        struct shell_env e = SHELL_ENV_STRV(env);
        struct box_err err = {0};
        char *out = NULL;
        int r = build_shell_expand_word(in, esc, 0, &e, &out, NULL, NULL, &err);
        if (!want) {
                if (r >= 0)
                        fail_msg("'%s': expected an error, got '%s'", in, out);
                assert_true(err.msg[0] != '\0');
                return;
        }
        if (r < 0)
                fail_msg("'%s': %s", in, err.msg);
        if (!streq(out, want))
                fail_msg("'%s': got '%s', want '%s'", in, out, want);
        free(out);
}

static void word(const char *in, const char *want)
{
        word_esc(in, want, '\\', env_base);
}

static void test_quotes_and_escapes(void **state)
{
        (void)state;
        word("plain", "plain");
        word("pl'ai'n", "plain");
        word("pl'ain", NULL);
        word("pl\\'ain", "pl'ain");
        word("pl\\\\'ain", NULL);
        word("x\\ty", "xty");
        word("\"x\\ty\"", "x\\ty");
        word("\"x\\\\ty\"", "x\\ty");
        word("'x\\ty'", "x\\ty");
        word("end\\", "end");
        word("end\\\\", "end\\");
        word("\"open", NULL);
        word("\"open\\\"", NULL);
        word("\"it's\"", "it's");
        word("'open", NULL);
        word("'back\\'", "back\\");
        word("'a\\\\b'", "a\\\\b");
        word("\"''\"", "''");
        word("'\"q\"'", "\"q\"");
        word("그'리'스", "그리스");
        word("그\\'리", "그'리");
}

static void test_variables(void **state)
{
        (void)state;
        word("$.", "$.");
        word("a$1b", "ab");
        word("a$.b", "a$.b");
        word("a$home.", "a.");
        word("a$HOME", "a/root");
        word("a\\$HOME", "a$HOME");
        word("a\\\\$HOME", "a\\/root");
        word("\"a\\$HOME\"", "a$HOME");
        word("\"a\\\\$HOME\"", "a\\/root");
        word("\\${}", "${}");
        word("a\\${}b", "a${}b");
        word("${}", NULL);
        word("a${}b", NULL);
        word("a${nope}b", "ab");
        word("a${HOME}", "a/root");
        word("a${.}", NULL);
        word("a${HOME", NULL);
        word("'a${HOME}'", "a${HOME}");
        word("\"a'$HOME'\"", "a'/root'");
        word("x$GREEK", "xαβγ");
        word("${{x}", NULL);
        word("${x}}", "}");
        word("${:}", NULL);
        word("${:-v}", NULL);
}

static void test_modifiers(void **state)
{
        (void)state;
        word("${NOPE:-d}", "d");
        word("${HOME:-d}", "/root");
        word("${NOPE:-$HOME}", "/root");
        word("${NOPE:-${ALSO:-deep}}", "deep");
        word("${NOPE:-${HOME:-x}}", "/root");
        word("${EMPTY:-d}", "d");
        word("${EMPTY-d}", "");
        word("${NOPE-d}", "d");
        word("${NOPE:+s}", "");
        word("${HOME:+s}", "s");
        word("${EMPTY:+s}", "");
        word("${EMPTY+s}", "s");
        word("${HOME:+${SH}}", "ash");
        word("${HOME:+${HOME}:}", "/root:");
        word("${NOPE:-\\$HOME:}", "$HOME:");
        word("${NOPE:-\\${HOME}z}", "${HOMEz}");
        word("${NOPE:-a {b}", "a {b");
        word("${NOPE:-a ${c}", NULL);
        word("${NOPE:XY}", NULL);
        word("${HOME:=x}", NULL);
        word("${NOPE?}", NULL);
        word("${NOPE:?}", NULL);
        word("${HOME?}", "/root");
        word("${EMPTY?}", "");
        word("${EMPTY:?}", NULL);
        word("${1:-one}", "one");
        word("${12:+x}", "");
        word("$123tail", "tail");
        word("${@:-at}", "at");
        word("$@@", "@");
        word("${#:-n}", "n");
        word("$$", "");
        word("${!:-b}", "b");
}

static void test_required_message(void **state)
{
        (void)state;
        char *env[] = {"V=", "W=x", NULL};
        struct shell_env e = SHELL_ENV_STRV(env);
        struct box_err err = {0};
        char *out = NULL;
        assert_true(build_shell_expand_word("${V:?needs $W}", '\\', 0, &e, &out, NULL, NULL, &err) <
                    0);
        assert_non_null(strstr(err.msg, "needs x"));
        assert_true(build_shell_expand_word("${U?gone}", '\\', 0, &e, &out, NULL, NULL, &err) < 0);
        assert_non_null(strstr(err.msg, "gone"));
}

static void test_patterns(void **state)
{
        (void)state;
        char *env[] = {"F=aabb",
                       "P=/usr/local/bin/app.tar.gz",
                       "S=()[]{}^$.*?|\\x",
                       "N=",
                       "R=/x/y/z.txt",
                       "U=http://ex.org",
                       NULL};
        word_esc("${F#a}", "abb", '\\', env);
        word_esc("${F##*a}", "bb", '\\', env);
        word_esc("${F#*a*b}", "b", '\\', env);
        word_esc("${F#*}", "aabb", '\\', env);
        word_esc("${F#}", "aabb", '\\', env);
        word_esc("${F##}", "aabb", '\\', env);
        word_esc("${F#$N}", "aabb", '\\', env);
        word_esc("${F%b}", "aab", '\\', env);
        word_esc("${F%%a*}", "", '\\', env);
        word_esc("${F%}", "aabb", '\\', env);
        word_esc("${P##*/}", "app.tar.gz", '\\', env);
        word_esc("${P%%.*}", "/usr/local/bin/app", '\\', env);
        word_esc("${P%.*}", "/usr/local/bin/app.tar", '\\', env);
        word_esc("${P#/usr/}", "local/bin/app.tar.gz", '\\', env);
        word_esc("${S#()[]{\\}^$.\\*\\?|\\\\}", "x", '\\', env);
        word_esc("${F:#a}", NULL, '\\', env);
        word_esc("${F:%a}", NULL, '\\', env);
        word_esc("${F#\\x}", NULL, '\\', env);
        word_esc("${R/\\/?\\//-}", "-y/z.txt", '\\', env);
        word_esc("${R//\\/?\\//-}", "-y/z.txt", '\\', env);
        word_esc("${R//\\//_}", "_x_y_z.txt", '\\', env);
        /* the replacement keeps its escapes */
        word_esc("${U/http:\\/\\//https:\\/\\/}", "https:\\/\\/ex.org", '\\', env);
        word_esc("${F/$N/++}", "++aabb", '\\', env);
        /* $0 is expanded by the lexer first; an escaped one reaches Go's
         * regexp template, where it stands for the match */
        word_esc("${F//b/[$0]}", "aa[][]", '\\', env);
        word_esc("${F//b/[\\$0]}", "aa[\\b][\\b]", '\\', env);
        word_esc("${F//ab}", NULL, '\\', env);
        word_esc("${F///}", "aabb", '\\', env);
        word_esc("${NOPE///}", "", '\\', env);
}

static void test_escape_backtick(void **state)
{
        (void)state;
        word_esc("C:\\dir `$HOME", "C:\\dir $HOME", '`', env_base);
        word_esc("\"a`\"b\"", "a\"b", '`', env_base);
}

static void words(const char *in, char **env, const char *const *want)
{
        struct shell_env e = SHELL_ENV_STRV(env);
        struct box_err err = {0};
        char **out = NULL;
        if (build_shell_expand_words(in, '\\', 0, &e, &out, &err) < 0) {
                if (!want)
                        return;
                fail_msg("'%s': %s", in, err.msg);
        }
        if (!want)
                fail_msg("'%s': expected an error", in);
        size_t i;
        for (i = 0; want[i]; i++) {
                if (!out[i] || !streq(out[i], want[i]))
                        fail_msg("'%s': word %zu is '%s', want '%s'", in, i, strempty(out[i]),
                                 want[i]);
        }
        if (out[i])
                fail_msg("'%s': extra word '%s'", in, out[i]);
        strv_free(out);
}

#define W(...) ((const char *const[]){__VA_ARGS__, NULL})

static void test_words(void **state)
{
        (void)state;
        char *env[] = {"two=x  y", "lead=  p q", "trail=m n   ", NULL};
        words("one", env, W("one"));
        words("a${unset}b", env, W("ab"));
        words("a${two}b", env, W("ax", "yb"));
        words("a\"${two}\"b", env, W("ax  yb"));
        words("a \"${two}\"b", env, W("a", "x  yb"));
        words("a${lead}z", env, W("a", "p", "qz"));
        words("a\"${lead}\" z", env, W("a  p q", "z"));
        words("a${trail}", env, W("am", "n"));
        words("a${trail}z", env, W("am", "n", "z"));
        words("a\"${trail}\"z", env, W("am n   z"));
        words("a\" b  \"", env, W("a b  "));
        words("a   b", env, W("a", "b"));
        words("a\\ b", env, W("a b"));
        words("a\" b", env, NULL);
        words("a\\\" b", env, W("a\"", "b"));
        words("a'\\\\b'", env, W("a\\\\b"));
        words("a'$b'", env, W("a$b"));
        /* a nested ${...} restarts the shared word buffer, as BuildKit's does */
        words("p${unset:-q}r", env, W("qr"));
}

static void test_matches(void **state)
{
        (void)state;
        char *env[] = {"SET=1", "BLANK=", NULL};
        struct shell_env e = SHELL_ENV_STRV(env);
        struct box_err err = {0};
        char *out = NULL, **m = NULL, **u = NULL;
        assert_int_equal(build_shell_expand_word("${SET-a} ${BLANK-b} ${GONE-c} $SET", '\\', 0, &e,
                                                 &out, &m, &u, &err),
                         0);
        assert_string_equal(out, "1  c 1");
        assert_int_equal(strv_length(m), 2);
        assert_true(strv_contains(m, "SET") && strv_contains(m, "BLANK"));
        assert_int_equal(strv_length(u), 1);
        assert_string_equal(u[0], "GONE");
        free(out);
        strv_free(m);
        strv_free(u);
}

static void test_skip_unset_raw(void **state)
{
        (void)state;
        struct shell_env none = {0};
        struct box_err err = {0};
        char **out = NULL;
        assert_int_equal(
                build_shell_expand_words("a $X ${Y} ${Z:-d} 'q' \\t", '\\',
                                         SHELL_SKIP_UNSET | SHELL_RAW_QUOTES | SHELL_RAW_ESCAPES,
                                         &none, &out, &err),
                0);
        assert_int_equal(strv_length(out), 6);
        assert_string_equal(out[1], "$X");
        assert_string_equal(out[2], "${Y}");
        assert_string_equal(out[3], "${Z:-d}");
        assert_string_equal(out[4], "'q'");
        assert_string_equal(out[5], "\\t");
        strv_free(out);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_quotes_and_escapes),
                cmocka_unit_test(test_variables),
                cmocka_unit_test(test_modifiers),
                cmocka_unit_test(test_required_message),
                cmocka_unit_test(test_patterns),
                cmocka_unit_test(test_escape_backtick),
                cmocka_unit_test(test_words),
                cmocka_unit_test(test_matches),
                cmocka_unit_test(test_skip_unset_raw),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
