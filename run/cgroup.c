/* The container's cgroup, on whatever layout the host has: cgroup v1
 * (a hierarchy per controller), v2 (one unified hierarchy) or the hybrid
 * of both (v1 controllers plus a v2 hierarchy, as on this machine).  box
 * makes PARENT/ID in every v1 hierarchy that has a controller and in the
 * v2 hierarchy, writes the limits with the file names of each version,
 * and removes the directories when the container ends.  The device
 * allow-list is run/cgroup-devices.c's (v1 lines, v2 BPF). */
#include <ctype.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>

#include "lib/fs.h"
#include "lib/thread.h"
#include "lib/xalloc.h"
#include "run/lifecycle.h"
#include "run/run-internal.h"

struct cg_dir {
        char *path; /* absolute directory of the container's cgroup */
        char *opts; /* v1: the hierarchy's controllers ("cpu,cpuacct") */
        bool v2;
        /* PATH is the container's own directory (PARENT/ID), not yet the
         * hierarchy's mount point: only then is it emptied and removed */
        bool own;
};

struct run_cgroup {
        struct cg_dir *dirs;
        size_t n;
        /* the host's cgroup mounts, read once: the container's set-up
         * mounts them in its own /sys/fs/cgroup (run_cgroup_mounts) */
        struct run_cgroup_mount *mounts;
        size_t n_mounts;
        /* what run_cgroup_create_rest needs for the v1 directories that
         * run_cgroup_create left (their PATH still the mount point) */
        char *parent, *id;
        const struct run_resources *res;
        bool all_devices, hybrid, v1_devices;
};

static bool has_controller(const char *opts, const char *name)
{
        size_t n = strlen(name);
        for (const char *p = opts; p && *p;) {
                if (strneq(p, name, n) && (p[n] == ',' || p[n] == '\0'))
                        return true;
                p = strchr(p, ',');
                if (p)
                        p++;
        }
        return false;
}

static const char *const v1_controllers[] = {
        "memory",  "pids",    "cpu",      "cpuacct",    "cpuset",  "blkio", "devices",
        "freezer", "net_cls", "net_prio", "perf_event", "hugetlb", "rdma",  "misc",
};

int run_cgroup_mounts_read(struct run_cgroup_mount **ret, size_t *ret_n, struct box_err *err)
{
        /* read in one go (stdio's buffer would be procfs's 1 KiB block: a
         * read(2) per KiB, each one walking the mounts again) */
        char buf[MOUNTINFO_BUF];
        _cleanup_fclose_ FILE *f = fopen("/proc/self/mountinfo", "re");
        if (!f)
                return box_err_errno(err, errno, "open /proc/self/mountinfo");
        setvbuf(f, buf, _IOFBF, sizeof(buf));
        struct run_cgroup_mount *v = NULL;
        size_t n = 0;
        char *line = NULL;
        size_t cap = 0;
        while (getline(&line, &cap, f) > 0) {
                /* id parent maj:min root mountpoint opts [optional...] - fstype source superopts */
                char *sep = strstr(line, " - ");
                char fstype[32], src[64], super[512], mnt[PATH_MAX];
                if (!sep || sscanf(sep + 3, "%31s %63s %511s", fstype, src, super) != 3)
                        continue;
                bool v2 = streq(fstype, "cgroup2");
                if (!v2 && !streq(fstype, "cgroup"))
                        continue;
                if (sscanf(line, "%*s %*s %*s %*s %4095s", mnt) != 1)
                        continue;
                v = xreallocarray(v, n + 1, sizeof(*v));
                v[n++] = (struct run_cgroup_mount){
                        .mnt = xstrdup(mnt), .super = xstrdup(super), .v2 = v2};
        }
        free(line);
        *ret = v;
        *ret_n = n;
        return 0;
}

void run_cgroup_mounts_free(struct run_cgroup_mount *v, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                free(v[i].mnt);
                free(v[i].super);
        }
        free(v);
}

/* The hierarchies among the host's cgroup mounts (M, N): cgroup2, and v1
 * ones with a controller we know or a name. */
static void find_hierarchies(const struct run_cgroup_mount *m, size_t nm, struct cg_dir **ret,
                             size_t *ret_n)
{
        struct cg_dir *v = NULL;
        size_t n = 0;
        for (size_t k = 0; k < nm; k++) {
                if (!m[k].v2) {
                        /* named hierarchies (name=systemd) are joined too, so the
                         * container's cgroup namespace hides the host's tree */
                        bool useful = strstr(m[k].super, "name=") != NULL;
                        for (size_t i = 0; i < ARRAY_SIZE(v1_controllers); i++)
                                if (has_controller(m[k].super, v1_controllers[i]))
                                        useful = true;
                        if (!useful)
                                continue;
                }
                bool dup = false;
                for (size_t i = 0; i < n; i++)
                        if (streq(v[i].path, m[k].mnt))
                                dup = true;
                if (dup)
                        continue;
                v = xreallocarray(v, n + 1, sizeof(*v));
                v[n++] = (struct cg_dir){
                        .path = xstrdup(m[k].mnt), .opts = xstrdup(m[k].super), .v2 = m[k].v2};
        }
        *ret = v;
        *ret_n = n;
}

