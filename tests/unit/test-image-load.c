/* image/load.h: an OCI layout directory whose files are not regular files
 * is refused at once (found by fuzz-archive: a FIFO at index.json or at a
 * blob's path blocked `box load -i DIR` forever). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>

#include "image/load.h"
#include "lib/fs.h"
#include "lib/xalloc.h"

static char tmp[] = "/tmp/box-unit-load-XXXXXX";
static struct store *st;

static void on_alarm(int sig)
{
        (void)sig;
}

static int setup(void **state)
{
        (void)state;
        /* a load that blocks fails with EINTR after 5 s instead of hanging
         * the test run (no SA_RESTART) */
        sigaction(SIGALRM, &(struct sigaction){.sa_handler = on_alarm}, NULL);
        if (!mkdtemp(tmp))
                return -1;
        char *root = xasprintf("%s/store", tmp);
        int r = store_open(root, &st, NULL);
        free(root);
        return r;
}

static int teardown(void **state)
{
        (void)state;
        store_close(st);
        fs_rm_rf(tmp, NULL);
        return 0;
}

/* A layout under TMP/NAME: oci-layout, and INDEX as index.json (NULL: a
 * FIFO there) */
static char *layout(const char *name, const char *index)
{
        char *dir = xasprintf("%s/%s", tmp, name);
        int dfd;
        assert_int_equal(fs_mkdir_p(dir, 0700, NULL), 0);
        assert_true((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0);
        assert_int_equal(fs_mkdir_p_at(dfd, "blobs/sha256", 0700, NULL), 0);
        static const char ol[] = "{\"imageLayoutVersion\":\"1.0.0\"}";
        assert_int_equal(fs_write_atomic_at(dfd, "oci-layout", ol, sizeof(ol) - 1, 0644, NULL), 0);
        if (index)
                assert_int_equal(
                        fs_write_atomic_at(dfd, "index.json", index, strlen(index), 0644, NULL), 0);
        else
                assert_int_equal(mkfifoat(dfd, "index.json", 0644), 0);
        close(dfd);
        return dir;
}

static void test_fifo_index(void **state)
{
        (void)state;
        char *dir = layout("fifo-index", NULL);
        struct image_loaded *v = NULL;
        size_t n = 0;
        struct box_err err = {0};
        alarm(5);
        assert_true(image_load_dir(st, dir, NULL, &v, &n, &err) < 0);
        alarm(0);
        assert_string_equal(err.msg, "'index.json' in the layout is not a regular file");
        free(dir);
}

static void test_fifo_blob(void **state)
{
        (void)state;
        static const char hex[] =
                "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
        char *index = xasprintf("{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":"
                                "\"application/vnd.oci.image.manifest.v1+json\","
                                "\"digest\":\"sha256:%s\",\"size\":2}]}",
                                hex);
        char *dir = layout("fifo-blob", index);
        char *blob = xasprintf("%s/blobs/sha256/%s", dir, hex);
        assert_int_equal(mkfifo(blob, 0644), 0);
        struct image_loaded *v = NULL;
        size_t n = 0;
        struct box_err err = {0};
        alarm(5);
        assert_true(image_load_dir(st, dir, NULL, &v, &n, &err) < 0);
        alarm(0);
        assert_non_null(strstr(err.msg, "is not a regular file"));
        free(blob);
        free(dir);
        free(index);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_fifo_index),
                cmocka_unit_test(test_fifo_blob),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
