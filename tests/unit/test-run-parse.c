/* The pure parts of box run: users, argv, env, mount flags, ulimits,
 * capabilities and byte sizes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <sys/mount.h>
#include <sys/resource.h>

#include "cli/cmd-run.h"
#include "lib/strv.h"
#include "lib/xalloc.h"
#include "run/run.h"
#include "run/state.h"
#include "spec/oci.h"

static const char passwd[] = "root:x:0:0:root:/root:/bin/sh\n"
                             "# a comment\n"
                             "daemon:x:1:1:daemon:/usr/sbin:/bin/false\n"
                             "tester:x:1000:1000:tester:/home/tester:/bin/sh\n"
                             "nohome:x:1001:1001::\n"
                             "broken line\n";
static const char group[] = "root:x:0:\n"
                            "wheel:x:10:root,tester\n"
                            "users:x:100:tester\n"
                            "tester:x:1000:\n";

static void resolve(const char *spec, char *const *add, unsigned uid, unsigned gid,
                    const char *home, const char *groups)
{
        struct run_user u;
        struct box_err err = {0};
        if (run_user_resolve(spec, add, passwd, group, &u, &err) < 0)
                fail_msg("'%s': %s", spec, err.msg);
        assert_int_equal(u.uid, uid);
        assert_int_equal(u.gid, gid);
        assert_string_equal(u.home, home);
        struct buf b = {0};
        for (size_t i = 0; i < u.n_groups; i++)
                buf_printf(&b, "%s%u", i ? "," : "", (unsigned)u.groups[i]);
        assert_string_equal(b.data ? b.data : "", groups);
        buf_release(&b);
        run_user_release(&u);
}

static void test_user(void **state)
{
        (void)state;
        resolve("", NULL, 0, 0, "/root", "10");
        resolve("root", NULL, 0, 0, "/root", "10");
        resolve("tester", NULL, 1000, 1000, "/home/tester", "10,100");
        resolve("1000", NULL, 1000, 1000, "/home/tester", "10,100");
        resolve("100", NULL, 100, 0, "/", "");
        resolve("tester:wheel", NULL, 1000, 10, "/home/tester", "");
        resolve("tester:4242", NULL, 1000, 4242, "/home/tester", "");
        resolve("1234:5678", NULL, 1234, 5678, "/", "");
        resolve("nohome", NULL, 1001, 1001, "/", "");
        char *add[] = {"users", "77", NULL};
        resolve("daemon", add, 1, 1, "/usr/sbin", "100,77");

        struct run_user u;
        struct box_err err = {0};
        assert_true(run_user_resolve("nobody", NULL, passwd, group, &u, &err) < 0);
        assert_string_equal(err.msg,
                            "unable to find user 'nobody': no matching entries in passwd file");
        assert_true(run_user_resolve("root:nogroup", NULL, passwd, group, &u, &err) < 0);
        char *bad[] = {"nogroup", NULL};
        assert_true(run_user_resolve("root", bad, passwd, group, &u, &err) < 0);
        /* no files at all: numbers still work */
        assert_true(run_user_resolve("5:6", NULL, NULL, NULL, &u, &err) == 0);
        assert_int_equal(u.uid, 5);
        assert_int_equal(u.gid, 6);
        /* box run puts the primary gid first (Docker's daemon), once */
        run_user_groups_prepend(&u, u.gid);
        assert_int_equal(u.n_groups, 1);
        assert_int_equal(u.groups[0], 6);
        run_user_release(&u);
        assert_true(run_user_resolve("tester", add, passwd, group, &u, &err) == 0);
        run_user_groups_prepend(&u, 100);
        assert_int_equal(u.n_groups, 3);
        assert_int_equal(u.groups[0], 100);
        assert_int_equal(u.groups[1], 10);
        assert_int_equal(u.groups[2], 77);
        run_user_groups_prepend(&u, 1000);
        assert_int_equal(u.n_groups, 4);
        assert_int_equal(u.groups[0], 1000);
        assert_int_equal(u.groups[3], 77);
        run_user_release(&u);
}

static char *joined(char **v)
{
        struct buf b = {0};
        STRV_FOREACH (s, v)
                buf_printf(&b, "%s%s", b.len ? "|" : "", *s);
        strv_free(v);
        return buf_steal(&b);
}

static void argv_is(const struct oci_container_config *c, bool set, const char *ep,
                    char *const *args, const char *want)
{
        char *got = joined(cli_run_argv(c, set, ep, args));
        assert_string_equal(got, want);
        free(got);
}