static int write_file(const char *dir, const char *file, const char *value, struct box_err *err)
{
        _cleanup_free_ char *p = xasprintf("%s/%s", dir, file);
        _cleanup_close_ int fd = open(p, O_WRONLY | O_CLOEXEC);
        if (fd < 0)
                return box_err_errno(err, errno, "open '%s'", p);
        if (write(fd, value, strlen(value)) < 0)
                return box_err_errno(err, errno, "write '%s' to '%s'", value, p);
        return 0;
}

static bool file_exists(const char *dir, const char *file)
{
        _cleanup_free_ char *p = xasprintf("%s/%s", dir, file);
        return access(p, F_OK) == 0;
}

/* v1 cpuset: a new cgroup starts with no cpus and mems; inherit them. */
static int cpuset_inherit(const char *dir, const char *file, struct box_err *err)
{
        _cleanup_free_ char *cur = NULL, *par = NULL;
        _cleanup_free_ char *p = xasprintf("%s/%s", dir, file);
        if (fs_read_file_at(AT_FDCWD, p, 4096, &cur, NULL, NULL) == 0 && cur[0] != '\n' && cur[0])
                return 0;
        _cleanup_free_ char *pp = xasprintf("%s/../%s", dir, file);
        if (fs_read_file_at(AT_FDCWD, pp, 4096, &par, NULL, err) < 0)
                return box_err_prefix(err, "cpuset");
        return write_file(dir, file, par, err);
}

/* Enables every controller the v2 root offers in the root's and PARENT's
 * subtree_control, so the container's cgroup gets them.  Best effort: a
 * limit on a controller that stayed off fails later with its own error. */
static void v2_enable_controllers(const char *mnt, const char *parent)
{
        /* root -> parent: enable what the root offers, then the same in parent */
        _cleanup_free_ char *ctrls = NULL;
        _cleanup_free_ char *cf = xasprintf("%s/cgroup.controllers", mnt);
        if (fs_read_file_at(AT_FDCWD, cf, 4096, &ctrls, NULL, NULL) < 0)
                return;
        struct buf b = {0};
        char *save = NULL;
        for (char *c = strtok_r(ctrls, " \n", &save); c; c = strtok_r(NULL, " \n", &save))
                buf_printf(&b, "%s+%s", b.len ? " " : "", c);
        if (b.len == 0) {
                buf_release(&b);
                return;
        }
        (void)write_file(mnt, "cgroup.subtree_control", b.data, NULL);
        _cleanup_free_ char *pd = xasprintf("%s%s", mnt, parent);
        (void)write_file(pd, "cgroup.subtree_control", b.data, NULL);
        buf_release(&b);
}

static int64_t v2_cpu_weight(int64_t shares)
{
        if (shares < 2)
                shares = 2;
        if (shares > 262144)
                shares = 262144;
        return 1 + ((shares - 2) * 9999) / 262142;
}

/* The pids limit applies to every container and RUN step, by default
 * Podman's 2048. */
static int write_pids_max(struct cg_dir *d, const struct run_resources *res, struct box_err *err)
{
        int64_t limit = res && res->pids_limit ? res->pids_limit : RUN_PIDS_LIMIT_DEFAULT;
        char v[32];
        if (limit < 0)
                snprintf(v, sizeof(v), "max");
        else
                snprintf(v, sizeof(v), "%" PRId64, limit);
        return write_file(d->path, "pids.max", v, err);
}

/* RATES' lines "MAJOR:MINOR N" (FMT: the N's prefix, "" or "riops=")
 * to FILE, one write each, as the kernel takes them. */
