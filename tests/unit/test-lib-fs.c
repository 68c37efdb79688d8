/* lib/fs: mkdir -p, atomic writes, rm -rf that stops at mount points. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "lib/fs.h"
#include "lib/strv.h"
#include "lib/xalloc.h"

static char dir[] = "/tmp/box-unit-fs-XXXXXX";

static void test_mkdir_p(void **state)
{
        (void)state;
        char *p = xasprintf("%s/a/b//c/", dir);
        struct box_err err = {0};
        assert_int_equal(fs_mkdir_p(p, 0755, &err), 0);
        assert_int_equal(fs_mkdir_p(p, 0755, &err), 0); /* existing is fine */
        struct stat s;
        assert_int_equal(stat(p, &s), 0);
        assert_true(S_ISDIR(s.st_mode));
        free(p);
        p = xasprintf("%s/file", dir);
        close(open(p, O_CREAT | O_WRONLY, 0644));
        char *q = xasprintf("%s/file/sub", dir);
        assert_true(fs_mkdir_p(q, 0755, &err) < 0);
        free(p);
        free(q);
}

static void test_atomic_write(void **state)
{
        (void)state;
        _cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY);
        struct box_err err = {0};
        assert_int_equal(fs_write_atomic_at(fd, "x.json", "one", 3, 0640, &err), 0);
        assert_int_equal(fs_write_atomic_at(fd, "x.json", "second", 6, 0640, &err), 0);
        char *buf;
        size_t len;
        assert_int_equal(fs_read_file_at(fd, "x.json", 0, &buf, &len, &err), 0);
        assert_int_equal(len, 6);
        assert_string_equal(buf, "second");
        free(buf);
        struct stat s;
        assert_int_equal(fstatat(fd, "x.json", &s, 0), 0);
        assert_int_equal(s.st_mode & 0777, 0640);
        /* no temp files left behind */
        DIR *d = opendir(dir);
        struct dirent *de;
        while ((de = readdir(d)))
                assert_null(strstr(de->d_name, ".tmp-"));
        closedir(d);
}

static void test_rm_rf_stops_at_mounts(void **state)
{
        (void)state;
        char *top = xasprintf("%s/tree", dir);
        char *mnt = xasprintf("%s/tree/sub/mnt", dir);
        char *keep = xasprintf("%s/tree/sub/mnt/precious", dir);
        struct box_err err = {0};
        assert_int_equal(fs_mkdir_p(mnt, 0755, &err), 0);
        if (mount("tmpfs", mnt, "tmpfs", 0, NULL) < 0)
                skip();
        close(open(keep, O_CREAT | O_WRONLY, 0644));
        assert_true(fs_rm_rf(top, &err) < 0);
        assert_non_null(strstr(err.msg, "mounted"));
        assert_int_equal(access(keep, F_OK), 0);
        umount(mnt);
        /* a bind mount of the same file system has the same st_dev */
        char *src = xasprintf("%s/bindsrc", dir);
        char *srcfile = xasprintf("%s/bindsrc/precious", dir);
        assert_int_equal(fs_mkdir_p(src, 0755, &err), 0);
        close(open(srcfile, O_CREAT | O_WRONLY, 0644));
        assert_int_equal(mount(src, mnt, NULL, MS_BIND, NULL), 0);
        assert_true(fs_rm_rf(top, &err) < 0);
        assert_int_equal(access(srcfile, F_OK), 0);
        umount(mnt);
        free(src);
        free(srcfile);
        assert_int_equal(fs_rm_rf(top, &err), 0);
        assert_int_equal(access(top, F_OK), -1);
        assert_int_equal(fs_rm_rf(top, &err), 0); /* missing is fine */
        free(top);
        free(mnt);
        free(keep);
}

/* A tree deeper than the fds rm -rf may hold is removed all the same. */
static void test_rm_rf_deep(void **state)
{
        (void)state;
        char *top = xasprintf("%s/deep", dir);
        struct box_err err = {0};
        assert_int_equal(fs_mkdir_p(top, 0755, &err), 0);
        int fd = open(top, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        for (int i = 0; i < 1000; i++) {
                assert_int_equal(mkdirat(fd, "d", 0755), 0);
                int c = openat(fd, "d", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                assert_true(c >= 0);
                if (i % 7 == 0)
                        close(openat(c, "f", O_CREAT | O_WRONLY | O_CLOEXEC, 0644));
                close(fd);
                fd = c;
        }
        close(fd);
        struct rlimit old, low = {.rlim_cur = 200};
        getrlimit(RLIMIT_NOFILE, &old);
        low.rlim_max = old.rlim_max;
        setrlimit(RLIMIT_NOFILE, &low);
        int r = fs_rm_rf(top, &err);
        setrlimit(RLIMIT_NOFILE, &old);
        assert_int_equal(r, 0);
        assert_int_equal(access(top, F_OK), -1);
        free(top);
}

static int setup(void **state)
{
        (void)state;
        return mkdtemp(dir) ? 0 : -1;
}

/* The directory helpers: names without "." and "..", sorted; a failed
 * open leaks no fd; a dup reads from the top whatever FD has read. */
static void test_dir_names(void **state)
{
        (void)state;
        char *sub = xasprintf("%s/names", dir);
        assert_int_equal(mkdir(sub, 0755), 0);
        static const char *const files[] = {"b", "a", ".hidden", "c"};
        for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
                char *p = xasprintf("%s/%s", sub, files[i]);
                close(open(p, O_CREAT | O_WRONLY | O_CLOEXEC, 0644));
                free(p);
        }
        errno = 0;
        assert_null(fs_fdopendir(-EBADF));
        assert_null(fs_opendir_at(AT_FDCWD, "/nonexistent-box-unit"));
        assert_int_equal(errno, ENOENT);

        _cleanup_close_ int fd = open(sub, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        assert_true(fd >= 0);
        for (int round = 0; round < 2; round++) {
                _cleanup_closedir_ DIR *d = fs_opendir_dup(fd);
                assert_non_null(d);
                char **names = NULL;
                assert_int_equal(fs_dir_names(d, &names), 0);
                assert_int_equal(strv_length(names), 4);
                assert_string_equal(names[0], ".hidden");
                assert_string_equal(names[1], "a");
                assert_string_equal(names[2], "b");
                assert_string_equal(names[3], "c");
                strv_free(names);
        }
        free(sub);
}

static int teardown(void **state)
{
        (void)state;
        return fs_rm_rf(dir, NULL);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_mkdir_p),
                cmocka_unit_test(test_atomic_write),
                cmocka_unit_test(test_rm_rf_stops_at_mounts),
                cmocka_unit_test(test_rm_rf_deep),
                cmocka_unit_test(test_dir_names),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
