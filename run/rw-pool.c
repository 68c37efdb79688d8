/* The pool of emptied writable layers (run/state.h).
 *
 * A foreground --rm container's writable layer, <root>/containers/.rw/<id>
 * with upper/ and work/, is not removed when the container ended without
 * leaving anything in it: its directories go into one of a few fixed slots,
 * containers/.rw/pool/<n>, and the next such container takes one by a
 * rename instead of making three directories.  On a file system that
 * allocates a directory's inode slowly (ext4 without a journal skips every
 * inode freed in the last minutes, reading each one) and discards a freed
 * block synchronously (mounted `discard`), those three mkdirs and rmdirs
 * were the largest part of a short container's start-to-exit.
 *
 * What keeps one container's layer from showing anything to the next:
 *  - put: only when the sandbox removed the container's cgroups (nothing
 *    of it runs) and its overlay's superblock is gone (run_spec's
 *    root_gone, told by an inotify watch on its root: a process outside
 *    the container, e.g. another container it passed a file descriptor of
 *    its root to over a socket in a shared volume, or a host process in
 *    its mount namespace, would keep it, and write through it into the
 *    next container's root), only an upper/ with no entry
 *    (a file the container wrote, or a whiteout of one it deleted, keeps the
 *    layer out), whose mode, owner, file flags and extended attributes are
 *    a fresh directory's (the overlay's root is upper/ itself: a chmod or a
 *    setfattr of "/" lands there); the overlay's own marks are cleared:
 *    its uuid attribute (each mount then gets a new one, as on a new
 *    layer) and work/work with the "volatile" mark overlayfs(5) refuses to
 *    mount again (moved aside, to be removed by the next container while
 *    it runs: each directory freed waits for its discard here);
 *  - take: the same checks again (a crash, or anyone with the store's
 *    permissions, may have left anything there), work/ empty, and the
 *    times of upper/ set to now, as a new directory's; a layer that fails
 *    is removed and the container gets new directories.
 * The ended container's two links (its name's and the store's, whose
 * targets are too long for ext4 to keep in the inode) are moved into its
 * layer too (run/state.c): with trash/ they are removed by the next
 * container that takes it, on a thread of its own while that container
 * starts and runs (run_rw_pool_sweep_start), so neither the way in nor the
 * way out of `box run` waits for a discard.
 * A rename is atomic: two containers never take one slot, and a put never
 * replaces a filled slot (RENAME_NOREPLACE); the pool never holds more
 * than RW_POOL_SLOTS layers.  `container prune` and `system prune` remove
 * it (run_state_prune_leftovers). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "lib/fs.h"
#include "lib/macro.h"
#include "lib/thread.h"
#include "lib/xalloc.h"
#include "run/state.h"

#define RW_POOL_SLOTS  4
#define RW_POOL_TRASH  "trash"
#define OVL_UUID_XATTR "trusted.overlay.uuid"

static char *pool_dir(const char *root)
{
        return xasprintf("%s/containers/" RUN_RW_DIR "/" RUN_RW_POOL, root);
}

/* Does directory FD hold no entry but "." and ".."? */
static bool dir_empty(int fd)
{
        char buf[512];
        ssize_t n = getdents64(fd, buf, sizeof(buf));
        if (n < 0)
                return false;
        for (ssize_t off = 0; off < n;) {
                struct dirent64 *de = (struct dirent64 *)(buf + off);
                if (!streq(de->d_name, ".") && !streq(de->d_name, ".."))
                        return false;
                off += de->d_reclen;
        }
        return true;
}

/* Is UPPER (an fd of rw/upper, RW of its parent) what a new directory made
 * by this process would be (run/state.c): empty, mode 0755, our owner,
 * one block at most, its parent's file flags, no extended attribute?
 * With CLEAR, the overlay's uuid attribute is removed first. */
