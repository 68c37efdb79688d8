/* Packing directories into layers: overlay whiteouts -> OCI entries,
 * reproducible digests, and the packed tar unpacks to the same diff_id. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#include "lib/fs.h"
#include "lib/xalloc.h"
#include "store/store.h"

static char root[] = "/tmp/box-unit-pack-XXXXXX";
static struct store *st;

static void put(const char *dir, const char *name, const char *data)
{
        char *p = xasprintf("%s/%s", dir, name);
        int fd = open(p, O_CREAT | O_WRONLY | O_TRUNC, 0644);
        assert_true(fd >= 0);
        assert_int_equal(fs_write_full(fd, data, strlen(data)), 0);
        close(fd);
        free(p);
}

/* A tree with a file, a hard link, a symlink, a whiteout and an opaque dir,
 * all with mtimes in the future of the clamp. */
static char *make_tree(const char *name)
{
        char *d = xasprintf("%s/tmp/%s", root, name);
        char *sub = xasprintf("%s/opq", d);
        assert_int_equal(fs_mkdir_p(sub, 0755, NULL), 0);
        put(d, "b", "bee");
        put(d, "a", "ay");
        char *a = xasprintf("%s/a", d), *l = xasprintf("%s/a-link", d),
             *w = xasprintf("%s/gone", d);
        assert_int_equal(link(a, l), 0);
        char *s = xasprintf("%s/sym", d);
        assert_int_equal(symlink("a", s), 0);
        assert_int_equal(mknod(w, S_IFCHR | 0, makedev(0, 0)), 0);
        assert_int_equal(setxattr(sub, "trusted.overlay.opaque", "y", 1, 0), 0);
        put(sub, "inside", "x");
        free(a);
        free(l);
        free(w);
        free(s);
        free(sub);
        return d;
}

static int setup(void **state)
{
        (void)state;
        if (!mkdtemp(root))
                return -1;
        return store_open(root, &st, NULL);
}

static int teardown(void **state)
{
        (void)state;
        store_close(st);
        return fs_rm_rf(root, NULL);
}

static void test_pack_round_trip(void **state)
{
        (void)state;
        char *d1 = make_tree("one");
        struct store_layer_info a, b, u;
        struct box_err err = {0};
        struct store_layer_pack_opts o = {.clamp_mtime = 1000};
        assert_int_equal(store_layer_pack_dir(st, d1, &o, &a, &err), 0);
        assert_int_equal(access(d1, F_OK), -1); /* became the layer */
        assert_true(store_layer_exists(st, a.diff_id));
        assert_true(store_blob_exists(st, a.digest));
        assert_int_equal(a.compression, STORE_COMPRESSION_GZIP);

        /* an identical tree made later packs to identical bytes */
        char *d2 = make_tree("two");
        assert_int_equal(store_layer_pack_dir(st, d2, &o, &b, &err), 0);
        assert_string_equal(a.digest, b.digest);
        assert_string_equal(a.diff_id, b.diff_id);

        /* the blob unpacks to the same diff_id, whiteouts included */
        int fd;
        assert_int_equal(store_blob_open(st, a.digest, &fd, &err), 0);
        struct store_layer_unpack_opts uo = {.expect_diff_id = a.diff_id,
                                             .expect_digest = a.digest};
        if (store_layer_unpack_fd(st, fd, &uo, &u, &err) < 0)
                fail_msg("%s", err.msg);
        close(fd);
        char *l = store_layer_path(st, a.diff_id);
        char *g = xasprintf("%s/gone", l), *opq = xasprintf("%s/opq", l);
        struct stat s;
        assert_int_equal(lstat(g, &s), 0);
        assert_true(S_ISCHR(s.st_mode));
        char v[2] = {0};
        assert_int_equal(getxattr(opq, "trusted.overlay.opaque", v, 1), 1);
        free(g);
        free(opq);
        free(l);
        free(d1);
        free(d2);
}

static void test_empty(void **state)
{
        (void)state;
        char *d = xasprintf("%s/tmp/empty", root);
        assert_int_equal(mkdir(d, 0755), 0);
        struct store_layer_info i;
        struct store_layer_pack_opts o = {.uncompressed = 1};
        assert_int_equal(store_layer_pack_dir(st, d, &o, &i, NULL), 0);
        /* an empty tar is two zero blocks */
        assert_string_equal(
                i.diff_id,
                "sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef");
        assert_string_equal(i.digest, i.diff_id);
        free(d);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_pack_round_trip),
                cmocka_unit_test(test_empty),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
