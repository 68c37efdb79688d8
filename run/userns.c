/* User namespaces: id maps, and the container's root as a detached mount
 * built in box (see run_rootfs_detached in run/run-internal.h). */
#include <fcntl.h>
#include <inttypes.h>
#include <linux/mount.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "lib/fs.h"
#include "lib/xalloc.h"
#include "run/run-internal.h"

int64_t run_idmap_host(const struct run_idmap *map, size_t n, uint32_t id)
{
        for (size_t i = 0; i < n; i++)
                if (id >= map[i].container && id - map[i].container < map[i].count)
                        return (int64_t)map[i].host + (id - map[i].container);
        return -1;
}

int run_idmap_parse(const char *s, struct run_idmap *ret, struct box_err *err)
{
        unsigned long long c, h, n;
        char tail;
        if (sscanf(s, "%llu:%llu:%llu%c", &c, &h, &n, &tail) != 3 || n == 0 || c > UINT32_MAX ||
            h > UINT32_MAX || n > UINT32_MAX || c + n > (1ULL << 32) || h + n > (1ULL << 32))
                return box_err_set(err, EINVAL, "invalid id map '%s': want CONTAINER:HOST:COUNT",
                                   s);
        *ret = (struct run_idmap){(uint32_t)c, (uint32_t)h, (uint32_t)n};
        return 0;
}

int64_t run_idmap_container(const struct run_idmap *map, size_t n, uint32_t id)
{
        for (size_t i = 0; i < n; i++)
                if (id >= map[i].host && id - map[i].host < map[i].count)
                        return (int64_t)map[i].container + (id - map[i].host);
        return -1;
}

int run_idmap_write(pid_t pid, const char *file, const struct run_idmap *map, size_t n)
{
        struct buf b = {0};
        for (size_t i = 0; i < n; i++)
                buf_printf(&b, "%u %u %u\n", map[i].container, map[i].host, map[i].count);
        _cleanup_free_ char *p = xasprintf("/proc/%d/%s", (int)pid, file);
        _cleanup_close_ int fd = open(p, O_WRONLY | O_CLOEXEC);
        int r = fd < 0 ? -errno : fs_write_full(fd, b.data, b.len);
        buf_release(&b);
        return r;
}

int run_userns_open(const struct run_spec *spec, int *ret_fd, struct box_err *err)
{
        int go[2];
        if (pipe2(go, O_CLOEXEC) < 0)
                return box_err_errno(err, errno, "pipe");
        /* a child born in the new namespace holds it while its maps are
         * written and it is opened; it only waits for the pipe to close */
        pid_t pid = (pid_t)syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, NULL, NULL, NULL, 0);
        if (pid == 0) {
                char c;
                close(go[1]);
                (void)!read(go[0], &c, 1);
                _exit(0);
        }
        close(go[0]);
        int r = pid < 0 ? -errno : 0;
        if (r >= 0)
                r = run_idmap_write(pid, "uid_map", spec->uid_map, spec->n_uid_map);
        if (r >= 0)
                r = run_idmap_write(pid, "gid_map", spec->gid_map, spec->n_gid_map);
        int fd = -EBADF;
        if (r >= 0) {
                _cleanup_free_ char *p = xasprintf("/proc/%d/ns/user", (int)pid);
                fd = open(p, O_RDONLY | O_CLOEXEC);
                if (fd < 0)
                        r = -errno;
        }
        close(go[1]);
        if (pid > 0)
                (void)RETRY_EINTR(waitpid(pid, NULL, 0));
        if (r < 0)
                return box_err_errno(err, -r, "user namespace of the container's id maps");
        *ret_fd = fd;
        return 0;
}

/* An idmapped clone of the tree at PATH (under DIRFD). */
static int idmapped_tree(int dirfd, const char *path, int userns_fd, bool recursive, int *ret_fd,
                         struct box_err *err)
{
        unsigned flags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (recursive ? AT_RECURSIVE : 0);
        int fd = (int)syscall(SYS_open_tree, dirfd, path, flags);
        if (fd < 0)
                return box_err_errno(err, errno, "clone '%s'", path);
        struct mount_attr attr = {.attr_set = MOUNT_ATTR_IDMAP, .userns_fd = (uint64_t)userns_fd};
        if (syscall(SYS_mount_setattr, fd, "", AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0),
                    &attr, sizeof(attr)) < 0) {
                int e = errno;
                close(fd);
                return box_err_errno(err, e, "idmap '%s'", path);
        }
        *ret_fd = fd;
        return 0;
}

static int finish_overlay(const struct run_spec *spec, int fs, int *ret_fd, struct box_err *err);

int run_rootfs_detached(const struct run_spec *spec, int userns_fd, int *ret_fd,
                        struct box_err *err)
{
        int r;
        if (spec->rootfs)
                return idmapped_tree(AT_FDCWD, spec->rootfs, userns_fd, true, ret_fd, err);

        _cleanup_close_ int base = open(spec->base_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (base < 0)
                return box_err_errno(err, errno, "open '%s'", spec->base_dir);
        _cleanup_close_ int fs = (int)syscall(SYS_fsopen, "overlay", FSOPEN_CLOEXEC);
        if (fs < 0)
                return box_err_errno(err, errno, "fsopen overlay");
        /* "lowerdir+" takes each layer by fd (topmost first): no page-size
         * limit on the option string either.  The fds stay open until the
         * overlay exists: closing the last fd of a detached mount unmounts it. */
        size_t n = 0;
        while (spec->lowerdirs && spec->lowerdirs[n])
                n++;
        _cleanup_free_ int *layers = xnew(int, n ? n : 1);
        size_t opened = 0;
        r = 0;
        for (size_t i = 0; i < n && r >= 0; i++) {
                r = idmapped_tree(base, spec->lowerdirs[i], userns_fd, false, &layers[i], err);
                if (r < 0)
                        break;
                opened++;
                if (syscall(SYS_fsconfig, fs, FSCONFIG_SET_FD, "lowerdir+", NULL, layers[i]) < 0)
                        r = run_fsconfig_error(fs, err, "lowerdir");
        }
        if (r >= 0)
                r = finish_overlay(spec, fs, ret_fd, err);
        for (size_t i = 0; i < opened; i++)
                close(layers[i]);
        return r;
}

static int finish_overlay(const struct run_spec *spec, int fs, int *ret_fd, struct box_err *err)
{
        _cleanup_free_ char *upper = xasprintf("%s/upper", spec->state_dir);
        _cleanup_free_ char *work = xasprintf("%s/work", spec->state_dir);
        return run_overlay_fsmount(spec, fs, upper, work, ret_fd, err);
}
