#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "build/dockerfile.h"
#include "lib/strv.h"
#include "lib/xalloc.h"

/* Checks SRC with build args ARGS; returns the warnings (NULL on error,
 * with the message in *ret_msg when given). */
static char **run_check(const char *src, char **args, char *ret_msg, size_t msg_len)
{
        struct dockerfile *df = NULL;
        struct box_err err = {0};
        char **w = NULL;
        if (build_dockerfile_parse("Dockerfile", src, strlen(src), &df, &err) < 0)
                fail_msg("parse failed: %s", err.msg);
        int r = build_dockerfile_check("Dockerfile", df, args, &w, &err);
        build_dockerfile_free(df);
        if (r < 0) {
                if (ret_msg)
                        snprintf(ret_msg, msg_len, "%s", err.msg);
                return NULL;
        }
        return w;
}

static void clean(const char *src, char **args)
{
        char **w = run_check(src, args, NULL, 0);
        if (!w)
                fail_msg("check failed:\n%s", src);
        if (w[0])
                fail_msg("unexpected warning '%s'", w[0]);
        strv_free(w);
}

static void warns(const char *src, char **args, const char *part)
{
        char **w = run_check(src, args, NULL, 0);
        if (!w)
                fail_msg("check failed:\n%s", src);
        STRV_FOREACH (x, w)
                if (strstr(*x, part)) {
                        strv_free(w);
                        return;
                }
        fail_msg("no warning with '%s' (first: '%s')", part, strempty(w[0]));
}

static void fails(const char *src, const char *part)
{
        char msg[1024] = "";
        char **w = run_check(src, NULL, msg, sizeof msg);
        if (w)
                fail_msg("accepted:\n%s", src);
        if (!strstr(msg, part))
                fail_msg("error '%s' lacks '%s'", msg, part);
}

static void test_clean_files(void **state)
{
        (void)state;
        clean("FROM busybox\nRUN echo hi\nCMD [\"sh\"]\n", NULL);
        clean("ARG TAG=1.36\nFROM busybox:${TAG} AS base\nARG TAG\nRUN echo $TAG\n"
              "FROM base\nCOPY --from=base /etc/passwd /tmp/\n",
              NULL);
        clean("FROM scratch\nENV A=1\nENV B=${A}2\nWORKDIR /x/$B\nLABEL v=$A\nEXPOSE 80 443/udp "
              "7000-7010\n"
              "STOPSIGNAL 15\nHEALTHCHECK --interval=1m30s --retries=2 CMD [\"true\"]\n",
              NULL);
        clean("FROM busybox\nSHELL [\"/bin/ash\", \"-c\"]\nCMD echo shell form is fine after "
              "SHELL\n",
              NULL);
}

static void test_instruction_errors(void **state)
{
        (void)state;
        fails("RUN x\n", "Dockerfile:1: no build stage");
        fails("FROM a\nCOPY --nope=1 a b\n", "Dockerfile:2: unknown flag '--nope'");
        fails("FROM a\nCOPY a\n", "requires at least two arguments");
        fails("FROM a\nCOPY --from=x --from=y a b\n", "duplicate flag");
        fails("FROM a\nCOPY --link=maybe a b\n", "expecting boolean");
        fails("FROM a\nCOPY --chown a b\n", "missing a value");
        fails("FROM a\nCOPY a <<EOF\nx\nEOF\n", "heredoc as a destination");
        fails("FROM a\nADD --from=x a b\n", "unknown flag");
        fails("FROM a b\n", "one or three arguments");
        fails("FROM a AS 1x\n", "invalid name for build stage");
        fails("FROM a AS b\nFROM c AS B\n", "duplicate stage name");
        fails("FROM a\nWORKDIR\n", "exactly one argument");
        fails("FROM a\nUSER\n", "exactly one argument");
        fails("FROM a\nSHELL /bin/sh -c\n", "JSON form");
        fails("FROM a\nSHELL []\n", "at least one argument");
        fails("FROM a\nEXPOSE\n", "at least one argument");
        fails("FROM a\nEXPOSE 99999\n", "invalid port");
        fails("FROM a\nEXPOSE 80/xyz\n", "invalid proto");
        fails("FROM a\nEXPOSE 90-80\n", "invalid port");
        fails("FROM a\nSTOPSIGNAL SIGNOPE\n", "invalid signal");
        fails("FROM a\nSTOPSIGNAL 0\n", "invalid signal");
        fails("FROM a\nHEALTHCHECK CONNECT x\n", "unknown type");
        fails("FROM a\nHEALTHCHECK CMD\n", "missing command");
        fails("FROM a\nHEALTHCHECK NONE x\n", "takes no arguments");
        fails("FROM a\nHEALTHCHECK --interval=10 CMD x\n", "invalid duration");
        fails("FROM a\nHEALTHCHECK --interval=10us CMD x\n", "less than 1ms");
        fails("FROM a\nHEALTHCHECK --retries=-1 CMD x\n", "cannot be negative");
        fails("FROM a\nHEALTHCHECK --bogus=1 CMD x\n", "unknown flag");
        fails("FROM a\nRUN --network=bridge x\n", "invalid network mode");
        fails("FROM a\nRUN --security=x y\n", "not valid");
        fails("FROM a\nRUN --mount=type=nfs,target=/x y\n", "unsupported mount type");
        fails("FROM a\nONBUILD ONBUILD RUN x\n", "chaining ONBUILD");
        fails("FROM a\nONBUILD FROM b\n", "isn't allowed as an ONBUILD trigger");
        fails("FROM a\nVOLUME [\"\"]\n", "can not be an empty string");
        fails("FROM a\nENV\n", "at least one argument");
        fails("FROM a\nARG =x\n", "names can not be blank");
        fails("FROM a\nMAINTAINER\n", "exactly one argument");
        fails("ARG E=\nFROM ${E}\n", "should not be blank");
        fails("FROM a\nENV X=\"${Y:?must be set}\"\n", "must be set");
}

