/* `--change`: a one-line Dockerfile applied to an image config with the
 * builder's handlers, as Docker's BuildFromConfig applies it (expected values
 * are what `docker import --change` writes). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "build/build-internal.h"
#include "lib/strv.h"
#include "lib/xalloc.h"

/* Applies CHANGES (NULL-terminated) to C and expects success. */
static void apply_ok(struct oci_container_config *c, ...)
{
        va_list ap;
        va_start(ap, c);
        _cleanup_strv_free_ char **v = xnew0(char *, 1);
        for (const char *s; (s = va_arg(ap, const char *));)
                v = strv_append(v, s);
        va_end(ap);
        struct box_err err = {0};
        int r = build_config_changes_apply(c, v, &err);
        if (r < 0)
                fail_msg("%s", err.msg);
}

/* One change that fails: the message it gives. */
static void apply_fails(const char *change, const char *want_msg)
{
        struct oci_container_config c = {0};
        struct box_err err = {0};
        assert_int_equal(build_config_change_apply(&c, change, &err), -EINVAL);
        assert_string_equal(err.msg, want_msg);
        oci_container_config_release(&c);
}

static void assert_strv(char *const *v, const char *want)
{
        _cleanup_free_ char *got = strv_join(v, "|");
        assert_string_equal(got, want);
}

static void test_exec_and_shell_form(void **state)
{
        struct oci_container_config *c = *state;
        apply_ok(c, "CMD [\"/bin/echo\", \"a b\"]", NULL);
        assert_strv(c->cmd, "/bin/echo|a b");
        apply_ok(c, "cmd echo $HOME \"x\"", NULL); /* no expansion, quotes kept */
        assert_strv(c->cmd, "/bin/sh|-c|echo $HOME \"x\"");
        /* not a JSON array of strings: the shell form, as written */
        apply_ok(c, "CMD [\"a\", ", NULL);
        assert_strv(c->cmd, "/bin/sh|-c|[\"a\",");
        apply_ok(c, "CMD []", NULL);
        assert_null(c->cmd);
        /* the shell form takes the config's SHELL */
        c->shell = strv_append(strv_append(NULL, "/bin/bash"), "-xc");
        apply_ok(c, "ENTRYPOINT exec app", NULL);
        assert_strv(c->entrypoint, "/bin/bash|-xc|exec app");
}

static void test_entrypoint_and_cmd(void **state)
{
        struct oci_container_config *c = *state;
        /* a CMD set by an earlier change survives ENTRYPOINT ... */
        apply_ok(c, "CMD [\"x\"]", "ENTRYPOINT [\"/e\"]", NULL);
        assert_strv(c->cmd, "x");
        assert_strv(c->entrypoint, "/e");
        /* ... the config's own CMD does not */
        apply_ok(c, "ENTRYPOINT [\"/f\"]", NULL);
        assert_null(c->cmd);
        assert_strv(c->entrypoint, "/f");
}

static void test_env_and_label(void **state)
{
        struct oci_container_config *c = *state;
        c->env = strv_append(NULL, "PATH=/bin");
        apply_ok(c, "ENV A=1 B=\"two words\" C='no $expansion' D=a\\ b", "ENV PATH=$PATH:/x",
                 /* every pair sees the env from before the change */
                 "ENV A=2 E=$A", "ENV legacy some words  here", NULL);
        assert_strv(c->env, "PATH=/bin:/x|A=2|B=two words|C=no $expansion|D=a b|E=1|"
                            "legacy=some words  here");
        apply_ok(c, "LABEL \"com.example.a b\"=\"x y\" two=2 three=${A}3", NULL);
        assert_strv(c->labels, "com.example.a b|x y|two|2|three|23");
        apply_ok(c, "LABEL two=again", NULL);
        assert_strv(c->labels, "com.example.a b|x y|two|again|three|23");
}

static void test_ports_volumes_words(void **state)
{
        struct oci_container_config *c = *state;
        c->env = strv_append(NULL, "P=9000");
        apply_ok(c, "EXPOSE 80/udp 8080 1000-1002/tcp", "EXPOSE 8080:81 $P 53/UDP", NULL);
        assert_strv(c->exposed_ports,
                    "80/udp|8080/tcp|1000/tcp|1001/tcp|1002/tcp|81/tcp|9000/tcp|53/udp");
        apply_ok(c, "VOLUME [\"/a\", \"/b c\"]", "VOLUME /d /a", NULL);
        assert_strv(c->volumes, "/a|/b c|/d");
        apply_ok(c, "USER $P:web", "WORKDIR /srv", "WORKDIR app/../www", "STOPSIGNAL SIGUSR1",
                 NULL);
        assert_string_equal(c->user, "9000:web");
        assert_string_equal(c->working_dir, "/srv/www");
        assert_string_equal(c->stop_signal, "SIGUSR1");
        apply_ok(c, "ONBUILD RUN echo \"$HOME\"", "HEALTHCHECK --interval=5s --retries=3 CMD true",
                 NULL);
        assert_strv(c->on_build, "RUN echo \"$HOME\"");
        assert_strv(c->healthcheck->test, "CMD-SHELL|true");
        assert_int_equal(c->healthcheck->interval, 5000000000LL);
        assert_int_equal(c->healthcheck->retries, 3);
        apply_ok(c, "HEALTHCHECK NONE", NULL);
        assert_strv(c->healthcheck->test, "NONE");
}

