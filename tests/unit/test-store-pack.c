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
#include "lib/sha256.h"
#include "lib/xalloc.h"
#include "store/store-internal.h"

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
        /* that layer exists: the second tree is left for the caller */
        assert_int_equal(access(d2, F_OK), 0);
        assert_int_equal(fs_rm_rf(d2, NULL), 0);

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

/* A tree whose entries take both of the pack's writers in turn: plain ones
 * (box's own ustar headers) and ones only libarchive's pax writer can
 * hold (long or non-ASCII names and links, xattrs, large ids, old mtimes). */
static char *make_mixed_tree(const char *name)
{
        char *d = xasprintf("%s/tmp/%s", root, name);
        char *p;
        assert_int_equal(fs_mkdir_p(d, 0755, NULL), 0);
        put(d, "plain", "plain file");
        /* 150 bytes, split into ustar's prefix and name */
        char longdir[200], longer[400];
        snprintf(longdir, sizeof(longdir), "%s/%0120d", d, 0);
        assert_int_equal(mkdir(longdir, 0755), 0);
        put(longdir, "in-a-long-directory", "x");
        /* a name of 120 bytes: no split fits, a pax path */
        snprintf(longer, sizeof(longer), "%0120d", 1);
        put(d, longer, "long name");
        put(d, "caf\xc3\xa9", "non-ASCII");
        put(d, "odd-size", "123456789");
        p = xasprintf("%s/xattr", d);
        put(d, "xattr", "with an xattr");
        assert_int_equal(setxattr(p, "user.box", "v", 1, 0), 0);
        free(p);
        p = xasprintf("%s/big-uid", d);
        put(d, "big-uid", "owned far up");
        assert_int_equal(lchown(p, 300000, 7), 0);
        free(p);
        p = xasprintf("%s/old", d);
        put(d, "old", "before 1970");
        struct timespec ts[2] = {{.tv_sec = -5}, {.tv_sec = -5}};
        assert_int_equal(utimensat(AT_FDCWD, p, ts, 0), 0);
        free(p);
        p = xasprintf("%s/nsec", d);
        put(d, "nsec", "nanoseconds");
        struct timespec ns[2] = {{.tv_sec = 1000, .tv_nsec = 5}, {.tv_sec = 1000, .tv_nsec = 5}};
        assert_int_equal(utimensat(AT_FDCWD, p, ns, 0), 0);
        free(p);
        char target[160];
        memset(target, 't', 150);
        target[150] = '\0';
        p = xasprintf("%s/long-link", d);
        assert_int_equal(symlink(target, p), 0);
        free(p);
        p = xasprintf("%s/link", d);
        assert_int_equal(symlink("plain", p), 0);
        free(p);
        char *a = xasprintf("%s/plain", d), *h = xasprintf("%s/zz-hard", d);
        assert_int_equal(link(a, h), 0);
        free(a);
        free(h);
        p = xasprintf("%s/fifo", d);
        assert_int_equal(mkfifo(p, 0600), 0);
        free(p);
        p = xasprintf("%s/null", d);
        assert_int_equal(mknod(p, S_IFCHR | 0666, makedev(1, 3)), 0);
        free(p);
        p = xasprintf("%s/gone", d);
        assert_int_equal(mknod(p, S_IFCHR | 0, makedev(0, 0)), 0);
        free(p);
        p = xasprintf("%s/opq", d);
        assert_int_equal(mkdir(p, 0700), 0);
        assert_int_equal(setxattr(p, "trusted.overlay.opaque", "y", 1, 0), 0);
        put(p, "inside", "x");
        free(p);
        return d;
}

/* D packed by box's writers and by libarchive alone: the same diff_id, and
 * whether libarchive was needed (D stays: keep_dir). */
static void pack_both(const char *d, int64_t clamp, bool expect_libarchive)
{
        struct box_err err = {0};
        struct store_layer_info own, lib;
        struct store_layer_pack_stats stats;
        struct store_layer_pack_opts o = {
                .uncompressed = 1, .keep_dir = 1, .clamp_mtime = clamp, .stats = &stats};
        if (store_layer_pack_dir(st, d, &o, &own, &err) < 0)
                fail_msg("%s", err.msg);
        o.tar_libarchive = 1;
        o.stats = NULL;
        if (store_layer_pack_dir(st, d, &o, &lib, &err) < 0)
                fail_msg("%s", err.msg);
        assert_string_equal(own.diff_id, lib.diff_id);
        assert_int_equal(stats.libarchive, expect_libarchive);
}

/* box writes plain entries itself and leaves the rest to libarchive: the
 * layer's bytes are what libarchive alone writes, so digests are the same
 * as before the own writer, whatever mix a tree holds. */