static void test_argv(void **state)
{
        (void)state;
        char *ep[] = {"/ep", "-x", NULL}, *cmd[] = {"c1", "c2", NULL};
        char *args[] = {"a1", NULL}, *none[] = {NULL};
        struct oci_container_config c = {.entrypoint = ep, .cmd = cmd};
        argv_is(&c, false, NULL, none, "/ep|-x|c1|c2");
        argv_is(&c, false, NULL, args, "/ep|-x|a1");
        argv_is(&c, true, "/other", none, "/other");
        argv_is(&c, true, "/other", args, "/other|a1");
        argv_is(&c, true, "", args, "a1");
        argv_is(&c, true, "[\"/j\", \"k\"]", args, "/j|k|a1");
        struct oci_container_config only_cmd = {.cmd = cmd};
        argv_is(&only_cmd, false, NULL, none, "c1|c2");
        argv_is(NULL, false, NULL, none, "");
}

static void test_env(void **state)
{
        (void)state;
        char *img[] = {"PATH=/img", "A=img", "B=img", NULL};
        char *files[] = {"B=file", "C=file", NULL};
        char *flags[] = {"C=flag", "D=x=y", "BOX_UNIT_SET", "BOX_UNIT_UNSET", NULL};
        char **env;
        struct box_err err = {0};
        setenv("BOX_UNIT_SET", "from box", 1);
        unsetenv("BOX_UNIT_UNSET");
        assert_int_equal(cli_run_env(img, files, flags, "h1", true, &env, &err), 0);
        char *got = joined(env);
        assert_string_equal(got, "HOSTNAME=h1|TERM=xterm|PATH=/img|A=img|B=file|C=flag|D=x=y|"
                                 "BOX_UNIT_SET=from box");
        free(got);
        assert_int_equal(cli_run_env(NULL, NULL, NULL, "h", false, &env, &err), 0);
        got = joined(env);
        assert_string_equal(got, "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:"
                                 "/bin|HOSTNAME=h");
        free(got);
        char *bad[] = {"=x", NULL};
        assert_true(cli_run_env(NULL, NULL, bad, "h", false, &env, &err) < 0);
}

static void test_env_file(void **state)
{
        (void)state;
        char **v = xnew0(char *, 1);
        struct box_err err = {0};
        setenv("BOX_UNIT_FROM", "env", 1);
        assert_int_equal(cli_run_parse_env_file("\xef\xbb\xbf"
                                                "A=1\n# c\n\n   B=two words \nC=a=b#c\r\n"
                                                "BOX_UNIT_FROM\nBOX_UNIT_NOPE\n",
                                                "f", &v, &err),
                         0);
        char *got = joined(v);
        assert_string_equal(got, "A=1|B=two words |C=a=b#c|BOX_UNIT_FROM=env");
        free(got);
        v = xnew0(char *, 1);
        assert_true(cli_run_parse_env_file("BAD KEY=1\n", "f", &v, &err) < 0);
        assert_string_equal(err.msg, "f:1: variable 'BAD KEY' contains whitespaces");
        strv_free(v);
}

static void volume_is(const char *spec, enum run_mount_type type, const char *src, const char *dst,
                      unsigned long flags)
{
        struct cli_mount m;
        struct box_err err = {0};
        if (cli_run_parse_volume(spec, &m, &err) < 0)
                fail_msg("'%s': %s", spec, err.msg);
        assert_int_equal(m.type, type);
        if (src)
                assert_string_equal(m.source, src);
        else
                assert_null(m.source);
        assert_string_equal(m.target, dst);
        assert_int_equal(m.flags, flags);
        cli_mount_release(&m);
}

