/* What a hostile layer may cost, and what it may name: the caps on
 * uncompressed size (a gzip bomb, a sparse file claiming a terabyte),
 * entries and path length, the decompressors allowed, descriptor sizes,
 * malformed pax headers, overlay xattrs, and digests that are not
 * sha256:<64 hex> never becoming paths. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <zlib.h>

#include "lib/fs.h"
#include "lib/xalloc.h"
#include "store/store.h"
#include "tests/unit/tar-build.h"

static char root[] = "/tmp/box-unit-limits-XXXXXX";
static struct store *st;

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

static int unpack(const struct buf *b, const struct store_layer_unpack_opts *o,
                  struct store_layer_info *info, struct box_err *err)
{
        struct tb_mem m = {b->data, b->len, 0};
        return store_layer_unpack(st, tb_mem_read, &m, o, info, err);
}

static void gzip_buf(const struct buf *in, struct buf *out)
{
        z_stream z = {0};
        assert_int_equal(deflateInit2(&z, 9, Z_DEFLATED, 16 + 15, 9, Z_DEFAULT_STRATEGY), Z_OK);
        size_t cap = deflateBound(&z, in->len);
        unsigned char *o = xmalloc(cap);
        z.next_in = (unsigned char *)in->data;
        z.avail_in = (uInt)in->len;
        z.next_out = o;
        z.avail_out = (uInt)cap;
        assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
        buf_append(out, o, cap - z.avail_out);
        deflateEnd(&z);
        free(o);
}

static void test_gzip_bomb(void **state)
{
        (void)state;
        /* 8 MiB of zeros in a file, then 8 MiB more after the end of the
         * archive: each about 8 KiB of gzip */
        size_t n = 8 << 20;
        char *zeros = xzalloc(n);
        struct buf file = {0}, trail = {0}, g1 = {0}, g2 = {0};
        tb_header(&file, "zeros", '0', n, NULL, 0644);
        tb_data(&file, zeros, n);
        tb_end(&file);
        gzip_buf(&file, &g1);
        tb_file(&trail, "small", "x");
        tb_end(&trail);
        buf_append(&trail, zeros, n);
        gzip_buf(&trail, &g2);
        assert_true(g1.len < 64 << 10 && g2.len < 64 << 10);

        setenv("BOX_MAX_LAYER_SIZE", "1M", 1);
        struct store_layer_info info;
        struct box_err err = {0};
        int r = unpack(&g1, NULL, &info, &err);
        assert_int_equal(r, -EFBIG);
        assert_non_null(strstr(err.msg, "the layer's files are larger than 1048576 bytes"));
        memset(&err, 0, sizeof(err));
        r = unpack(&g2, NULL, &info, &err);
        assert_int_equal(r, -EFBIG);
        assert_non_null(strstr(err.msg, "larger than 1048576 bytes uncompressed"));
        unsetenv("BOX_MAX_LAYER_SIZE");

        /* the default cap lets both through */
        memset(&err, 0, sizeof(err));
        if (unpack(&g1, NULL, &info, &err) < 0 || unpack(&g2, NULL, &info, &err) < 0)
                fail_msg("%s", err.msg);
        free(zeros);
        buf_release(&file);
        buf_release(&trail);
        buf_release(&g1);
        buf_release(&g2);
}

static void test_entries(void **state)
{
        (void)state;
        struct buf t = {0};
        for (int i = 0; i < 20; i++) {
                char name[16];
                snprintf(name, sizeof(name), "f%d", i);
                tb_file(&t, name, "x");
        }
        tb_end(&t);
        setenv("BOX_MAX_LAYER_ENTRIES", "10", 1);
        struct store_layer_info info;
        struct box_err err = {0};
        int r = unpack(&t, NULL, &info, &err);
        unsetenv("BOX_MAX_LAYER_ENTRIES");
        assert_int_equal(r, -EFBIG);
        assert_non_null(strstr(err.msg, "more than 10 entries"));
        buf_release(&t);
}

