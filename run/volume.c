#include "run/volume.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include "lib/fs.h"
#include "lib/strv.h"
#include "lib/xalloc.h"
#include "run/name.h"
#include "spec/oci.h"
#include "spec/json.h"

bool run_volume_name_valid(const char *name)
{
        return run_name_valid(name);
}

int run_volume_exists(const char *root, const char *name)
{
        _cleanup_free_ char *p = xasprintf("%s/volumes/%s/_data", root, name);
        return access(p, F_OK) == 0;
}

/* mount(8)'s option words that are flags; every other word is the file
 * system's data, as moby's mount.Mount() splits them */
static const struct {
        const char *name;
        unsigned long set, clear;
} mount_words[] = {
        {"defaults", 0, 0},
        {"ro", MS_RDONLY, 0},
        {"rw", 0, MS_RDONLY},
        {"nosuid", MS_NOSUID, 0},
        {"suid", 0, MS_NOSUID},
        {"nodev", MS_NODEV, 0},
        {"dev", 0, MS_NODEV},
        {"noexec", MS_NOEXEC, 0},
        {"exec", 0, MS_NOEXEC},
        {"sync", MS_SYNCHRONOUS, 0},
        {"async", 0, MS_SYNCHRONOUS},
        {"dirsync", MS_DIRSYNC, 0},
        {"noatime", MS_NOATIME, 0},
        {"atime", 0, MS_NOATIME},
        {"nodiratime", MS_NODIRATIME, 0},
        {"diratime", 0, MS_NODIRATIME},
        {"relatime", MS_RELATIME, 0},
        {"norelatime", 0, MS_RELATIME},
        {"strictatime", MS_STRICTATIME, 0},
        {"bind", MS_BIND, 0},
        {"rbind", MS_BIND | MS_REC, 0},
};

static unsigned long mount_opts_split(const char *o, char **ret_data)
{
        unsigned long flags = 0;
        struct buf data = {0};
        _cleanup_free_ char *copy = xstrdup(o ? o : "");
        char *save = NULL;
        for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
                size_t i = 0;
                while (i < ARRAY_SIZE(mount_words) && !streq(t, mount_words[i].name))
                        i++;
                if (i < ARRAY_SIZE(mount_words))
                        flags = (flags | mount_words[i].set) & ~mount_words[i].clear;
                else
                        buf_printf(&data, "%s%s", data.len ? "," : "", t);
        }
        *ret_data = data.len ? buf_steal(&data) : NULL;
        return flags;
}

/* OPTS's (k, v, ...) value of KEY, the last one given; NULL when absent */
static const char *opt_get(char *const *opts, const char *key)
{
        const char *v = NULL;
        for (size_t i = 0; opts && opts[i] && opts[i + 1]; i += 2)
                if (streq(opts[i], key))
                        v = opts[i + 1];
        return v;
}

/* Docker's local driver: its options and which others each needs
 * (volume/local: "o" needs "device" and "type", each of those the
 * other); "size" is a quota, which box has none of. */
int run_volume_opts_check(char *const *opts, struct box_err *err)
{
        for (size_t i = 0; opts && opts[i] && opts[i + 1]; i += 2) {
                if (streq(opts[i], "size"))
                        return box_err_set(err, EINVAL,
                                           "quota size requested but no quota support");
                if (!streq(opts[i], "type") && !streq(opts[i], "device") && !streq(opts[i], "o"))
                        return box_err_set(err, EINVAL, "invalid option: '%s'", opts[i]);
        }
        const char *type = opt_get(opts, "type"), *device = opt_get(opts, "device"),
                   *o = opt_get(opts, "o");
        if ((type || o) && !device)
                return box_err_set(err, EINVAL, "missing required option: 'device'");
        if ((device || o) && !type)
                return box_err_set(err, EINVAL, "missing required option: 'type'");
        /* a bind's device is a host directory: one that is not there is
         * told now (podman's check), not at the first run */
        _cleanup_free_ char *data = NULL;
        if (type && (streq(type, "bind") || (mount_opts_split(o, &data) & MS_BIND))) {
                struct stat st;
                if (device[0] != '/')
                        return box_err_set(err, EINVAL,
                                           "invalid volume option device '%s': a bind's device "
                                           "is an absolute path",
                                           device);
                if (stat(device, &st) < 0)
                        return box_err_errno(err, errno, "invalid volume option device '%s'",
                                             device);
        }
        return 0;
}