static void test_warnings(void **state)
{
        (void)state;
        warns("FROM a\nMAINTAINER me\n", NULL, "MaintainerDeprecated");
        warns("FROM a\nCMD echo hi\n", NULL, "Dockerfile:2: JSON arguments recommended for CMD");
        warns("FROM a\nENTRYPOINT run.sh\n", NULL, "JSONArgsRecommended");
        warns("FROM a\nCOPY $NOPE /x\n", NULL, "usage of undefined variable '$NOPE'");
        warns("FROM ${IMG:-busybox}\n", NULL, "FROM argument 'IMG' is not declared");
        warns("FROM a\nENV K V\n", NULL, "LegacyKeyValueFormat");
        warns("FROM a\nRUN x\n", (char *[]){"UNUSED=1", NULL}, "[UNUSED] were not consumed");
        warns("FROM a\nRUN a \\\n\n  b\n", NULL, "NoEmptyContinuation");
        warns("FROM a AS Build\n", NULL, "StageNameCasing");
        warns("FROM a as b\n", NULL, "FromAsCasing");
        warns("FROM a\nCMD [\"a\"]\nCMD [\"b\"]\n", NULL, "MultipleInstructionsDisallowed");
        warns("FROM a\nEXPOSE 80/TCP\n", NULL, "ExposeProtoCasing");
        /* skipped by the check directive */
        clean("# check=skip=MaintainerDeprecated,JSONArgsRecommended\nFROM a\nMAINTAINER me\nCMD "
              "x\n",
              NULL);
        clean("# check=skip=all\nFROM a\nMAINTAINER me\n", NULL);
        fails("# check=error=true\nFROM a\nMAINTAINER me\n", "MaintainerDeprecated");
}

static void test_arg_scoping(void **state)
{
        (void)state;
        /* a pre-FROM ARG is not visible in the stage unless redeclared */
        warns("ARG V=1\nFROM a\nRUN true\nLABEL v=$V\n", NULL, "undefined variable '$V'");
        clean("ARG V=1\nFROM a\nARG V\nLABEL v=$V\n", NULL);
        /* declared without a value: no warning, it is a known build arg */
        clean("FROM a\nARG W\nLABEL w=$W\n", NULL);
        /* --build-arg consumed by a meta ARG and by a stage ARG */
        clean("ARG BASE\nFROM ${BASE:-busybox}\nARG X\nRUN echo $X\n",
              (char *[]){"BASE=alpine", "X=1", NULL});
        /* the proxy args are predefined: never reported unused */
        clean("FROM a\nRUN true\n", (char *[]){"HTTP_PROXY=http://p:3128", "no_proxy=x", NULL});
        /* per stage: an ARG of one stage is not seen in the next */
        warns("FROM a AS one\nARG S=1\nFROM b\nLABEL s=$S\n", NULL, "undefined variable '$S'");
        /* a stage built from an earlier one keeps its ENV */
        clean("FROM a AS one\nENV E=1\nFROM one\nLABEL e=$E\n", NULL);
        /* one ENV sees only the environment from before it */
        warns("FROM a\nENV A=1 B=$A\n", NULL, "undefined variable '$A'");
        clean("FROM a\nENV A=1\nENV A=2 B=$A\n", NULL);
        /* ARG defaults see the ARGs before them on the same line */
        clean("FROM a\nARG A=1 B=$A\n", NULL);
        /* platform args are known in FROM */
        clean("FROM --platform=$BUILDPLATFORM a\n", NULL);
        /* a build arg overrides the default used in FROM */
        char msg[1024] = "";
        assert_null(run_check("ARG E=x\nFROM ${E}\n", (char *[]){"E=", NULL}, msg, sizeof msg));
        assert_non_null(strstr(msg, "should not be blank"));
}

