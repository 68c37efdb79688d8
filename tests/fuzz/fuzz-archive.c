/* libFuzzer target for the archive readers, all on every input:
 *  - image/tar.c's entry reader (what `box load` walks an archive with);
 *  - store_layer_unpack(): the input as a layer blob, into a store;
 *  - store_archive_extract_fd(): the input as an ADD archive, into a
 *    directory;
 *  - image_load_archive(): the input as a docker-archive or oci-archive
 *    (manifest.json, index.json, configs, layers), into the store;
 *  - image_load_dir(): the tree extracted above as an OCI layout.
 *
 * Each input gets a fresh directory, removed afterwards.  Containment is
 * checked after every step: the store holds only what a store holds, the
 * extraction directory's parent gains nothing, and the work directory is
 * empty once the input's directory is gone.  A layer's blob digest must be
 * the digest of every byte of the input.  Any breach aborts.
 *
 * Where it may (root), the target first moves into its own mount namespace
 * and mounts a small nodev tmpfs over /dev/shm there, its work directory
 * inside: a decompression bomb then fills 512 MiB, not the machine's
 * memory, no device node an input creates can be opened, nothing is left
 * behind at exit (even after a crash), and /dev/shm must hold nothing but
 * the work directory after every input. */
#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image/load.h"
#include "image/tar.h"
#include "lib/fs.h"
#include "lib/sha256.h"
#include "lib/xalloc.h"
#include "spec/ref.h"
#include "store/store.h"

static char work[] = "/dev/shm/box-fuzz-archive-XXXXXX";
static int workfd = -1;
static int own_mount;

static void die(const char *fmt, const char *arg)
{
        fprintf(stderr, "fuzz-archive: ");
        fprintf(stderr, fmt, arg);
        fprintf(stderr, "\n");
        abort();
}

/* FUZZ_ARCHIVE_VERBOSE=1: what each reader said, to check the seeds reach
 * where they should */
static int verbose;

/* Also the check for a reader that blocks: nothing here raises signals
 * but libFuzzer's -timeout alarm, which turns a read or open that would
 * wait forever (a FIFO, say) into EINTR. */
static void note(const char *step, int r, const struct box_err *err)
{
        if (verbose)
                fprintf(stderr, "  %-8s %s\n", step, r < 0 ? err->msg : "ok");
        if (r < 0 && err->code == EINTR)
                die("blocked until interrupted: %s", err->msg);
}

