/* Building the container's root, top to bottom: the root itself, the
 * kernel file systems, /dev, the /etc files, the user's mounts; then
 * pivot_root; then the masked and read-only paths.  Every mount target is
 * resolved inside the new root (openat2 RESOLVE_IN_ROOT) and mounted on
 * its fd, so a symlink in the image can never point a mount outside the
 * root.  Binds use the new mount API end to end (open_tree, mount_setattr,
 * move_mount): a read-only bind is read-only with every submount before it
 * is attached, so nothing can race a later remount, and nothing is
 * re-resolved by path after the check. */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/vfs.h>
#include <linux/magic.h>
#include <linux/mount.h>

#include "lib/fs.h"
#include "lib/strv.h"
#include "lib/syscall.h"
#include "lib/xalloc.h"
#include "run/run-internal.h"

struct sys_mount {
        const char *source, *target, *fstype;
        unsigned long flags;
        const char *data;
};

/* The kernel file systems of every container (runtime-spec defaults). */
static const struct sys_mount default_mounts[] = {
        {"proc", "/proc", "proc", MS_NOSUID | MS_NOEXEC | MS_NODEV, NULL},
        {"tmpfs", "/dev", "tmpfs", MS_NOSUID | MS_STRICTATIME, "mode=755,size=65536k"},
        {"devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC,
         "newinstance,ptmxmode=0666,mode=0620,gid=5"},
        {"shm", "/dev/shm", "tmpfs", MS_NOSUID | MS_NOEXEC | MS_NODEV, "mode=1777,size=65536k"},
        {"mqueue", "/dev/mqueue", "mqueue", MS_NOSUID | MS_NOEXEC | MS_NODEV, NULL},
        {"sysfs", "/sys", "sysfs", MS_NOSUID | MS_NOEXEC | MS_NODEV | MS_RDONLY, NULL},
};

struct dev_node {
        const char *name;
        unsigned major, minor;
};

/* The device nodes every container gets (also the cgroup allow-list). */
static const struct dev_node default_devices[] = {
        {"null", 1, 3},   {"zero", 1, 5},    {"full", 1, 7},
        {"random", 1, 8}, {"urandom", 1, 9}, {"tty", 5, 0},
};

static const struct {
        const char *name, *target;
} default_dev_links[] = {
        {"fd", "/proc/self/fd"},       {"stdin", "/proc/self/fd/0"}, {"stdout", "/proc/self/fd/1"},
        {"stderr", "/proc/self/fd/2"}, {"ptmx", "pts/ptmx"},         {"core", "/proc/kcore"},
};

/* Docker's masked paths: files get /dev/null, directories an empty
 * read-only tmpfs.  Docker also masks each
 * /sys/devices/system/cpu/cpuN/thermal_throttle (mask_cpu_thermal).
 * podman's two more: /sys/dev/block (links naming the host's block devices
 * and where they sit) and /sys/fs/selinux. */
static const char *const masked_paths[] = {
        "/proc/asound",     "/proc/acpi",        "/proc/interrupts",
        "/proc/kcore",      "/proc/keys",        "/proc/latency_stats",
        "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug",
        "/proc/scsi",       "/sys/firmware",     "/sys/devices/virtual/powercap",
        "/sys/dev/block",   "/sys/fs/selinux",
};

static const char *const readonly_paths[] = {
        "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
};

#define FD_PATH_MAX 32
static const char *fd_path(char buf[FD_PATH_MAX], int fd)
{
        snprintf(buf, FD_PATH_MAX, "/proc/self/fd/%d", fd);
        return buf;
}

/* Creates what is missing of PATH (relative to the root, no leading '/')
 * one component at a time, each parent resolved inside the root; an O_PATH
 * directory fd is enough for mkdirat and openat.  A component that is a
 * dangling symlink is followed inside the root and its target created, as
 * runc does for an /etc/resolv.conf that points into /run. */
