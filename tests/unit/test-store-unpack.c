/* Layer unpacking into a temporary store: whiteout conversion, digests,
 * containment and verification failures. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#include "lib/fs.h"
#include "lib/xalloc.h"
#include "store/store.h"

/* A minimal ustar writer, so the test controls every byte. */
static void tar_entry(struct buf *b, const char *name, char type, const char *data,
                      const char *link)
{
        char h[512] = {0};
        size_t len = data ? strlen(data) : 0;
        snprintf(h, 100, "%s", name);
        snprintf(h + 100, 8, "%07o", type == '5' ? 0755 : 0644);
        snprintf(h + 108, 8, "%07o", 0);
        snprintf(h + 116, 8, "%07o", 0);
        snprintf(h + 124, 12, "%011zo", len);
        snprintf(h + 136, 12, "%011o", 0);
        memset(h + 148, ' ', 8);
        h[156] = type;
        if (link)
                snprintf(h + 157, 100, "%s", link);
        memcpy(h + 257, "ustar", 6);
        memcpy(h + 263, "00", 2);
        unsigned sum = 0;
        for (int i = 0; i < 512; i++)
                sum += (unsigned char)h[i];
        snprintf(h + 148, 8, "%06o", sum);
        buf_append(b, h, 512);
        if (len) {
                buf_append(b, data, len);
                char pad[512] = {0};
                buf_append(b, pad, (512 - len % 512) % 512);
        }
}

static void tar_end(struct buf *b)
{
        char z[1024] = {0};
        buf_append(b, z, sizeof(z));
}

struct mem {
        const char *p;
        size_t n, off;
};

static ssize_t mem_read(void *ud, void *buf, size_t n, struct box_err *err)
{
        (void)err;
        struct mem *m = ud;
        size_t k = m->n - m->off < n ? m->n - m->off : n;
        memcpy(buf, m->p + m->off, k);
        m->off += k;
        return (ssize_t)k;
}

static char root[] = "/tmp/box-unit-store-XXXXXX";
static struct store *st;

static int setup(void **state)
{
        (void)state;
        if (!mkdtemp(root))
                return -1;
        struct box_err err = {0};
        return store_open(root, &st, &err);
}

static int teardown(void **state)
{
        (void)state;
        store_close(st);
        fs_rm_rf(root, NULL);
        return 0;
}

static int unpack(struct buf *b, struct store_layer_unpack_opts *o, struct store_layer_info *info,
                  struct box_err *err)
{
        struct mem m = {b->data, b->len, 0};
        return store_layer_unpack(st, mem_read, &m, o, info, err);
}

static void test_whiteouts(void **state)
{
        (void)state;
        struct buf b = {0};
        tar_entry(&b, "dir/", '5', NULL, NULL);
        tar_entry(&b, "dir/.wh..wh..opq", '0', NULL, NULL);
        tar_entry(&b, "dir/file", '0', "hello", NULL);
        tar_entry(&b, ".wh.deleted", '0', NULL, NULL);
        tar_entry(&b, "link", '1', NULL, "dir/file");
        tar_end(&b);
        struct store_layer_info info;
        struct box_err err = {0};
        struct store_layer_unpack_opts o = {.save_blob = 1};
        assert_int_equal(unpack(&b, &o, &info, &err), 0);
        char want[SHA256_DIGEST_STR_LEN + 1];
        sha256_buf(b.data, b.len, want);
        assert_string_equal(info.diff_id, want);
        assert_string_equal(info.digest, want); /* uncompressed: blob == tar */
        assert_true(store_blob_exists(st, want));

        char *l = store_layer_path(st, info.diff_id);
        char *p = xasprintf("%s/deleted", l);
        struct stat s;
        assert_int_equal(lstat(p, &s), 0);
        assert_true(S_ISCHR(s.st_mode));
        assert_int_equal(s.st_rdev, makedev(0, 0));
        free(p);
        p = xasprintf("%s/dir", l);
        char v[4] = {0};
        assert_int_equal(getxattr(p, "trusted.overlay.opaque", v, sizeof(v)), 1);
        assert_string_equal(v, "y");
        free(p);
        p = xasprintf("%s/dir/.wh..wh..opq", l);
        assert_int_equal(lstat(p, &s), -1);
        free(p);
        struct stat a, c;
        p = xasprintf("%s/dir/file", l);
        char *q = xasprintf("%s/link", l);
        assert_int_equal(stat(p, &a), 0);
        assert_int_equal(stat(q, &c), 0);
        assert_int_equal(a.st_ino, c.st_ino);
        free(p);
        free(q);
        free(l);
        buf_release(&b);
}

static void test_verification(void **state)
{
        (void)state;
        struct buf b = {0};
        tar_entry(&b, "f", '0', "data", NULL);
        tar_end(&b);
        struct store_layer_info info;
        struct box_err err = {0};
        struct store_layer_unpack_opts o = {
                .expect_diff_id =
                        "sha256:0000000000000000000000000000000000000000000000000000000000000000",
        };
        assert_true(unpack(&b, &o, &info, &err) < 0);
        assert_non_null(strstr(err.msg, "diff_id mismatch"));
        assert_false(store_layer_exists(
                st, "sha256:0000000000000000000000000000000000000000000000000000000000000000"));
        buf_release(&b);
}

static void test_escape(void **state)
{
        (void)state;
        struct buf b = {0};
        tar_entry(&b, "a/../../escape", '0', "x", NULL);
        tar_end(&b);
        struct store_layer_info info;
        struct box_err err = {0};
        assert_true(unpack(&b, NULL, &info, &err) < 0);
        assert_non_null(strstr(err.msg, "escapes the layer"));
        buf_release(&b);
}

static void test_truncated(void **state)
{
        (void)state;
        struct buf b = {0};
        tar_entry(&b, "f", '0', "0123456789", NULL);
        tar_end(&b);
        b.len = 600; /* inside the data of the first entry */
        struct store_layer_info info;
        struct box_err err = {0};
        assert_true(unpack(&b, NULL, &info, &err) < 0);
        assert_true(err.msg[0] != '\0');
        buf_release(&b);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_whiteouts),
                cmocka_unit_test(test_verification),
                cmocka_unit_test(test_escape),
                cmocka_unit_test(test_truncated),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
