#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "build/dockerfile.h"
#include "lib/strv.h"
#include "lib/xalloc.h"
#include "spec/json.h"

static struct dockerfile *parse_ok(const char *src)
{
        struct dockerfile *df = NULL;
        struct box_err err = {0};
        if (build_dockerfile_parse("Dockerfile", src, strlen(src), &df, &err) < 0)
                fail_msg("parse failed: %s\n---\n%s", err.msg, src);
        return df;
}

/* parses SRC and compares the listing with WANT */
static void dump_is(const char *src, const char *want)
{
        struct dockerfile *df = parse_ok(src);
        char *d = build_dockerfile_dump(df);
        if (!streq(d, want))
                fail_msg("listing differs\n--- got\n%s--- want\n%s", d, want);
        free(d);
        build_dockerfile_free(df);
}

static void parse_fails(const char *src, const char *msg_part)
{
        struct dockerfile *df = NULL;
        struct box_err err = {0};
        if (build_dockerfile_parse("Dockerfile", src, strlen(src), &df, &err) >= 0)
                fail_msg("accepted:\n%s", src);
        if (msg_part && !strstr(err.msg, msg_part))
                fail_msg("error '%s' lacks '%s'", err.msg, msg_part);
}

static void test_env_forms(void **state)
{
        (void)state;
        dump_is("FROM alpine\n"
                "ENV k v\n"
                "ENV k=v\n"
                "env k=v k2=v2\n"
                "ENV k=\"v w\"\n"
                "ENV k=v\\ w\n"
                "ENV k='a\"b\"c'\n"
                "ENV k=\"a\\\"b\"\n"
                "ENV PATH /opt/bin:$PATH\n"
                "ENV long value with spaces\n",
                "(from \"alpine\")\n"
                "(env \"k\" \"v\" \"\")\n"
                "(env \"k\" \"v\" \"=\")\n"
                "(env \"k\" \"v\" \"=\" \"k2\" \"v2\" \"=\")\n"
                "(env \"k\" \"\\\"v w\\\"\" \"=\")\n"
                "(env \"k\" \"v\\\\ w\" \"=\")\n"
                "(env \"k\" \"'a\\\"b\\\"c'\" \"=\")\n"
                "(env \"k\" \"\\\"a\\\\\\\"b\\\"\" \"=\")\n"
                "(env \"PATH\" \"/opt/bin:$PATH\" \"\")\n"
                "(env \"long\" \"value with spaces\" \"\")\n");
        struct dockerfile *df = parse_ok("FROM a\nENV A=1 B=\"two words\"\nENV C 3\n");
        assert_int_equal(df->instrs[1].n_pairs, 2);
        assert_string_equal(df->instrs[1].pairs[1].key, "B");
        assert_string_equal(df->instrs[1].pairs[1].value, "\"two words\"");
        assert_false(df->instrs[1].legacy);
        assert_true(df->instrs[2].legacy);
        build_dockerfile_free(df);
}

static void test_continuations(void **state)
{
        (void)state;
        /* comments and empty lines inside a continued instruction are skipped */
        dump_is("FROM busybox\n"
                "RUN echo a \\\n"
                "# a comment\n"
                "    && echo b \\\n"
                "\n"
                "  # indented comment\n"
                "    && echo c\n"
                "# RUN not this \\\n"
                "RUN x \\\n",
                "(from \"busybox\")\n"
                "(run \"echo a     && echo b     && echo c\")\n"
                "(run \"x\")\n");
        struct dockerfile *df =
                parse_ok("\n\nFROM a\n\n\nRUN b \\\n\n  c\n\n# x\nCMD d\\\n  e\\\n  f\n");
        assert_int_equal(df->n_instrs, 3);
        assert_int_equal(df->instrs[0].start_line, 3);
        assert_int_equal(df->instrs[0].end_line, 3);
        assert_int_equal(df->instrs[1].start_line, 6);
        assert_int_equal(df->instrs[1].end_line, 8);
        assert_int_equal(df->instrs[2].start_line, 11);
        assert_int_equal(df->instrs[2].end_line, 13);
        assert_string_equal(df->instrs[2].original, "CMD d  e  f");
        assert_int_equal(strv_length(df->warnings), 1);
        build_dockerfile_free(df);
        /* an escaped escape at the end does not continue */
        dump_is("FROM a\nRUN echo \\\\\nRUN b\n",
                "(from \"a\")\n(run \"echo \\\\\\\\\")\n(run \"b\")\n");
        /* whitespace after the escape still continues */
        dump_is("FROM a\nRUN a \\  \t\n b\n", "(from \"a\")\n(run \"a  b\")\n");
}

