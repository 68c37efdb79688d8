/* Building the container's root, top to bottom: the root itself, the
 * kernel file systems, /dev, the /etc files, the user's mounts; then
 * pivot_root; then the masked and read-only paths.  Every mount target is
 * resolved inside the new root (openat2 RESOLVE_IN_ROOT) and mounted
 * through its /proc/self/fd path, so a symlink in the image can never
 * point a mount outside the root. */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <linux/mount.h>

#include "lib/fs.h"
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
 * read-only tmpfs. */
static const char *const masked_paths[] = {
        "/proc/asound",     "/proc/acpi",        "/proc/interrupts",
        "/proc/kcore",      "/proc/keys",        "/proc/latency_stats",
        "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug",
        "/proc/scsi",       "/sys/firmware",     "/sys/devices/virtual/powercap",
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

/* Opens PATH (absolute, in the container) under ROOTFD as O_PATH,
 * creating missing directories, and the last component as a directory or
 * (IS_DIR false) an empty file. */
static int open_in_root(int rootfd, const char *path, bool is_dir, int *ret_fd, struct box_err *err)
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
        if (fd >= 0) {
                *ret_fd = fd;
                return 0;
        }
        if (errno != ENOENT)
                return box_err_errno(err, errno, "open '/%s' in the container", path);

        /* create the missing components one by one, each resolved in the root */
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
                int r;
                if (last && !is_dir) {
                        /* O_PATH parents cannot create: reopen it */
                        char b[FD_PATH_MAX];
                        _cleanup_close_ int dfd =
                                open(fd_path(b, parent), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                        r = dfd < 0 ? -1
                                    : openat(dfd, name, O_CREAT | O_WRONLY | O_NOFOLLOW | O_CLOEXEC,
                                             0644);
                        if (r >= 0)
                                close(r);
                        else if (errno == EEXIST)
                                r = 0;
                } else {
                        char b[FD_PATH_MAX];
                        _cleanup_close_ int dfd =
                                open(fd_path(b, parent), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                        r = dfd < 0 ? -1 : mkdirat(dfd, name, 0755);
                        if (r < 0 && errno == EEXIST)
                                r = 0;
                }
                if (r < 0)
                        return box_err_errno(err, errno, "create '/%s' in the container", p);
                *s = save;
                if (last)
                        break;
        }
        fd = openat_in_root(rootfd, path, O_PATH, 0);
        if (fd < 0)
                return box_err_errno(err, errno, "open '/%s' in the container", path);
        *ret_fd = fd;
        return 0;
}

static int mount_at(int rootfd, const char *source, const char *target, const char *fstype,
                    unsigned long flags, const char *data, bool is_dir, struct box_err *err)
{
        _cleanup_close_ int fd = -EBADF;
        char b[FD_PATH_MAX];
        int r = open_in_root(rootfd, target, is_dir, &fd, err);
        if (r < 0)
                return r;
        if (mount(source, fd_path(b, fd), fstype, flags, data) < 0)
                return box_err_errno(err, errno, "mount %s on '%s'", fstype ? fstype : source,
                                     target);
        return 0;
}

/* Makes a bind mount read-only (or adds FLAGS) keeping its locked flags. */
static int bind_remount(const char *path, unsigned long flags, struct box_err *err)
{
        struct statvfs sv;
        unsigned long keep = 0;
        if (statvfs(path, &sv) == 0)
                keep = sv.f_flag & (ST_RDONLY | ST_NOSUID | ST_NODEV | ST_NOEXEC | ST_NOATIME |
                                    ST_NODIRATIME | ST_RELATIME);
        if (mount(NULL, path, NULL, MS_REMOUNT | MS_BIND | keep | flags, NULL) < 0)
                return box_err_errno(err, errno, "remount '%s'", path);
        return 0;
}

static int bind_at(int rootfd, const char *source, const char *target, unsigned long flags,
                   struct box_err *err)
{
        struct stat st;
        if (stat(source, &st) < 0)
                return box_err_errno(err, errno, "bind mount source '%s'", source);
        _cleanup_close_ int fd = -EBADF;
        char b[FD_PATH_MAX];
        int r = open_in_root(rootfd, target, S_ISDIR(st.st_mode), &fd, err);
        if (r < 0)
                return r;
        if (mount(source, fd_path(b, fd), NULL, MS_BIND | MS_REC, NULL) < 0)
                return box_err_errno(err, errno, "bind mount '%s' on '%s'", source, target);
        flags &= MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC;
        if (flags) {
                /* re-resolve: fd still names the covered inode */
                _cleanup_close_ int fd2 = -EBADF;
                r = open_in_root(rootfd, target, S_ISDIR(st.st_mode), &fd2, err);
                if (r < 0)
                        return r;
                r = bind_remount(fd_path(b, fd2), flags, err);
                if (r < 0)
                        return r;
        }
        return 0;
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
                        int r = bind_at(rootfd, host, tgt, 0, err);
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

/* /sys/fs/cgroup as Docker has it: each of the host's hierarchies, seen
 * from the container's cgroup namespace (so its own cgroup is the root),
 * read-only unless privileged. */
static int mount_cgroups(int rootfd, bool privileged, struct box_err *err)
{
        _cleanup_fclose_ FILE *f = fopen("/proc/self/mountinfo", "re");
        if (!f)
                return box_err_errno(err, errno, "open /proc/self/mountinfo");
        unsigned long ro = privileged ? 0 : MS_RDONLY;
        unsigned long flags = MS_NOSUID | MS_NOEXEC | MS_NODEV;
        bool tmpfs_done = false;
        char *line = NULL;
        size_t cap = 0;
        int r = 0;
        while (r >= 0 && getline(&line, &cap, f) > 0) {
                char *sep = strstr(line, " - ");
                char fstype[32], src[64], super[512], mnt[PATH_MAX];
                if (!sep || sscanf(sep + 3, "%31s %63s %511s", fstype, src, super) != 3 ||
                    sscanf(line, "%*s %*s %*s %*s %4095s", mnt) != 1)
                        continue;
                bool v2 = streq(fstype, "cgroup2");
                if (!v2 && !streq(fstype, "cgroup"))
                        continue;
                if (v2 && streq(mnt, "/sys/fs/cgroup")) {
                        r = mount_at(rootfd, "cgroup2", "/sys/fs/cgroup", "cgroup2", flags | ro,
                                     NULL, true, err);
                        break;
                }
                if (!startswith(mnt, "/sys/fs/cgroup/") || strchr(mnt + 15, '/'))
                        continue;
                if (!tmpfs_done) {
                        r = mount_at(rootfd, "tmpfs", "/sys/fs/cgroup", "tmpfs", flags,
                                     "mode=755,size=64k", true, err);
                        tmpfs_done = true;
                        if (r < 0)
                                break;
                }
                /* keep the controllers (and name=) of the super options, drop rw/ro */
                struct buf opts = {0};
                char *save = NULL;
                for (char *o = strtok_r(super, ",", &save); o; o = strtok_r(NULL, ",", &save))
                        if (!streq(o, "rw") && !streq(o, "ro"))
                                buf_printf(&opts, "%s%s", opts.len ? "," : "", o);
                r = mount_at(rootfd, "cgroup", mnt, v2 ? "cgroup2" : "cgroup", flags | ro,
                             v2 ? NULL : opts.data, true, err);
                buf_release(&opts);
        }
        free(line);
        if (r >= 0 && tmpfs_done && !privileged) {
                _cleanup_close_ int fd = -EBADF;
                char b[FD_PATH_MAX];
                r = open_in_root(rootfd, "/sys/fs/cgroup", true, &fd, err);
                if (r >= 0 && mount(NULL, fd_path(b, fd), NULL, MS_REMOUNT | MS_RDONLY | flags,
                                    "mode=755,size=64k") < 0)
                        r = box_err_errno(err, errno, "remount /sys/fs/cgroup read-only");
        }
        return r;
}

static int mount_root(const struct run_spec *spec, const char *rootfs_path, int root_mount_fd,
                      struct box_err *err)
{
        if (root_mount_fd >= 0)
                return 0; /* built by box (user namespace), already attached */
        if (spec->rootfs) {
                if (mount(spec->rootfs, rootfs_path, NULL, MS_BIND | MS_REC, NULL) < 0)
                        return box_err_errno(err, errno, "bind mount rootfs '%s'", spec->rootfs);
                return 0;
        }
        /* Docker's overlay2 trick: short lowerdirs relative to the base dir,
         * so a deep image still fits the one-page option string. */
        if (chdir(spec->base_dir) < 0)
                return box_err_errno(err, errno, "chdir '%s'", spec->base_dir);
        const char *state = spec->state_dir;
        size_t blen = strlen(spec->base_dir);
        if (strneq(state, spec->base_dir, blen) && state[blen] == '/')
                state += blen + 1;
        struct buf opts = {0};
        buf_puts(&opts, "lowerdir=");
        for (size_t i = 0; spec->lowerdirs && spec->lowerdirs[i]; i++)
                buf_printf(&opts, "%s%s", i ? ":" : "", spec->lowerdirs[i]);
        buf_printf(&opts, ",upperdir=%s/upper,workdir=%s/work", state, state);
        if (opts.len >= (size_t)getpagesize()) {
                buf_release(&opts);
                return box_err_set(err, E2BIG,
                                   "overlay options too long: image has too many layers");
        }
        int r = mount("overlay", rootfs_path, "overlay", 0, opts.data);
        int e = errno;
        buf_release(&opts);
        if (r < 0)
                return box_err_errno(err, e, "mount overlay rootfs");
        return 0;
}

int run_rootfs_prepare(const struct run_spec *spec, const char *rootfs_path, int root_mount_fd,
                       int *ret_rootfd, struct box_err *err)
{
        int r;

        /* nothing we mount may propagate back to the host */
        if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0)
                return box_err_errno(err, errno, "make / a slave mount");
        r = mount_root(spec, rootfs_path, root_mount_fd, err);
        if (r < 0)
                return r;
        /* a root built by box is its own fd: its mount point may be out of reach */
        _cleanup_close_ int rootfd = root_mount_fd >= 0
                                             ? fcntl(root_mount_fd, F_DUPFD_CLOEXEC, 3)
                                             : open(rootfs_path, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (rootfd < 0)
                return box_err_errno(err, errno, "open rootfs");
        /* what volumes copy is the image's alone: opened before any mount */
        _cleanup_(run_copy_sources_release) struct run_copy_sources copy_src = {0};
        r = run_copy_sources_open(spec, rootfd, &copy_src, err);
        if (r < 0)
                return r;

        for (size_t i = 0; i < ARRAY_SIZE(default_mounts); i++) {
                const struct sys_mount *m = &default_mounts[i];
                unsigned long flags = m->flags;
                if (spec->privileged && streq(m->fstype, "sysfs"))
                        flags &= ~MS_RDONLY;
                r = mount_at(rootfd, m->source, m->target, m->fstype, flags, m->data, true, err);
                if (r < 0 && streq(m->fstype, "sysfs") && spec->network == RUN_NETWORK_HOST) {
                        /* sysfs of a shared netns: bind the host's read-only */
                        r = bind_at(rootfd, "/sys", "/sys", MS_RDONLY, err);
                }
                if (r < 0)
                        return r;
                if (streq(m->target, "/sys")) {
                        r = mount_cgroups(rootfd, spec->privileged, err);
                        /* v1 hierarchies may not be mountable from a user namespace */
                        if (r < 0 && spec->n_uid_map == 0)
                                return r;
                        r = 0;
                }
                if (streq(m->target, "/dev")) {
                        r = make_devices(rootfd, spec->privileged, err);
                        if (r < 0)
                                return r;
                }
        }

        static const char *const etc_targets[] = {"/etc/hostname", "/etc/hosts",
                                                  "/etc/resolv.conf"};
        const char *etc_sources[] = {spec->hostname_file, spec->hosts_file, spec->resolv_file};
        for (size_t i = 0; i < ARRAY_SIZE(etc_targets); i++) {
                if (!etc_sources[i])
                        continue;
                r = bind_at(rootfd, etc_sources[i], etc_targets[i], 0, err);
                if (r < 0)
                        return r;
        }

        for (size_t i = 0; i < spec->n_mounts; i++) {
                const struct run_mount *m = &spec->mounts[i];
                r = run_mount_target_check_at(rootfd, m, err);
                if (r < 0)
                        return r;
                if (m->type == RUN_MOUNT_TMPFS) {
                        r = mount_at(rootfd, "tmpfs", m->target, "tmpfs", m->flags, m->data, true,
                                     err);
                        if (r < 0)
                                return r;
                        continue;
                }
                r = run_copy_up(&copy_src, i, m, err);
                if (r < 0)
                        return r;
                r = bind_at(rootfd, m->source, m->target, m->flags, err);
                if (r < 0)
                        return r;
        }
        *ret_rootfd = TAKE_FD(rootfd);
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

int run_rootfs_finish(const struct run_spec *spec, struct box_err *err)
{
        int r;
        if (!spec->privileged) {
                for (size_t i = 0; i < ARRAY_SIZE(masked_paths); i++) {
                        struct stat st;
                        if (lstat(masked_paths[i], &st) < 0)
                                continue;
                        if (S_ISDIR(st.st_mode))
                                r = mount("tmpfs", masked_paths[i], "tmpfs", MS_RDONLY, "size=0k");
                        else
                                r = mount("/dev/null", masked_paths[i], NULL, MS_BIND, NULL);
                        if (r < 0)
                                return box_err_errno(err, errno, "mask '%s'", masked_paths[i]);
                }
                for (size_t i = 0; i < ARRAY_SIZE(readonly_paths); i++) {
                        if (access(readonly_paths[i], F_OK) < 0)
                                continue;
                        if (mount(readonly_paths[i], readonly_paths[i], NULL, MS_BIND | MS_REC,
                                  NULL) < 0)
                                return box_err_errno(err, errno, "bind '%s'", readonly_paths[i]);
                        r = bind_remount(readonly_paths[i],
                                         MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, err);
                        if (r < 0)
                                return r;
                }
        }
        if (spec->read_only) {
                r = bind_remount("/", MS_RDONLY, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

int run_rootfs_console(const char *slave_path, struct box_err *err)
{
        int fd = open("/dev/console", O_CREAT | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd >= 0)
                close(fd);
        if (mount(slave_path, "/dev/console", NULL, MS_BIND, NULL) < 0)
                return box_err_errno(err, errno, "bind '%s' on /dev/console", slave_path);
        return 0;
}