static bool upper_pristine(int rw, int upper, bool clear)
{
        struct stat st;
        if (fstat(upper, &st) < 0 || !S_ISDIR(st.st_mode) || st.st_uid != geteuid() ||
            st.st_gid != getegid() || st.st_blocks > 8)
                return false;
        if ((st.st_mode & 07777) != 0755)
                return false;
        int fu = 0, fp = 0;
        bool have_u = ioctl(upper, FS_IOC_GETFLAGS, &fu) == 0;
        bool have_p = ioctl(rw, FS_IOC_GETFLAGS, &fp) == 0;
        if (have_u != have_p || fu != fp)
                return false;
        if (clear && fremovexattr(upper, OVL_UUID_XATTR) < 0 && errno != ENODATA &&
            errno != EOPNOTSUPP)
                return false;
        char names[1];
        ssize_t n = flistxattr(upper, names, 0);
        if (n != 0 && !(n < 0 && errno == EOPNOTSUPP))
                return false;
        return dir_empty(upper);
}

/* rw/work after the overlay's unmount: its work/work, which holds
 * incompat/volatile/dirty after a volatile mount, goes */
static bool clear_work(int work)
{
        static const char *const marks[] = {"work/incompat/volatile/dirty",
                                            "work/incompat/volatile", "work/incompat", "work"};
        for (size_t i = 0; i < ARRAY_SIZE(marks); i++)
                if (unlinkat(work, marks[i], i ? AT_REMOVEDIR : 0) < 0 && errno != ENOENT)
                        return fs_rm_rf_at(work, "work", NULL) >= 0;
        return true;
}