static void test_escape_directive(void **state)
{
        (void)state;
        struct dockerfile *df = parse_ok("# escape=`\n\nFROM mcr.microsoft.com/windows\n"
                                         "COPY testfile.txt c:\\\n"
                                         "RUN dir c:\\ `\n    /b\n");
        char *d = build_dockerfile_dump(df);
        assert_string_equal(d, "(from \"mcr.microsoft.com/windows\")\n"
                               "(copy \"testfile.txt\" \"c:\\\\\")\n"
                               "(run \"dir c:\\\\     /b\")\n");
        free(d);
        assert_int_equal(df->escape_token, '`');
        assert_string_equal(df->escape, "`");
        build_dockerfile_free(df);
        /* a directive after a comment is just a comment */
        dump_is("# hello\n# escape=`\nFROM a\nENV P \\\n\\p\n",
                "(from \"a\")\n(env \"P\" \"\\\\p\" \"\")\n");
        /* after an empty line too */
        dump_is("\n# escape=`\nFROM a\nRUN a `\n", "(from \"a\")\n(run \"a `\")\n");
        df = parse_ok(
                "#syntax = docker/dockerfile:1.7\n# CHECK=skip=all\n  #   escape=\\\nFROM a\n");
        assert_string_equal(df->syntax, "docker/dockerfile:1.7");
        assert_string_equal(df->check, "skip=all");
        build_dockerfile_free(df);
        parse_fails("# escape=x\nFROM a\n", "invalid escape token");
        parse_fails("# syntax=a\n# syntax=b\nFROM a\n", "only one syntax");
}

static void test_flags(void **state)
{
        (void)state;
        dump_is("FROM --platform=$BUILDPLATFORM golang AS build\n"
                "COPY --from=build --chown=1:1 /a /b\n"
                "COPY -- --weird /dst/\n"
                "COPY --a=1 -- b c\n"
                "RUN --mount=type=cache,target=/root/.cache --mount=type=secret,id=x "
                "--network=none make\n"
                "COPY --chmod=\"0644\" a b\n"
                "CMD --x [ \"a\" ]\n",
                "(from [\"--platform=$BUILDPLATFORM\"] \"golang\" \"AS\" \"build\")\n"
                "(copy [\"--from=build\" \"--chown=1:1\"] \"/a\" \"/b\")\n"
                "(copy \"--weird\" \"/dst/\")\n"
                "(copy [\"--a=1\"] \"b\" \"c\")\n"
                "(run [\"--mount=type=cache,target=/root/.cache\" \"--mount=type=secret,id=x\" "
                "\"--network=none\"] \"make\")\n"
                "(copy [\"--chmod=0644\"] \"a\" \"b\")\n"
                "(cmd [\"--x\"] \"a\")\n");
}

