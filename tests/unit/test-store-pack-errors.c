/* Every error path of the packer, reached for real and run under ASan in
 * `make asan`: a full disk under the blob (the write callback fails, with
 * and without the compressor thread), a file that cannot be read, a file
 * that shrinks while read, a tree deeper than a path can be, and the
 * non-ASCII names that used to end in a use after free.  After each
 * failure the tree is where it was and no temporary blob is left. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/capability.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "lib/fs.h"
#include "lib/xalloc.h"
#include "store/store.h"

static char root[] = "/tmp/box-unit-packerr-XXXXXX";
static struct store *st;
static int can_mount;

static int setup(void **state)
{
        (void)state;
        if (!mkdtemp(root))
                return -1;
        /* mounts made here vanish with the process: a namespace of its own */
        can_mount =
                unshare(CLONE_NEWNS) == 0 && mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0;
        char *s = xasprintf("%s/store", root);
        int r = store_open(s, &st, NULL);
        free(s);
        return r;
}

static int teardown(void **state)
{
        (void)state;
        store_close(st);
        return fs_rm_rf(root, NULL);
}

static char *mkdir_in(const char *name)
{
        char *d = xasprintf("%s/store/tmp/%s", root, name);
        assert_int_equal(fs_mkdir_p(d, 0755, NULL), 0);
        return d;
}

static void put(const char *dir, const char *name, const void *data, size_t len, mode_t mode)
{
        char *p = xasprintf("%s/%s", dir, name);
        int fd = open(p, O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC, mode);
        assert_true(fd >= 0);
        assert_int_equal(fs_write_full(fd, data, len), 0);
        close(fd);
        free(p);
}

/* No temporary blob is left in the store's tmp/ (only the trees we made). */
static void assert_no_tmp_blob(const char *store_root)
{
        char *t = xasprintf("%s/tmp", store_root);
        DIR *d = opendir(t);
        assert_non_null(d);
        struct dirent *de;
        while ((de = readdir(d)))
                if (strneq(de->d_name, "blob-", 5))
                        fail_msg("temporary blob '%s' left behind", de->d_name);
        closedir(d);
        free(t);
}

static void test_non_ascii_names(void **state)
{
        (void)state;
        /* 'RUN touch /é' and 'RUN ln -s é /x': exit 139 before */
        char *d = mkdir_in("names");
        put(d, "\xc3\xa9", "x", 1, 0644);
        put(d, "\xe9", "y", 1, 0644);
        char *l = xasprintf("%s/x", d);
        assert_int_equal(symlink("\xc3\xa9", l), 0);
        struct store_layer_info info;
        struct box_err err = {0};
        if (store_layer_pack_dir(st, d, NULL, &info, &err) < 0)
                fail_msg("%s", err.msg);
        assert_true(store_layer_exists(st, info.diff_id));
        free(l);
        free(d);
}

/* A store on a 256 KiB tmpfs: writing the blob fails with ENOSPC, in the
 * write callback itself (uncompressed) or in the compressor's thread. */
static void enospc(int uncompressed)
{
        if (!can_mount)
                skip();
        char *small = xasprintf("%s/small%d", root, uncompressed);
        assert_int_equal(mkdir(small, 0755), 0);
        assert_int_equal(mount("tmpfs", small, "tmpfs", 0, "size=256k"), 0);
        struct store *sst;
        assert_int_equal(store_open(small, &sst, NULL), 0);
        /* the tree is elsewhere: only the blob goes to the small file system */
        char *d = xasprintf("%s/tree-enospc%d", root, uncompressed);
        assert_int_equal(mkdir(d, 0755), 0);
        size_t n = 4 << 20;
        unsigned char *data = xmalloc(n);
        uint32_t x = 2463534242u;
        for (size_t i = 0; i < n; i++) { /* xorshift: incompressible */
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                data[i] = (unsigned char)x;
        }
        put(d, "big", data, n, 0644);
        put(d, "small", "s", 1, 0644);
        struct store_layer_pack_opts o = {.uncompressed = uncompressed};
        struct store_layer_info info;
        struct box_err err = {0};
        int r = store_layer_pack_dir(sst, d, &o, &info, &err);
        assert_int_equal(r, -ENOSPC);
        assert_non_null(strstr(err.msg, "write blob"));
        /* the tree stays, the temporary blob is gone */
        struct stat s;
        char *big = xasprintf("%s/big", d);
        assert_int_equal(stat(big, &s), 0);
        assert_no_tmp_blob(small);
        store_close(sst);
        assert_int_equal(umount2(small, MNT_DETACH), 0);
        free(big);
        free(data);
        free(d);
        free(small);
}

