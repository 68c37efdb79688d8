#include "run/volume.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
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

int run_volume_create(const char *root, const char *name, bool anonymous, char *const *labels,
                      char **ret_data, bool *ret_created, struct box_err *err)
{
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
                jv_set(o, "Anonymous", jv_bool(anonymous));
                _cleanup_free_ char *json = jv_dump(o, JV_PRETTY);
                _cleanup_free_ char *meta = xasprintf("%s/volume.json", dir);
                int r = fs_write_atomic_at(AT_FDCWD, meta, json, strlen(json), 0644, err);
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
        int r = fs_rm_rf(dir, err);
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
        jv_set(o, "Options", jv_object());
        jv_set_str(o, "Scope", "local");
        char *s = jv_dump(o, JV_PRETTY);
        jv_free(o);
        return s;
}