static void test_json_and_shell_forms(void **state)
{
        (void)state;
        dump_is("FROM a\n"
                "CMD [\"echo\", \"hi\"]\n"
                "CMD []\n"
                "CMD ['single']\n"
                "CMD [\"unterminated\n"
                "CMD [\"x\"] trailing\n"
                "ENTRYPOINT [\"a\\tb\", \"\\u00e9\"]\n"
                "RUN [ \"sh\", \"-c\", \"echo {\\\"k\\\": 1}\" ]\n"
                "VOLUME [\"/v1\", \"/v2\"]\n"
                "VOLUME /v3 /v4\n"
                "SHELL [\"/bin/bash\", \"-c\"]\n"
                "ADD [\"a b\", \"/c\"]\n",
                "(from \"a\")\n"
                "(cmd \"echo\" \"hi\")\n"
                "(cmd)\n"
                "(cmd \"['single']\")\n"
                "(cmd \"[\\\"unterminated\")\n"
                "(cmd \"[\\\"x\\\"] trailing\")\n"
                "(entrypoint \"a\\tb\" \"é\")\n"
                "(run \"sh\" \"-c\" \"echo {\\\"k\\\": 1}\")\n"
                "(volume \"/v1\" \"/v2\")\n"
                "(volume \"/v3\" \"/v4\")\n"
                "(shell \"/bin/bash\" \"-c\")\n"
                "(add \"a b\" \"/c\")\n");
        struct dockerfile *df = parse_ok("FROM a\nCMD [\"x\"]\nCMD x\n");
        assert_true(df->instrs[1].json);
        assert_false(df->instrs[2].json);
        build_dockerfile_free(df);
        parse_fails("FROM a\nCMD [\"a\", [\"nested\"]]\n", "strings only");
        parse_fails("FROM a\nRUN [1, 2]\n", "strings only");
}

static void test_instructions(void **state)
{
        (void)state;
        dump_is("FROM debian:12 AS base\n"
                "LABEL a=b \"c d\"=\"e f\" g=h\n"
                "LABEL maintainer someone <s@example.com>\n"
                "MAINTAINER Someone Else\n"
                "EXPOSE 80 443/tcp 53/udp 8000-8010\n"
                "ARG A B=2 \"C=3 4\"\n"
                "USER app:app\n"
                "WORKDIR /srv/my app\n"
                "STOPSIGNAL SIGQUIT\n"
                "ONBUILD RUN make\n"
                "ONBUILD COPY [\"a\", \"b\"]\n"
                "ONBUILD\n"
                "HEALTHCHECK NONE\n"
                "HEALTHCHECK --interval=5s CMD curl -f http://localhost/\n"
                "HEALTHCHECK CMD [\"/bin/check\"]\n"
                "HEALTHCHECK\n"
                "ADD rootfs.tar.gz /\n"
                "COPY a.txt b.txt c/ /dest/\n"
                "from scratch\n"
                "RuN true\n",
                "(from \"debian:12\" \"AS\" \"base\")\n"
                "(label \"a\" \"b\" \"=\" \"\\\"c d\\\"\" \"\\\"e f\\\"\" \"=\" \"g\" \"h\" "
                "\"=\")\n"
                "(label \"maintainer\" \"someone <s@example.com>\" \"\")\n"
                "(maintainer \"Someone Else\")\n"
                "(expose \"80\" \"443/tcp\" \"53/udp\" \"8000-8010\")\n"
                "(arg \"A\" \"B=2\" \"\\\"C=3 4\\\"\")\n"
                "(user \"app:app\")\n"
                "(workdir \"/srv/my app\")\n"
                "(stopsignal \"SIGQUIT\")\n"
                "(onbuild (run \"make\"))\n"
                "(onbuild (copy \"a\" \"b\"))\n"
                "(onbuild)\n"
                "(healthcheck \"NONE\")\n"
                "(healthcheck [\"--interval=5s\"] \"CMD\" \"curl -f http://localhost/\")\n"
                "(healthcheck \"CMD\" \"/bin/check\")\n"
                "(healthcheck)\n"
                "(add \"rootfs.tar.gz\" \"/\")\n"
                "(copy \"a.txt\" \"b.txt\" \"c/\" \"/dest/\")\n"
                "(from \"scratch\")\n"
                "(run \"true\")\n");
        struct dockerfile *df = parse_ok("FROM a\nONBUILD run [\"x\"]\n");
        assert_non_null(df->instrs[1].trigger);
        assert_string_equal(df->instrs[1].trigger->name, "run");
        assert_true(df->instrs[1].trigger->json);
        build_dockerfile_free(df);
}

/* What BuildKit hands COPY and RUN: <<- drops every line's leading tabs
 * (not spaces); a command line that is one heredoc and nothing else runs
 * that heredoc's content alone. */