static void test_enospc_uncompressed(void **state)
{
        (void)state;
        enospc(1);
}

static void test_enospc_compressed(void **state)
{
        (void)state;
        enospc(0);
}

/* FN(ARG) in a child whose effective capabilities lack DROP; it must
 * return true.  exit(), not _exit(): ASan's leak check runs. */
static void in_child_without(const cap_value_t *drop, int n, bool (*fn)(const char *),
                             const char *arg)
{
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                cap_t c = cap_get_proc();
                if (!c || cap_set_flag(c, CAP_EFFECTIVE, n, drop, CAP_CLEAR) < 0 ||
                    cap_set_proc(c) < 0)
                        exit(2);
                cap_free(c);
                bool ok = fn(arg);
                store_close(st);
                exit(ok ? 0 : 1);
        }
        int status;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
}

static bool pack_fails_on_secret(const char *d)
{
        struct store_layer_info info;
        struct box_err err = {0};
        int r = store_layer_pack_dir(st, d, NULL, &info, &err);
        bool ok = r == -EACCES && strstr(err.msg, "open 'secret'") != NULL;
        if (!ok)
                fprintf(stderr, "pack: %d %s\n", r, err.msg);
        return ok;
}

/* Without CAP_DAC_OVERRIDE a file of mode 000 cannot be opened: the pack
 * fails naming it.  In a child, whose capabilities can be dropped. */
static void test_unreadable_file(void **state)
{
        (void)state;
        char *d = mkdir_in("unreadable");
        put(d, "a", "a", 1, 0644);
        put(d, "secret", "s", 1, 0000);
        put(d, "z", "z", 1, 0644);
        static const cap_value_t drop[] = {CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH};
        in_child_without(drop, 2, pack_fails_on_secret, d);
        assert_no_tmp_blob(store_root(st));
        free(d);
}

static digest_str noatime_want;

static bool pack_same_noatime(const char *d)
{
        struct store_layer_pack_opts o = {.uncompressed = 1, .keep_dir = 1, .clamp_mtime = 1};
        struct store_layer_info got;
        struct box_err err = {0};
        int r = store_layer_pack_dir(st, d, &o, &got, &err);
        bool ok = r == 0 && streq(got.diff_id, noatime_want);
        if (!ok)
                fprintf(stderr, "pack: %d %s\n", r, err.msg);
        return ok;
}

/* The pack reads files without touching their atime (O_NOATIME), which
 * only an owner or CAP_FOWNER may ask for: without it, a file someone else
 * owns is read the ordinary way, and the pack gives the same layer. */
static void test_noatime_not_owner(void **state)
{
        (void)state;
        char *d = mkdir_in("noatime");
        put(d, "mine", "m", 1, 0644);
        put(d, "theirs", "t", 1, 0644);
        char *sub = xasprintf("%s/sub", d), *f = xasprintf("%s/theirs", d);
        assert_int_equal(mkdir(sub, 0755), 0);
        put(sub, "in", "i", 1, 0644);
        assert_int_equal(chown(f, 4321, 4321), 0);
        assert_int_equal(chown(sub, 4321, 4321), 0);
        /* an atime older than the mtime: an ordinary read would set it */
        struct timespec ts[2] = {{.tv_sec = 1000}, {.tv_nsec = UTIME_OMIT}};
        char *mine = xasprintf("%s/mine", d);
        assert_int_equal(utimensat(AT_FDCWD, mine, ts, AT_SYMLINK_NOFOLLOW), 0);
        struct store_layer_pack_opts o = {.uncompressed = 1, .keep_dir = 1, .clamp_mtime = 1};
        struct store_layer_info want;
        struct box_err err = {0};
        if (store_layer_pack_dir(st, d, &o, &want, &err) < 0)
                fail_msg("%s", err.msg);
        struct stat sb;
        assert_int_equal(stat(mine, &sb), 0);
        assert_int_equal(sb.st_atim.tv_sec, 1000);
        memcpy(noatime_want, want.diff_id, sizeof(noatime_want));
        static const cap_value_t drop[] = {CAP_FOWNER};
        in_child_without(drop, 1, pack_same_noatime, d);
        free(d);
        free(sub);
        free(f);
        free(mine);
}

