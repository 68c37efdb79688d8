/* box run --device HOST[:CONTAINER][:PERMS]: Docker's parsing (docker/cli's
 * validateLinuxPath and parseLinuxDevice) and its daemon's lookup of the
 * host's node (DevicesFromPath): a device node, or a directory whose device
 * nodes all go in under CONTAINER.  Each becomes a node for run/rootfs.c to
 * make and a line for the devices cgroup that allows PERMS on it. */
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "cli/cmd-run.h"
#include "lib/strv.h"
#include "lib/xalloc.h"

/* Docker's validDeviceMode: one to three of r, w, m, none twice. */
static bool valid_mode(const char *m)
{
        if (!*m || strlen(m) > 3)
                return false;
        for (const char *c = m; *c; c++)
                if (!strchr("rwm", *c) || strchr(c + 1, *c))
                        return false;
        return true;
}

static void add_node(struct run_opts *o, const char *host, const char *cpath, const struct stat *st,
                     const char *perms)
{
        char type = S_ISBLK(st->st_mode) ? 'b' : 'c';
        o->devices = strv_push(o->devices,
                               xasprintf("%c %u %u %o %u %u %s\t%s", type, major(st->st_rdev),
                                         minor(st->st_rdev), (unsigned)(st->st_mode & 07777),
                                         (unsigned)st->st_uid, (unsigned)st->st_gid, cpath, host));
        o->cgroup_device_rules =
                strv_push(o->cgroup_device_rules, xasprintf("%c %u:%u %s", type, major(st->st_rdev),
                                                            minor(st->st_rdev), perms));
        o->res.device_rules = o->cgroup_device_rules;
}

/* nftw has no argument for its callback: the walk in progress */
static struct {
        struct run_opts *o;
        const char *dir, *cpath, *perms;
        int found;
} walk;

static int walk_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
        (void)ftw;
        if (flag != FTW_F || !(S_ISCHR(st->st_mode) || S_ISBLK(st->st_mode)))
                return 0;
        _cleanup_free_ char *cpath = xasprintf("%s%s", walk.cpath, path + strlen(walk.dir));
        if (strchr(cpath, '\t') || strchr(cpath, '\n'))
                return 0;
        add_node(walk.o, path, cpath, st, walk.perms);
        walk.found++;
        return 0;
}

static int add_host_path(struct run_opts *o, const char *host, const char *cpath, const char *perms,
                         struct box_err *err)
{
        /* a symlink (/dev/disk/by-id/...) is the node it names */
        char resolved[PATH_MAX];
        const char *path = realpath(host, resolved) ? resolved : host;
        struct stat st;
        if (stat(path, &st) < 0)
                return box_err_set(err, errno,
                                   "error gathering device information while adding custom "
                                   "device '%s': %s",
                                   host, strerror(errno));
        if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
                add_node(o, host, cpath, &st, perms);
                return 0;
        }
        if (S_ISDIR(st.st_mode)) {
                walk.o = o, walk.dir = path, walk.cpath = cpath, walk.perms = perms;
                walk.found = 0;
                (void)nftw(path, walk_one, 16, FTW_PHYS);
                if (walk.found > 0)
                        return 0;
        }
        return box_err_set(err, EINVAL,
                           "error gathering device information while adding custom device '%s': "
                           "not a device node",
                           host);
}

int cli_run_device_add(struct run_opts *o, const char *arg, struct box_err *err)
{
        _cleanup_strv_free_ char **f = strv_split(arg, ':');
        size_t n = strv_length(f);
        if (n > 3 || !*f[0])
                return box_err_set(err, EINVAL, "invalid --device '%s': bad format for path", arg);
        const char *host = f[0], *cpath = f[0], *perms = "rwm";
        if (n == 2 && valid_mode(f[1]))
                perms = f[1];
        else if (n >= 2)
                cpath = f[1];
        if (n == 3) {
                if (!valid_mode(f[2]))
                        return box_err_set(err, EINVAL,
                                           "invalid --device '%s': bad mode specified: '%s'", arg,
                                           f[2]);
                perms = f[2];
        }
        if (cpath[0] != '/')
                return box_err_set(err, EINVAL,
                                   "invalid --device '%s': '%s' is not an absolute path", arg,
                                   cpath);
        if (strchr(arg, '\t') || strchr(arg, '\n'))
                return box_err_set(err, EINVAL, "invalid --device '%s': a tab or newline in a path",
                                   arg);
        _cleanup_free_ char *clean = cli_run_clean_path(cpath);
        if (streq(clean, "/"))
                return box_err_set(err, EINVAL, "invalid --device '%s': the container path is '/'",
                                   arg);
        int r = add_host_path(o, host, clean, perms, err);
        if (r < 0)
                return r;
        o->device_maps = strv_push(o->device_maps, xasprintf("%s\t%s\t%s", host, clean, perms));
        return 0;
}
