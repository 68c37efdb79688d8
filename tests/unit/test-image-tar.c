/* image/tar.h and image/prefetch.h: a written archive reads back entry by
 * entry (through the read-ahead thread too), links are reported, and a
 * truncated archive is an error rather than a short read. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <fcntl.h>
#include <sys/mman.h>

#include "image/load.h"
#include "image/prefetch.h"
#include "image/tar.h"
#include "lib/fs.h"
#include "lib/xalloc.h"

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

/* An archive written with image_tar_writer into a memory file. */
static char *make_archive(size_t big, size_t *ret_len)
{
        int fd = memfd_create("tar", MFD_CLOEXEC);
        assert_true(fd >= 0);
        struct image_tar_writer *w;
        struct box_err err = {0};
        assert_int_equal(image_tar_writer_new(fd, &w, &err), 0);
        assert_int_equal(image_tar_writer_add(w, "blobs/", 1, 0, 0, &err), 0);
        assert_int_equal(image_tar_writer_add_data(w, "manifest.json", "[]", 2, 0, &err), 0);
        char *data = xmalloc(big);
        for (size_t i = 0; i < big; i++)
                data[i] = (char)(i * 7);
        assert_int_equal(image_tar_writer_add(w, "blobs/big", 0, (int64_t)big, 0, &err), 0);
        assert_int_equal(image_tar_writer_write(w, data, big, &err), 0);
        assert_int_equal(image_tar_writer_finish(w, &err), 0);
        image_tar_writer_free(w);
        free(data);
        lseek(fd, 0, SEEK_SET);
        char *buf;
        assert_int_equal(fs_read_fd(fd, 0, &buf, ret_len, &err), 0);
        close(fd);
        return buf;
}

static void read_back(store_read_fn read, image_lend_fn *lend, void *ud, size_t big)
{
        struct image_tar_reader *r;
        struct image_tar_entry e;
        struct box_err err = {0};
        char buf[65536];
        if (lend)
                assert_int_equal(image_tar_reader_new_lent(lend, ud, &r, &err), 0);
        else
                assert_int_equal(image_tar_reader_new(read, ud, &r, &err), 0);
        assert_int_equal(image_tar_reader_next(r, &e, &err), 1);
        assert_string_equal(e.path, "blobs/");
        assert_int_equal(e.type, IMAGE_TAR_DIR);
        assert_int_equal(image_tar_reader_next(r, &e, &err), 1);
        assert_string_equal(e.path, "manifest.json");
        assert_int_equal(image_tar_reader_read(r, buf, sizeof(buf), &err), 2);
        assert_memory_equal(buf, "[]", 2);
        assert_int_equal(image_tar_reader_next(r, &e, &err), 1);
        assert_string_equal(e.path, "blobs/big");
        assert_int_equal(e.size, (int64_t)big);
        size_t got = 0;
        ssize_t n;
        while ((n = image_tar_reader_read(r, buf, sizeof(buf), &err)) > 0) {
                for (ssize_t i = 0; i < n; i++)
                        assert_int_equal((unsigned char)buf[i], (unsigned char)((got + i) * 7));
                got += (size_t)n;
        }
        assert_int_equal(n, 0);
        assert_int_equal(got, big);
        assert_int_equal(image_tar_reader_next(r, &e, &err), 0);
        image_tar_reader_free(r);
}

static void test_round_trip(void **state)
{
        (void)state;
        size_t len, big = 3 * 1024 * 1024 + 17;
        char *a = make_archive(big, &len);
        struct mem m = {a, len, 0};
        read_back(mem_read, NULL, &m, big);
        /* through the read-ahead thread, smaller than its ring and larger
         * (so the ring wraps), copied out and lent in place */
        struct image_prefetch *p;
        struct box_err err = {0};
        for (int lend = 0; lend < 2; lend++) {
                m.off = 0;
                assert_int_equal(image_prefetch_new(mem_read, &m, &p, &err), 0);
                read_back(image_prefetch_read, lend ? image_prefetch_lend : NULL, p, big);
                image_prefetch_free(p);
        }
        free(a);
        a = make_archive(20u << 20, &len);
        for (int lend = 0; lend < 2; lend++) {
                m = (struct mem){a, len, 0};
                assert_int_equal(image_prefetch_new(mem_read, &m, &p, &err), 0);
                read_back(image_prefetch_read, lend ? image_prefetch_lend : NULL, p, 20u << 20);
                image_prefetch_free(p);
        }
        free(a);
}

/* A source of odd-sized reads, as from a pipe: runs end anywhere, so
 * headers straddle them and libarchive pieces some together. */
static ssize_t odd_read(void *ud, void *buf, size_t n, struct box_err *err)
{
        return mem_read(ud, buf, n < 4093 ? n : 4093, err);
}

/* image_prefetch_hold(): runs of an entry lent in place stay as they were
 * while held, though the ring wraps (the archive is larger than it) and
 * the reader goes on; given back in order, the read-ahead goes on too.
 * Fails if the producer overwrites a held run, or if it stalls. */