/* A sysfs file says 4096 bytes and gives a few: a file that shrank. */
static void test_shrinking_file(void **state)
{
        (void)state;
        if (!can_mount)
                skip();
        char *d = mkdir_in("shrink");
        put(d, "a", "a", 1, 0644);
        put(d, "file", "", 0, 0644);
        char *f = xasprintf("%s/file", d);
        if (mount("/sys/kernel/uevent_seqnum", f, NULL, MS_BIND, NULL) < 0)
                skip();
        struct store_layer_info info;
        struct box_err err = {0};
        int r = store_layer_pack_dir(st, d, NULL, &info, &err);
        assert_int_equal(r, -EIO);
        assert_non_null(strstr(err.msg, "'file' shrank while packing"));
        assert_no_tmp_blob(store_root(st));
        assert_int_equal(umount2(f, MNT_DETACH), 0);
        free(f);
        free(d);
}

/* A chain of DEPTH directories "a" under DIR. */
static void make_chain(const char *dir, int depth)
{
        int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        assert_true(fd >= 0);
        for (int i = 0; i < depth; i++) {
                assert_int_equal(mkdirat(fd, "a", 0755), 0);
                int c = openat(fd, "a", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                assert_true(c >= 0);
                close(fd);
                fd = c;
        }
        int f = openat(fd, "leaf", O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
        assert_true(f >= 0);
        close(f);
        close(fd);
}

/* Removes what make_chain made, bottom up, one fd at a time. */
static void remove_chain(const char *dir)
{
        int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        assert_true(fd >= 0);
        int depth = 0;
        for (;;) {
                int c = openat(fd, "a", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (c < 0)
                        break;
                close(fd);
                fd = c;
                depth++;
        }
        unlinkat(fd, "leaf", 0);
        for (; depth > 0; depth--) {
                int p = openat(fd, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                assert_true(p >= 0);
                close(fd);
                fd = p;
                assert_int_equal(unlinkat(fd, "a", AT_REMOVEDIR), 0);
        }
        close(fd);
        assert_int_equal(rmdir(dir), 0);
}

static void test_deep_tree(void **state)
{
        (void)state;
        /* 1000 levels: a 2005-byte path, packed and unpacked without recursion */
        char *d = mkdir_in("deep-ok");
        make_chain(d, 1000);
        struct store_layer_info info;
        struct box_err err = {0};
        if (store_layer_pack_dir(st, d, NULL, &info, &err) < 0)
                fail_msg("%s", err.msg);
        int fd;
        assert_int_equal(store_blob_open(st, info.digest, &fd, &err), 0);
        char *l = store_layer_path(st, info.diff_id);
        char *moved = xasprintf("%s/deep-ok-layer", root);
        assert_int_equal(rename(l, moved), 0); /* so the unpack does it again */
        struct store_layer_info u;
        struct store_layer_unpack_opts uo = {.expect_diff_id = info.diff_id};
        if (store_layer_unpack_fd(st, fd, &uo, &u, &err) < 0)
                fail_msg("%s", err.msg);
        close(fd);
        remove_chain(moved);
        remove_chain(l);
        free(moved);
        free(l);
        free(d);

        /* 10000 levels (as a RUN step can make them): a clear error, no
         * stack overflow, no fd per level */
        d = mkdir_in("deep-too");
        make_chain(d, 10000);
        memset(&err, 0, sizeof(err));
        int r = store_layer_pack_dir(st, d, NULL, &info, &err);
        assert_int_equal(r, -ENAMETOOLONG);
        assert_non_null(strstr(err.msg, "more than the 4095 a layer may hold"));
        assert_no_tmp_blob(store_root(st));
        remove_chain(d);
        free(d);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_non_ascii_names),
                cmocka_unit_test(test_enospc_uncompressed),
                cmocka_unit_test(test_enospc_compressed),
                cmocka_unit_test(test_unreadable_file),
                cmocka_unit_test(test_noatime_not_owner),
                cmocka_unit_test(test_shrinking_file),
                cmocka_unit_test(test_deep_tree),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