static void test_volume(void **state)
{
        (void)state;
        volume_is("/h:/c", RUN_MOUNT_BIND, "/h", "/c", 0);
        volume_is("/h//x/:/c/:ro", RUN_MOUNT_BIND, "/h/x", "/c", MS_RDONLY);
        volume_is("name:/c:rw,z", RUN_MOUNT_VOLUME, "name", "/c", 0);
        volume_is("/anon", RUN_MOUNT_VOLUME, NULL, "/anon", 0);
        volume_is("/anon:ro", RUN_MOUNT_VOLUME, NULL, "/anon", MS_RDONLY);
        struct cli_mount m;
        struct box_err err = {0};
        assert_true(cli_run_parse_volume("a:b", &m, &err) < 0);
        assert_true(cli_run_parse_volume("/a:/b:nope", &m, &err) < 0);
        assert_true(cli_run_parse_volume("./a:/b", &m, &err) < 0);
        assert_true(cli_run_parse_volume("", &m, &err) < 0);
        assert_true(cli_run_parse_volume("/a:/b:ro:x", &m, &err) < 0);

        assert_int_equal(
                cli_run_parse_mount("type=tmpfs,dst=/t,tmpfs-size=1m,tmpfs-mode=700", &m, &err), 0);
        assert_int_equal(m.type, RUN_MOUNT_TMPFS);
        assert_string_equal(m.data, "size=1048576,mode=700");
        cli_mount_release(&m);
        assert_int_equal(cli_run_parse_mount("type=volume,target=/v,readonly", &m, &err), 0);
        assert_null(m.source);
        assert_int_equal(m.flags, MS_RDONLY);
        cli_mount_release(&m);
        /* readonly=VALUE in Go's ParseBool spellings, as Docker's --mount */
        assert_int_equal(cli_run_parse_mount("type=volume,target=/v,ro=True", &m, &err), 0);
        assert_int_equal(m.flags, MS_RDONLY);
        cli_mount_release(&m);
        assert_int_equal(cli_run_parse_mount("type=volume,target=/v,readonly=f", &m, &err), 0);
        assert_int_equal(m.flags, 0);
        cli_mount_release(&m);
        assert_true(cli_run_parse_mount("type=volume,target=/v,readonly=yes", &m, &err) < 0);
        assert_true(cli_run_parse_mount("target=/v", &m, &err) < 0);
        assert_true(cli_run_parse_mount("type=bind,source=/nonexistent-x,target=/v", &m, &err) < 0);
        assert_true(cli_run_parse_mount("type=volume,target=rel", &m, &err) < 0);
        assert_true(cli_run_parse_mount("type=volume,target=/v,bogus=1", &m, &err) < 0);

        assert_int_equal(cli_run_parse_tmpfs("/run:exec,size=2m,mode=1777", &m, &err), 0);
        assert_int_equal(m.flags, MS_NOSUID | MS_NODEV);
        assert_string_equal(m.data, "size=2m,mode=1777");
        cli_mount_release(&m);
        assert_true(cli_run_parse_tmpfs("/run:bogus", &m, &err) < 0);
}

static void test_ulimit(void **state)
{
        (void)state;
        struct run_rlimit rl;
        struct box_err err = {0};
        assert_int_equal(cli_run_parse_ulimit("nofile=100:200", &rl, &err), 0);
        assert_int_equal(rl.resource, RLIMIT_NOFILE);
        assert_int_equal(rl.lim.rlim_cur, 100);
        assert_int_equal(rl.lim.rlim_max, 200);
        assert_int_equal(cli_run_parse_ulimit("core=0", &rl, &err), 0);
        assert_int_equal(rl.lim.rlim_max, 0);
        assert_true(cli_run_parse_ulimit("nofile=200:100", &rl, &err) < 0);
        assert_true(cli_run_parse_ulimit("bogus=1", &rl, &err) < 0);
        assert_true(cli_run_parse_ulimit("nofile", &rl, &err) < 0);
        assert_true(cli_run_parse_ulimit("nofile=x", &rl, &err) < 0);
}

static void test_caps(void **state)
{
        (void)state;
        struct box_err err = {0};
        uint64_t c = run_caps_default();
        assert_int_equal(c, 0x800405fbULL);
        assert_int_equal(run_cap_from_name("chown"), 0);
        assert_int_equal(run_cap_from_name("CAP_SYS_ADMIN"), 21);
        assert_int_equal(run_cap_from_name("cap_net_raw"), 13);
        assert_int_equal(run_cap_from_name("all"), -2);
        assert_int_equal(run_cap_from_name("nope"), -EINVAL);
        assert_string_equal(run_cap_name(21), "CAP_SYS_ADMIN");
        char *drop[] = {"CHOWN", NULL}, *add[] = {"NET_RAW", NULL}, *all[] = {"ALL", NULL};
        c = run_caps_default();
        assert_int_equal(run_caps_apply_flags(&c, add, drop, &err), 0);
        assert_int_equal(c, (0x800405fbULL & ~1ULL) | (1ULL << 13));
        c = run_caps_default();
        assert_int_equal(run_caps_apply_flags(&c, add, all, &err), 0);
        assert_int_equal(c, 1ULL << 13);
        c = run_caps_default();
        assert_int_equal(run_caps_apply_flags(&c, all, drop, &err), 0);
        assert_int_equal(c, run_caps_all() & ~1ULL);
        char *bad[] = {"NOPE", NULL};
        assert_true(run_caps_apply_flags(&c, bad, NULL, &err) < 0);
}