int run_volume_create(const char *root, const char *name, bool anonymous, char *const *labels,
                      char *const *opts, char **ret_data, bool *ret_created, struct box_err *err)
{
        int r = run_volume_opts_check(opts, err);
        if (r < 0)
                return r;
        if (!run_volume_name_valid(name))
                return box_err_set(err, EINVAL,
                                   "invalid volume name '%s': only [a-zA-Z0-9][a-zA-Z0-9_.-] "
                                   "are allowed",
                                   name);
        _cleanup_free_ char *dir = xasprintf("%s/volumes/%s", root, name);
        _cleanup_free_ char *data = xasprintf("%s/_data", dir);
        bool created = false;
        if (mkdir(dir, 0701) == 0) {
                created = true;
                _cleanup_jv_ struct jv *o = jv_object();
                _cleanup_free_ char *now = oci_time_now(false);
                jv_set_str(o, "CreatedAt", now);
                struct jv *l = jv_object();
                for (size_t i = 0; labels && labels[i] && labels[i + 1]; i += 2)
                        jv_set_str(l, labels[i], labels[i + 1]);
                jv_set(o, "Labels", l);
                struct jv *op = jv_object();
                for (size_t i = 0; opts && opts[i] && opts[i + 1]; i += 2)
                        jv_set_str(op, opts[i], opts[i + 1]);
                jv_set(o, "Options", op);
                jv_set(o, "Anonymous", jv_bool(anonymous));
                _cleanup_free_ char *json = jv_dump(o, JV_PRETTY);
                _cleanup_free_ char *meta = xasprintf("%s/volume.json", dir);
                r = fs_write_atomic_at(AT_FDCWD, meta, json, strlen(json), 0644, err);
                if (r < 0)
                        return r;
        } else if (errno != EEXIST) {
                return box_err_errno(err, errno, "create volume '%s'", name);
        }
        /* the mount's root in the container: 0755 whatever box's umask */
        if (mkdir(data, 0755) == 0 ? chmod(data, 0755) < 0 : errno != EEXIST)
                return box_err_errno(err, errno, "create volume '%s'", name);
        if (ret_created)
                *ret_created = created;
        if (ret_data)
                *ret_data = TAKE_PTR(data);
        return 0;
}

