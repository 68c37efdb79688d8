/* File names are bytes: a tree whose names are not ASCII, not UTF-8 or not
 * in any normal form packs to the same layer and unpacks to the same bytes
 * whatever the process's locale (C, C.UTF-8, a Latin-1 one), and a layer
 * written as Go's archive/tar writes one (Docker, Podman: raw bytes in pax
 * records, no hdrcharset) unpacks to its bytes too. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <dirent.h>
#include <fcntl.h>
#include <locale.h>
#include <sys/stat.h>

#include "lib/fs.h"
#include "lib/xalloc.h"
#include "store/store.h"
#include "tests/unit/tar-build.h"

static char root[] = "/tmp/box-unit-names-XXXXXX";
static struct store *st, *st2;
static char *latin1; /* a Latin-1 locale made with localedef, or NULL */

static const char *const names[] = {
        "\xc3\xa9",                 /* é, composed (NFC) */
        "e\xcc\x81",                /* é, decomposed (NFD): a UTF-8 locale would compose it */
        "\xe9",                     /* é in Latin-1: not UTF-8 */
        "\xe2\x84\xaa",             /* KELVIN SIGN, whose NFC is 'K' */
        "\xcd\xbe",                 /* GREEK QUESTION MARK, whose NFC is ';' */
        "\xc0\xaf",                 /* an overlong '/' */
        "\xed\xa0\xbd\xed\xb8\x80", /* CESU-8 surrogates */
        "tab\there",
};

/* 100 times "é": 200 bytes, more than a ustar name field holds */
static char *long_name(void)
{
        struct buf b = {0};
        for (int i = 0; i < 100; i++)
                buf_puts(&b, "\xc3\xa9");
        return buf_steal(&b);
}

static int setup(void **state)
{
        (void)state;
        if (!mkdtemp(root))
                return -1;
        char *r1 = xasprintf("%s/s1", root), *r2 = xasprintf("%s/s2", root);
        int r = store_open(r1, &st, NULL);
        if (r >= 0)
                r = store_open(r2, &st2, NULL);
        free(r1);
        free(r2);
        /* a Latin-1 locale of our own: none is installed on a minimal host */
        char *dir = xasprintf("%s/locales", root);
        char *cmd = xasprintf("localedef -i fr_FR -f ISO-8859-1 %s/fr_FR.ISO-8859-1 "
                              ">/dev/null 2>&1",
                              dir);
        if (mkdir(dir, 0755) == 0 && system(cmd) == 0) {
                setenv("LOCPATH", dir, 1);
                latin1 = "fr_FR.ISO-8859-1";
        }
        free(cmd);
        free(dir);
        return r;
}

static int teardown(void **state)
{
        (void)state;
        setlocale(LC_ALL, "C");
        store_close(st);
        store_close(st2);
        return fs_rm_rf(root, NULL);
}

static void put(int dfd, const char *name, const char *data)
{
        int fd = openat(dfd, name, O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC, 0644);
        assert_true(fd >= 0);
        assert_int_equal(fs_write_full(fd, data, strlen(data)), 0);
        close(fd);
}