static void test_bytes_and_names(void **state)
{
        (void)state;
        int64_t v;
        assert_int_equal(run_parse_bytes("1024", &v), 0);
        assert_int_equal(v, 1024);
        assert_int_equal(run_parse_bytes("64m", &v), 0);
        assert_int_equal(v, 64 << 20);
        assert_int_equal(run_parse_bytes("1.5g", &v), 0);
        assert_int_equal(v, 3LL << 29);
        assert_int_equal(run_parse_bytes("2KB", &v), 0);
        assert_int_equal(v, 2048);
        assert_true(run_parse_bytes("lots", &v) < 0);
        assert_true(run_parse_bytes("-1m", &v) < 0);
        assert_true(run_parse_bytes("1x", &v) < 0);
        /* Docker's digits[.digits][unit] only: no float spellings, no
         * value past int64 (the cast was undefined, and gave a negative
         * size: --shm-size fell back to the default, --memory said 6MB) */
        assert_true(run_parse_bytes("nan", &v) < 0);
        assert_true(run_parse_bytes("inf", &v) < 0);
        assert_true(run_parse_bytes("0x10m", &v) < 0);
        assert_true(run_parse_bytes("1e3m", &v) < 0);
        assert_true(run_parse_bytes(" 1m", &v) < 0);
        assert_true(run_parse_bytes(".5m", &v) < 0);
        assert_true(run_parse_bytes("99999999999999999999", &v) < 0);
        assert_true(run_parse_bytes("9000000p", &v) < 0);
        assert_int_equal(run_parse_bytes("8191p", &v), 0);
        assert_int_equal(v, 8191LL << 50);

        assert_true(run_name_valid("web"));
        assert_true(run_name_valid("a.b_c-1"));
        assert_false(run_name_valid("a"));
        assert_false(run_name_valid("_a"));
        assert_false(run_name_valid("a b"));
        assert_false(run_name_valid("a/b"));
        assert_false(run_name_valid(""));
        assert_false(run_name_valid(".."));
        assert_false(run_name_valid("../../etc"));

        char id[RUN_ID_LEN + 1];
        run_random_id(id);
        assert_true(run_id_valid(id));
        id[3] = 'A';
        assert_false(run_id_valid(id));
        assert_false(run_id_valid("././../../victim"));
        assert_false(run_id_valid("abc"));
        assert_false(run_id_valid(NULL));
}

static void clean_is(const char *in, const char *out)
{
        char *c = cli_run_clean_path(in);
        assert_string_equal(c, out);
        free(c);
}

static void target_ok(enum run_mount_type t, const char *path, bool ok)
{
        struct box_err err = {0};
        if ((run_mount_target_check(t, path, &err) == 0) != ok)
                fail_msg("'%s' (type %d): expected %s, got '%s'", path, t, ok ? "ok" : "refused",
                         err.msg);
}