/* A GNU sparse (pax 1.0) file claiming 1 TiB with one byte of data. */
static void test_sparse_terabyte(void **state)
{
        (void)state;
        struct buf t = {0}, rec = {0};
        tb_pax_record(&rec, "GNU.sparse.major", "1", 1);
        tb_pax_record(&rec, "GNU.sparse.minor", "0", 1);
        tb_pax_record(&rec, "GNU.sparse.name", "huge", 4);
        tb_pax_record(&rec, "GNU.sparse.realsize", "1099511627776", 13);
        tb_pax(&t, &rec);
        char map[512] = "1\n1099511627775\n1\n";
        tb_header(&t, "GNUSparseFile.0/huge", '0', 512 + 1, NULL, 0644);
        buf_append(&t, map, 512);
        tb_data(&t, "x", 1);
        tb_end(&t);
        struct store_layer_info info;
        struct box_err err = {0};
        int r = unpack(&t, NULL, &info, &err);
        assert_int_equal(r, -EFBIG);
        assert_non_null(strstr(err.msg, "the layer's files are larger than"));
        buf_release(&rec);
        buf_release(&t);
}

static void test_path_too_long(void **state)
{
        (void)state;
        struct buf t = {0}, rec = {0}, p = {0};
        for (int i = 0; i < 2100; i++)
                buf_puts(&p, "a/");
        buf_puts(&p, "f");
        tb_pax_record(&rec, "path", p.data, p.len);
        tb_pax(&t, &rec);
        tb_file(&t, "placeholder", "x");
        tb_end(&t);
        struct store_layer_info info;
        struct box_err err = {0};
        int r = unpack(&t, NULL, &info, &err);
        assert_int_equal(r, -ENAMETOOLONG);
        assert_non_null(strstr(err.msg, "path longer than 4095 bytes"));
        buf_release(&rec);
        buf_release(&p);
        buf_release(&t);
}

static void test_malformed_pax(void **state)
{
        (void)state;
        /* the record's length field lies: libarchive would warn, ignore the
         * records and use the ustar name */
        struct buf t = {0}, rec = {0};
        buf_puts(&rec, "99 path=elsewhere\n");
        tb_pax(&t, &rec);
        tb_file(&t, "name", "x");
        tb_end(&t);
        struct store_layer_info info;
        struct box_err err = {0};
        int r = unpack(&t, NULL, &info, &err);
        assert_int_equal(r, -EBADMSG);
        assert_non_null(strstr(err.msg, "corrupt tar"));
        buf_release(&rec);
        buf_release(&t);
}

/* uuencode: a filter libarchive has (support_filter_all) that box refuses */
static void uuencode(const struct buf *in, struct buf *out)
{
        buf_puts(out, "begin 644 layer.tar\n");
        for (size_t off = 0; off < in->len; off += 45) {
                size_t n = in->len - off < 45 ? in->len - off : 45;
                buf_putc(out, (char)(n ? n + 32 : '`'));
                for (size_t i = 0; i < n; i += 3) {
                        unsigned char c[3] = {0};
                        for (size_t k = 0; k < 3 && i + k < n; k++)
                                c[k] = (unsigned char)in->data[off + i + k];
                        unsigned v[4] = {c[0] >> 2, ((c[0] & 3) << 4) | (c[1] >> 4),
                                         ((c[1] & 15) << 2) | (c[2] >> 6), c[2] & 63};
                        for (int k = 0; k < 4; k++)
                                buf_putc(out, (char)(v[k] ? v[k] + 32 : '`'));
                }
                buf_putc(out, '\n');
        }
        buf_puts(out, "`\nend\n");
}

static void test_filters(void **state)
{
        (void)state;
        struct buf t = {0}, uu = {0};
        tb_file(&t, "f", "x");
        tb_end(&t);
        uuencode(&t, &uu);
        struct store_layer_info info;
        struct box_err err = {0};
        assert_true(unpack(&uu, NULL, &info, &err) < 0);
        assert_non_null(strstr(err.msg, "not a tar archive"));
        buf_release(&uu);
        buf_release(&t);
}