static void test_own_writer_matches_libarchive(void **state)
{
        (void)state;
        char *d = make_mixed_tree("mixed");
        pack_both(d, 0, true);
        /* and with the clamp, which drops the nanoseconds */
        pack_both(d, 500, true);
        free(d);

        /* plain entries only: libarchive's output too */
        d = xasprintf("%s/tmp/plain-only", root);
        assert_int_equal(fs_mkdir_p(d, 0755, NULL), 0);
        put(d, "a", "ay");
        char *sub = xasprintf("%s/sub", d);
        assert_int_equal(mkdir(sub, 0755), 0);
        put(sub, "b", "bee");
        pack_both(d, 0, false);
        free(sub);
        free(d);
}

/* The digest of the bytes blob DIGEST holds, read back from the file. */
static void blob_hash(const char *digest, digest_str ret)
{
        int fd;
        struct box_err err = {0};
        assert_int_equal(store_blob_open(st, digest, &fd, &err), 0);
        struct sha256_ctx *c = sha256_new();
        char buf[65536];
        ssize_t n;
        while ((n = read(fd, buf, sizeof(buf))) > 0)
                sha256_update(c, buf, (size_t)n);
        assert_int_equal(n, 0);
        close(fd);
        sha256_final_str(c, ret);
}

/* O_DIRECT blobs: whole aligned blocks straight from the caller, anything
 * else staged, the tail through the page cache; the file holds exactly
 * the bytes written, in order, whatever the mix. */
static void test_blob_direct(void **state)
{
        (void)state;
        size_t mib = 1 << 20;
        unsigned char *big = NULL;
        assert_int_equal(posix_memalign((void **)&big, 4096, 2 * mib + 8192), 0);
        for (size_t i = 0; i < 2 * mib + 8192; i++)
                big[i] = (unsigned char)(i * 7 + i / 4099);
        /* aligned and whole; odd bytes (staged); aligned but staged behind
         * them, across the stage's end; unaligned; aligned and whole again
         * once the stage is empty cannot be forced, so a last odd tail */
        struct {
                size_t off, len;
        } w[] = {{0, mib + 4096}, {5, 100}, {0, mib}, {3, 4095}, {4096, 8192}, {0, 7}};
        struct store_blob_writer *bw;
        struct box_err err = {0};
        struct sha256_ctx *c = sha256_new();
        assert_int_equal(store_blob_writer_new(st, &bw, &err), 0);
        store_blob_writer_direct(bw);
        for (size_t i = 0; i < ARRAY_SIZE(w); i++) {
                assert_int_equal(store_blob_writer_write(bw, big + w[i].off, w[i].len, &err), 0);
                sha256_update(c, big + w[i].off, w[i].len);
        }
        assert_int_equal(store_blob_writer_flush(bw, &err), 0);
        /* written after a flush: through the page cache, still in order */
        assert_int_equal(store_blob_writer_write(bw, big + 1, 3000, &err), 0);
        sha256_update(c, big + 1, 3000);
        digest_str want, got, read_back;
        uint64_t size;
        sha256_final_str(c, want);
        assert_int_equal(store_blob_writer_commit(bw, NULL, got, &size, &err), 0);
        assert_string_equal(got, want);
        assert_int_equal(size, mib + 4096 + 100 + mib + 4095 + 8192 + 7 + 3000);
        blob_hash(got, read_back);
        assert_string_equal(read_back, want);
        free(big);
}

/* A build step's layer (uncompressed, the directory becomes the layer):
 * its blob goes past the page cache in the ring's chunks and a tail; the
 * blob's bytes are the tar whose digest is the diff_id, and it unpacks. */
static void test_pack_plain_big(void **state)
{
        (void)state;
        char *d = xasprintf("%s/tmp/plain-big", root);
        assert_int_equal(fs_mkdir_p(d, 0755, NULL), 0);
        size_t n = (3 << 20) + 777;
        char *data = xmalloc(n + 1);
        for (size_t i = 0; i < n; i++)
                data[i] = (char)('a' + i % 23);
        data[n] = '\0';
        put(d, "big", data);
        put(d, "small", "x");
        struct store_layer_info info;
        struct box_err err = {0};
        struct store_layer_pack_opts o = {.uncompressed = 1, .clamp_mtime = 1000};
        if (store_layer_pack_dir(st, d, &o, &info, &err) < 0)
                fail_msg("%s", err.msg);
        assert_string_equal(info.digest, info.diff_id);
        digest_str read_back;
        blob_hash(info.digest, read_back);
        assert_string_equal(read_back, info.diff_id);
        /* the tar: a header and the data padded to 512, one more, the end */
        assert_int_equal(info.size, 512 + ((n + 511) / 512) * 512 + 512 + 512 + 1024);
        char *l = store_layer_path(st, info.diff_id);
        char *big = xasprintf("%s/big", l);
        free(l);
        struct stat s;
        assert_int_equal(stat(big, &s), 0);
        assert_int_equal((size_t)s.st_size, n);
        free(big);
        free(data);
        free(d);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_pack_round_trip),
                cmocka_unit_test(test_empty),
                cmocka_unit_test(test_own_writer_matches_libarchive),
                cmocka_unit_test(test_blob_direct),
                cmocka_unit_test(test_pack_plain_big),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
