/* Where a container's mounts may go.  The CLI checks each target as
 * written; the container's process checks it again as the mount will
 * resolve it inside the new root, so a symlink in the image (/x -> /proc)
 * cannot lead a volume where its target's content is the kernel's. */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>

#include "lib/syscall.h"
#include "lib/xalloc.h"
#include "run/run-internal.h"

/* The files of /proc that runc lets a bind cover (what lxcfs emulates). */
static const char *const proc_bind_files[] = {
        "/proc/cpuinfo", "/proc/diskstats",
        "/proc/meminfo", "/proc/stat",
        "/proc/swaps",   "/proc/uptime",
        "/proc/loadavg", "/proc/slabinfo",
        "/proc/net/dev", "/proc/sys/kernel/ns_last_pid",
};

/* Is PATH DIR or below it? */
static bool path_under(const char *path, const char *dir)
{
        size_t n = strlen(dir);
        return strneq(path, dir, n) && (path[n] == '\0' || path[n] == '/');
}

int run_mount_target_check(enum run_mount_type type, const char *target, struct box_err *err)
{
        if (!target || target[0] != '/')
                return box_err_set(err, EINVAL, "invalid mount target '%s': not an absolute path",
                                   strempty(target));
        if (streq(target, "/"))
                return box_err_set(err, EINVAL,
                                   "invalid mount target '/': destination can't be '/'");
        if (path_under(target, "/proc")) {
                for (size_t i = 0; type == RUN_MOUNT_BIND && i < ARRAY_SIZE(proc_bind_files); i++)
                        if (streq(target, proc_bind_files[i]))
                                return 0;
                return box_err_set(err, EINVAL, "invalid mount target '%s': it is inside /proc",
                                   target);
        }
        if (type == RUN_MOUNT_VOLUME && (path_under(target, "/sys") || path_under(target, "/dev")))
                return box_err_set(err, EINVAL,
                                   "invalid mount target '%s': a volume cannot go inside %s, "
                                   "whose files are the kernel's",
                                   target, path_under(target, "/sys") ? "/sys" : "/dev");
        return 0;
}

/* Where FD is, as the kernel names it (NULL when it cannot say). */
static char *fd_location(int fd)
{
        char link[64], buf[PATH_MAX];
        snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
        ssize_t n = readlink(link, buf, sizeof(buf) - 1);
        if (n <= 0 || (size_t)n >= sizeof(buf) - 1)
                return NULL;
        buf[n] = '\0';
        return xstrdup(buf);
}

int run_mount_target_check_at(int rootfd, const struct run_mount *m, struct box_err *err)
{
        if (!m->target || m->target[0] != '/')
                return run_mount_target_check(m->type, m->target, err);
        _cleanup_free_ char *root = fd_location(rootfd);
        if (!root)
                return box_err_set(err, EIO, "cannot name the container's root");
        size_t rlen = streq(root, "/") ? 0 : strlen(root);

        /* the longest part of the target that exists: the rest is made
         * below it as plain directories, never through a symlink */
        _cleanup_free_ char *prefix = xstrdup(m->target);
        _cleanup_close_ int fd = -EBADF;
        for (;;) {
                const char *rel = prefix;
                while (*rel == '/')
                        rel++;
                fd = *rel ? openat_in_root(rootfd, rel, O_PATH, 0)
                          : fcntl(rootfd, F_DUPFD_CLOEXEC, 3);
                if (fd >= 0)
                        break;
                if (errno != ENOENT || !*rel)
                        return 0; /* the mount itself fails, and says why */
                *strrchr(prefix, '/') = '\0';
        }
        const char *rest = m->target + strlen(prefix);
        _cleanup_free_ char *where = fd_location(fd);
        if (!where || !strneq(where, root, rlen) || (where[rlen] != '\0' && where[rlen] != '/'))
                return box_err_set(err, EXDEV,
                                   "mount target '%s' resolves outside the container's root",
                                   m->target);
        _cleanup_free_ char *resolved = xasprintf("%s%s", where + rlen, rest);
        if (!*resolved) {
                free(resolved);
                resolved = xstrdup("/");
        }
        int r = run_mount_target_check(m->type, resolved, err);
        if (r < 0 && !streq(resolved, m->target))
                return box_err_prefix(err, "mount target '%s' resolves to '%s' in the image",
                                      m->target, resolved);
        return r;
}