static int write_device_lines(const char *dir, const char *file, const char *prefix,
                              const struct run_device_rate *v, size_t n, struct box_err *err)
{
        for (size_t i = 0; i < n; i++) {
                char line[96];
                snprintf(line, sizeof(line), "%u:%u %s%" PRIu64, v[i].major, v[i].minor, prefix,
                         v[i].bps);
                int r = write_file(dir, file, line, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* --memory-reservation, --memory-swappiness, --oom-kill-disable */
static int set_memory_v1(struct cg_dir *d, const struct run_resources *res, struct box_err *err)
{
        char v[32];
        int r = 0;
        if (res->memory_reservation > 0) {
                snprintf(v, sizeof(v), "%" PRId64, res->memory_reservation);
                r = write_file(d->path, "memory.soft_limit_in_bytes", v, err);
        }
        if (r >= 0 && res->memory_swappiness_set) {
                snprintf(v, sizeof(v), "%d", res->memory_swappiness);
                r = write_file(d->path, "memory.swappiness", v, err);
        }
        if (r >= 0 && res->oom_kill_disable)
                r = write_file(d->path, "memory.oom_control", "1", err);
        return r;
}

/* the per-device limits: --device-read-bps, --device-write-bps,
 * --device-read-iops, --device-write-iops, --blkio-weight-device */
static int set_blkio_more_v1(struct cg_dir *d, const struct run_resources *res, struct box_err *err)
{
        int r = write_device_lines(d->path, "blkio.throttle.read_bps_device", "", res->read_bps,
                                   res->n_read_bps, err);
        if (r >= 0)
                r = write_device_lines(d->path, "blkio.throttle.write_bps_device", "",
                                       res->write_bps, res->n_write_bps, err);
        if (r >= 0)
                r = write_device_lines(d->path, "blkio.throttle.read_iops_device", "",
                                       res->read_iops, res->n_read_iops, err);
        if (r >= 0)
                r = write_device_lines(d->path, "blkio.throttle.write_iops_device", "",
                                       res->write_iops, res->n_write_iops, err);
        if (r < 0 || !res->n_weight_device)
                return r;
        const char *f = file_exists(d->path, "blkio.weight_device") ? "blkio.weight_device"
                        : file_exists(d->path, "blkio.bfq.weight_device")
                                ? "blkio.bfq.weight_device"
                                : NULL;
        if (!f)
                return box_err_set(err, EOPNOTSUPP,
                                   "--blkio-weight-device: the kernel has no blkio weight (no "
                                   "CFQ/BFQ scheduler)");
        return write_device_lines(d->path, f, "", res->weight_device, res->n_weight_device, err);
}

/* v1 keeps memory+swap at least memory at every write: the limit that
 * grows goes first.  A new cgroup has neither (both "max"), so only an
 * update (UPDATE) needs to read which way memory moves. */
static int set_memory_limit_v1(struct cg_dir *d, const struct run_resources *res, bool update,
                               struct box_err *err)
{
        char mv[32], sv[32];
        snprintf(mv, sizeof(mv), "%" PRId64, res->memory);
        if (!file_exists(d->path, "memory.memsw.limit_in_bytes"))
                return write_file(d->path, "memory.limit_in_bytes", mv, err);
        int64_t sw = res->memory_swap == 0 ? 2 * res->memory : res->memory_swap;
        snprintf(sv, sizeof(sv), "%" PRId64, sw);
        bool swap_first = false;
        if (update) {
                _cleanup_free_ char *p = xasprintf("%s/memory.limit_in_bytes", d->path);
                _cleanup_free_ char *cur = NULL;
                swap_first = fs_read_file_at(AT_FDCWD, p, 64, &cur, NULL, NULL) == 0 &&
                             strtoll(cur, NULL, 10) < res->memory;
        }
        int r = write_file(d->path,
                           swap_first ? "memory.memsw.limit_in_bytes" : "memory.limit_in_bytes",
                           swap_first ? sv : mv, err);
        if (r >= 0)
                r = write_file(d->path,
                               swap_first ? "memory.limit_in_bytes" : "memory.memsw.limit_in_bytes",
                               swap_first ? mv : sv, err);
        return r;
}

/* Every limit of RES but the device list, in hierarchy D: at creation and
 * for box update. */
static int set_resources_v1(struct cg_dir *d, const struct run_resources *res, bool update,
                            struct box_err *err)
{
        char v[128];
        int r = 0;
        if (has_controller(d->opts, "cpuset") && res) {
                if (res->cpuset_cpus)
                        r = write_file(d->path, "cpuset.cpus", res->cpuset_cpus, err);
                if (r >= 0 && res->cpuset_mems)
                        r = write_file(d->path, "cpuset.mems", res->cpuset_mems, err);
                if (r < 0)
                        return r;
        }
        if (has_controller(d->opts, "pids")) {
                r = write_pids_max(d, res, err);
                if (r < 0)
                        return r;
        }
        if (!res)
                return 0;
        if (has_controller(d->opts, "memory") && res->memory > 0) {
                r = set_memory_limit_v1(d, res, update, err);
                if (r < 0)
                        return r;
        }
        if (has_controller(d->opts, "memory")) {
                r = set_memory_v1(d, res, err);
                if (r < 0)
                        return r;
        }
        if (has_controller(d->opts, "cpu")) {
                /* --cpu-period alone sets the period, as Docker */
                if (res->cpu_period > 0) {
                        snprintf(v, sizeof(v), "%" PRId64, res->cpu_period);
                        r = write_file(d->path, "cpu.cfs_period_us", v, err);
                }
                if (r >= 0 && res->cpu_quota != 0) {
                        snprintf(v, sizeof(v), "%" PRId64, res->cpu_quota);
                        r = write_file(d->path, "cpu.cfs_quota_us", v, err);
                }
                if (r >= 0 && res->cpu_shares > 0) {
                        snprintf(v, sizeof(v), "%" PRId64, res->cpu_shares);
                        r = write_file(d->path, "cpu.shares", v, err);
                }
                if (r < 0)
                        return r;
        }
        if (has_controller(d->opts, "blkio")) {
                if (res->blkio_weight > 0) {
                        snprintf(v, sizeof(v), "%d", res->blkio_weight);
                        if (file_exists(d->path, "blkio.weight"))
                                r = write_file(d->path, "blkio.weight", v, err);
                        else if (file_exists(d->path, "blkio.bfq.weight"))
                                r = write_file(d->path, "blkio.bfq.weight", v, err);
                        else
                                r = box_err_set(err, EOPNOTSUPP,
                                                "--blkio-weight: the kernel has no blkio weight "
                                                "(no CFQ/BFQ scheduler)");
                        if (r < 0)
                                return r;
                }
                r = set_blkio_more_v1(d, res, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int set_limits_v1(struct cg_dir *d, const struct run_resources *res, bool all_devices,
                         struct box_err *err)
{
        int r = 0;
        if (has_controller(d->opts, "cpuset")) {
                r = cpuset_inherit(d->path, "cpuset.cpus", err);
                if (r >= 0)
                        r = cpuset_inherit(d->path, "cpuset.mems", err);
                if (r < 0)
                        return r;
        }
        if (has_controller(d->opts, "devices")) {
                r = run_cgroup_devices_v1(d->path, all_devices, res ? res->device_rules : NULL,
                                          err);
                if (r < 0)
                        return r;
        }
        return set_resources_v1(d, res, false, err);
}

static int set_limits_v2(struct cg_dir *d, const struct run_resources *res, struct box_err *err)
{
        char v[128];
        int r = 0;
        if (file_exists(d->path, "pids.max")) {
                r = write_pids_max(d, res, err);
                if (r < 0)
                        return r;
        }
        if (!res)
                return 0;
        if (res->memory > 0 && file_exists(d->path, "memory.max")) {
                snprintf(v, sizeof(v), "%" PRId64, res->memory);
                r = write_file(d->path, "memory.max", v, err);
                if (r < 0)
                        return r;
                if (file_exists(d->path, "memory.swap.max")) {
                        if (res->memory_swap < 0)
                                snprintf(v, sizeof(v), "max");
                        else
                                snprintf(v, sizeof(v), "%" PRId64,
                                         res->memory_swap == 0 ? res->memory
                                                               : res->memory_swap - res->memory);
                        r = write_file(d->path, "memory.swap.max", v, err);
                        if (r < 0)
                                return r;
                }
        }
        if ((res->cpu_quota != 0 || res->cpu_period > 0) && file_exists(d->path, "cpu.max")) {
                if (res->cpu_quota > 0)
                        snprintf(v, sizeof(v), "%" PRId64 " %" PRId64, res->cpu_quota,
                                 res->cpu_period > 0 ? res->cpu_period : 100000);
                else
                        snprintf(v, sizeof(v), "max %" PRId64,
                                 res->cpu_period > 0 ? res->cpu_period : 100000);
                r = write_file(d->path, "cpu.max", v, err);
                if (r < 0)
                        return r;
        }
        if (res->cpuset_mems && file_exists(d->path, "cpuset.mems")) {
                r = write_file(d->path, "cpuset.mems", res->cpuset_mems, err);
                if (r < 0)
                        return r;
        }
        if (res->memory_reservation > 0 && file_exists(d->path, "memory.low")) {
                snprintf(v, sizeof(v), "%" PRId64, res->memory_reservation);
                r = write_file(d->path, "memory.low", v, err);
                if (r < 0)
                        return r;
        }
        if (res->cpu_shares > 0 && file_exists(d->path, "cpu.weight")) {
                snprintf(v, sizeof(v), "%" PRId64, v2_cpu_weight(res->cpu_shares));
                r = write_file(d->path, "cpu.weight", v, err);
                if (r < 0)
                        return r;
        }
        if (res->cpuset_cpus && file_exists(d->path, "cpuset.cpus")) {
                r = write_file(d->path, "cpuset.cpus", res->cpuset_cpus, err);
                if (r < 0)
                        return r;
        }
        if (res->blkio_weight > 0 && file_exists(d->path, "io.weight")) {
                snprintf(v, sizeof(v), "default %d", 1 + (res->blkio_weight - 10) * 9999 / 990);
                r = write_file(d->path, "io.weight", v, err);
                if (r < 0)
                        return r;
        }
        if (res->n_weight_device && file_exists(d->path, "io.weight")) {
                struct run_device_rate w[res->n_weight_device];
                for (size_t i = 0; i < res->n_weight_device; i++) {
                        w[i] = res->weight_device[i];
                        w[i].bps = 1 + (w[i].bps - 10) * 9999 / 990;
                }
                r = write_device_lines(d->path, "io.weight", "", w, res->n_weight_device, err);
                if (r < 0)
                        return r;
        }
        if (file_exists(d->path, "io.max")) {
                r = write_device_lines(d->path, "io.max", "rbps=", res->read_bps, res->n_read_bps,
                                       err);
                if (r >= 0)
                        r = write_device_lines(d->path, "io.max", "wbps=", res->write_bps,
                                               res->n_write_bps, err);
                if (r >= 0)
                        r = write_device_lines(d->path, "io.max", "riops=", res->read_iops,
                                               res->n_read_iops, err);
                if (r >= 0)
                        r = write_device_lines(d->path, "io.max", "wiops=", res->write_iops,
                                               res->n_write_iops, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* Does the v2 hierarchy hold the controllers (pure v2), or only a few
 * (hybrid: limits are v1's job)? */
static bool v1_present(const struct run_cgroup *cg)
{
        for (size_t i = 0; i < cg->n; i++)
                if (!cg->dirs[i].v2)
                        return true;
        return false;
}

/* Is controller NAME (v1's name) where this layout sets limits: a v1
 * hierarchy of it, or on a pure v2 host the root's cgroup.controllers (v2
 * calls blkio "io"; its device filter is BPF, always there)? */
static bool controller_present(const struct run_cgroup *cg, bool hybrid, const char *name)
{
        for (size_t i = 0; i < cg->n; i++) {
                const struct cg_dir *d = &cg->dirs[i];
                if (!d->v2) {
                        if (has_controller(d->opts, name))
                                return true;
                        continue;
                }
                if (hybrid && !streq(name, "devices"))
                        continue;
                if (streq(name, "devices"))
                        return true;
                _cleanup_free_ char *ctrls = NULL;
                _cleanup_free_ char *cf = xasprintf("%s/cgroup.controllers", d->path);
                if (fs_read_file_at(AT_FDCWD, cf, 4096, &ctrls, NULL, NULL) < 0)
                        continue;
                const char *want = streq(name, "blkio") ? "io" : name;
                size_t n = strlen(want);
                for (const char *p = ctrls; (p = strstr(p, want)); p += n)
                        if ((p == ctrls || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\n' || !p[n]))
                                return true;
        }
        return false;
}

/* A limit asked for must land somewhere: where cgroups are not mounted (a
 * bare `ip netns exec` shell, a chroot) or a controller is off, runc fails
 * rather than run the container unlimited, and so does box.  The device
 * allow-list is always asked for (but for --privileged): without it a
 * container holding CAP_MKNOD could open the host's disks. */
static int check_controllers(const struct run_cgroup *cg, const struct run_resources *res,
                             bool all_devices, struct box_err *err)
{
        bool hybrid = v1_present(cg);
        struct {
                const char *controller, *flag;
                bool wanted;
        } need[] = {
                {"devices", NULL, !all_devices},
                {"memory", "--memory", res && res->memory > 0},
                {"cpu", res && res->cpu_quota > 0 ? "--cpus" : "--cpu-shares",
                 res && (res->cpu_quota > 0 || res->cpu_shares > 0)},
                {"cpu", "--cpu-period/--cpu-quota",
                 res && (res->cpu_period > 0 || res->cpu_quota != 0)},
                {"memory", "--memory-reservation/--memory-swappiness/--oom-kill-disable",
                 res && (res->memory_reservation > 0 || res->memory_swappiness_set ||
                         res->oom_kill_disable)},
                {"cpuset", "--cpuset-mems", res && res->cpuset_mems},
                {"blkio", "--device-read-iops/--device-write-iops/--blkio-weight-device",
                 res && (res->n_read_iops || res->n_write_iops || res->n_weight_device)},
                {"cpuset", "--cpuset-cpus", res && res->cpuset_cpus},
                {"pids", "--pids-limit", res && res->pids_limit > 0},
                {"blkio", "--blkio-weight", res && res->blkio_weight > 0},
                {"blkio", "--device-read-bps/--device-write-bps",
                 res && (res->n_read_bps > 0 || res->n_write_bps > 0)},
        };
        for (size_t i = 0; i < ARRAY_SIZE(need); i++) {
                if (!need[i].wanted || controller_present(cg, hybrid, need[i].controller))
                        continue;
                if (!need[i].flag)
                        return box_err_set(err, ENOENT,
                                           "no cgroup hierarchy has the devices controller, "
                                           "which keeps a container off the host's devices "
                                           "(is /sys/fs/cgroup mounted?)");
                return box_err_set(err, ENOENT,
                                   "%s: no cgroup hierarchy has the %s controller "
                                   "(is /sys/fs/cgroup mounted?)",
                                   need[i].flag, need[i].controller);
        }
        return 0;
}

/* Makes D, a hierarchy's PARENT/ID (PATH its mount point until then), and
 * writes its limits. */
static int make_dir(struct run_cgroup *cg, struct cg_dir *d, struct box_err *err)
{
        char *mnt = d->path;
        _cleanup_free_ char *pdir = xasprintf("%s%s", mnt, cg->parent);
        int r = 0;
        if (mkdir(pdir, 0755) < 0 && errno != EEXIST)
                return box_err_errno(err, errno, "create cgroup '%s'", pdir);
        if (!d->v2 && has_controller(d->opts, "cpuset")) {
                r = cpuset_inherit(pdir, "cpuset.cpus", err);
                if (r >= 0)
                        r = cpuset_inherit(pdir, "cpuset.mems", err);
                if (r < 0)
                        return r;
        }
        if (d->v2 && !cg->hybrid)
                v2_enable_controllers(mnt, cg->parent);
        d->path = xasprintf("%s/%s", pdir, cg->id);
        d->own = true;
        free(mnt);
        if (mkdir(d->path, 0755) < 0) {
                r = box_err_errno(err, errno, "create cgroup '%s'", d->path);
                /* not ours: do not remove it */
                free(d->path);
                d->path = NULL;
                return r;
        }
        if (!d->v2)
                return set_limits_v1(d, cg->res, cg->all_devices, err);
        if (!cg->hybrid)
                r = set_limits_v2(d, cg->res, err);
        /* the device filter of v2 is a BPF program; on a hybrid host whose
         * v1 devices controller holds the same list (set_limits_v1), the
         * kernel checks both, so the program, whose verification costs more
         * than the rest of the cgroup, would only repeat it (runc and crun
         * load none there either) */
        if (r >= 0 && !cg->v1_devices)
                r = run_cgroup_devices_v2(d->path, cg->all_devices,
                                          cg->res ? cg->res->device_rules : NULL, err);
        return r;
}

int run_cgroup_create(const char *parent, const char *id, const struct run_resources *res,
                      bool all_devices, bool v2_only, struct run_cgroup **ret, struct box_err *err)
{
        struct run_cgroup *cg = xnew0(struct run_cgroup, 1);
        int r;
        r = run_cgroup_mounts_read(&cg->mounts, &cg->n_mounts, err);
        if (r >= 0) {
                find_hierarchies(cg->mounts, cg->n_mounts, &cg->dirs, &cg->n);
                r = check_controllers(cg, res, all_devices, err);
        }
        if (r < 0) {
                /* the paths are the hierarchies' mount points yet: nothing
                 * of ours to remove */
                run_cgroup_free(cg);
                return box_err_prefix(err, "cgroup");
        }
        cg->parent = xstrdup(parent && *parent ? parent : "/box");
        cg->id = xstrdup(id);
        cg->res = res;
        cg->all_devices = all_devices;
        cg->hybrid = v1_present(cg);
        for (size_t i = 0; i < cg->n; i++)
                cg->v1_devices = cg->v1_devices ||
                                 (!cg->dirs[i].v2 && has_controller(cg->dirs[i].opts, "devices"));
        for (size_t i = 0; i < cg->n && r >= 0; i++)
                if (cg->dirs[i].v2 || !v2_only)
                        r = make_dir(cg, &cg->dirs[i], err);
        if (r < 0) {
                run_cgroup_destroy(cg);
                return box_err_prefix(err, "cgroup");
        }
        *ret = cg;
        return 0;
}

const struct run_cgroup_mount *run_cgroup_mounts(const struct run_cgroup *cg, size_t *ret_n)
{
        *ret_n = cg ? cg->n_mounts : 0;
        return cg ? cg->mounts : NULL;
}

int run_cgroup_create_rest(struct run_cgroup *cg, struct box_err *err)
{
        for (size_t i = 0; i < cg->n; i++) {
                struct cg_dir *d = &cg->dirs[i];
                if (d->own || !d->path)
                        continue;
                int r = make_dir(cg, d, err);
                if (r < 0)
                        return box_err_prefix(err, "cgroup");
        }
        return 0;
}

char **run_cgroup_tasks_paths(const struct run_cgroup *cg)
{
        char **v = xnew0(char *, cg->n + 1);
        size_t n = 0;
        for (size_t i = 0; i < cg->n; i++)
                if (!cg->dirs[i].own && !cg->dirs[i].v2 && cg->dirs[i].path)
                        v[n++] = xasprintf("%s%s/%s/tasks", cg->dirs[i].path, cg->parent, cg->id);
        return v;
}

int run_cgroup_join_paths(char *const *tasks)
{
        for (size_t i = 0; tasks && tasks[i]; i++) {
                int fd = open(tasks[i], O_WRONLY | O_CLOEXEC);
                if (fd < 0)
                        return -errno;
                int r = write(fd, "0", 1) == 1 ? 0 : -errno;
                close(fd);
                if (r < 0)
                        return r;
        }
        return 0;
}

int run_cgroup_attach(struct run_cgroup *cg, pid_t pid, struct box_err *err)
{
        char v[32];
        snprintf(v, sizeof(v), "%d", (int)pid);
        for (size_t i = 0; i < cg->n; i++) {
                if (!cg->dirs[i].path)
                        continue;
                int r = write_file(cg->dirs[i].path, "cgroup.procs", v, err);
                if (r < 0)
                        return box_err_prefix(err, "join cgroup");
        }
        return 0;
}

int run_cgroup_attach_v2(struct run_cgroup *cg, pid_t pid, struct box_err *err)
{
        char v[32];
        snprintf(v, sizeof(v), "%d", (int)pid);
        for (size_t i = 0; i < cg->n; i++)
                if (cg->dirs[i].path && cg->dirs[i].v2) {
                        int r = write_file(cg->dirs[i].path, "cgroup.procs", v, err);
                        if (r < 0)
                                return box_err_prefix(err, "join cgroup");
                }
        return 0;
}

int run_cgroup_join_open(const struct run_cgroup *cg, struct run_cgroup_join *ret,
                         struct box_err *err)
{
        *ret = (struct run_cgroup_join){.tasks = xnew(int, cg->n ? cg->n : 1), .v2_dir = -EBADF};
        for (size_t i = 0; i < cg->n; i++) {
                const struct cg_dir *d = &cg->dirs[i];
                if (!d->path || !d->own)
                        continue;
                _cleanup_free_ char *p = d->v2 ? xstrdup(d->path) : xasprintf("%s/tasks", d->path);
                int fd = d->v2 ? open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
                               : open(p, O_WRONLY | O_CLOEXEC);
                if (fd < 0) {
                        int e = errno;
                        run_cgroup_join_close(ret);
                        return box_err_errno(err, e, "open '%s'", p);
                }
                if (d->v2)
                        ret->v2_dir = fd;
                else
                        ret->tasks[ret->n++] = fd;
        }
        return 0;
}

int run_cgroup_join_self(const struct run_cgroup_join *j)
{
        for (size_t i = 0; i < j->n; i++)
                if (write(j->tasks[i], "0", 1) != 1)
                        return -errno;
        return 0;
}

void run_cgroup_join_close(struct run_cgroup_join *j)
{
        for (size_t i = 0; i < j->n; i++)
                close(j->tasks[i]);
        if (j->v2_dir >= 0)
                close(j->v2_dir);
        free(j->tasks);
        *j = (struct run_cgroup_join){.v2_dir = -EBADF};
}

/* Kills what is left in D: a container that shares a PID namespace (--pid
 * host or container:NAME) leaves its orphans behind when its first process
 * ends, where its own namespace would have taken them (runc kills them
 * too).  v2's cgroup.kill where the kernel has it, else each pid listed. */
static void kill_members(const struct cg_dir *d)
{
        if (!d->own)
                return; /* never a hierarchy's root: that is every process */
        if (d->v2 && write_file(d->path, "cgroup.kill", "1", NULL) == 0)
                return;
        _cleanup_free_ char *p = xasprintf("%s/cgroup.procs", d->path);
        _cleanup_fclose_ FILE *f = fopen(p, "re");
        long pid;
        while (f && fscanf(f, "%ld", &pid) == 1)
                if (pid > 1 && pid != getpid())
                        (void)kill((pid_t)pid, SIGKILL);
}

bool run_cgroup_destroy(struct run_cgroup *cg)
{
        if (!cg)
                return false;
        bool gone = true;
        for (size_t i = 0; i < cg->n; i++) {
                struct cg_dir *d = &cg->dirs[i];
                /* the last tasks may take a moment to leave (a creation that
                 * failed left the later paths at their mount points) */
                for (int tries = 0; d->path && d->own; tries++) {
                        if (rmdir(d->path) == 0 || errno == ENOENT)
                                break;
                        if (errno != EBUSY || tries == 199) {
                                gone = false;
                                break;
                        }
                        if (tries % 20 == 2)
                                kill_members(d);
                        nanosleep(&(struct timespec){0, 5 * 1000 * 1000}, NULL);
                }
                free(d->path);
                free(d->opts);
        }
        free(cg->dirs);
        run_cgroup_mounts_free(cg->mounts, cg->n_mounts);
        free(cg->parent);
        free(cg->id);
        free(cg);
        return gone;
}

struct run_cgroup_destroy {
        pthread_t thread;
        struct run_cgroup *cg;
        bool gone;
};

static void *destroy_main(void *arg)
{
        struct run_cgroup_destroy *w = arg;
        w->gone = run_cgroup_destroy(w->cg);
        return NULL;
}

struct run_cgroup_destroy *run_cgroup_destroy_start(struct run_cgroup *cg)
{
        struct run_cgroup_destroy *w = xnew0(struct run_cgroup_destroy, 1);
        w->cg = cg;
        if (thread_start(&w->thread, false, destroy_main, w) != 0) {
                w->gone = run_cgroup_destroy(cg);
                w->cg = NULL;
        }
        return w;
}

bool run_cgroup_destroy_finish(struct run_cgroup_destroy *w)
{
        if (!w)
                return true;
        if (w->cg)
                pthread_join(w->thread, NULL);
        bool gone = w->gone;
        free(w);
        return gone;
}

int run_cgroup_open(const char *parent, const char *id, struct run_cgroup **ret,
                    struct box_err *err)
{
        struct run_cgroup *cg = xnew0(struct run_cgroup, 1);
        if (!parent || !*parent)
                parent = "/box";
        int r = run_cgroup_mounts_read(&cg->mounts, &cg->n_mounts, err);
        if (r < 0) {
                free(cg);
                return r;
        }
        find_hierarchies(cg->mounts, cg->n_mounts, &cg->dirs, &cg->n);
        for (size_t i = 0; i < cg->n; i++) {
                char *mnt = cg->dirs[i].path;
                cg->dirs[i].path = xasprintf("%s%s/%s", mnt, parent, id);
                cg->dirs[i].own = true;
                free(mnt);
                struct stat st;
                if (r >= 0 && (stat(cg->dirs[i].path, &st) < 0 || !S_ISDIR(st.st_mode)))
                        r = box_err_errno(err, errno ? errno : ENOTDIR, "cgroup '%s'",
                                          cg->dirs[i].path);
        }
        if (r < 0) {
                run_cgroup_free(cg);
                return r;
        }
        *ret = cg;
        return 0;
}

void run_cgroup_free(struct run_cgroup *cg)
{
        if (!cg)
                return;
        for (size_t i = 0; i < cg->n; i++) {
                free(cg->dirs[i].path);
                free(cg->dirs[i].opts);
        }
        free(cg->dirs);
        run_cgroup_mounts_free(cg->mounts, cg->n_mounts);
        free(cg->parent);
        free(cg->id);
        free(cg);
}

bool run_cgroup_oom_killed(const struct run_cgroup *cg)
{
        for (size_t i = 0; cg && i < cg->n; i++) {
                const struct cg_dir *d = &cg->dirs[i];
                uint64_t n = 0;
                /* v1's count (since Linux 4.13), v2's */
                if ((d->v2 || has_controller(d->opts, "memory")) &&
                    run_cgroup_stat_key(d->path, d->v2 ? "memory.events" : "memory.oom_control",
                                        "oom_kill", &n) &&
                    n > 0)
                        return true;
        }
        return false;
}

void run_cgroup_remove_stale(const char *parent, const char *id)
{
        struct run_cgroup *cg = xnew0(struct run_cgroup, 1);
        if (!parent || !*parent)
                parent = "/box";
        if (run_cgroup_mounts_read(&cg->mounts, &cg->n_mounts, NULL) < 0) {
                free(cg);
                return;
        }
        find_hierarchies(cg->mounts, cg->n_mounts, &cg->dirs, &cg->n);
        for (size_t i = 0; i < cg->n; i++) {
                char *mnt = cg->dirs[i].path;
                cg->dirs[i].path = xasprintf("%s%s/%s", mnt, parent, id);
                cg->dirs[i].own = true;
                free(mnt);
        }
        (void)run_cgroup_destroy(cg);
}

int run_parse_bytes(const char *s, int64_t *ret)
{
        /* Docker's digits[.digits]: strtod alone also takes "nan", "inf",
         * hex and exponents */
        size_t n = strspn(s, "0123456789");
        if (n == 0 || (s[n] == '.' && strspn(s + n + 1, "0123456789") == 0))
                return -EINVAL;
        char *end;
        errno = 0;
        double v = strtod(s, &end);
        if (errno || end != s + n + (s[n] == '.' ? 1 + strspn(s + n + 1, "0123456789") : 0))
                return -EINVAL;
        double mult = 1;
        switch (tolower((unsigned char)*end)) {
        case '\0':
                break;
        case 'b':
                end++;
                break;
        case 'k':
                mult = 1024.0;
                end++;
                break;
        case 'm':
                mult = 1024.0 * 1024;
                end++;
                break;
        case 'g':
                mult = 1024.0 * 1024 * 1024;
                end++;
                break;
        case 't':
                mult = 1024.0 * 1024 * 1024 * 1024;
                end++;
                break;
        case 'p':
                mult = 1024.0 * 1024 * 1024 * 1024 * 1024;
                end++;
                break;
        default:
                return -EINVAL;
        }
        if (mult > 1 && tolower((unsigned char)*end) == 'b')
                end++;
        /* past int64 the cast is undefined */
        if (*end || v * mult >= 0x1p63)
                return -EINVAL;
        *ret = (int64_t)(v * mult);
        return 0;
}

char *run_cgroup_dir(const char *parent, const char *id, const char *controller)
{
        struct cg_dir *dirs = NULL;
        size_t n = 0;
        char *ret = NULL;
        if (!parent || !*parent)
                parent = "/box";
        struct run_cgroup_mount *m;
        size_t nm;
        if (run_cgroup_mounts_read(&m, &nm, NULL) < 0)
                return NULL;
        find_hierarchies(m, nm, &dirs, &n);
        run_cgroup_mounts_free(m, nm);
        for (size_t i = 0; i < n; i++) {
                bool match = controller ? !dirs[i].v2 && has_controller(dirs[i].opts, controller)
                                        : dirs[i].v2;
                if (match && !ret) {
                        ret = xasprintf("%s%s/%s", dirs[i].path, parent, id);
                        if (access(ret, F_OK) < 0) {
                                free(ret);
                                ret = NULL;
                        }
                }
                free(dirs[i].path);
                free(dirs[i].opts);
        }
        free(dirs);
        return ret;
}

bool run_cgroup_frozen(const char *parent, const char *id)
{
        _cleanup_free_ char *v1 = run_cgroup_dir(parent, id, "freezer"), *buf = NULL;
        if (v1) {
                _cleanup_free_ char *p = xasprintf("%s/freezer.state", v1);
                return fs_read_file_at(AT_FDCWD, p, 64, &buf, NULL, NULL) == 0 &&
                       startswith(buf, "FROZEN");
        }
        _cleanup_free_ char *v2 = run_cgroup_dir(parent, id, NULL);
        if (!v2)
                return false;
        _cleanup_free_ char *p = xasprintf("%s/cgroup.events", v2);
        return fs_read_file_at(AT_FDCWD, p, 4096, &buf, NULL, NULL) == 0 &&
               strstr(buf, "frozen 1") != NULL;
}

int run_cgroup_freeze(const char *parent, const char *id, bool freeze, struct box_err *err)
{
        _cleanup_free_ char *v1 = run_cgroup_dir(parent, id, "freezer");
        _cleanup_free_ char *v2 = v1 ? NULL : run_cgroup_dir(parent, id, NULL);
        int r;
        if (v1)
                r = write_file(v1, "freezer.state", freeze ? "FROZEN" : "THAWED", err);
        else if (v2)
                r = write_file(v2, "cgroup.freeze", freeze ? "1" : "0", err);
        else
                return box_err_set(err, ENOENT, "container %.12s has no freezer cgroup", id);
        if (r < 0)
                return box_err_prefix(err, "freezer");
        /* FREEZING until every task has stopped */
        for (int t = 0; t < 1000; t++) {
                if (run_cgroup_frozen(parent, id) == freeze)
                        return 0;
                nanosleep(&(struct timespec){0, 5 * 1000 * 1000}, NULL);
        }
        return box_err_set(err, ETIMEDOUT, "container %.12s did not %s", id,
                           freeze ? "freeze" : "thaw");
}

bool run_cgroup_parent_valid(const char *parent)
{
        return parent[0] == '/' && !strstr(parent, "..");
}

int run_cgroup_update(const char *parent, const char *id, const struct run_resources *res,
                      struct box_err *err)
{
        struct run_cgroup *cg = NULL;
        int r = run_cgroup_open(parent, id, &cg, err);
        if (r < 0)
                return r;
        bool hybrid = v1_present(cg);
        for (size_t i = 0; i < cg->n && r >= 0; i++) {
                struct cg_dir *d = &cg->dirs[i];
                if (!d->v2)
                        r = set_resources_v1(d, res, true, err);
                else if (!hybrid) /* on a hybrid host v2 holds only the device filter */
                        r = set_limits_v2(d, res, err);
        }
        run_cgroup_free(cg);
        return r < 0 ? box_err_prefix(err, "cgroup") : 0;
}