char *run_volume_users(const char *root, const char *name)
{
        _cleanup_free_ char *cdir = xasprintf("%s/containers", root);
        _cleanup_closedir_ DIR *d = opendir(cdir);
        struct buf b = {0};
        if (!d)
                return NULL;
        struct dirent *de;
        while ((de = readdir(d))) {
                if (de->d_name[0] == '.')
                        continue;
                _cleanup_free_ char *p = xasprintf("%s/%s/volumes-used", cdir, de->d_name);
                _cleanup_free_ char *buf = NULL;
                if (fs_read_file_at(AT_FDCWD, p, 1 << 20, &buf, NULL, NULL) < 0)
                        continue;
                char *save = NULL;
                for (char *l = strtok_r(buf, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
                        if (streq(l, name))
                                buf_printf(&b, "%.12s\n", de->d_name);
        }
        return b.data;
}

int run_volume_lock(const char *root, bool exclusive, struct box_err *err)
{
        _cleanup_free_ char *p = xasprintf("%s/volumes/.lock", root);
        _cleanup_close_ int fd = open(p, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0)
                return box_err_errno(err, errno, "open '%s'", p);
        if (RETRY_EINTR(flock(fd, exclusive ? LOCK_EX : LOCK_SH)) < 0)
                return box_err_errno(err, errno, "lock '%s'", p);
        return TAKE_FD(fd);
}

void run_volume_unlock(int fd)
{
        if (fd >= 0)
                close(fd);
}

/* More mounts on a _data than volume rm takes off: not box's own */
#define VOLUME_MOUNTS_MAX 64

/* The volume's directory, <root>/volumes/NAME (never through a link),
 * locked exclusive (flock): a first use's check and mount, and volume
 * rm's unmount, one at a time; *ret_fd holds it */
static int volume_dir_lock(const char *root, const char *name, int *ret_fd, struct box_err *err)
{
        _cleanup_free_ char *p = xasprintf("%s/volumes/%s", root, name);
        _cleanup_close_ int fd = open(p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return box_err_errno(err, errno, "open '%s'", p);
        if (RETRY_EINTR(flock(fd, LOCK_EX)) < 0)
                return box_err_errno(err, errno, "lock '%s'", p);
        *ret_fd = TAKE_FD(fd);
        return 0;
}

int run_volume_remove(const char *root, const char *name, struct box_err *err)
{
        if (!run_volume_name_valid(name))
                return box_err_set(err, EINVAL, "invalid volume name '%s'", name);
        _cleanup_free_ char *dir = xasprintf("%s/volumes/%s", root, name);
        if (access(dir, F_OK) < 0)
                return box_err_set(err, ENOENT, "no such volume: '%s'", name);
        _cleanup_free_ char *users = run_volume_users(root, name);
        if (users) {
                users[strcspn(users, "\n")] = '\0';
                return box_err_set(err, EBUSY, "remove %s: volume is in use - [%s]", name, users);
        }
        /* a volume with a device is unmounted first, every mount stacked
         * on its _data (fs_rm_rf() never crosses into a mount: a bind's
         * host directory stays as it is), under the volume's own lock so
         * that no first use mounts it meanwhile */
        _cleanup_close_ int dfd = -EBADF;
        int r = volume_dir_lock(root, name, &dfd, err);
        if (r < 0)
                return box_err_prefix(err, "remove volume '%s'", name);
        _cleanup_free_ char *data = xasprintf("/proc/self/fd/%d/_data", dfd);
        for (unsigned i = 0; fs_is_mount_point_at(dfd, "_data") > 0; i++)
                if (i >= VOLUME_MOUNTS_MAX || (umount2(data, UMOUNT_NOFOLLOW) < 0 &&
                                               umount2(data, MNT_DETACH | UMOUNT_NOFOLLOW) < 0))
                        return box_err_errno(err, i >= VOLUME_MOUNTS_MAX ? EBUSY : errno,
                                             "remove volume '%s': unmount", name);
        r = fs_rm_rf(dir, err);
        if (r < 0)
                return box_err_prefix(err, "remove volume '%s'", name);
        return 0;
}

char **run_volume_list(const char *root)
{
        _cleanup_free_ char *vdir = xasprintf("%s/volumes", root);
        _cleanup_closedir_ DIR *d = opendir(vdir);
        char **v = xnew0(char *, 1);
        if (!d)
                return v;
        struct dirent *de;
        while ((de = readdir(d)))
                if (de->d_name[0] != '.' && run_volume_exists(root, de->d_name))
                        v = strv_append(v, de->d_name);
        strv_sort(v);
        return v;
}

static struct jv *read_meta(const char *root, const char *name)
{
        _cleanup_free_ char *p = xasprintf("%s/volumes/%s/volume.json", root, name), *buf = NULL;
        struct jv *o = NULL;
        if (fs_read_file_at(AT_FDCWD, p, 1 << 20, &buf, NULL, NULL) < 0 ||
            jv_parse(buf, strlen(buf), &o, NULL) < 0 || !jv_is_object(o)) {
                jv_free(o);
                o = jv_object();
        }
        return o;
}

bool run_volume_is_anonymous(const char *root, const char *name)
{
        _cleanup_jv_ struct jv *o = read_meta(root, name);
        return jv_bool_value(jv_get(o, "Anonymous"));
}

char *run_volume_inspect_json(const char *root, const char *name)
{
        _cleanup_jv_ struct jv *m = read_meta(root, name);
        struct jv *o = jv_object();
        const char *created = jv_get_str(m, "CreatedAt");
        jv_set_str(o, "CreatedAt", created ? created : "");
        jv_set_str(o, "Driver", "local");
        struct jv *labels = jv_get(m, "Labels");
        jv_set(o, "Labels", labels ? jv_ref(labels) : jv_object());
        _cleanup_free_ char *mp = xasprintf("%s/volumes/%s/_data", root, name);
        jv_set_str(o, "Mountpoint", mp);
        jv_set_str(o, "Name", name);
        struct jv *opts = jv_get(m, "Options");
        jv_set(o, "Options", opts && jv_is_object(opts) ? jv_ref(opts) : jv_object());
        jv_set_str(o, "Scope", "local");
        char *s = jv_dump(o, JV_PRETTY);
        jv_free(o);
        return s;
}

int run_volume_mount(const char *root, const char *name, struct box_err *err)
{
        if (!run_volume_name_valid(name))
                return box_err_set(err, EINVAL, "invalid volume name '%s'", name);
        _cleanup_jv_ struct jv *m = read_meta(root, name);
        const struct jv *opts = jv_get(m, "Options");
        const char *type = jv_get_str(opts, "type"), *device = jv_get_str(opts, "device");
        if (!type || !device)
                return 0;
        _cleanup_close_ int dfd = -EBADF;
        int r = volume_dir_lock(root, name, &dfd, err);
        if (r < 0)
                return box_err_prefix(err, "volume '%s'", name);
        if (fs_is_mount_point_at(dfd, "_data") > 0)
                return 0; /* mounted at an earlier use: it stays until volume rm */
        /* mounted on the directory itself, never where a link in its place
         * leads; once mounted, the path through the volume's fd is the mount */
        _cleanup_close_ int dir =
                openat(dfd, "_data", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (dir < 0)
                return box_err_errno(err, errno, "volume '%s': open its _data", name);
        _cleanup_free_ char *target = xasprintf("/proc/self/fd/%d", dir);
        _cleanup_free_ char *data_dir = xasprintf("/proc/self/fd/%d/_data", dfd);
        _cleanup_free_ char *data = NULL;
        unsigned long flags = mount_opts_split(jv_get_str(opts, "o"), &data);
        if (streq(type, "bind")) /* podman's spelling of type=none,o=bind */
                flags |= MS_BIND;
        if (flags & MS_BIND) {
                /* a bind takes its flags only from a remount */
                r = mount(device, target, NULL, flags & (MS_BIND | MS_REC), NULL);
                unsigned long rest = flags & ~(MS_BIND | MS_REC);
                if (r == 0 && rest &&
                    mount(NULL, data_dir, NULL, MS_REMOUNT | MS_BIND | rest, NULL) < 0) {
                        int e = errno;
                        (void)umount2(data_dir, MNT_DETACH | UMOUNT_NOFOLLOW);
                        errno = e;
                        r = -1;
                }
        } else {
                r = mount(device, target, streq(type, "none") ? NULL : type, flags, data);
        }
        if (r < 0)
                return box_err_errno(err, errno, "volume '%s': mount '%s' (type '%s')", name,
                                     device, type);
        return 0;
}

int run_volume_mount_used(const char *root, const char *dir, struct box_err *err)
{
        _cleanup_free_ char *p = xasprintf("%s/volumes-used", dir), *buf = NULL;
        if (fs_read_file_at(AT_FDCWD, p, 1 << 20, &buf, NULL, NULL) < 0)
                return 0;
        char *save = NULL;
        for (char *l = strtok_r(buf, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
                int r = run_volume_mount(root, l, err);
                if (r < 0)
                        return r;
        }
        return 0;
}