static void test_expect_size(void **state)
{
        (void)state;
        struct buf t = {0};
        tb_file(&t, "f", "x");
        tb_end(&t);
        struct store_layer_info info;
        struct box_err err = {0};
        struct store_layer_unpack_opts o = {.expect_size = t.len - 1};
        assert_int_equal(unpack(&t, &o, &info, &err), -EBADMSG);
        assert_non_null(strstr(err.msg, "larger than the 2047 bytes its descriptor says"));
        o.expect_size = t.len + 1;
        memset(&err, 0, sizeof(err));
        assert_int_equal(unpack(&t, &o, &info, &err), -EBADMSG);
        assert_non_null(strstr(err.msg, "size mismatch"));
        o.expect_size = t.len;
        assert_int_equal(unpack(&t, &o, &info, &err), 0);
        buf_release(&t);
}

static void test_overlay_xattrs(void **state)
{
        (void)state;
        struct buf t = {0}, rec = {0};
        tb_pax_record(&rec, "SCHILY.xattr.user.overlay.opaque", "y", 1);
        tb_pax_record(&rec, "SCHILY.xattr.trusted.overlay.redirect", "/etc", 4);
        tb_pax_record(&rec, "SCHILY.xattr.user.kept", "1", 1);
        tb_pax(&t, &rec);
        tb_file(&t, "xf", "x");
        tb_end(&t);
        struct store_layer_info info;
        struct box_err err = {0};
        if (unpack(&t, NULL, &info, &err) < 0)
                fail_msg("%s", err.msg);
        char *l = store_layer_path(st, info.diff_id);
        char *f = xasprintf("%s/xf", l);
        char v[8];
        if (lgetxattr(f, "user.kept", v, sizeof(v)) < 0 && errno == ENOTSUP)
                skip();
        assert_int_equal(lgetxattr(f, "user.kept", v, sizeof(v)), 1);
        assert_int_equal(lgetxattr(f, "user.overlay.opaque", v, sizeof(v)), -1);
        assert_int_equal(lgetxattr(f, "trusted.overlay.redirect", v, sizeof(v)), -1);
        free(f);
        free(l);
        buf_release(&rec);
        buf_release(&t);
}

static void test_digest_paths(void **state)
{
        (void)state;
        static const char *const bad[] = {
                "sha256:../../../..",
                "sha256:../../../../../../../../../../../../../../../../../../../../../etc",
                "sha256:0000000000000000000000000000000000000000000000000000000000000000/..",
                "sha256:ABCDEF0000000000000000000000000000000000000000000000000000000000",
                "sha512:0000000000000000000000000000000000000000000000000000000000000000",
                "../../etc",
                "",
        };
        /* the store root exists, so ".." chains would "exist" */
        for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
                assert_false(store_layer_exists(st, bad[i]));
                assert_false(store_blob_exists(st, bad[i]));
                char *p = store_layer_path(st, bad[i]);
                assert_null(strstr(p, ".."));
                assert_non_null(strstr(p, "/layers/.invalid-digest"));
                free(p);
                p = store_layer_short_path(st, bad[i]);
                assert_string_equal(p, "layers/.invalid-digest");
                free(p);
                p = store_blob_path(st, bad[i]);
                assert_non_null(strstr(p, "/blobs/sha256/.invalid-digest"));
                free(p);
                int fd;
                assert_true(store_blob_open(st, bad[i], &fd, NULL) < 0);
        }
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_gzip_bomb),       cmocka_unit_test(test_entries),
                cmocka_unit_test(test_sparse_terabyte), cmocka_unit_test(test_path_too_long),
                cmocka_unit_test(test_malformed_pax),   cmocka_unit_test(test_filters),
                cmocka_unit_test(test_expect_size),     cmocka_unit_test(test_overlay_xattrs),
                cmocka_unit_test(test_digest_paths),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