static int create_in_root(int rootfd, const char *path, bool is_dir, int depth, struct box_err *err)
{
        if (depth > 40)
                return box_err_set(err, ELOOP, "create '/%s' in the container: too many symlinks",
                                   path);
        _cleanup_free_ char *p = xstrdup(path);
        size_t len = strlen(p);
        while (len > 0 && p[len - 1] == '/')
                p[--len] = '\0';
        for (char *s = p;; s++) {
                if (*s != '/' && *s != '\0')
                        continue;
                bool last = *s == '\0';
                char save = *s;
                *s = '\0';
                char *slash = strrchr(p, '/');
                _cleanup_close_ int parent = -EBADF;
                const char *name = p;
                if (slash) {
                        *slash = '\0';
                        parent = openat_in_root(rootfd, p, O_PATH | O_DIRECTORY, 0);
                        *slash = '/';
                        name = slash + 1;
                } else {
                        parent = fcntl(rootfd, F_DUPFD_CLOEXEC, 3);
                }
                if (parent < 0)
                        return box_err_errno(err, errno, "open parent of '/%s' in the container",
                                             p);
                struct stat st;
                int r = 0;
                if (!*name || streq(name, ".") || streq(name, "..")) {
                        r = 0; /* resolved with the parent */
                } else if (fstatat(parent, name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
                        _cleanup_close_ int fd = -EBADF;
                        if (S_ISLNK(st.st_mode) &&
                            (fd = openat_in_root(rootfd, p, O_PATH, 0)) < 0 && errno == ENOENT) {
                                /* dangling: create its target instead */
                                char target[PATH_MAX];
                                ssize_t n = readlinkat(parent, name, target, sizeof(target) - 1);
                                if (n <= 0)
                                        return box_err_errno(err, n < 0 ? errno : EINVAL,
                                                             "read link '/%s'", p);
                                target[n] = '\0';
                                if (slash)
                                        *slash = '\0';
                                _cleanup_free_ char *next =
                                        xasprintf("%s%s%s%s%s", target[0] == '/' || !slash ? "" : p,
                                                  target[0] == '/' || !slash ? "" : "/", target,
                                                  last ? "" : "/", last ? "" : s + 1);
                                const char *rel = next;
                                while (*rel == '/')
                                        rel++;
                                return create_in_root(rootfd, rel, is_dir, depth + 1, err);
                        }
                } else if (errno != ENOENT) {
                        r = -1;
                } else if (last && !is_dir) {
                        /* O_EXCL: never opens (and blocks on) an existing FIFO */
                        r = openat(parent, name,
                                   O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
                        if (r >= 0)
                                close(r);
                        if (r >= 0 || errno == EEXIST)
                                r = 0;
                } else {
                        r = mkdirat(parent, name, 0755);
                        if (r < 0 && errno == EEXIST)
                                r = 0;
                }
                if (r < 0)
                        return box_err_errno(err, errno, "create '/%s' in the container", p);
                *s = save;
                if (last)
                        return 0;
        }
}

int run_rootfs_open_in_root(int rootfd, const char *path, bool is_dir, int *ret_fd,
                            struct box_err *err)
{
        while (*path == '/')
                path++;
        if (!*path) {
                int fd = fcntl(rootfd, F_DUPFD_CLOEXEC, 3);
                if (fd < 0)
                        return box_err_errno(err, errno, "dup root fd");
                *ret_fd = fd;
                return 0;
        }
        int fd = openat_in_root(rootfd, path, O_PATH, 0);
        if (fd < 0 && errno == ENOENT) {
                int r = create_in_root(rootfd, path, is_dir, 0, err);
                if (r < 0)
                        return r;
                fd = openat_in_root(rootfd, path, O_PATH, 0);
        }
        if (fd < 0)
                return box_err_errno(err, errno, "open '/%s' in the container", path);
        *ret_fd = fd;
        return 0;
}

/* Like runc: nothing of the user's or of the image's is mounted inside
 * /proc (a -v target there, or an /etc/hosts that is a symlink into
 * /proc/sys), but over the files lxcfs provides. */
static const char *const proc_mount_allowed[] = {
        "/proc/cpuinfo", "/proc/diskstats", "/proc/meminfo", "/proc/stat",
        "/proc/swaps",   "/proc/uptime",    "/proc/loadavg", "/proc/slabinfo",
};

static int check_not_in_proc(int fd, const char *target, struct box_err *err)
{
        struct statfs sf;
        if (fstatfs(fd, &sf) < 0)
                return box_err_errno(err, errno, "statfs '%s'", target);
        if (sf.f_type != PROC_SUPER_MAGIC)
                return 0;
        for (size_t i = 0; i < ARRAY_SIZE(proc_mount_allowed); i++)
                if (streq(target, proc_mount_allowed[i]))
                        return 0;
        return box_err_set(err, EPERM, "mount target '%s' is inside /proc, refusing it", target);
}

/* USER: a mount the user or the image asked for (checked against /proc). */
static int mount_at(int rootfd, const char *source, const char *target, const char *fstype,
                    unsigned long flags, const char *data, bool is_dir, bool user,
                    struct box_err *err)
{
        _cleanup_close_ int fd = -EBADF;
        char b[FD_PATH_MAX];
        int r = run_rootfs_open_in_root(rootfd, target, is_dir, &fd, err);
        if (r >= 0 && user)
                r = check_not_in_proc(fd, target, err);
        if (r < 0)
                return r;
        if (mount(source, fd_path(b, fd), fstype, flags, data) < 0)
                return box_err_errno(err, errno, "mount %s on '%s'", fstype ? fstype : source,
                                     target);
        return 0;
}

static unsigned mount_attr_of(unsigned long flags)
{
        unsigned a = 0;
        if (flags & MS_RDONLY)
                a |= MOUNT_ATTR_RDONLY;
        if (flags & MS_NOSUID)
                a |= MOUNT_ATTR_NOSUID;
        if (flags & MS_NODEV)
                a |= MOUNT_ATTR_NODEV;
        if (flags & MS_NOEXEC)
                a |= MOUNT_ATTR_NOEXEC;
        return a;
}

/* Sets ATTR on every mount of the detached tree TREE and attaches it on
 * the O_PATH fd TARGET: it is never visible without ATTR. */
static int attach_tree(int tree, int target, unsigned attr, const char *what, struct box_err *err)
{
        if (attr) {
                struct mount_attr ma = {.attr_set = attr};
                if (mount_setattr(tree, "", AT_EMPTY_PATH | AT_RECURSIVE, &ma, sizeof(ma)) < 0)
                        return box_err_errno(err, errno, "set the flags of '%s'", what);
        }
        if (move_mount(tree, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
                return box_err_errno(err, errno, "attach '%s'", what);
        return 0;
}

/* A clone of the mount at DIRFD/PATH ("" for DIRFD itself), with the
 * mounts below it (and on it) when RECURSIVE. */
static int clone_tree(int dirfd, const char *path, bool recursive)
{
        unsigned flags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (recursive ? AT_RECURSIVE : 0);
        if (!*path)
                flags |= AT_EMPTY_PATH;
        return open_tree(dirfd, path, flags);
}

/* Binds the host's SOURCE (recursively) on TARGET in the container; FLAGS
 * (MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC) apply to every submount.
 * With PIN (a mount whose pin_ino is set), only while SOURCE is the inode
 * PIN names: the name may be another user's to swap. */
static int bind_pinned_at(int rootfd, const char *source, const char *target, unsigned long flags,
                          bool user, const struct run_mount *pin, struct box_err *err)
{
        _cleanup_close_ int tree = clone_tree(AT_FDCWD, source, true);
        if (tree < 0)
                return box_err_errno(err, errno, "bind mount source '%s'", source);
        struct stat st;
        if (fstat(tree, &st) < 0)
                return box_err_errno(err, errno, "bind mount source '%s'", source);
        if (pin && pin->pin_ino && (st.st_dev != pin->pin_dev || st.st_ino != pin->pin_ino))
                return box_err_set(err, ESTALE,
                                   "bind mount source '%s': replaced since it was checked", source);
        _cleanup_close_ int fd = -EBADF;
        int r = run_rootfs_open_in_root(rootfd, target, S_ISDIR(st.st_mode), &fd, err);
        if (r >= 0 && user)
                r = check_not_in_proc(fd, target, err);
        if (r < 0)
                return r;
        r = attach_tree(tree, fd, mount_attr_of(flags), target, err);
        if (r < 0)
                return box_err_prefix(err, "bind mount '%s' on '%s'", source, target);
        return 0;
}

/* bind_pinned_at without a pin */
static int bind_at(int rootfd, const char *source, const char *target, unsigned long flags,
                   bool user, struct box_err *err)
{
        return bind_pinned_at(rootfd, source, target, flags, user, NULL, err);
}

/* --privileged: every device node at the top of the host's /dev too, as
 * Docker gives them (the cgroup allows them all). */
static void copy_host_devices(int dev)
{
        _cleanup_closedir_ DIR *d = opendir("/dev");
        struct dirent *de;
        while (d && (de = readdir(d))) {
                struct stat st;
                if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
                    !(S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) || streq(de->d_name, "console") ||
                    streq(de->d_name, "ptmx") || startswith(de->d_name, "tty"))
                        continue;
                if (mknodat(dev, de->d_name, st.st_mode, st.st_rdev) == 0)
                        (void)fchownat(dev, de->d_name, st.st_uid, st.st_gid, 0);
        }
}

/* --device: each node made at its path in the container (its directories
 * made inside the root) with the host node's type, numbers, mode and owner
 * as they were at create; where mknod is refused (a user namespace) the
 * host's node is bound there instead, as Docker does rootless. */
static int make_user_devices(int rootfd, char *const *devices, struct box_err *err)
{
        STRV_FOREACH (d, devices) {
                char type;
                unsigned maj, min, mode, uid, gid;
                int n = 0;
                const char *tab = strchr(*d, '\t');
                if (sscanf(*d, "%c %u %u %o %u %u %n", &type, &maj, &min, &mode, &uid, &gid, &n) !=
                            6 ||
                    !n || (*d)[n] != '/' || !tab)
                        return box_err_set(err, EINVAL, "bad device entry '%s'", *d);
                _cleanup_free_ char *path = xstrndup(*d + n, (size_t)(tab - (*d + n)));
                const char *host = tab + 1;
                _cleanup_free_ char *dir = xstrdup(path);
                char *slash = strrchr(dir, '/');
                const char *base = path + (slash - dir) + 1;
                *slash = '\0';
                _cleanup_close_ int dfd = -EBADF;
                int r = run_rootfs_open_in_root(rootfd, *dir ? dir : "/", true, &dfd, err);
                if (r < 0)
                        return r;
                /* one of the defaults (/dev/zero) may be replaced */
                (void)unlinkat(dfd, base, 0);
                mode_t fmt = type == 'b' ? S_IFBLK : S_IFCHR;
                if (mknodat(dfd, base, fmt | (mode & 07777), makedev(maj, min)) < 0) {
                        if (errno != EPERM)
                                return box_err_errno(err, errno, "mknod '%s'", path);
                        r = bind_at(rootfd, host, path, 0, false, err);
                        if (r < 0)
                                return r;
                        continue;
                }
                if (fchmodat(dfd, base, mode & 07777, 0) < 0 ||
                    fchownat(dfd, base, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
                        return box_err_errno(err, errno, "set the owner and mode of '%s'", path);
        }
        return 0;
}

static int make_devices(int rootfd, bool privileged, struct box_err *err)
{
        _cleanup_close_ int dev = openat_in_root(rootfd, "dev", O_RDONLY | O_DIRECTORY, 0);
        if (dev < 0)
                return box_err_errno(err, errno, "open /dev");
        for (size_t i = 0; i < ARRAY_SIZE(default_devices); i++) {
                const struct dev_node *d = &default_devices[i];
                if (mknodat(dev, d->name, S_IFCHR | 0666, makedev(d->major, d->minor)) < 0) {
                        /* no CAP_MKNOD: bind the host's node instead */
                        _cleanup_free_ char *host = xasprintf("/dev/%s", d->name);
                        _cleanup_free_ char *tgt = xasprintf("/dev/%s", d->name);
                        int r = bind_at(rootfd, host, tgt, 0, false, err);
                        if (r < 0)
                                return r;
                }
        }
        for (size_t i = 0; i < ARRAY_SIZE(default_dev_links); i++)
                if (symlinkat(default_dev_links[i].target, dev, default_dev_links[i].name) < 0 &&
                    errno != EEXIST)
                        return box_err_errno(err, errno, "symlink /dev/%s",
                                             default_dev_links[i].name);
        if (privileged)
                copy_host_devices(dev);
        return 0;
}

/* One hierarchy at /sys/fs/cgroup/NAME: a directory made in CGFD, the
 * container's own tmpfs there (nothing of the image below it), so no walk
 * from the root is needed. */
static int mount_cgroup_at(int cgfd, const char *name, bool v2, const char *opts,
                           unsigned long flags, struct box_err *err)
{
        char b[FD_PATH_MAX];
        if (mkdirat(cgfd, name, 0755) < 0 && errno != EEXIST)
                return box_err_errno(err, errno, "create /sys/fs/cgroup/%s", name);
        _cleanup_close_ int fd = openat(cgfd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return box_err_errno(err, errno, "open /sys/fs/cgroup/%s", name);
        if (mount("cgroup", fd_path(b, fd), v2 ? "cgroup2" : "cgroup", flags, opts) < 0)
                return box_err_errno(err, errno, "mount cgroup on '/sys/fs/cgroup/%s'", name);
        return 0;
}

/* /sys/fs/cgroup as Docker has it: each of the host's hierarchies (M, N),
 * seen from the container's cgroup namespace (so its own cgroup is the
 * root), read-only unless privileged. */
static int mount_cgroups(int rootfd, bool privileged, const struct run_cgroup_mount *m, size_t n,
                         struct box_err *err)
{
        unsigned long ro = privileged ? 0 : MS_RDONLY;
        unsigned long flags = MS_NOSUID | MS_NOEXEC | MS_NODEV;
        _cleanup_close_ int cgfd = -EBADF; /* the tmpfs on /sys/fs/cgroup, once mounted */
        int r = 0;
        for (size_t k = 0; r >= 0 && k < n; k++) {
                const char *mnt = m[k].mnt;
                if (m[k].v2 && streq(mnt, "/sys/fs/cgroup")) {
                        r = mount_at(rootfd, "cgroup2", "/sys/fs/cgroup", "cgroup2", flags | ro,
                                     NULL, true, false, err);
                        break;
                }
                const char *name = mnt + 15;
                if (!startswith(mnt, "/sys/fs/cgroup/") || strchr(name, '/') || !*name ||
                    streq(name, ".") || streq(name, ".."))
                        continue;
                if (cgfd < 0) {
                        r = mount_at(rootfd, "tmpfs", "/sys/fs/cgroup", "tmpfs", flags,
                                     "mode=755,size=64k", true, false, err);
                        if (r >= 0)
                                r = run_rootfs_open_in_root(rootfd, "/sys/fs/cgroup", true, &cgfd,
                                                            err);
                        if (r < 0)
                                break;
                }
                /* keep the controllers (and name=) of the super options, drop rw/ro */
                _cleanup_free_ char *super = xstrdup(m[k].super);
                struct buf opts = {0};
                char *save = NULL;
                for (char *o = strtok_r(super, ",", &save); o; o = strtok_r(NULL, ",", &save))
                        if (!streq(o, "rw") && !streq(o, "ro"))
                                buf_printf(&opts, "%s%s", opts.len ? "," : "", o);
                r = mount_cgroup_at(cgfd, name, m[k].v2, m[k].v2 ? NULL : opts.data, flags | ro,
                                    err);
                buf_release(&opts);
        }
        char b[FD_PATH_MAX];
        if (r >= 0 && cgfd >= 0 && !privileged &&
            mount(NULL, fd_path(b, cgfd), NULL, MS_REMOUNT | MS_RDONLY | flags,
                  "mode=755,size=64k") < 0)
                r = box_err_errno(err, errno, "remount /sys/fs/cgroup read-only");
        return r;
}

/* SPEC's state dir relative to its base dir, where it lies below it */
static const char *state_rel(const struct run_spec *spec)
{
        const char *state = spec->state_dir;
        size_t blen = strlen(spec->base_dir);
        if (strneq(state, spec->base_dir, blen) && state[blen] == '/')
                state += blen + 1;
        return state;
}

int run_fsconfig_error(int fs, struct box_err *err, const char *what)
{
        int e = errno;
        char msg[256];
        ssize_t n = read(fs, msg, sizeof(msg) - 1);
        if (n > 0) {
                msg[n] = '\0';
                msg[strcspn(msg, "\n")] = '\0';
                return box_err_set(err, e, "overlay %s: %s", what, msg);
        }
        return box_err_errno(err, e, "overlay %s", what);
}

int run_overlay_fsmount(const struct run_spec *spec, int fs, const char *upper, const char *work,
                        int *ret_fd, struct box_err *err)
{
        if (syscall(SYS_fsconfig, fs, FSCONFIG_SET_STRING, "upperdir", upper, 0) < 0)
                return run_fsconfig_error(fs, err, "upperdir");
        if (syscall(SYS_fsconfig, fs, FSCONFIG_SET_STRING, "workdir", work, 0) < 0)
                return run_fsconfig_error(fs, err, "workdir");
        /* as mount_root: the upper dir must hold whole files for commit */
        static const char *const off[] = {"redirect_dir", "index", "metacopy"};
        for (size_t i = 0; i < ARRAY_SIZE(off); i++)
                if (syscall(SYS_fsconfig, fs, FSCONFIG_SET_STRING, off[i], "off", 0) < 0)
                        return run_fsconfig_error(fs, err, off[i]);
        /* as mount_root (a kernel without it mounts the same, synced) */
        if (spec->volatile_upper || spec->no_sync)
                (void)syscall(SYS_fsconfig, fs, FSCONFIG_SET_FLAG, "volatile", NULL, 0);
        if (syscall(SYS_fsconfig, fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
                return run_fsconfig_error(fs, err, "create");
        int m = (int)syscall(SYS_fsmount, fs, FSMOUNT_CLOEXEC, 0);
        if (m < 0)
                return box_err_errno(err, errno, "fsmount overlay");
        *ret_fd = m;
        return 0;
}

static int overlay_detached_here(const struct run_spec *spec, int *ret_fd, struct box_err *err)
{
        const char *state = state_rel(spec);
        _cleanup_free_ char *lower = strv_join(spec->lowerdirs, ":");
        _cleanup_free_ char *upper = xasprintf("%s/upper", state);
        _cleanup_free_ char *work = xasprintf("%s/work", state);
        _cleanup_close_ int fs = (int)syscall(SYS_fsopen, "overlay", FSOPEN_CLOEXEC);
        if (fs < 0)
                return box_err_errno(err, errno, "fsopen overlay");
        /* fsconfig(2) takes strings of up to 255 bytes: a longer list of
         * layers is the container's own mount(2) to make */
        if (strlen(lower) > 255 || strlen(upper) > 255 || strlen(work) > 255)
                return box_err_set(err, E2BIG, "overlay options too long for fsconfig");
        if (syscall(SYS_fsconfig, fs, FSCONFIG_SET_STRING, "source", "overlay", 0) < 0)
                return run_fsconfig_error(fs, err, "source");
        if (syscall(SYS_fsconfig, fs, FSCONFIG_SET_STRING, "lowerdir", lower, 0) < 0)
                return run_fsconfig_error(fs, err, "lowerdir");
        return run_overlay_fsmount(spec, fs, upper, work, ret_fd, err);
}

int run_rootfs_overlay_detached(const struct run_spec *spec, int *ret_fd, struct box_err *err)
{
        /* relative paths, as mount_root's (fsconfig resolves each as it
         * is set), from the base dir; box's working directory back after */
        _cleanup_close_ int cwd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (cwd < 0)
                return box_err_errno(err, errno, "open the working directory");
        if (chdir(spec->base_dir) < 0)
                return box_err_errno(err, errno, "chdir '%s'", spec->base_dir);
        int fd = -EBADF;
        int r = overlay_detached_here(spec, &fd, err);
        if (fchdir(cwd) < 0) {
                r = box_err_errno(err, errno, "back to the working directory");
                if (fd >= 0)
                        close(TAKE_FD(fd));
        }
        if (r >= 0)
                *ret_fd = fd;
        return r;
}

static int mount_root(const struct run_spec *spec, const char *rootfs_path, int root_mount_fd,
                      bool attach, struct box_err *err)
{
        /* built by box: attached by the user namespace's set-up, or here */
        if (root_mount_fd >= 0 && attach &&
            move_mount(root_mount_fd, "", AT_FDCWD, rootfs_path, MOVE_MOUNT_F_EMPTY_PATH) < 0)
                return box_err_errno(err, errno, "attach the root overlay");
        if (root_mount_fd >= 0)
                return 0;
        if (spec->rootfs) {
                if (mount(spec->rootfs, rootfs_path, NULL, MS_BIND | MS_REC, NULL) < 0)
                        return box_err_errno(err, errno, "bind mount rootfs '%s'", spec->rootfs);
                return 0;
        }
        /* Docker's overlay2 trick: short lowerdirs relative to the base dir,
         * so a deep image still fits the one-page option string. */
        if (chdir(spec->base_dir) < 0)
                return box_err_errno(err, errno, "chdir '%s'", spec->base_dir);
        const char *state = state_rel(spec);
        struct buf opts = {0};
        _cleanup_free_ char *lower = strv_join(spec->lowerdirs, ":");
        /* box commit reads the upper dir as a layer: a directory renamed by
         * a redirect or a file chowned by a metacopy would hold no data
         * there, whatever the host's overlay module defaults to */
        buf_printf(&opts,
                   "lowerdir=%s,upperdir=%s/upper,workdir=%s/work,redirect_dir=off,index=off,"
                   "metacopy=off%s",
                   lower, state, state, spec->volatile_upper || spec->no_sync ? ",volatile" : "");
        if (opts.len >= (size_t)getpagesize()) {
                buf_release(&opts);
                return box_err_set(err, E2BIG,
                                   "overlay options too long: image has too many layers");
        }
        int r = mount("overlay", rootfs_path, "overlay", 0, opts.data);
        int e = errno;
        if (r < 0 && e == EINVAL && (spec->volatile_upper || spec->no_sync)) {
                /* a kernel before 5.10 has no "volatile": the same, synced */
                opts.len -= strlen(",volatile");
                opts.data[opts.len] = '\0';
                r = mount("overlay", rootfs_path, "overlay", 0, opts.data);
                e = errno;
        }
        buf_release(&opts);
        if (r < 0)
                return box_err_errno(err, e, "mount overlay rootfs");
        return 0;
}

/* The container's own /etc/hostname, /etc/hosts and /etc/resolv.conf
 * (box's files of it) over the image's. */
static int bind_etc_files(int rootfd, const struct run_spec *spec, struct box_err *err)
{
        static const char *const etc_targets[] = {"/etc/hostname", "/etc/hosts",
                                                  "/etc/resolv.conf"};
        const char *etc_sources[] = {spec->hostname_file, spec->hosts_file, spec->resolv_file};
        for (size_t i = 0; i < ARRAY_SIZE(etc_targets); i++) {
                if (!etc_sources[i] || access(etc_sources[i], F_OK) < 0)
                        continue;
                int r = bind_at(rootfd, etc_sources[i], etc_targets[i], 0, true, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

int run_rootfs_open_private(const struct run_spec *spec, int *ret_fd, struct box_err *err)
{
        _cleanup_close_ int cwd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (cwd < 0)
                return box_err_errno(err, errno, "open the working directory");
        if (unshare(CLONE_NEWNS) < 0)
                return box_err_errno(err, errno, "unshare the mount namespace");
        if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
                return box_err_errno(err, errno, "make / private");
        int r;
        if (spec->n_uid_map) {
                /* as the container sees it: layers idmapped, so that every
                 * file shows its host owner, as through /proc/PID/root */
                _cleanup_close_ int ns = -EBADF, m = -EBADF;
                r = run_userns_open(spec, &ns, err);
                if (r >= 0)
                        r = run_rootfs_detached(spec, ns, &m, err);
                if (r >= 0 &&
                    move_mount(m, "", AT_FDCWD, spec->mount_dir, MOVE_MOUNT_F_EMPTY_PATH) < 0)
                        r = box_err_errno(err, errno, "attach the container's root");
        } else {
                r = mount_root(spec, spec->mount_dir, -1, false, err);
        }
        if (fchdir(cwd) < 0 && r >= 0)
                r = box_err_errno(err, errno, "return to the working directory");
        if (r < 0)
                return r;
        _cleanup_close_ int fd = open(spec->mount_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return box_err_errno(err, errno, "open '%s'", spec->mount_dir);
        /* its /etc files, volumes and binds, where a run mounts them
         * (Docker's cp reads them too); a tmpfs held nothing once the
         * container stopped */
        r = bind_etc_files(fd, spec, err);
        if (r < 0)
                return r;
        for (size_t i = 0; i < spec->n_mounts; i++) {
                const struct run_mount *m = &spec->mounts[i];
                if (m->type == RUN_MOUNT_TMPFS)
                        continue;
                r = run_mount_target_check_at(fd, m, err);
                if (r >= 0)
                        r = bind_at(fd, m->source, m->target, m->flags, true, err);
                if (r < 0)
                        return r;
        }
        *ret_fd = TAKE_FD(fd);
        return 0;
}

/* Like runc: the kernel file systems go on ordinary directories of the
 * image (or new ones), never through a symlink that would put them
 * elsewhere, over the root itself or under another of them. */
static int check_ordinary_dir(int rootfd, const char *target, struct box_err *err)
{
        _cleanup_close_ int fd =
                sys_openat2(rootfd, target + 1, O_PATH | O_NOFOLLOW, 0,
                            RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_SYMLINKS);
        struct stat st;
        if (fd < 0 && errno == ENOENT)
                return 0;
        if (fd < 0 || fstat(fd, &st) < 0)
                return box_err_errno(err, errno, "the image's '%s'", target);
        if (!S_ISDIR(st.st_mode))
                return box_err_set(err, ENOTDIR,
                                   "the image's '%s' is not a directory (a symlink?), refusing to "
                                   "mount on it",
                                   target);
        return 0;
}

/* The container's /dev/null, as box made it: the source of every file
 * mask, so it must be the null device and not whatever a later mount or
 * the image put at that name (runc's CVE-2025-31133). */
static int open_dev_null(int rootfd, int *ret_fd, struct box_err *err)
{
        _cleanup_close_ int fd =
                sys_openat2(rootfd, "dev/null", O_PATH | O_NOFOLLOW, 0,
                            RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_SYMLINKS);
        if (fd < 0)
                return box_err_errno(err, errno, "open /dev/null in the container");
        struct stat st;
        if (fstat(fd, &st) < 0)
                return box_err_errno(err, errno, "stat /dev/null in the container");
        if (!S_ISCHR(st.st_mode) || major(st.st_rdev) != 1 || minor(st.st_rdev) != 3)
                return box_err_set(err, EPERM,
                                   "/dev/null in the container is not the null device (1:3), "
                                   "refusing to mask paths with it");
        *ret_fd = TAKE_FD(fd);
        return 0;
}

void run_rootfs_release(struct run_rootfs *rf)
{
        if (rf->rootfd >= 0)
                close(rf->rootfd);
        if (rf->nullfd >= 0)
                close(rf->nullfd);
        run_copy_sources_release(&rf->copy_src);
        rf->rootfd = rf->nullfd = -EBADF;
}

int run_rootfs_mount_base(const struct run_spec *spec, const char *rootfs_path, int root_mount_fd,
                          bool attach, struct run_rootfs *rf, struct box_err *err)
{
        int r;

        *rf = (struct run_rootfs){.rootfd = -EBADF, .nullfd = -EBADF};
        /* nothing we mount may propagate back to the host */
        if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0)
                return box_err_errno(err, errno, "make / a slave mount");
        r = mount_root(spec, rootfs_path, root_mount_fd, attach, err);
        if (r < 0)
                return r;
        /* a root built by box is its own fd: its mount point may be out of reach */
        rf->rootfd = root_mount_fd >= 0 ? fcntl(root_mount_fd, F_DUPFD_CLOEXEC, 3)
                                        : open(rootfs_path, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (rf->rootfd < 0)
                return box_err_errno(err, errno, "open rootfs");
        /* what volumes copy is the image's alone: opened before any mount */
        r = run_copy_sources_open(spec, rf->rootfd, &rf->copy_src, err);
        if (r < 0)
                return r;

        for (size_t i = 0; i < ARRAY_SIZE(default_mounts); i++) {
                const struct sys_mount *m = &default_mounts[i];
                unsigned long flags = m->flags;
                if (spec->privileged && streq(m->fstype, "sysfs"))
                        flags &= ~MS_RDONLY;
                if (strchr(m->target + 1, '/') == NULL) {
                        r = check_ordinary_dir(rf->rootfd, m->target, err);
                        if (r < 0)
                                return r;
                }
                _cleanup_free_ char *data = NULL;
                if (streq(m->target, "/dev/shm")) {
                        /* --ipc none: no /dev/shm; --ipc host: the host's,
                         * as Docker binds it */
                        if (spec->ipc_none)
                                continue;
                        if (spec->host_ipc) {
                                r = bind_at(rf->rootfd, "/dev/shm", "/dev/shm", flags, false, err);
                                if (r < 0)
                                        return r;
                                continue;
                        }
                        if (spec->shm_size > 0)
                                data = xasprintf("mode=1777,size=%lld", (long long)spec->shm_size);
                }
                r = mount_at(rf->rootfd, m->source, m->target, m->fstype, flags,
                             data ? data : m->data, true, false, err);
                if (r < 0 && streq(m->fstype, "sysfs") && spec->network == RUN_NETWORK_HOST) {
                        /* sysfs of a shared netns: bind the host's read-only */
                        r = bind_at(rf->rootfd, "/sys", "/sys", MS_RDONLY, false, err);
                }
                if (r < 0)
                        return r;
                if (streq(m->target, "/dev")) {
                        r = make_devices(rf->rootfd, spec->privileged, err);
                        if (r >= 0)
                                r = make_user_devices(rf->rootfd, spec->devices, err);
                        if (r >= 0)
                                r = open_dev_null(rf->rootfd, &rf->nullfd, err);
                        if (r < 0)
                                return r;
                }
        }
        return 0;
}

int run_rootfs_mount_rest(const struct run_spec *spec, struct run_rootfs *rf,
                          const struct run_cgroup_mount *cg_mounts, size_t n_cg_mounts,
                          struct box_err *err)
{
        /* /sys (the last of default_mounts) is there: its cgroups */
        struct run_cgroup_mount *own = NULL;
        size_t n_own = 0;
        int r = 0;
        if (!cg_mounts) {
                r = run_cgroup_mounts_read(&own, &n_own, err);
                cg_mounts = own;
                n_cg_mounts = n_own;
        }
        if (r >= 0)
                r = mount_cgroups(rf->rootfd, spec->privileged, cg_mounts, n_cg_mounts, err);
        run_cgroup_mounts_free(own, n_own);
        /* v1 hierarchies may not be mountable from a user namespace */
        if (r < 0 && spec->n_uid_map == 0)
                return r;

        r = bind_etc_files(rf->rootfd, spec, err);
        if (r < 0)
                return r;

        for (size_t i = 0; i < spec->n_mounts; i++) {
                const struct run_mount *m = &spec->mounts[i];
                r = run_mount_target_check_at(rf->rootfd, m, err);
                if (r < 0)
                        return r;
                if (m->type == RUN_MOUNT_TMPFS) {
                        r = mount_at(rf->rootfd, "tmpfs", m->target, "tmpfs", m->flags, m->data,
                                     true, true, err);
                        if (r < 0)
                                return r;
                        continue;
                }
                r = run_copy_up(&rf->copy_src, i, m, err);
                if (r < 0)
                        return r;
                r = bind_pinned_at(rf->rootfd, m->source, m->target, m->flags, true, m, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

int run_rootfs_pivot(int rootfd, struct box_err *err)
{
        if (fchdir(rootfd) < 0)
                return box_err_errno(err, errno, "chdir rootfs");
        if (sys_pivot_root(".", ".") < 0)
                return box_err_errno(err, errno, "pivot_root");
        if (mount(NULL, ".", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
                return box_err_errno(err, errno, "make old root private");
        if (umount2(".", MNT_DETACH) < 0)
                return box_err_errno(err, errno, "detach old root");
        if (chdir("/") < 0)
                return box_err_errno(err, errno, "chdir /");
        return 0;
}

/* An empty read-only tmpfs over the directory TARGET. */
static int mask_dir(int target, const char *what, struct box_err *err)
{
        _cleanup_close_ int fs = fsopen("tmpfs", FSOPEN_CLOEXEC);
        if (fs < 0)
                return box_err_errno(err, errno, "mask '%s': fsopen tmpfs", what);
        if (fsconfig(fs, FSCONFIG_SET_STRING, "size", "4k", 0) < 0 ||
            fsconfig(fs, FSCONFIG_SET_FLAG, "ro", NULL, 0) < 0 ||
            fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
                return box_err_errno(err, errno, "mask '%s': create tmpfs", what);
        _cleanup_close_ int m = fsmount(fs, FSMOUNT_CLOEXEC,
                                        MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV |
                                                MOUNT_ATTR_NOEXEC);
        if (m < 0)
                return box_err_errno(err, errno, "mask '%s': fsmount", what);
        if (move_mount(m, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
                return box_err_errno(err, errno, "mask '%s'", what);
        return 0;
}

static int mask_path(int root, int nullfd, const char *path, struct box_err *err)
{
        _cleanup_close_ int fd = openat_in_root(root, path + 1, O_PATH | O_NOFOLLOW, 0);
        if (fd < 0)
                return errno == ENOENT ? 0 : box_err_errno(err, errno, "mask '%s'", path);
        struct stat st;
        if (fstat(fd, &st) < 0)
                return box_err_errno(err, errno, "mask '%s'", path);
        if (S_ISDIR(st.st_mode))
                return mask_dir(fd, path, err);
        /* not recursive: whatever was mounted on /dev/null since stays out */
        _cleanup_close_ int tree = clone_tree(nullfd, "", false);
        if (tree < 0)
                return box_err_errno(err, errno, "mask '%s': clone /dev/null", path);
        int r = attach_tree(tree, fd, 0, path, err);
        return r < 0 ? box_err_prefix(err, "mask '%s'", path) : 0;
}

/* Docker (28) also masks the thermal interrupt counters of each cpu. */
static int mask_cpu_thermal(int root, int nullfd, struct box_err *err)
{
        _cleanup_closedir_ DIR *d = fs_fdopendir(
                openat_in_root(root, "sys/devices/system/cpu", O_RDONLY | O_DIRECTORY, 0));
        if (!d)
                return 0;
        struct dirent *de;
        int r = 0;
        while (r >= 0 && (de = readdir(d))) {
                if (!startswith(de->d_name, "cpu") || !de->d_name[3] ||
                    strspn(de->d_name + 3, "0123456789") != strlen(de->d_name + 3))
                        continue;
                char p[96];
                snprintf(p, sizeof(p), "/sys/devices/system/cpu/%s/thermal_throttle", de->d_name);
                r = mask_path(root, nullfd, p, err);
        }
        return r;
}

/* A recursive read-only clone of PATH over itself. */
static int readonly_path(int root, const char *path, struct box_err *err)
{
        _cleanup_close_ int fd = openat_in_root(root, path + 1, O_PATH | O_NOFOLLOW, 0);
        if (fd < 0)
                return errno == ENOENT ? 0 : box_err_errno(err, errno, "open '%s'", path);
        _cleanup_close_ int tree = clone_tree(fd, "", true);
        if (tree < 0)
                return box_err_errno(err, errno, "bind '%s'", path);
        return attach_tree(tree, fd,
                           MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV |
                                   MOUNT_ATTR_NOEXEC,
                           path, err);
}

int run_rootfs_finish(const struct run_spec *spec, int nullfd, struct box_err *err)
{
        _cleanup_close_ int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (root < 0)
                return box_err_errno(err, errno, "open /");
        int r;
        if (!spec->privileged) {
                for (size_t i = 0; i < ARRAY_SIZE(readonly_paths); i++) {
                        r = readonly_path(root, readonly_paths[i], err);
                        if (r < 0)
                                return r;
                }
                for (size_t i = 0; i < ARRAY_SIZE(masked_paths); i++) {
                        r = mask_path(root, nullfd, masked_paths[i], err);
                        if (r < 0)
                                return r;
                }
                r = mask_cpu_thermal(root, nullfd, err);
                if (r < 0)
                        return r;
        }
        if (spec->read_only) {
                /* the root mount only, as Docker: /dev, /dev/shm, tmpfs and
                 * volumes stay writable unless they are read-only themselves */
                struct mount_attr ma = {.attr_set = MOUNT_ATTR_RDONLY};
                if (mount_setattr(root, "", AT_EMPTY_PATH, &ma, sizeof(ma)) < 0)
                        return box_err_errno(err, errno, "make the root read-only");
        }
        return 0;
}

int run_rootfs_console(int slave_fd, struct box_err *err)
{
        _cleanup_close_ int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (root < 0)
                return box_err_errno(err, errno, "open /");
        _cleanup_close_ int fd = -EBADF;
        int r = run_rootfs_open_in_root(root, "/dev/console", false, &fd, err);
        if (r < 0)
                return r;
        _cleanup_close_ int tree = clone_tree(slave_fd, "", false);
        if (tree < 0)
                return box_err_errno(err, errno, "bind the pty on /dev/console");
        return attach_tree(tree, fd, 0, "/dev/console", err);
}