static void test_mount_targets(void **state)
{
        (void)state;
        clean_is("/", "/");
        clean_is("//a//b/", "/a/b");
        clean_is("/a/./b/../c", "/a/c");
        clean_is("/..", "/");
        clean_is("/a/../../proc/x", "/proc/x");
        clean_is("/a/..", "/");
        clean_is("/..a/b..", "/..a/b..");
        clean_is("rel/x", "rel/x");

        target_ok(RUN_MOUNT_VOLUME, "/data", true);
        target_ok(RUN_MOUNT_VOLUME, "/", false);
        target_ok(RUN_MOUNT_BIND, "/", false);
        target_ok(RUN_MOUNT_TMPFS, "/", false);
        target_ok(RUN_MOUNT_VOLUME, "/proc", false);
        target_ok(RUN_MOUNT_TMPFS, "/proc/sys", false);
        target_ok(RUN_MOUNT_BIND, "/proc/sys", false);
        target_ok(RUN_MOUNT_BIND, "/proc/cpuinfo", true);
        target_ok(RUN_MOUNT_VOLUME, "/proc/cpuinfo", false);
        target_ok(RUN_MOUNT_VOLUME, "/processes", true);
        target_ok(RUN_MOUNT_VOLUME, "/sys", false);
        target_ok(RUN_MOUNT_VOLUME, "/sys/fs/cgroup", false);
        target_ok(RUN_MOUNT_BIND, "/sys/fs/cgroup", true);
        target_ok(RUN_MOUNT_VOLUME, "/dev/shm", false);
        target_ok(RUN_MOUNT_TMPFS, "/dev/shm", true);
        target_ok(RUN_MOUNT_BIND, "/dev/log", true);
        target_ok(RUN_MOUNT_VOLUME, "/device", true);
        target_ok(RUN_MOUNT_VOLUME, "rel", false);

        struct cli_mount m;
        struct box_err err = {0};
        assert_true(cli_run_parse_volume("vv:/", &m, &err) < 0);
        assert_non_null(strstr(err.msg, "destination can't be '/'"));
        assert_true(cli_run_parse_volume("vv:/x/../proc/1", &m, &err) < 0);
        assert_non_null(strstr(err.msg, "inside /proc"));
        assert_true(cli_run_parse_volume("a/b:/x", &m, &err) < 0);
        assert_non_null(strstr(err.msg, "invalid volume name 'a/b'"));
        assert_true(cli_run_parse_mount("type=volume,source=../x,target=/x", &m, &err) < 0);
        assert_true(cli_run_parse_mount("type=volume,target=/dev/x", &m, &err) < 0);
        assert_true(cli_run_parse_tmpfs("/proc/x", &m, &err) < 0);
        assert_int_equal(cli_run_parse_volume("vv:/a/../b/", &m, &err), 0);
        assert_string_equal(m.target, "/b");
        cli_mount_release(&m);
}

static void test_security_opt_lsm(void **state)
{
        (void)state;
        struct box_err err = {0};
        assert_int_equal(cli_security_opt_lsm("apparmor=unconfined", &err), 1);
        assert_int_equal(cli_security_opt_lsm("apparmor:unconfined", &err), 1);
        assert_int_equal(cli_security_opt_lsm("label=disable", &err), 1);
        assert_int_equal(cli_security_opt_lsm("label:disable", &err), 1);
        assert_int_equal(cli_security_opt_lsm("seccomp=unconfined", &err), 0);
        assert_int_equal(cli_security_opt_lsm("no-new-privileges", &err), 0);
        assert_int_equal(cli_security_opt_lsm("labels=x", &err), 0);
        assert_int_equal(cli_security_opt_lsm("apparmor=docker-default", &err), -EINVAL);
        assert_non_null(strstr(err.msg, "'apparmor=docker-default'"));
        assert_int_equal(cli_security_opt_lsm("label=type:svirt_t", &err), -EINVAL);
        assert_int_equal(cli_security_opt_lsm("label=disabled", &err), -EINVAL);
        assert_int_equal(cli_security_opt_lsm("apparmor=", &err), -EINVAL);
}

/* Reading a recorded `box run` command back (generate systemd --new):
 * which words are a flag's value. */
static void test_flag_words(void **state)
{
        (void)state;
        assert_int_equal(cli_run_flag_words("busybox"), 0);
        assert_int_equal(cli_run_flag_words("--"), 0);
        assert_int_equal(cli_run_flag_words("-"), 0);
        assert_int_equal(cli_run_flag_words("-e"), 2);
        assert_int_equal(cli_run_flag_words("-eA=1"), 1);
        assert_int_equal(cli_run_flag_words("-it"), 1);
        assert_int_equal(cli_run_flag_words("-ite"), 2);
        assert_int_equal(cli_run_flag_words("--name"), 2);
        assert_int_equal(cli_run_flag_words("--name=web"), 1);
        assert_int_equal(cli_run_flag_words("--rm"), 1);
        assert_int_equal(cli_run_flag_words("--no-such-flag"), 1);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_user),
                cmocka_unit_test(test_argv),
                cmocka_unit_test(test_env),
                cmocka_unit_test(test_env_file),
                cmocka_unit_test(test_volume),
                cmocka_unit_test(test_ulimit),
                cmocka_unit_test(test_caps),
                cmocka_unit_test(test_bytes_and_names),
                cmocka_unit_test(test_security_opt_lsm),
                cmocka_unit_test(test_mount_targets),
                cmocka_unit_test(test_flag_words),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