static void test_heredoc_data_and_alone(void **state)
{
        (void)state;
        struct dockerfile_heredoc hd = {
                .name = "T", .content = "\t\tone\n  two\n\tthree\t\n", .chomp = true};
        char *d = build_dockerfile_heredoc_data(&hd);
        assert_string_equal(d, "one\n  two\nthree\t\n");
        free(d);
        hd.chomp = false;
        d = build_dockerfile_heredoc_data(&hd);
        assert_string_equal(d, hd.content);
        free(d);

        assert_true(build_dockerfile_heredoc_alone("<<EOF"));
        assert_true(build_dockerfile_heredoc_alone("  <<-'E O'  "));
        assert_true(build_dockerfile_heredoc_alone("3<<  EOF"));
        assert_false(build_dockerfile_heredoc_alone("<<EOF sh"));
        assert_false(build_dockerfile_heredoc_alone("<<EOF > /out"));
        assert_false(build_dockerfile_heredoc_alone("<<A <<B"));
        assert_false(build_dockerfile_heredoc_alone("cat <<EOF"));
        assert_false(build_dockerfile_heredoc_alone("<<"));
}

static void test_heredocs(void **state)
{
        (void)state;
        struct dockerfile *df = parse_ok("FROM a\n"
                                         "RUN <<EOT\n"
                                         "set -e\n"
                                         "echo $HOME\n"
                                         "EOT\n"
                                         "RUN <<-'END' bash\n"
                                         "\tno $expansion\n"
                                         "\tEND\n"
                                         "COPY <<one 2<<\"two\" /etc/\n"
                                         "1\n"
                                         "one\n"
                                         "2\n"
                                         "two\n"
                                         "RUN [\"<<NOT\"]\n"
                                         "RUN echo '<<NOT'\n"
                                         "RUN << spaced\n"
                                         "spaced\n"
                                         "CMD <<NOPE\n");
        assert_int_equal(df->n_instrs, 8);
        struct dockerfile_instr *in = &df->instrs[1];
        assert_int_equal(in->n_heredocs, 1);
        assert_string_equal(in->heredocs[0].name, "EOT");
        assert_string_equal(in->heredocs[0].content, "set -e\necho $HOME\n");
        assert_true(in->heredocs[0].expand);
        assert_int_equal(in->start_line, 2);
        assert_int_equal(in->end_line, 5);
        in = &df->instrs[2];
        assert_string_equal(in->heredocs[0].name, "END");
        assert_true(in->heredocs[0].chomp);
        assert_false(in->heredocs[0].expand);
        assert_string_equal(in->heredocs[0].content, "\tno $expansion\n");
        in = &df->instrs[3];
        assert_int_equal(in->n_heredocs, 2);
        assert_string_equal(in->heredocs[0].content, "1\n");
        assert_string_equal(in->heredocs[1].name, "two");
        assert_int_equal(in->heredocs[1].fd, 2);
        assert_false(in->heredocs[1].expand);
        assert_int_equal(df->instrs[4].n_heredocs, 0);
        assert_int_equal(df->instrs[5].n_heredocs, 0);
        assert_int_equal(df->instrs[6].n_heredocs, 1);
        assert_int_equal(df->instrs[7].n_heredocs, 0);
        build_dockerfile_free(df);
        parse_fails("FROM a\nRUN <<EOF\necho\n", "unterminated heredoc");
        parse_fails("FROM a\nCOPY <<A <<B /x\nA\n", "unterminated heredoc");
}

static void test_bom_crlf_case(void **state)
{
        (void)state;
        dump_is("\xEF\xBB\xBF"
                "from a\r\nrun b \\\r\n  c\r\nCmd d\r\n",
                "(from \"a\")\n(run \"b   c\")\n(cmd \"d\")\n");
}