/* RW's upper/ and work/: pristine, with work/ (CLEAR: once emptied) empty */
static bool layer_check(const char *rw, bool clear)
{
        _cleanup_close_ int fd = open(rw, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return false;
        _cleanup_close_ int upper =
                openat(fd, "upper", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        _cleanup_close_ int work =
                openat(fd, "work", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (upper < 0 || work < 0 || !upper_pristine(fd, upper, clear))
                return false;
        /* the overlay's work/work (its volatile mark inside) out of the
         * way by a rename, for the next container to remove while it runs
         * (run_rw_pool_sweep): a discard per directory is a wait */
        if (clear && renameat2(work, "work", fd, RW_POOL_TRASH, RENAME_NOREPLACE) < 0 &&
            errno != ENOENT && !clear_work(work))
                return false;
        if (!dir_empty(work))
                return false;
        /* a new directory's times */
        return clear || futimens(upper, NULL) == 0;
}

bool run_rw_pool_take(const char *root, const char *rw)
{
        _cleanup_free_ char *pool = pool_dir(root);
        for (int i = 0; i < RW_POOL_SLOTS; i++) {
                _cleanup_free_ char *p = xasprintf("%s/%d", pool, i);
                if (renameat2(AT_FDCWD, p, AT_FDCWD, rw, RENAME_NOREPLACE) < 0) {
                        if (errno == ENOENT)
                                continue;
                        return false;
                }
                if (layer_check(rw, false))
                        return true;
                /* not what a put leaves: away with it, and new directories */
                (void)fs_rm_rf(rw, NULL);
                return false;
        }
        return false;
}

bool run_rw_pool_put(const char *root, const char *rw)
{
        if (!layer_check(rw, true))
                return false;
        _cleanup_free_ char *pool = pool_dir(root);
        bool made = false;
        for (int i = 0; i < RW_POOL_SLOTS; i++) {
                _cleanup_free_ char *p = xasprintf("%s/%d", pool, i);
                if (renameat2(AT_FDCWD, rw, AT_FDCWD, p, RENAME_NOREPLACE) == 0)
                        return true;
                if (errno == ENOENT && !made) {
                        /* the first put: the pool's directory */
                        made = true;
                        if (mkdir(pool, 0700) < 0 && errno != EEXIST)
                                return false;
                        i--;
                        continue;
                }
                if (errno != EEXIST && errno != ENOTEMPTY)
                        return false;
        }
        return false;
}

/* The sweep runs on a thread of its own from box's "go" to the
 * container's process (cli/cmd-run.c's on_go) to the container's end: box
 * clones the container from its main thread before that and nothing after,
 * but a clone copies every lock another thread holds, so this one takes none
 * anyway: it allocates nothing and only calls unlinkat(2) and read(2), and
 * it does not end (a thread's exit frees its resources under libc's locks)
 * until box releases it once the container has ended.  It blocks every
 * signal, so that box's signalfd still gets SIGCHLD and the signals it
 * forwards. */
struct run_rw_sweep {
        pthread_t thread;
        int rw;          /* the layer's directory */
        int release[2];  /* the thread ends at EOF on [0] */
        bool incomplete; /* it met something else there: run_rw_pool_sweep_finish's */
};

/* What a put leaves beside upper/ and work/, the deepest first: the two
 * links, and the old work/work of a volatile mount (RW_POOL_TRASH) */
static const char *const sweep_names[] = {
        RUN_RW_NAME_LINK,
        RUN_RW_STORE_LINK,
        RW_POOL_TRASH "/incompat/volatile/dirty",
        RW_POOL_TRASH "/incompat/volatile",
        RW_POOL_TRASH "/incompat",
        RW_POOL_TRASH,
};

static void *sweep_main(void *arg)
{
        struct run_rw_sweep *w = arg;
        for (size_t i = 0; i < ARRAY_SIZE(sweep_names); i++)
                if (unlinkat(w->rw, sweep_names[i], i > 2 ? AT_REMOVEDIR : 0) < 0 &&
                    errno != ENOENT)
                        w->incomplete = true;
        char c;
        while (read(w->release[0], &c, 1) < 0 && errno == EINTR)
                ;
        return NULL;
}

/* In line, the same and whatever else is there */
static void sweep_at(int rw)
{
        (void)unlinkat(rw, RUN_RW_NAME_LINK, 0);
        (void)unlinkat(rw, RUN_RW_STORE_LINK, 0);
        (void)fs_rm_rf_at(rw, RW_POOL_TRASH, NULL);
}

struct run_rw_sweep *run_rw_pool_sweep_start(const char *rw)
{
        _cleanup_close_ int fd = open(rw, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return NULL;
        struct run_rw_sweep *w = xnew0(struct run_rw_sweep, 1);
        w->rw = TAKE_FD(fd);
        if (pipe2(w->release, O_CLOEXEC) == 0) {
                if (thread_start(&w->thread, false, sweep_main, w) == 0)
                        return w;
                close(w->release[0]);
                close(w->release[1]);
        }
        /* no thread: in line, as before */
        sweep_at(w->rw);
        close(w->rw);
        free(w);
        return NULL;
}

void run_rw_pool_sweep_finish(struct run_rw_sweep *w)
{
        if (!w)
                return;
        close(w->release[1]);
        pthread_join(w->thread, NULL);
        close(w->release[0]);
        if (w->incomplete)
                sweep_at(w->rw);
        close(w->rw);
        free(w);
}

int run_rw_pool_clear(const char *root)
{
        _cleanup_free_ char *pool = pool_dir(root);
        int r = 0;
        /* each slot taken as a run takes it (whoever renames it first owns
         * it), under a fresh id: a crash here leaves a leftover that the
         * next prune removes */
        for (int i = 0; i < RW_POOL_SLOTS; i++) {
                char id[RUN_ID_LEN + 1];
                run_random_id(id);
                _cleanup_free_ char *p = xasprintf("%s/%d", pool, i);
                _cleanup_free_ char *t = xasprintf("%s/containers/" RUN_RW_DIR "/%s", root, id);
                if (renameat2(AT_FDCWD, p, AT_FDCWD, t, RENAME_NOREPLACE) < 0)
                        continue;
                int k = fs_rm_rf(t, NULL);
                if (k < 0 && r == 0)
                        r = k;
        }
        if (rmdir(pool) < 0 && errno != ENOENT && errno != ENOTEMPTY && r == 0)
                r = -errno;
        return r;
}