static void test_refused(void **state)
{
        (void)state;
        static const char *const not_changes[] = {"FROM scratch", "RUN true", "COPY a b",
                                                  "ADD a b",      "ARG X",    "SHELL [\"sh\"]",
                                                  "MAINTAINER m", "FOO bar"};
        for (size_t i = 0; i < ARRAY_SIZE(not_changes); i++) {
                _cleanup_free_ char *name = xstrndup(not_changes[i], strcspn(not_changes[i], " "));
                _cleanup_free_ char *want = xasprintf(
                        "--change '%s': unsupported instruction '%s': a change is one of CMD, "
                        "ENTRYPOINT, ENV, EXPOSE, HEALTHCHECK, LABEL, ONBUILD, STOPSIGNAL, USER, "
                        "VOLUME, WORKDIR",
                        not_changes[i], name);
                apply_fails(not_changes[i], want);
        }
        apply_fails("ENV A=1\nCMD x",
                    "--change 'ENV A=1\\nCMD x': a change is one instruction on one line: it holds "
                    "a newline");
        apply_fails("CMD x\n", "--change 'CMD x\\n': a change is one instruction on one line: it "
                               "holds a newline");
        apply_fails("", "--change '': file with no instructions");
        apply_fails("# CMD x", "--change '# CMD x': file with no instructions");
        apply_fails("ENV", "--change 'ENV': ENV requires at least one argument");
        apply_fails("LABEL =x", "--change 'LABEL =x': LABEL names can not be blank");
}

static void test_invalid_values(void **state)
{
        (void)state;
        apply_fails("EXPOSE http", "--change 'EXPOSE http': invalid port 'http': invalid "
                                   "containerPort 'http'");
        apply_fails("EXPOSE 80/icmp",
                    "--change 'EXPOSE 80/icmp': invalid port '80/icmp': invalid proto 'icmp'");
        apply_fails("STOPSIGNAL SIGNOPE",
                    "--change 'STOPSIGNAL SIGNOPE': invalid signal 'SIGNOPE'");
        apply_fails("WORKDIR", "--change 'WORKDIR': WORKDIR requires exactly one argument");
        apply_fails("CMD --x=1 a", "--change 'CMD --x=1 a': unknown flag '--x' for CMD");
        apply_fails("HEALTHCHECK --interval=soon CMD true",
                    "--change 'HEALTHCHECK --interval=soon CMD true': invalid duration 'soon' for "
                    "--interval");
        /* JSON, but not of strings: an error, not the shell form */
        apply_fails("CMD [1, 2]", "--change 'CMD [1, 2]': when using JSON array syntax, arrays "
                                  "must be comprised of strings only");
        apply_fails("ONBUILD ONBUILD CMD x", "--change 'ONBUILD ONBUILD CMD x': chaining ONBUILD "
                                             "via 'ONBUILD ONBUILD' isn't allowed");
        apply_fails("VOLUME $UNSET",
                    "--change 'VOLUME $UNSET': VOLUME specified can not be an empty string");
        apply_fails("VOLUME [\"\"]",
                    "--change 'VOLUME [\"\"]': VOLUME specified can not be an empty string");
}

/* A list that fails part way leaves the config as it was. */
static void test_all_or_nothing(void **state)
{
        struct oci_container_config *c = *state;
        c->user = xstrdup("old");
        char *v[] = {"USER new", "ENV A=1", "RUN true", NULL};
        struct box_err err = {0};
        assert_int_equal(build_config_changes_apply(c, v, &err), -EINVAL);
        assert_true(startswith(err.msg, "--change 'RUN true': unsupported instruction 'RUN'"));
        assert_string_equal(c->user, "old");
        assert_null(c->env);
}

static int config_new(void **state)
{
        *state = xnew0(struct oci_container_config, 1);
        return 0;
}

static int config_free(void **state)
{
        oci_container_config_release(*state);
        free(*state);
        return 0;
}

#define config_test(t) cmocka_unit_test_setup_teardown(t, config_new, config_free)

int main(void)
{
        const struct CMUnitTest tests[] = {
                config_test(test_exec_and_shell_form), config_test(test_entrypoint_and_cmd),
                config_test(test_env_and_label),       config_test(test_ports_volumes_words),
                cmocka_unit_test(test_refused),        cmocka_unit_test(test_invalid_values),
                config_test(test_all_or_nothing),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