static void cleanup(void)
{
        fs_rm_rf_at(workfd, "in", NULL);
        close(workfd);
        rmdir(work);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
        (void)argc;
        (void)argv;
        if (unshare(CLONE_NEWNS) == 0 && mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0 &&
            mount("box-fuzz", "/dev/shm", "tmpfs", MS_NODEV | MS_NOSUID | MS_NOEXEC,
                  "size=512m,mode=0700") == 0)
                own_mount = 1;
        else /* at least no file larger than a bomb's worth */
                setrlimit(RLIMIT_FSIZE, &(struct rlimit){64 << 20, 64 << 20});
        if (!mkdtemp(work))
                die("mkdtemp: %s", strerror(errno));
        verbose = getenv("FUZZ_ARCHIVE_VERBOSE") != NULL;
        workfd = open(work, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (workfd < 0)
                die("open work directory: %s", strerror(errno));
        atexit(cleanup);
        fprintf(stderr, "fuzz-archive: working in %s%s\n", work,
                own_mount ? " (private tmpfs)" : "");
        return 0;
}

/* ---- the input as a stream ---- */

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

/* ---- containment checks ---- */

/* Every name in directory NAME under DIRFD must pass OK. */
static void check_dir(int dirfd, const char *name, int (*ok)(const char *))
{
        int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                die("'%s' is gone or not a directory", name);
        DIR *d = fdopendir(fd);
        struct dirent *de;
        while ((de = readdir(d)))
                if (!streq(de->d_name, ".") && !streq(de->d_name, "..") && !ok(de->d_name))
                        die("unexpected entry '%s'", de->d_name);
        closedir(d);
}

static int store_top(const char *n)
{
        static const char *const names[] = {"blobs",      "layers",    "l",          "tmp",
                                            "containers", "volumes",   "oci-layout", "index.json",
                                            "lock",       "index.lock"};
        for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
                if (streq(n, names[i]))
                        return 1;
        return 0;
}

static int hex64(const char *n)
{
        return spec_is_hex64(n);
}

static int only_sha256(const char *n)
{
        return streq(n, "sha256");
}

/* l/<12 hex>: the short names of layers */
static int hex12(const char *n)
{
        if (strlen(n) != 12)
                return 0;
        for (const char *c = n; *c; c++)
                if (!strchr("0123456789abcdef", *c))
                        return 0;
        return 1;
}

static int nothing(const char *n)
{
        (void)n;
        return 0;
}

static int is_work(const char *n)
{
        return streq(n, work + strlen("/dev/shm/"));
}

static int only_root(const char *n)
{
        return streq(n, "root");
}

static int only_store_and_x(const char *n)
{
        return streq(n, "store") || streq(n, "x");
}

static void check_store(int infd)
{
        check_dir(infd, ".", only_store_and_x);
        check_dir(infd, "store", store_top);
        check_dir(infd, "store/blobs", only_sha256);
        check_dir(infd, "store/blobs/sha256", hex64);
        check_dir(infd, "store/layers", hex64);
        check_dir(infd, "store/l", hex12);
        check_dir(infd, "store/tmp", nothing);
        check_dir(infd, "store/containers", nothing);
        check_dir(infd, "store/volumes", nothing);
        check_dir(infd, "x", only_root);
}

/* ---- the readers ---- */

static void read_entries(const uint8_t *data, size_t size)
{
        struct mem m = {(const char *)data, size, 0};
        struct image_tar_reader *r;
        struct image_tar_entry e;
        struct box_err err = {0};
        char buf[4096];

        int x = image_tar_reader_new(mem_read, &m, &r, &err);
        if (x < 0) {
                note("entries", x, &err);
                return;
        }
        while ((x = image_tar_reader_next(r, &e, &err)) > 0) {
                if (!e.path || (e.type == IMAGE_TAR_SYMLINK && !e.link))
                        die("entry without %s", e.path ? "a link target" : "a name");
                while (image_tar_reader_read(r, buf, sizeof(buf), &err) > 0)
                        ;
        }
        note("entries", x, &err);
        image_tar_reader_offset(r);
        image_tar_reader_free(r);
}

static void unpack_layer(struct store *st, const uint8_t *data, size_t size)
{
        struct mem m = {(const char *)data, size, 0};
        struct store_layer_unpack_opts o = {.save_blob = 1};
        struct store_layer_info info;
        struct box_err err = {0};
        digest_str want;

        int r = store_layer_unpack(st, mem_read, &m, &o, &info, &err);
        note("layer", r, &err);
        if (r < 0)
                return;
        sha256_buf(data, size, want);
        if (!streq(info.digest, want) || info.size != size)
                die("layer digest %s does not cover the input", info.digest);
        if (!store_layer_exists(st, info.diff_id) || !store_blob_exists(st, info.digest))
                die("layer %s unpacked but not in the store", info.diff_id);
}

static void extract(int infd, const uint8_t *data, size_t size)
{
        struct box_err err = {0};
        int fd = memfd_create("fuzz-archive", MFD_CLOEXEC);
        if (fd < 0 || fs_write_full(fd, data, size) < 0 || lseek(fd, 0, SEEK_SET) < 0)
                die("memfd: %s", strerror(errno));
        int destfd = openat(infd, "x/root", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (destfd < 0)
                die("open x/root: %s", strerror(errno));
        int r = store_archive_extract_fd(fd, destfd, &err);
        note("extract", r == 0 ? -1 : r, r == 0 ? &(struct box_err){.msg = "not a tar"} : &err);
        close(destfd);
        close(fd);
}

static void load(struct store *st, const uint8_t *data, size_t size, const char *layout)
{
        struct mem m = {(const char *)data, size, 0};
        struct image_loaded *v = NULL;
        size_t n = 0;
        struct box_err err = {0};
        int r = layout ? image_load_dir(st, layout, NULL, &v, &n, &err)
                       : image_load_archive(st, mem_read, &m, NULL, &v, &n, &err);
        note(layout ? "layout" : "archive", r, &err);
        if (r < 0)
                return;
        image_loaded_free(v, n);
        struct store_image *imgs;
        if (store_images_list(st, &imgs, &n, &err) < 0)
                die("index.json no longer reads after a load: %s", err.msg);
        store_images_free(imgs, n);
}

/* ---- mutation ---- */

/* libarchive is not instrumented, so libFuzzer cannot learn tar's header
 * checksum, and nearly every mutation of a header would die on it: after
 * each mutation, recompute the checksum of every 512-byte block that
 * carries the ustar magic (the outer archive's headers, and those of a
 * layer.tar stored inside it uncompressed). */
static void fix_checksums(uint8_t *data, size_t size)
{
        for (size_t off = 0; off + 512 <= size; off += 512) {
                uint8_t *h = data + off;
                if (memcmp(h + 257, "ustar", 5) != 0)
                        continue;
                unsigned sum = 0;
                for (size_t i = 0; i < 512; i++)
                        sum += i >= 148 && i < 156 ? ' ' : h[i];
                char field[8];
                snprintf(field, sizeof(field), "%06o", sum & 0777777);
                memcpy(h + 148, field, 7);
                h[155] = ' ';
        }
}

size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size);

size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed)
{
        (void)seed;
        size = LLVMFuzzerMutate(data, size, max_size);
        fix_checksums(data, size);
        return size;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct box_err err = {0};
        struct store *st;

        if (mkdirat(workfd, "in", 0700) < 0 || mkdirat(workfd, "in/x", 0700) < 0 ||
            mkdirat(workfd, "in/x/root", 0700) < 0)
                die("create work directory: %s", strerror(errno));
        int infd = openat(workfd, "in", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        char *root = xasprintf("%s/in/store", work);
        if (store_open(root, &st, &err) < 0)
                die("%s", err.msg);

        read_entries(data, size);
        unpack_layer(st, data, size);
        check_store(infd);
        extract(infd, data, size);
        check_store(infd);
        load(st, data, size, NULL);
        check_store(infd);
        char *layout = xasprintf("%s/in/x/root", work);
        load(st, data, size, layout);
        check_store(infd);

        free(layout);
        store_close(st);
        free(root);
        close(infd);
        if (fs_rm_rf_at(workfd, "in", &err) < 0)
                die("clean up: %s", err.msg);
        check_dir(workfd, ".", nothing);
        if (own_mount)
                check_dir(AT_FDCWD, "/dev/shm", is_work);
        return 0;
}