static char *make_tree(const char *tag)
{
        char *d = xasprintf("%s/s1/tmp/tree-%s", root, tag);
        assert_int_equal(mkdir(d, 0755), 0);
        int dfd = open(d, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        assert_true(dfd >= 0);
        for (size_t i = 0; i < ARRAY_SIZE(names); i++)
                put(dfd, names[i], names[i]);
        char *ln = long_name();
        assert_int_equal(mkdirat(dfd, ln, 0755), 0);
        char *inner = xasprintf("%s/\xe9", ln);
        put(dfd, inner, "deep");
        assert_int_equal(symlinkat("\xe9/\xc3\xa9", dfd, "lnk"), 0);
        assert_int_equal(linkat(dfd, "\xc3\xa9", dfd, "hl-\xe9", 0), 0);
        free(inner);
        free(ln);
        close(dfd);
        return d;
}

/* Every name of the tree is in layer DIFF_ID of store S, as bytes. */
static void check_layer(struct store *s, const char *diff_id)
{
        char *l = store_layer_path(s, diff_id);
        int dfd = open(l, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        assert_true(dfd >= 0);
        struct stat a, b;
        for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
                if (fstatat(dfd, names[i], &a, AT_SYMLINK_NOFOLLOW) < 0)
                        fail_msg("name %zu missing from the layer", i);
                assert_true(S_ISREG(a.st_mode));
        }
        char *ln = long_name();
        char *inner = xasprintf("%s/\xe9", ln);
        assert_int_equal(fstatat(dfd, inner, &a, AT_SYMLINK_NOFOLLOW), 0);
        char target[64] = {0};
        assert_int_equal(readlinkat(dfd, "lnk", target, sizeof(target) - 1), 4);
        assert_string_equal(target, "\xe9/\xc3\xa9");
        assert_int_equal(fstatat(dfd, "hl-\xe9", &a, 0), 0);
        assert_int_equal(fstatat(dfd, "\xc3\xa9", &b, 0), 0);
        assert_int_equal(a.st_ino, b.st_ino);
        /* nothing else: no name was rewritten into another */
        int n = 0;
        DIR *d = fdopendir(dfd);
        assert_non_null(d);
        struct dirent *de;
        while ((de = readdir(d)))
                if (!streq(de->d_name, ".") && !streq(de->d_name, ".."))
                        n++;
        closedir(d);
        assert_int_equal(n, (int)ARRAY_SIZE(names) + 3);
        free(inner);
        free(ln);
        free(l);
}

static ssize_t fd_read(void *ud, void *buf, size_t n, struct box_err *err)
{
        (void)err;
        return read(*(int *)ud, buf, n);
}

static void test_pack_any_locale(void **state)
{
        (void)state;
        const char *locales[] = {"C", "C.UTF-8", latin1};
        digest_str first = "";
        for (size_t i = 0; i < ARRAY_SIZE(locales); i++) {
                if (!locales[i])
                        continue;
                assert_non_null(setlocale(LC_ALL, locales[i]));
                char *tag = xasprintf("%zu", i);
                char *d = make_tree(tag);
                struct store_layer_info info;
                struct box_err err = {0};
                struct store_layer_pack_opts o = {.clamp_mtime = 1000};
                if (store_layer_pack_dir(st, d, &o, &info, &err) < 0)
                        fail_msg("pack in %s: %s", locales[i], err.msg);
                if (!first[0])
                        memcpy(first, info.diff_id, sizeof(first));
                /* the locale changes no byte of the layer */
                assert_string_equal(first, info.diff_id);
                check_layer(st, info.diff_id);

                /* and the blob unpacks, in this locale, to the same names */
                int fd;
                assert_int_equal(store_blob_open(st, info.digest, &fd, &err), 0);
                struct store_layer_info u;
                struct store_layer_unpack_opts uo = {.expect_diff_id = info.diff_id};
                if (store_layer_unpack(st2, fd_read, &fd, &uo, &u, &err) < 0)
                        fail_msg("unpack in %s: %s", locales[i], err.msg);
                close(fd);
                check_layer(st2, u.diff_id);
                char *l2 = store_layer_path(st2, u.diff_id);
                assert_int_equal(fs_rm_rf(l2, NULL), 0);
                free(l2);
                free(d);
                free(tag);
        }
        setlocale(LC_ALL, "C");
}

/* A layer as Go's archive/tar writes it: names that are not ASCII go in
 * pax "path"/"linkpath" records as raw bytes, with no hdrcharset. */
static void go_style_layer(struct buf *b)
{
        char *ln = long_name();
        for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
                struct buf rec = {0};
                tb_pax_record(&rec, "path", names[i], strlen(names[i]));
                tb_pax(b, &rec);
                tb_header(b, "ascii-placeholder", '0', strlen(names[i]), NULL, 0644);
                tb_data(b, names[i], strlen(names[i]));
                buf_release(&rec);
        }
        struct buf rec = {0};
        char *dir = xasprintf("%s/", ln);
        tb_pax_record(&rec, "path", dir, strlen(dir));
        tb_pax(b, &rec);
        tb_header(b, "placeholder/", '5', 0, NULL, 0755);
        buf_release(&rec);
        char *inner = xasprintf("%s/\xe9", ln);
        tb_pax_record(&rec, "path", inner, strlen(inner));
        tb_pax(b, &rec);
        tb_header(b, "placeholder2", '0', 4, NULL, 0644);
        tb_data(b, "deep", 4);
        buf_release(&rec);
        tb_pax_record(&rec, "linkpath", "\xe9/\xc3\xa9", 4);
        tb_pax(b, &rec);
        /* Go's ustar fields keep only the ASCII of a name: a link to a
         * non-ASCII target has an empty linkname field */
        tb_header(b, "lnk", '2', 0, NULL, 0777);
        buf_release(&rec);
        tb_pax_record(&rec, "path", "hl-\xe9", 4);
        tb_pax_record(&rec, "linkpath", "\xc3\xa9", 2);
        tb_pax(b, &rec);
        tb_header(b, "hl", '1', 0, NULL, 0644);
        buf_release(&rec);
        tb_end(b);
        free(inner);
        free(dir);
        free(ln);
}

static void test_unpack_go_layer_any_locale(void **state)
{
        (void)state;
        struct buf b = {0};
        go_style_layer(&b);
        const char *locales[] = {"C", "C.UTF-8", latin1};
        digest_str first = "";
        for (size_t i = 0; i < ARRAY_SIZE(locales); i++) {
                if (!locales[i])
                        continue;
                assert_non_null(setlocale(LC_ALL, locales[i]));
                struct tb_mem m = {b.data, b.len, 0};
                struct store_layer_info u;
                struct box_err err = {0};
                if (store_layer_unpack(st2, tb_mem_read, &m, NULL, &u, &err) < 0)
                        fail_msg("unpack in %s: %s", locales[i], err.msg);
                if (!first[0])
                        memcpy(first, u.diff_id, sizeof(first));
                assert_string_equal(first, u.diff_id);
                check_layer(st2, u.diff_id);
                char *l2 = store_layer_path(st2, u.diff_id);
                assert_int_equal(fs_rm_rf(l2, NULL), 0);
                free(l2);
        }
        setlocale(LC_ALL, "C");
        buf_release(&b);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_pack_any_locale),
                cmocka_unit_test(test_unpack_go_layer_any_locale),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