static void test_hold(void **state)
{
        (void)state;
        size_t len, big = 20u << 20;
        char *a = make_archive(big, &len);
        for (int odd = 0; odd < 2; odd++) {
                struct mem m = {a, len, 0};
                struct image_prefetch *p;
                struct image_tar_reader *r;
                struct image_tar_entry e;
                struct box_err err = {0};
                assert_int_equal(image_prefetch_new(odd ? odd_read : mem_read, &m, &p, &err), 0);
                assert_int_equal(image_tar_reader_new_lent(image_prefetch_lend, p, &r, &err), 0);
                for (int i = 0; i < 3; i++)
                        assert_int_equal(image_tar_reader_next(r, &e, &err), 1);
                assert_string_equal(e.path, "blobs/big");
                image_prefetch_hold(p, true);
                enum { KEEP = 4 };
                struct {
                        const char *p;
                        size_t n, at;
                } held[KEEP];
                size_t nheld = 0, got = 0, kept = 0;
                for (;;) {
                        const void *b;
                        ssize_t n = image_tar_reader_lend(r, 1u << 20, &b, &err);
                        assert_true(n >= 0);
                        if (nheld == KEEP || n == 0) {
                                /* the oldest still holds what it held */
                                for (size_t j = 0; j < held[0].n; j++)
                                        assert_int_equal((unsigned char)held[0].p[j],
                                                         (unsigned char)((held[0].at + j) * 7));
                                image_prefetch_release(p, held[0].p, held[0].n);
                                memmove(held, held + 1, --nheld * sizeof(held[0]));
                        }
                        if (n == 0 && nheld == 0)
                                break;
                        if (n == 0)
                                continue;
                        if (image_prefetch_owns(p, b, (size_t)n)) {
                                held[nheld].p = b;
                                held[nheld].n = (size_t)n;
                                held[nheld++].at = got;
                                kept += (size_t)n;
                        }
                        got += (size_t)n;
                }
                assert_int_equal(got, big);
                assert_true(kept > big / 2); /* most of it lent in place */
                image_prefetch_hold(p, false);
                assert_int_equal(image_tar_reader_next(r, &e, &err), 0);
                image_tar_reader_free(r);
                image_prefetch_free(p);
        }
        free(a);
}

static void test_truncated(void **state)
{
        (void)state;
        size_t len, big = 100000;
        char *a = make_archive(big, &len);
        struct mem m = {a, 2048 + 512 + 5000, 0}; /* inside blobs/big */
        struct image_tar_reader *r;
        struct image_tar_entry e;
        struct box_err err = {0};
        char buf[65536];
        assert_int_equal(image_tar_reader_new(mem_read, &m, &r, &err), 0);
        assert_int_equal(image_tar_reader_next(r, &e, &err), 1);
        assert_int_equal(image_tar_reader_next(r, &e, &err), 1);
        assert_int_equal(image_tar_reader_next(r, &e, &err), 1);
        ssize_t n;
        while ((n = image_tar_reader_read(r, buf, sizeof(buf), &err)) > 0)
                ;
        assert_true(n < 0);
        assert_non_null(strstr(err.msg, "truncated"));
        image_tar_reader_free(r);
        free(a);
}

static void test_not_an_archive(void **state)
{
        (void)state;
        char junk[4096];
        for (size_t i = 0; i < sizeof(junk); i++)
                junk[i] = (char)(i * 131 + 7);
        struct mem m = {junk, sizeof(junk), 0};
        struct image_tar_reader *r = NULL;
        struct box_err err = {0};
        assert_true(image_tar_reader_new(mem_read, &m, &r, &err) < 0);
        assert_string_equal(err.msg, "unrecognized archive format");
}

/* One ustar header for a symbolic link NAME -> LINK, then the end. */
static size_t symlink_archive(char *out, size_t n, const char *name, const char *link)
{
        assert_true(n >= 1536);
        memset(out, 0, 1536);
        snprintf(out, 100, "%s", name);
        memcpy(out + 100, "0000777", 7);
        memcpy(out + 108, "0000000", 7);
        memcpy(out + 116, "0000000", 7);
        memcpy(out + 124, "00000000000", 11);
        memcpy(out + 136, "00000000000", 11);
        out[156] = '2';
        snprintf(out + 157, 100, "%s", link);
        memcpy(out + 257, "ustar\00000", 8);
        memset(out + 148, ' ', 8);
        unsigned sum = 0;
        for (int i = 0; i < 512; i++)
                sum += (unsigned char)out[i];
        snprintf(out + 148, 8, "%06o", sum);
        return 1536;
}

/* Found by fuzz-archive (tests/fuzz/regress-archive/symlink-without-target.tar):
 * libarchive gives NULL for an empty link target, and `box load`
 * dereferenced it (SIGSEGV).  The reader now refuses such an entry. */