static const char *env_of(const struct dockerfile_stage *st, const char *key)
{
        const char *v;
        return build_shell_env_strv_get(st->env, key, &v) ? v : NULL;
}

static void test_resolve_stages(void **state)
{
        (void)state;
        const char *src = "ARG BASE=busybox\n"
                          "ARG V=1\n"
                          "FROM ${BASE}:${V} AS One\n"
                          "ARG V\n"
                          "ENV E=v$V\n"
                          "FROM one AS two\n"
                          "ARG TARGETARCH\n"
                          "RUN true\n"
                          "FROM --platform=$BUILDPLATFORM alpine\n"
                          "LABEL x=$V\n";
        struct dockerfile *df = NULL;
        struct dockerfile_stage *st = NULL;
        size_t n = 0;
        char **w = NULL;
        struct box_err err = {0};
        assert_int_equal(build_dockerfile_parse("Dockerfile", src, strlen(src), &df, &err), 0);
        assert_int_equal(build_dockerfile_resolve("Dockerfile", df, (char *[]){"V=2", NULL}, &st,
                                                  &n, &w, &err),
                         0);
        assert_int_equal(n, 3);
        assert_string_equal(st[0].name, "one");
        assert_string_equal(st[0].base, "busybox:2");
        assert_null(st[0].platform);
        assert_int_equal(st[0].first, 2);
        assert_int_equal(st[0].end, 5);
        assert_string_equal(env_of(&st[0], "V"), "2");
        assert_string_equal(env_of(&st[0], "E"), "v2");
        assert_string_equal(st[1].base, "one");
        assert_string_equal(env_of(&st[1], "E"), "v2");
        assert_string_equal(env_of(&st[1], "TARGETARCH"), "amd64");
        assert_int_equal(st[1].end, 8);
        assert_null(st[2].name);
        assert_string_equal(st[2].platform, "linux/amd64");
        assert_null(env_of(&st[2], "V"));
        assert_int_equal(st[2].end, 10);
        /* "One" is not lowercase; $V in the last stage is not declared there */
        assert_int_equal(strv_length(w), 2);
        assert_non_null(strstr(w[0], "Dockerfile:3: stage name 'One' should be lowercase"));
        assert_non_null(strstr(w[1], "Dockerfile:10: usage of undefined variable '$V'"));
        strv_free(w);
        build_dockerfile_stages_free(st, n);
        build_dockerfile_free(df);
}

static void test_duration(void **state)
{
        (void)state;
        int64_t ns;
        assert_int_equal(build_parse_duration("1h2m3.5s", &ns), 0);
        assert_true(ns == 3723500000000LL);
        assert_int_equal(build_parse_duration("0", &ns), 0);
        assert_true(ns == 0);
        assert_int_equal(build_parse_duration("-1.5ms", &ns), 0);
        assert_true(ns == -1500000);
        assert_int_equal(build_parse_duration("300us", &ns), 0);
        assert_true(ns == 300000);
        assert_true(build_parse_duration("", &ns) < 0);
        assert_true(build_parse_duration("5", &ns) < 0);
        assert_true(build_parse_duration("5d", &ns) < 0);
        assert_true(build_parse_duration(".s", &ns) < 0);
        assert_true(build_parse_duration("9999999999h", &ns) < 0);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_clean_files),    cmocka_unit_test(test_instruction_errors),
                cmocka_unit_test(test_warnings),       cmocka_unit_test(test_arg_scoping),
                cmocka_unit_test(test_resolve_stages), cmocka_unit_test(test_duration),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