static void test_errors(void **state)
{
        (void)state;
        parse_fails("", "no instructions");
        parse_fails("# only\n#  comments\n\n", "no instructions");
        parse_fails("FROM a\nENV K\n", "Dockerfile:2: ENV must have two arguments");
        parse_fails("FROM a\nLABEL k\n", "LABEL must have two arguments");
        parse_fails("FROM a\nENV a=b c\n", "can't find =");
        parse_fails("FROM a\n\n\nRUN x\nFROB y\n", "Dockerfile:5: unknown instruction 'FROB'");
        char *big = xmalloc(70000);
        memcpy(big, "FROM a\nRUN ", 11);
        memset(big + 11, 'x', 69000);
        big[69011] = '\0';
        parse_fails(big, "greater than max allowed size");
        free(big);
}

static void test_long_official_style(void **state)
{
        (void)state;
        struct buf b = {0};
        buf_puts(&b, "FROM debian:bookworm-slim\n"
                     "ENV PATH /usr/local/bin:$PATH\n"
                     "ENV LANG C.UTF-8\n"
                     "RUN set -eux; \\\n");
        for (int i = 0; i < 100; i++) {
                if (i % 10 == 0)
                        buf_printf(&b, "# step %d\n", i);
                buf_printf(&b, "\tapt-get install -y pkg%d; \\\n", i);
        }
        buf_puts(&b, "\ttrue\n"
                     "ADD rootfs.tar.xz /\n"
                     "COPY docker-entrypoint.sh healthcheck.sh /usr/local/bin/\n"
                     "STOPSIGNAL SIGINT\n"
                     "ENTRYPOINT [\"docker-entrypoint.sh\"]\n"
                     "EXPOSE 5432\n"
                     "CMD [\"postgres\"]\n");
        struct dockerfile *df = parse_ok(b.data);
        assert_int_equal(df->n_instrs, 10);
        assert_int_equal(df->instrs[3].start_line, 4);
        assert_int_equal(df->instrs[3].end_line, 4 + 100 + 10 + 1);
        assert_non_null(strstr(df->instrs[3].args[0], "pkg99; \ttrue"));
        assert_null(strstr(df->instrs[3].args[0], "step"));
        assert_int_equal(strv_length(df->instrs[5].args), 3);
        build_dockerfile_free(df);
        buf_release(&b);
}

static void test_json_output(void **state)
{
        (void)state;
        struct dockerfile *df = parse_ok("# syntax=x\nFROM a\nENV K V\nONBUILD COPY --from=b x y\n"
                                         "RUN <<E\nhi\nE\n");
        struct jv *j = build_dockerfile_to_json(df);
        struct jv *list = jv_get(j, "instructions");
        assert_string_equal(jv_get_str(jv_get(j, "directives"), "syntax"), "x");
        assert_int_equal(jv_len(list), 4);
        struct jv *env = jv_at(list, 1);
        assert_string_equal(jv_get_str(env, "name"), "env");
        assert_true(jv_bool_value(jv_get(env, "legacy")));
        assert_string_equal(jv_str(jv_at(jv_at(jv_get(env, "pairs"), 0), 1)), "V");
        struct jv *trig = jv_get(jv_at(list, 2), "trigger");
        assert_string_equal(jv_get_str(trig, "name"), "copy");
        assert_string_equal(jv_str(jv_at(jv_get(trig, "flags"), 0)), "--from=b");
        struct jv *run = jv_at(list, 3);
        assert_int_equal(jv_int_value(jv_get(run, "start_line")), 5);
        assert_int_equal(jv_int_value(jv_get(run, "end_line")), 7);
        assert_string_equal(jv_get_str(jv_at(jv_get(run, "heredocs"), 0), "content"), "hi\n");
        assert_string_equal(jv_get_str(run, "original"), "RUN <<E");
        jv_free(j);
        build_dockerfile_free(df);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_env_forms),
                cmocka_unit_test(test_continuations),
                cmocka_unit_test(test_escape_directive),
                cmocka_unit_test(test_flags),
                cmocka_unit_test(test_json_and_shell_forms),
                cmocka_unit_test(test_instructions),
                cmocka_unit_test(test_heredocs),
                cmocka_unit_test(test_heredoc_data_and_alone),
                cmocka_unit_test(test_bom_crlf_case),
                cmocka_unit_test(test_errors),
                cmocka_unit_test(test_long_official_style),
                cmocka_unit_test(test_json_output),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