static void test_symlink_without_target(void **state)
{
        (void)state;
        char a[1536];
        struct mem m = {a, symlink_archive(a, sizeof(a), "s", ""), 0};
        struct image_tar_reader *r;
        struct image_tar_entry e;
        struct box_err err = {0};
        assert_int_equal(image_tar_reader_new(mem_read, &m, &r, &err), 0);
        assert_true(image_tar_reader_next(r, &e, &err) < 0);
        assert_string_equal(err.msg, "entry 's': symbolic link without a target");
        image_tar_reader_free(r);

        /* and what crashed: loading it as an image archive */
        char root[] = "/tmp/box-unit-store-XXXXXX";
        assert_non_null(mkdtemp(root));
        struct store *st;
        assert_int_equal(store_open(root, &st, &err), 0);
        struct image_loaded *v = NULL;
        size_t nv = 0;
        m.off = 0;
        assert_true(image_load_archive(st, mem_read, &m, NULL, &v, &nv, &err) < 0);
        assert_non_null(strstr(err.msg, "symbolic link without a target"));
        store_close(st);
        fs_rm_rf(root, NULL);

        /* a link with a target still reads */
        m = (struct mem){a, symlink_archive(a, sizeof(a), "s", "t"), 0};
        assert_int_equal(image_tar_reader_new(mem_read, &m, &r, &err), 0);
        assert_int_equal(image_tar_reader_next(r, &e, &err), 1);
        assert_int_equal(e.type, IMAGE_TAR_SYMLINK);
        assert_string_equal(e.link, "t");
        image_tar_reader_free(r);
}

/* An old GNU sparse entry NAME: DATA at offset 0, then a hole up to
 * REALSIZE (base-256 in the header), then the end of the archive. */
static size_t sparse_archive(char *out, size_t n, const char *name, const char *data,
                             uint64_t realsize)
{
        size_t len = strlen(data);
        assert_true(len <= 512 && n >= 2048);
        memset(out, 0, 2048);
        snprintf(out, 100, "%s", name);
        memcpy(out + 100, "0000644", 7);
        memcpy(out + 108, "0000000", 7);
        memcpy(out + 116, "0000000", 7);
        snprintf(out + 124, 12, "%011zo", len);
        memcpy(out + 136, "14524770400", 11);
        out[156] = 'S';
        memcpy(out + 257, "ustar  ", 8);
        memcpy(out + 386, "00000000000", 11);   /* sp[0].offset */
        snprintf(out + 398, 12, "%011zo", len); /* sp[0].numbytes */
        out[483] = (char)0x80;                  /* realsize, base-256 */
        for (int i = 0; i < 8; i++)
                out[487 + i] = (char)(realsize >> (56 - 8 * i));
        memset(out + 148, ' ', 8);
        unsigned sum = 0;
        for (int i = 0; i < 512; i++)
                sum += (unsigned char)out[i];
        snprintf(out + 148, 8, "%06o", sum);
        memcpy(out + 512, data, len);
        return 2048;
}

/* Found by fuzz-archive (tests/fuzz/regress-archive/gnu-size-beyond-data.tar,
 * sparse-bomb.tar): archive_read_data() fills a sparse entry's holes with
 * zeros up to the size its header claims, so 2 KiB of archive read as
 * 2^60 bytes: `box load` of a docker-archive whose layer.tar was such an
 * entry hashed and wrote zeros to disk until it was full.  The reader now
 * refuses a hole after handing out the data the entry holds. */
static void test_sparse_entry(void **state)
{
        (void)state;
        char a[2048], buf[65536];
        struct mem m = {a, sparse_archive(a, sizeof(a), "layer.tar", "hi\n", 1ULL << 60), 0};
        struct image_tar_reader *r;
        struct image_tar_entry e;
        struct box_err err = {0};
        assert_int_equal(image_tar_reader_new(mem_read, &m, &r, &err), 0);
        assert_int_equal(image_tar_reader_next(r, &e, &err), 1);
        assert_string_equal(e.path, "layer.tar");
        ssize_t n;
        size_t got = 0;
        while ((n = image_tar_reader_read(r, buf, sizeof(buf), &err)) > 0 && got < (1u << 20))
                got += (size_t)n;
        assert_true(n < 0);
        assert_int_equal(got, 3);
        assert_string_equal(err.msg, "a sparse file, or a size beyond its data");
        image_tar_reader_free(r);

        /* the same entry without a hole reads as it is */
        m = (struct mem){a, sparse_archive(a, sizeof(a), "f", "hi\n", 3), 0};
        assert_int_equal(image_tar_reader_new(mem_read, &m, &r, &err), 0);
        assert_int_equal(image_tar_reader_next(r, &e, &err), 1);
        assert_int_equal(image_tar_reader_read(r, buf, sizeof(buf), &err), 3);
        assert_memory_equal(buf, "hi\n", 3);
        assert_int_equal(image_tar_reader_read(r, buf, sizeof(buf), &err), 0);
        assert_int_equal(image_tar_reader_next(r, &e, &err), 0);
        image_tar_reader_free(r);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_round_trip),
                cmocka_unit_test(test_hold),
                cmocka_unit_test(test_truncated),
                cmocka_unit_test(test_not_an_archive),
                cmocka_unit_test(test_symlink_without_target),
                cmocka_unit_test(test_sparse_entry),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
