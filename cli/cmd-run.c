/* box run [OPTIONS] IMAGE [COMMAND] [ARG...]
 *
 * Translates the image's config and the user's flags into a struct
 * run_spec, makes the container's state dir, runs it in the foreground
 * and returns its status as Docker does (125 box failed, 126 cannot
 * execute, 127 not found, else the container's own). */
#include <fcntl.h>
#include <stdio.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>

#include "cli/cli.h"
#include "cli/registry.h"
#include "image/pull.h"
#include "spec/ref.h"
#include "lib/log.h"
#include "cli/cmd-run.h"
#include "cli/container.h"
#include "cli/events.h"
#include "run/events.h"
#include "run/spec-file.h"
#include "lib/fs.h"
#include "lib/strv.h"
#include "lib/xalloc.h"
#include "run/network.h"
#include "run/run.h"
#include "run/state.h"
#include "run/changes.h"
#include "run/volume.h"
#include "spec/json.h"
#include "store/image.h"

/* ---- the container's /etc files ---- */

/* --add-host and --dns*, as Docker's HostConfig records them; what the
 * container's /etc files are made from, here and at each start */
static void etc_host_config(struct jv *hc, const struct run_opts *o)
{
        jv_set(hc, "Dns", jv_strv(o->dns ? o->dns : (char *[]){NULL}));
        jv_set(hc, "DnsOptions", jv_strv(o->dns_options ? o->dns_options : (char *[]){NULL}));
        jv_set(hc, "DnsSearch", jv_strv(o->dns_search ? o->dns_search : (char *[]){NULL}));
        jv_set(hc, "ExtraHosts", jv_strv(o->add_hosts));
}

static int write_etc_files(struct run_state *s, const char *hostname, const struct run_opts *o,
                           struct box_err *err)
{
        _cleanup_free_ char *h = xasprintf("%s\n", hostname), *hosts = NULL, *resolv = NULL;
        int r = run_state_write_file(s, RUN_FILE_HOSTNAME, h, err);
        if (r < 0)
                return r;
        _cleanup_jv_ struct jv *hc = jv_object();
        etc_host_config(hc, o);
        /* the host's own address for host-gateway, on the host's network
         * as on none; a bridge's gateway is known at the attach */
        _cleanup_free_ char *extra = cli_run_etc_hosts_extra(hc, NULL);
        if (o->network == RUN_NETWORK_HOST &&
            fs_read_file_at(AT_FDCWD, "/etc/hosts", 1 << 20, &hosts, NULL, NULL) == 0) {
                _cleanup_free_ char *all = xasprintf("%s%s", hosts, extra);
                r = run_state_write_file(s, RUN_FILE_HOSTS, all, err);
        } else {
                _cleanup_free_ char *hn = run_net_hosts_none(hostname, extra);
                r = run_state_write_file(s, RUN_FILE_HOSTS, hn, err);
        }
        if (r < 0)
                return r;
        if (fs_read_file_at(AT_FDCWD, "/etc/resolv.conf", 1 << 20, &resolv, NULL, NULL) < 0)
                resolv = xstrdup("");
        _cleanup_free_ char *rc = cli_run_etc_resolv(hc, resolv);
        return run_state_write_file(s, RUN_FILE_RESOLV_CONF, rc, err);
}

/* ---- mounts ---- */

/* Far more than any real container has; an image cannot make box create
 * a million volumes. */
#define RUN_MAX_MOUNTS 1024

static int path_depth(const char *p)
{
        int n = 0;
        for (; *p; p++)
                if (*p == '/')
                        n++;
        return n;
}

static int cmp_mount(const void *a, const void *b)
{
        const struct cli_mount *x = a, *y = b;
        return path_depth(x->target) - path_depth(y->target);
}

struct mount_set {
        struct cli_mount *m;
        size_t n;
        struct run_mount *rm;
        char **anon;  /* anonymous volumes made for this container */
        char **used;  /* every volume it uses */
        char **paths; /* volume _data paths (owned) */
        char **made;  /* the volumes it created (their create events) */
};

static void mount_set_release(struct mount_set *ms)
{
        for (size_t i = 0; i < ms->n; i++)
                cli_mount_release(&ms->m[i]);
        free(ms->m);
        free(ms->rm);
        strv_free(ms->anon);
        strv_free(ms->used);
        strv_free(ms->paths);
        strv_free(ms->made);
}

static void mount_set_add(struct mount_set *ms, struct cli_mount *m)
{
        /* a later mount on the same target replaces an earlier one */
        for (size_t i = 0; i < ms->n; i++) {
                if (streq(ms->m[i].target, m->target)) {
                        cli_mount_release(&ms->m[i]);
                        ms->m[i] = *m;
                        return;
                }
        }
        ms->m = xreallocarray(ms->m, ms->n + 1, sizeof(*ms->m));
        ms->m[ms->n++] = *m;
}

/* Is *S (an element of V) also an element before it? */
static bool strv_find_before(char *const *v, char *const *s)
{
        for (char *const *p = v; p < s; p++)
                if (streq(*p, *s))
                        return true;
        return false;
}

/* M (taken) from -v, --mount or --tmpfs, refused when a -v or --mount had
 * its target; a --tmpfs's is not REMEMBERed: Docker's client keeps them in
 * a map, where the later of two on one target wins. */
static int user_mount_add(struct mount_set *ms, struct cli_mount *m, char ***seen, bool remember,
                          struct box_err *err)
{
        if (strv_contains(*seen, m->target)) {
                int r = box_err_set(err, EINVAL, "duplicate mount point: '%s'", m->target);
                cli_mount_release(m);
                return r;
        }
        if (remember)
                *seen = strv_append(*seen, m->target);
        mount_set_add(ms, m);
        return 0;
}

/* --volumes-from C[:ro|rw]: C's volumes and bind mounts, as -v specs
 * (tmpfs mounts are C's own, as Docker's), appended to *V */
static int volumes_from(const char *root, const char *arg, char ***v, struct box_err *err)
{
        const char *colon = strchr(arg, ':');
        _cleanup_free_ char *name = colon ? xstrndup(arg, (size_t)(colon - arg)) : xstrdup(arg);
        char id[RUN_ID_LEN + 1];
        int r = run_state_lookup(root, name, id, err);
        if (r < 0)
                return box_err_prefix(err, "--volumes-from '%s'", arg);
        _cleanup_jv_ struct jv *cfg = run_state_read_json(root, id, "config.json");
        if (!cfg)
                return box_err_set(err, EIO, "--volumes-from '%s': container %.12s has no record",
                                   arg, id);
        const struct jv *mounts = jv_get(cfg, "Mounts");
        for (size_t i = 0; i < jv_len(mounts); i++) {
                const struct jv *m = jv_at(mounts, i);
                const char *type = jv_get_str(m, "Type");
                const char *src = !type                   ? NULL
                                  : streq(type, "volume") ? jv_get_str(m, "Name")
                                  : streq(type, "bind")   ? jv_get_str(m, "Source")
                                                          : NULL;
                const char *dst = jv_get_str(m, "Destination");
                if (!src || !dst)
                        continue;
                /* :ro makes it read-only; :rw cannot make a read-only one
                 * writable (Docker's RW: m.RW && ReadWrite(mode)) */
                bool rw = jv_bool_value(jv_get(m, "RW")) && (!colon || streq(colon + 1, "rw"));
                *v = strv_push(*v, xasprintf("%s:%s:%s", src, dst, rw ? "rw" : "ro"));
        }
        return 0;
}

static int build_mounts(const char *root, const struct run_opts *o, char *const *image_volumes,
                        struct mount_set *ms, struct box_err *err)
{
        int r;
        if (strv_length(image_volumes) + strv_length(o->volumes) + strv_length(o->mounts) +
                    strv_length(o->tmpfs) >
            RUN_MAX_MOUNTS)
                return box_err_set(err, E2BIG, "more than %d mounts and image VOLUMEs",
                                   RUN_MAX_MOUNTS);
        STRV_FOREACH (s, image_volumes) {
                struct cli_mount m = {.type = RUN_MOUNT_VOLUME, .from_image = true};
                if ((*s)[0] != '/')
                        continue;
                m.target = cli_run_clean_path(*s);
                r = run_mount_target_check(m.type, m.target, err);
                if (r < 0) {
                        cli_mount_release(&m);
                        return box_err_prefix(err, "image VOLUME '%s'", *s);
                }
                mount_set_add(ms, &m);
        }
        _cleanup_strv_free_ char **from = xnew0(char *, 1);
        STRV_FOREACH (c, o->volumes_from) {
                r = volumes_from(root, *c, &from, err);
                if (r < 0)
                        return r;
        }
        STRV_FOREACH (s, from) {
                struct cli_mount m;
                r = cli_run_parse_volume(*s, &m, err);
                if (r < 0)
                        return box_err_prefix(err, "--volumes-from");
                mount_set_add(ms, &m);
        }
        /* -v, --mount and --tmpfs: two on one target is Docker's "duplicate
         * mount point" (box let the later win), but the same -v twice is one, as
         * Docker's client keeps its -v values in a set */
        _cleanup_strv_free_ char **seen = xnew0(char *, 1);
        STRV_FOREACH (s, o->volumes) {
                if (strv_find_before(o->volumes, s))
                        continue;
                struct cli_mount m;
                r = cli_run_parse_volume(*s, &m, err);
                if (r < 0 || (r = user_mount_add(ms, &m, &seen, true, err)) < 0)
                        return r;
        }
        STRV_FOREACH (s, o->mounts) {
                struct cli_mount m;
                r = cli_run_parse_mount(*s, &m, err);
                if (r < 0 || (r = user_mount_add(ms, &m, &seen, true, err)) < 0)
                        return r;
        }
        STRV_FOREACH (s, o->tmpfs) {
                struct cli_mount m;
                r = cli_run_parse_tmpfs(*s, &m, err);
                if (r < 0 || (r = user_mount_add(ms, &m, &seen, false, err)) < 0)
                        return r;
        }
        if (ms->n)
                qsort(ms->m, ms->n, sizeof(*ms->m), cmp_mount);

        ms->rm = xnew0(struct run_mount, ms->n ? ms->n : 1);
        ms->anon = xnew0(char *, 1);
        ms->used = xnew0(char *, 1);
        ms->paths = xnew0(char *, 1);
        for (size_t i = 0; i < ms->n; i++) {
                struct cli_mount *m = &ms->m[i];
                struct run_mount *rm = &ms->rm[i];
                rm->type = m->type;
                rm->target = m->target;
                rm->flags = m->flags;
                rm->data = m->data;
                if (m->type == RUN_MOUNT_BIND) {
                        struct stat st;
                        /* -v creates a missing host directory, as Docker does */
                        if (stat(m->source, &st) < 0) {
                                r = fs_mkdir_p(m->source, 0755, err);
                                if (r < 0)
                                        return box_err_prefix(err, "bind source");
                        }
                        rm->source = m->source;
                } else if (m->type == RUN_MOUNT_VOLUME) {
                        char id[RUN_ID_LEN + 1];
                        bool anon = !m->source, created;
                        char *data = NULL;
                        if (anon) {
                                run_random_id(id);
                                m->source = xstrdup(id);
                        }
                        r = run_volume_create(root, m->source, anon, m->volume_labels,
                                              m->volume_opts, &data, &created, err);
                        if (r >= 0)
                                r = run_volume_mount(root, m->source, err);
                        if (r < 0) {
                                free(data);
                                return r;
                        }
                        ms->paths = strv_push(ms->paths, data);
                        rm->source = data;
                        rm->copy_up = !m->nocopy;
                        if (anon)
                                ms->anon = strv_append(ms->anon, m->source);
                        if (created)
                                ms->made = strv_append(ms->made, m->source);
                        ms->used = strv_append(ms->used, m->source);
                }
        }
        return 0;
}

/* ---- config.json ---- */

/* Config.Labels: the image's, then LABELS ("K=V", or "K" for an empty
 * value: --label-file's lines, then --label's), each replacing. */
static struct jv *labels_json(const struct oci_container_config *img, char *const *labels)
{
        struct jv *o = jv_object();
        for (char *const *kv = img ? img->labels : NULL; kv && kv[0] && kv[1]; kv += 2)
                jv_set_str(o, kv[0], kv[1]);
        STRV_FOREACH (l, labels) {
                const char *eq = strchr(*l, '=');
                _cleanup_free_ char *k = eq ? xstrndup(*l, (size_t)(eq - *l)) : xstrdup(*l);
                jv_set_str(o, k, eq ? eq + 1 : "");
        }
        return o;
}

/* --expose PORT[-END][/PROTO] (checked by the flag's parser) appended to V
 * as Docker records it: "PORT/PROTO" for each port of a range. */
static char **expose_ports(char **v, const char *arg)
{
        const char *slash = strchr(arg, '/');
        const char *proto = slash ? slash + 1 : "tcp";
        char *end;
        unsigned long lo = strtoul(arg, &end, 10), hi = lo;
        if (*end == '-')
                hi = strtoul(end + 1, &end, 10);
        for (unsigned long p = lo; p <= hi && p <= 65535; p++) {
                _cleanup_free_ char *e = xasprintf("%lu/%s", p, proto);
                if (!strv_contains(v, e))
                        v = strv_append(v, e);
        }
        return v;
}

/* "K=V" entries (each with its '=', checked by the flags' parsers) as a
 * JSON object, the last K winning */
static struct jv *kv_object(char *const *v)
{
        struct jv *o = jv_object();
        STRV_FOREACH (kv, v) {
                const char *eq = strchr(*kv, '=');
                _cleanup_free_ char *k = xstrndup(*kv, (size_t)(eq - *kv));
                jv_set_str(o, k, eq + 1);
        }
        return o;
}

/* "PATH:N" flags as Docker's [{"Path": PATH, KEY: N}] */
static struct jv *device_numbers_json(char *const *args, const char *key)
{
        struct jv *a = jv_array();
        STRV_FOREACH (s, args) {
                const char *colon = strrchr(*s, ':');
                if (!colon)
                        continue;
                _cleanup_free_ char *path = xstrndup(*s, (size_t)(colon - *s));
                int64_t n = 0;
                /* the bps flags in Docker's units, the rest plain numbers */
                if (run_parse_bytes(colon + 1, &n) < 0)
                        continue;
                struct jv *o = jv_object();
                jv_set_str(o, "Path", path);
                jv_set(o, key, jv_int(n));
                jv_push(a, o);
        }
        return a;
}

void cli_host_config_limits(struct jv *hc, const struct run_resources *res, enum cli_cpu_record cpu)
{
        jv_set(hc, "Memory", jv_int(res->memory));
        jv_set(hc, "MemorySwap", jv_int(res->memory_swap));
        jv_set(hc, "MemoryReservation", jv_int(res->memory_reservation));
        if (cpu != CLI_CPU_KEEP) {
                jv_set(hc, "NanoCpus", jv_int(cpu == CLI_CPU_NANO ? res->cpu_quota * 10000 : 0));
                jv_set(hc, "CpuPeriod", jv_int(cpu == CLI_CPU_CFS ? res->cpu_period : 0));
                jv_set(hc, "CpuQuota", jv_int(cpu == CLI_CPU_CFS ? res->cpu_quota : 0));
        }
        jv_set(hc, "CpuShares", jv_int(res->cpu_shares));
        jv_set_str(hc, "CpusetCpus", res->cpuset_cpus ? res->cpuset_cpus : "");
        jv_set_str(hc, "CpusetMems", res->cpuset_mems ? res->cpuset_mems : "");
        jv_set(hc, "PidsLimit", jv_int(res->pids_limit ? res->pids_limit : RUN_PIDS_LIMIT_DEFAULT));
        jv_set(hc, "BlkioWeight", jv_int(res->blkio_weight));
}

/* HostConfig's resources beyond memory, CPUs and pids, as Docker's inspect
 * shows them */
static void resources_json(struct jv *hc, const struct run_opts *o)
{
        jv_set(hc, "MemorySwappiness",
               o->res.memory_swappiness_set ? jv_int(o->res.memory_swappiness) : jv_null());
        jv_set(hc, "OomKillDisable", jv_bool(o->res.oom_kill_disable));
        jv_set(hc, "OomScoreAdj", jv_int(o->oom_score_adj));
        jv_set(hc, "BlkioWeightDevice", device_numbers_json(o->weight_device_args, "Weight"));
        jv_set(hc, "BlkioDeviceReadBps", device_numbers_json(o->read_bps_args, "Rate"));
        jv_set(hc, "BlkioDeviceWriteBps", device_numbers_json(o->write_bps_args, "Rate"));
        jv_set(hc, "BlkioDeviceReadIOps", device_numbers_json(o->read_iops_args, "Rate"));
        jv_set(hc, "BlkioDeviceWriteIOps", device_numbers_json(o->write_iops_args, "Rate"));
        jv_set(hc, "DeviceCgroupRules", jv_strv(o->device_rules));
        struct jv *devs = jv_array();
        STRV_FOREACH (m, o->device_maps) {
                _cleanup_strv_free_ char **f = strv_split(*m, '\t');
                struct jv *d = jv_object();
                jv_set_str(d, "PathOnHost", f[0]);
                jv_set_str(d, "PathInContainer", f[1]);
                jv_set_str(d, "CgroupPermissions", f[2]);
                jv_push(devs, d);
        }
        jv_set(hc, "Devices", devs);
}

/* Is STREAM attached: every one without -a, else those it names. */
static bool attached(const struct run_opts *o, const char *stream)
{
        STRV_FOREACH (a, o->attach)
                if (strcasecmp(*a, stream) == 0)
                        return true;
        return !o->attach;
}

static char *config_json(const struct run_state *s, const char *image, const char *image_id,
                         const struct run_opts *o, const struct run_spec *spec,
                         const struct mount_set *ms, char *const *argv,
                         const struct oci_container_config *img, char *const *labels,
                         const char *net_peer)
{
        _cleanup_jv_ struct jv *c = jv_object();
        /* the command line that made it (Podman's), for box generate systemd --new */
        jv_set(c, "CreateCommand", jv_strv(argv));
        jv_set_str(c, "Id", s->id);
        jv_set_str(c, "Name", s->name);
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        jv_set(c, "Created", jv_int(ts.tv_sec));
        jv_set_str(c, "Image", image_id);
        jv_set_str(c, "Path", spec->argv[0]);
        jv_set(c, "Args", jv_strv(spec->argv[0] ? spec->argv + 1 : spec->argv));
        if (spec->rootfs)
                jv_set_str(c, "Rootfs", spec->rootfs);
        struct jv *cfg = jv_object();
        jv_set_str(cfg, "Hostname", spec->hostname);
        jv_set_str(cfg, "User", spec->user);
        jv_set(cfg, "Env", jv_strv(spec->env));
        jv_set(cfg, "Cmd", jv_strv(spec->argv));
        jv_set_str(cfg, "WorkingDir", spec->cwd);
        jv_set(cfg, "Tty", jv_bool(o->tty));
        jv_set(cfg, "OpenStdin", jv_bool(o->interactive));
        jv_set_str(cfg, "Image", image);
        jv_set(cfg, "AttachStdout", jv_bool(!o->life.detach && attached(o, "stdout")));
        jv_set(cfg, "AttachStderr", jv_bool(!o->life.detach && attached(o, "stderr")));
        jv_set(cfg, "Labels", labels_json(img, labels));
        jv_set_str(cfg, "Domainname", o->domainname ? o->domainname : "");
        if (o->mac_address)
                jv_set_str(cfg, "MacAddress", o->mac_address);
        jv_set(c, "Config", cfg);
        struct jv *hc = jv_object();
        jv_set(hc, "AutoRemove", jv_bool(o->rm));
        /* container:ID, as Docker records it: a rename of the other keeps it */
        _cleanup_free_ char *mode = o->network == RUN_NETWORK_CONTAINER
                                            ? xasprintf("container:%s", net_peer)
                                    : o->network_name                ? xstrdup(o->network_name)
                                    : o->network == RUN_NETWORK_NONE ? xstrdup("none")
                                    : o->network == RUN_NETWORK_HOST ? xstrdup("host")
                                                                     : xstrdup("bridge");
        bool publish = o->network == RUN_NETWORK_PRIVATE;
        if (!publish && (o->publish || o->publish_all))
                log_warn("published ports are discarded with --network %s", mode);
        /* the image's EXPOSE and --expose: Config.ExposedPorts, what -P publishes */
        _cleanup_strv_free_ char **exposed = xnew0(char *, 1);
        STRV_FOREACH (e, img ? img->exposed_ports : NULL)
                exposed = strv_append(exposed, *e);
        STRV_FOREACH (e, o->expose)
                exposed = expose_ports(exposed, *e);
        struct jv *ports = jv_object();
        STRV_FOREACH (e, exposed)
                jv_set(ports, *e, jv_object());
        /* Docker's: a published port is an exposed one too (only here: -P
         * publishes EXPOSEd ports, not the -p ones again) */
        STRV_FOREACH (p, publish ? o->publish : NULL) {
                _cleanup_free_ struct run_port *v = NULL;
                size_t n = 0;
                if (run_port_parse(*p, &v, &n, NULL) < 0)
                        continue;
                for (size_t k = 0; k < n; k++) {
                        char key[32];
                        snprintf(key, sizeof(key), "%u/%s", v[k].container_port, v[k].proto);
                        jv_set(ports, key, jv_object());
                }
        }
        jv_set(cfg, "ExposedPorts", ports);
        cli_run_network_record(hc, mode, publish ? o->publish : NULL, publish ? exposed : NULL,
                               publish && o->publish_all, o->aliases, o->ip, o->ip6);
        jv_set(hc, "Privileged", jv_bool(o->privileged));
        jv_set(hc, "ReadonlyRootfs", jv_bool(o->read_only));
        jv_set(hc, "Init", jv_bool(o->init));
        jv_set(hc, "CapAdd", jv_strv(o->cap_add));
        jv_set(hc, "CapDrop", jv_strv(o->cap_drop));
        jv_set(hc, "GroupAdd", jv_strv(o->group_add));
        etc_host_config(hc, o);
        /* what exec needs to confine its processes as the container's, in
         * Docker's spelling (a profile by its text, as Docker keeps it) */
        struct jv *sec = jv_array();
        if (o->no_new_privs)
                jv_push(sec, jv_string("no-new-privileges:true"));
        if (o->seccomp == RUN_SECCOMP_UNCONFINED)
                jv_push(sec, jv_string("seccomp=unconfined"));
        if (o->seccomp == RUN_SECCOMP_PROFILE) {
                _cleanup_free_ char *p = xasprintf("seccomp=%s", o->seccomp_profile);
                jv_push(sec, jv_string(p));
        }
        jv_set(hc, "SecurityOpt", sec);
        /* --cpu-period/--cpu-quota, not --cpus */
        cli_host_config_limits(hc, &o->res,
                               o->cpu_period || o->cpu_quota ? CLI_CPU_CFS : CLI_CPU_NANO);
        jv_set_str(hc, "CgroupParent", spec->cgroup_parent);
        /* Docker's inspect: the default shm size in bytes, namespaces by mode */
        jv_set(hc, "ShmSize", jv_int(o->shm_size ? o->shm_size : 64 * 1024 * 1024));
        jv_set(hc, "Sysctls", kv_object(o->sysctls));
        jv_set_str(hc, "ContainerIDFile", o->cidfile ? o->cidfile : "");
        jv_set_str(hc, "PidMode", o->pid_mode ? o->pid_mode : "");
        jv_set_str(hc, "IpcMode", o->ipc_mode && *o->ipc_mode ? o->ipc_mode : "private");
        jv_set_str(hc, "UTSMode", o->uts_mode ? o->uts_mode : "");
        jv_set_str(hc, "CgroupnsMode",
                   o->cgroupns_mode && *o->cgroupns_mode ? o->cgroupns_mode : "private");
        resources_json(hc, o);
        jv_set(hc, "VolumesFrom", jv_strv(o->volumes_from));
        jv_set(hc, "Annotations", kv_object(o->annotations));
        cli_run_life_config(&o->life, img, cfg, hc);
        jv_set(c, "HostConfig", hc);
        struct jv *mounts = jv_array();
        for (size_t i = 0; i < ms->n; i++) {
                struct jv *m = jv_object();
                const struct cli_mount *cm = &ms->m[i];
                jv_set_str(m, "Type",
                           cm->type == RUN_MOUNT_BIND     ? "bind"
                           : cm->type == RUN_MOUNT_VOLUME ? "volume"
                                                          : "tmpfs");
                if (cm->type == RUN_MOUNT_VOLUME)
                        jv_set_str(m, "Name", cm->source);
                jv_set_str(m, "Source", ms->rm[i].source);
                jv_set_str(m, "Destination", cm->target);
                /* Docker's MountPoint: a volume's driver, -v's options as
                 * given, a bind's propagation (box's are private) */
                if (cm->type == RUN_MOUNT_VOLUME)
                        jv_set_str(m, "Driver", "local");
                jv_set_str(m, "Mode", cm->mode ? cm->mode : "");
                jv_set(m, "RW", jv_bool(!(cm->flags & MS_RDONLY)));
                jv_set_str(m, "Propagation", cm->type == RUN_MOUNT_BIND ? "rprivate" : "");
                jv_push(mounts, m);
        }
        jv_set(c, "Mounts", mounts);
        return jv_dump(c, JV_PRETTY);
}

static char *join_lines(char *const *v)
{
        struct buf b = {0};
        STRV_FOREACH (s, v)
                buf_printf(&b, "%s\n", *s);
        return buf_steal(&b);
}

struct started_ctx {
        struct run_state *state;
        const char *runroot; /* with a network namespace of its own */
        int64_t *started_ns; /* its start event's time */
};

/* -vvv: where the time of a start goes */
static double ms_now(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}
#define PHASE(name) log_debug("run: %-12s %7.3f ms", name, ms_now() - t0)

/* a layer from the pool: the last container's leftovers go while this
 * one builds its root and runs, on a thread of their own */
static void on_go(void *userdata)
{
        struct started_ctx *c = userdata;
        if (c->state->pooled && !c->state->sweep)
                c->state->sweep = run_rw_pool_sweep_start(c->state->rw_dir);
}

static void on_started(pid_t pid, void *userdata)
{
        struct started_ctx *c = userdata;
        *c->started_ns = run_events_now();
        (void)run_state_set(c->state, "running", pid, 0, NULL);
        /* best effort: what it misses is joined at its next start */
        if (c->runroot)
                (void)run_net_attach_late(c->state->root, c->runroot, c->state->id, c->state->name,
                                          pid);
}

/* One `box run`: the flags and everything made from them on the way to a
 * run spec, released together. */
struct run_job {
        struct run_opts o;
        const char *image;     /* the operand, or --rootfs */
        char *const *cmd_args; /* the words after it */
        char *const *argv;     /* the whole command line, recorded as CreateCommand */
        char **env_files;      /* --env-file's entries */
        char **labels;         /* --label-file's, then --label's */
        uint64_t caps;
        struct run_rlimit *rlimits;
        size_t n_rlimits;
        struct store *st;
        struct store_image_handle h;
        bool have_image;
        bool cgroups_gone; /* the sandbox removed its cgroups when it ended */
        bool oom_killed;   /* the OOM killer killed a process of it (run_spec) */
        struct run_cgroup_destroy *cgroups_later; /* or is removing them still (run_spec) */
        bool root_gone;                           /* and the overlay it ran on (run_spec) */
        const struct oci_container_config *img;   /* NULL with --rootfs */
        char *rootfs;
        char **lowerdirs, **args, **env;
        struct run_state *state;
        char short_id[13];
        const char *hostname;
        int volumes_lock;
        struct mount_set ms;
        char *mount_dir, *seccomp_cache, *hostname_file, *hosts_file, *resolv_file;
        struct run_net_attachment *net; /* a private network's */
        int netns_fd;                   /* container:NAME's namespace */
        int userns_fd;                  /* and its user namespace, when it has one */
        char *net_peer;                 /* container:NAME's id */
        char *network_name;             /* --network's, when given by id */
        char *peer_hostname;            /* and its host name */
        char host_name[65];             /* --uts host: the host's */
        char *pid_mode, *ipc_mode;      /* container:ID of --pid/--ipc container:NAME */
        int peer_fds[2];                /* and their namespaces, in the foreground */
        int cidfile_fd;                 /* --cidfile, made before the container */
        int64_t created_ns, started_ns; /* its create and start events' times */
};

static void run_job_release(struct run_job *j)
{
        run_volume_unlock(j->volumes_lock);
        if (j->st)
                store_unlock(j->st);
        run_state_free(j->state);
        mount_set_release(&j->ms);
        free(j->rlimits);
        if (j->have_image)
                store_image_handle_release(&j->h);
        strv_free(j->env_files);
        strv_free(j->labels);
        strv_free(j->lowerdirs);
        strv_free(j->args);
        strv_free(j->env);
        free(j->rootfs);
        free(j->mount_dir);
        free(j->seccomp_cache);
        free(j->hostname_file);
        free(j->hosts_file);
        free(j->resolv_file);
        run_net_detach(j->net);
        if (j->netns_fd >= 0)
                close(j->netns_fd);
        if (j->userns_fd >= 0)
                close(j->userns_fd);
        free(j->net_peer);
        free(j->network_name);
        free(j->peer_hostname);
        if (j->cidfile_fd >= 0)
                close(j->cidfile_fd);
        free(j->pid_mode);
        free(j->ipc_mode);
        cli_run_peer_close(j->peer_fds);
        run_opts_release(&j->o);
}

/* Reads FILES with PARSE (Docker's env or label file rules) into *V. */
static int read_kv_files(char *const *files,
                         int (*parse)(const char *, const char *, char ***, struct box_err *),
                         char ***v, struct box_err *err)
{
        *v = xnew0(char *, 1);
        STRV_FOREACH (f, files) {
                _cleanup_free_ char *content = NULL;
                int r = fs_read_file_at(AT_FDCWD, *f, 1 << 24, &content, NULL, err);
                if (r < 0 || (r = parse(content, *f, v, err)) < 0)
                        return r;
        }
        return 0;
}

/* The flags that become run spec values: --env-file's contents, the
 * labels, the capability set, the ulimits. */
static int translate_flags(struct run_job *j, struct box_err *err)
{
        int r = read_kv_files(j->o.env_files, cli_run_parse_env_file, &j->env_files, err);
        if (r < 0)
                return r;
        r = read_kv_files(j->o.label_files, cli_run_parse_label_file, &j->labels, err);
        if (r < 0)
                return r;
        STRV_FOREACH (l, j->o.labels)
                j->labels = strv_append(j->labels, *l);
        j->caps = run_caps_default();
        r = run_caps_apply_flags(&j->caps, j->o.cap_add, j->o.cap_drop, err);
        if (r < 0)
                return r;
        STRV_FOREACH (u, j->o.ulimits) {
                j->rlimits = xreallocarray(j->rlimits, j->n_rlimits + 1, sizeof(*j->rlimits));
                r = cli_run_parse_ulimit(*u, &j->rlimits[j->n_rlimits], err);
                if (r < 0)
                        return r;
                j->n_rlimits++;
        }
        return 0;
}

/* The root file system: --rootfs's directory, or the image's layers (the
 * store left locked shared until the container pins the image). */
/* --pull as for build's FROM: missing pulls what the store lacks, always
 * pulls, newer pulls but runs the local image when the registry cannot be
 * reached, never only looks in the store. */
static int run_image_resolve(struct cli_ctx *ctx, struct store *st, const char *image,
                             const struct run_opts *o, struct store_image_handle *h,
                             struct box_err *err)
{
        const char *mode = o->pull ? o->pull : "missing";
        if (!streq(mode, "missing") && !streq(mode, "always") && !streq(mode, "newer") &&
            !streq(mode, "never"))
                return box_err_set(err, EINVAL,
                                   "invalid --pull '%s': want missing, always, newer or never",
                                   mode);
        int r = -ENOENT;
        if (!streq(mode, "always"))
                r = store_image_resolve(st, image, h, err);
        if ((r >= 0 && !streq(mode, "newer")) || (r < 0 && r != -ENOENT) ||
            (r == -ENOENT && streq(mode, "never")))
                return r;
        _cleanup_image_ref_ struct image_ref ref = {0};
        struct box_err perr = {0};
        if (spec_ref_parse(image, &ref, &perr) < 0) {
                const char *hex = startswith(image, "sha256:") ? image + 7 : image;
                if (*hex && !hex[strspn(hex, "0123456789abcdef")])
                        return r; /* an id or a prefix of one: nothing to pull */
                /* Docker's "invalid reference format" (busybox@foo,
                 * Busybox), not "no such image" */
                if (err)
                        *err = perr;
                return -perr.code;
        }
        if (image_pull_is_url(image))
                return r;
        if (r >= 0)
                store_image_handle_release(h);
        _cleanup_free_ char *full = spec_ref_format(&ref);
        struct cli_pull_flags f = {.tls_verify_off = o->tls_verify_off, .quiet = o->quiet};
        struct image_loaded v = {0};
        perr = (struct box_err){0};
        r = cli_registry_pull(st, full, &f, &v, &perr);
        if (r >= 0) {
                cli_event_images(ctx, "pull", &v, 1); /* Docker's, as a pull's */
                strv_free(v.names);
        } else if (streq(mode, "newer") && store_image_resolve(st, image, h, NULL) >= 0)
                return 0;
        else if (streq(mode, "missing"))
                return box_err_set(err, -r, "no such image: '%s', and pulling it failed: %s", image,
                                   perr.msg);
        else {
                if (err)
                        *err = perr;
                return r;
        }
        return store_image_resolve(st, full, h, err);
}

static int resolve_rootfs(struct cli_ctx *ctx, struct run_job *j, struct box_err *err)
{
        int r = cli_store(ctx, &j->st, err);
        if (r < 0)
                return r;
        if (j->o.rootfs) {
                struct stat rst;
                j->rootfs = realpath(j->o.rootfs, NULL);
                if (!j->rootfs || stat(j->rootfs, &rst) < 0 || !S_ISDIR(rst.st_mode))
                        return box_err_errno(err, j->rootfs ? ENOTDIR : errno, "rootfs '%s'",
                                             j->o.rootfs);
                return 0;
        }
        /* gc (rmi, prune) holds the lock exclusive: while we hold it shared,
         * nothing we resolve goes away before the container pins it */
        r = store_lock(j->st, STORE_LOCK_SHARED, err);
        if (r < 0)
                return r;
        r = run_image_resolve(ctx, j->st, j->image, &j->o, &j->h, err);
        if (r < 0)
                return r;
        j->have_image = true;
        j->img = &j->h.config.config;
        r = store_image_lowerdirs(j->st, &j->h, &j->lowerdirs, err);
        if (r < 0)
                return r;
        run_mountpoint_layer_add(store_root(j->st), &j->lowerdirs);
        return 0;
}

/* The container's state dir, pinning its image; then the store's lock can
 * go.  TRANSIENT: this process removes it when it ends, so its record goes
 * to the runroot (run/state.h). */
static int create_container(struct cli_ctx *ctx, struct run_job *j, bool transient,
                            struct box_err *err)
{
        /* a network named by its id (or a prefix) is recorded by its name, as
         * Docker's; a user network that is not there, or an --ip it cannot
         * give: no container */
        int r = 0;
        j->created_ns = run_events_now();
        if (j->o.network == RUN_NETWORK_PRIVATE && j->o.network_name) {
                r = run_net_resolve(store_root(j->st), j->o.network_name, &j->network_name, err);
                if (r >= 0) {
                        j->o.network_name = j->network_name;
                        r = cli_run_network_check(store_root(j->st), j->o.network_name, j->o.ip,
                                                  j->o.ip6, j->o.aliases, err);
                }
        }
        if (r >= 0)
                r = run_state_create(store_root(j->st), ctx->runroot, j->o.name, transient,
                                     &j->state, err);
        if (r < 0)
                return r;
        if (j->have_image) {
                _cleanup_free_ char *pin = xasprintf("%s\n", j->h.manifest);
                r = run_state_write_file(j->state, RUN_FILE_IMAGE, pin, err);
                if (r < 0)
                        return r;
        }
        /* pinned: gc keeps every layer of the image from now on */
        store_unlock(j->st);
        snprintf(j->short_id, sizeof(j->short_id), "%.12s", j->state->id);
        j->hostname = j->o.hostname      ? j->o.hostname
                      : j->peer_hostname ? j->peer_hostname
                                         : j->short_id;
        /* --uts host: the host's name is the container's; --network host
         * without -h takes it too, in a UTS namespace of its own (Docker's
         * daemon sets the config's hostname to os.Hostname()) */
        bool host_uts = j->o.uts_mode && streq(j->o.uts_mode, "host");
        bool host_net = j->o.network == RUN_NETWORK_HOST && !j->o.hostname;
        if ((host_uts || host_net) && gethostname(j->host_name, sizeof(j->host_name) - 1) == 0 &&
            cli_check_host_name("hostname", j->host_name, 64, NULL) == 0)
                j->hostname = j->host_name;
        return 0;
}

/* The container's environment, /etc files and mounts, into SPEC. */
static int prepare_container(struct run_job *j, struct run_spec *spec, struct box_err *err)
{
        const struct oci_container_config *img = j->img;
        const char *root = store_root(j->st);
        int r = cli_run_env(img ? img->env : NULL, j->env_files, j->o.env, j->hostname, j->o.tty,
                            &j->env, err);
        if (r < 0)
                return r;
        r = write_etc_files(j->state, j->hostname, &j->o, err);
        if (r < 0)
                return r;
        /* volume rm and prune wait until the volumes we make are marked used */
        j->volumes_lock = run_volume_lock(root, false, err);
        if (j->volumes_lock < 0)
                return j->volumes_lock;
        r = build_mounts(root, &j->o, img ? img->volumes : NULL, &j->ms, err);
        if (r < 0)
                return r;
        j->seccomp_cache = xasprintf("%s/cache/seccomp", root);
        r = run_state_mount_dir(root, &j->mount_dir, err);
        if (r < 0)
                return r;
        if (j->net_peer) {
                /* the other container's names and resolvers, as Docker shares them */
                j->hostname_file = xasprintf("%s/containers/%s/hostname", root, j->net_peer);
                j->hosts_file = xasprintf("%s/containers/%s/hosts", root, j->net_peer);
                j->resolv_file = xasprintf("%s/containers/%s/resolv.conf", root, j->net_peer);
        } else {
                j->hostname_file = run_state_file_path(j->state, RUN_FILE_HOSTNAME);
                j->hosts_file = run_state_file_path(j->state, RUN_FILE_HOSTS);
                j->resolv_file = run_state_file_path(j->state, RUN_FILE_RESOLV_CONF);
        }
        const struct run_opts *o = &j->o;
        *spec = (struct run_spec){
                .id = j->state->id,
                .state_dir = j->state->rw_dir,
                .mount_dir = j->mount_dir,
                .base_dir = root,
                .lowerdirs = j->lowerdirs,
                .rootfs = j->rootfs,
                .read_only = o->read_only,
                .hostname_file = j->hostname_file,
                .hosts_file = j->hosts_file,
                .resolv_file = j->resolv_file,
                .mounts = j->ms.rm,
                .n_mounts = j->ms.n,
                .argv = j->args,
                .env = j->env,
                .user = o->user ? o->user : (img && img->user ? img->user : ""),
                .group_add = o->group_add,
                .devices = o->devices,
                .cwd = o->workdir ? o->workdir
                                  : (img && img->working_dir && *img->working_dir ? img->working_dir
                                                                                  : "/"),
                .hostname = j->hostname,
                .interactive = o->interactive && attached(o, "stdin"),
                .tty = o->tty,
                .null_stdout = !attached(o, "stdout"),
                .null_stderr = !attached(o, "stderr"),
                .init = o->init,
                .network = o->network,
                .netns_fd = j->netns_fd,
                .join_userns = o->network == RUN_NETWORK_CONTAINER && o->n_uid_map > 0,
                .userns_fd = j->userns_fd,
                .uid_map = o->uid_map,
                .gid_map = o->gid_map,
                .n_uid_map = o->n_uid_map,
                .n_gid_map = o->n_gid_map,
                .caps = j->caps,
                .privileged = o->privileged,
                .no_new_privs = o->no_new_privs,
                .seccomp = o->seccomp,
                .seccomp_profile = o->seccomp_profile,
                .seccomp_cache_dir = j->seccomp_cache,
                .rlimits = j->rlimits,
                .n_rlimits = j->n_rlimits,
                .resources = &j->o.res,
                .cgroup_parent = o->cgroup_parent,
                .shm_size = o->shm_size,
                .oom_score_adj = o->oom_score_adj,
                .domainname = o->domainname,
                .sysctls = o->sysctls,
                .host_pid = o->pid_mode && streq(o->pid_mode, "host"),
                .host_ipc = o->ipc_mode && streq(o->ipc_mode, "host"),
                .ipc_none = o->ipc_mode && streq(o->ipc_mode, "none"),
                .host_uts = o->uts_mode && streq(o->uts_mode, "host"),
                .host_cgroupns = o->cgroupns_mode && streq(o->cgroupns_mode, "host"),
        };
        return 0;
}

/* config.json and the volume lists, then the state "created". */
static int write_records(struct cli_ctx *ctx, struct run_job *j, const struct run_spec *spec,
                         bool transient, struct box_err *err)
{
        _cleanup_free_ char *cfg =
                config_json(j->state, j->image, j->have_image ? j->h.id : NULL, &j->o, spec, &j->ms,
                            j->argv, j->img, j->labels, j->net_peer);
        int r = run_state_write_file(j->state, RUN_FILE_CONFIG, cfg, err);
        if (r >= 0) {
                /* what box start and the monitor's restarts run */
                _cleanup_free_ char *sj = run_spec_file_dump(spec);
                r = run_state_write_file(j->state, RUN_FILE_SPEC, sj, err);
        }
        /* written only when there are volumes: a missing file means none */
        if (r >= 0 && j->ms.anon[0]) {
                _cleanup_free_ char *anon = join_lines(j->ms.anon);
                r = run_state_write_file(j->state, RUN_FILE_VOLUMES, anon, err);
        }
        if (r >= 0 && j->ms.used[0]) {
                _cleanup_free_ char *used = join_lines(j->ms.used);
                r = run_state_write_file(j->state, RUN_FILE_VOLUMES_USED, used, err);
        }
        if (r >= 0 && !j->state->ephemeral)
                r = run_state_set(j->state, "created", 0, 0, err);
        /* Docker's volume create for the volumes -v and --mount made */
        STRV_FOREACH (v, j->ms.made)
                if (r >= 0)
                        cli_event(ctx, "volume", "create", *v, (char *[]){"driver", "local", NULL});
        /* a transient one's come when it has ended (transient_events()) */
        if (r >= 0 && !transient)
                cli_event_container(ctx, j->state->id, "create", NULL);
        return r;
}

/* A transient (--rm, in the foreground) container's events, Docker's
 * create, start, (oom,) die and destroy, in one write once it has ended: none
 * on its start's path.  STARTED_NS 0: it never started. */
static void transient_events(struct cli_ctx *ctx, struct run_job *j, int status)
{
        int64_t started_ns = j->started_ns;
        _cleanup_jv_ struct jv *cfg = cli_container_config(ctx, j->state->id);
        char code[16];
        snprintf(code, sizeof(code), "%d", status);
        _cleanup_strv_free_ char **attrs = cli_event_container_attrs(cfg, NULL);
        _cleanup_strv_free_ char **die =
                cli_event_container_attrs(cfg, (char *[]){"exitCode", code, NULL});
        const char *id = j->state->id;
        struct run_event evs[5] = {{"container", "create", id, attrs, j->created_ns}};
        size_t n = 1;
        /* never started: created and removed */
        if (started_ns) {
                evs[n++] = (struct run_event){"container", "start", id, attrs, started_ns};
                /* Docker's oom before the die (the sandbox read its count) */
                if (j->oom_killed)
                        evs[n++] = (struct run_event){"container", "oom", id, attrs, 0};
                evs[n++] = (struct run_event){"container", "die", id, die, 0};
        }
        evs[n++] = (struct run_event){"container", "destroy", id, attrs, 0};
        struct box_err err = {0};
        /* its start's network connects and volume mounts, between */
        _cleanup_free_ char *pre =
                started_ns ? cli_event_start_prelude(cli_container_root(ctx), id, cfg, started_ns)
                           : NULL;
        _cleanup_free_ char *created = run_events_format(evs, 1);
        _cleanup_free_ char *rest = run_events_format(evs + 1, n - 1);
        _cleanup_free_ char *all = xasprintf("%s%s%s", created, strempty(pre), rest);
        if (run_events_write(ctx->runroot, all, &err) < 0)
                log_warn("%s, ignoring", err.msg);
}

/* After the state dir exists: --rm removes it, else it records STATUS,
 * or with ERR (it did not start) stays "created" with the error, as
 * Docker's does. */
static void finish_container(struct cli_ctx *ctx, struct run_job *j, int status,
                             const char *finished_at, const struct box_err *err)
{
        if (j->o.rm)
                transient_events(ctx, j, status);
        struct run_state_update u = {.status = err ? "created" : "exited",
                                     .exit_code = status,
                                     .finished_at = finished_at,
                                     .error = err ? err->msg : NULL,
                                     .oom_killed = j->oom_killed};
        if (j->o.rm)
                (void)run_state_remove_ended(j->state, ctx->runroot, j->cgroups_later,
                                             (j->cgroups_later || j->cgroups_gone) && j->root_gone,
                                             NULL);
        else
                (void)run_state_change(j->state, &u, NULL);
        j->cgroups_later = NULL;
}

static int net_setup(pid_t pid, void *userdata, struct box_err *err)
{
        return run_net_attach_netns(userdata, pid, err);
}

static bool idmaps_equal(const struct run_idmap *a, size_t na, const struct run_idmap *b, size_t nb)
{
        return na == nb && (!na || memcmp(a, b, na * sizeof(*a)) == 0);
}

/* container:NAME with a user namespace: ours is the other's (it owns
 * that network namespace).  Its maps when we give none (Podman's
 * --userns container:); maps of our own must be its. */
static int join_userns_maps(struct cli_ctx *ctx, struct run_opts *o, const char *id,
                            struct box_err *err)
{
        struct run_spec_file f;
        int r = cli_container_spec(ctx, id, &f, err);
        if (r < 0)
                return r;
        const struct run_spec *p = &f.spec;
        if (o->n_uid_map && !(idmaps_equal(o->uid_map, o->n_uid_map, p->uid_map, p->n_uid_map) &&
                              idmaps_equal(o->gid_map, o->n_gid_map, p->gid_map, p->n_gid_map)))
                r = box_err_set(err, EINVAL,
                                "conflicting options: --uidmap/--gidmap and --network "
                                "container:%s, whose user namespace has %s maps",
                                o->network_name, p->n_uid_map ? "other" : "no");
        else if (!o->n_uid_map && p->n_uid_map) {
                o->uid_map = xnew(struct run_idmap, p->n_uid_map + 1);
                memcpy(o->uid_map, p->uid_map, p->n_uid_map * sizeof(*p->uid_map));
                o->n_uid_map = p->n_uid_map;
                o->gid_map = xnew(struct run_idmap, p->n_gid_map + 1);
                memcpy(o->gid_map, p->gid_map, p->n_gid_map * sizeof(*p->gid_map));
                o->n_gid_map = p->n_gid_map;
        }
        run_spec_file_release(&f);
        return r;
}

/* --network container:NAME: the other container, its /etc files and host
 * name, its user namespace's maps, and (OPEN_NS: a run in this process)
 * its network and user namespaces; a start under a monitor (detached, or
 * in the foreground) opens those itself (cli/container.c), as must a
 * restart, and here they are only checked. */
static int join_container(struct cli_ctx *ctx, struct run_job *j, bool create, bool open_ns,
                          struct box_err *err)
{
        char id[RUN_ID_LEN + 1];
        int r = run_state_lookup(store_root(j->st), j->o.network_name, id, err);
        if (r < 0)
                return r;
        r = join_userns_maps(ctx, &j->o, id, err);
        if (r < 0)
                return r;
        /* it must run, but for a box create */
        bool check = open_ns || !create;
        if (check)
                r = run_state_open_netns(ctx->runroot, id, &j->netns_fd, err);
        if (r >= 0 && j->o.n_uid_map && check)
                r = run_state_open_userns(ctx->runroot, id, &j->userns_fd, err);
        if (r < 0)
                return box_err_prefix(err, "--network container:%s", j->o.network_name);
        if (!open_ns && j->netns_fd >= 0)
                close(TAKE_FD(j->netns_fd)); /* it runs: its monitor-to-be opens it again */
        if (!open_ns && j->userns_fd >= 0)
                close(TAKE_FD(j->userns_fd));
        j->net_peer = xstrdup(id);
        /* Docker's: the other's host name */
        _cleanup_jv_ struct jv *cfg = run_state_read_json(store_root(j->st), id, "config.json");
        const char *hn = jv_get_str(jv_get(cfg, "Config"), "Hostname");
        if (hn && cli_check_host_name("--hostname", hn, 64, NULL) == 0)
                j->peer_hostname = xstrdup(hn);
        return 0;
}

/* In the foreground: the private network's attachment, made from the
 * record just written (as a detached start makes it from the same). */
static int attach_network(struct cli_ctx *ctx, struct run_job *j, struct run_spec *spec,
                          struct box_err *err)
{
        if (j->o.network != RUN_NETWORK_PRIVATE)
                return 0;
        _cleanup_jv_ struct jv *cfg = cli_container_config(ctx, j->state->id);
        if (!cfg)
                return box_err_set(err, EIO, "container %.12s: no config.json", j->state->id);
        int r = cli_run_network_attach(store_root(j->st), ctx->runroot, j->state, cfg, NULL, 0,
                                       &j->net, err);
        if (r < 0 || !j->net) /* none: box network disconnect left it on no network */
                return r;
        spec->net_setup = net_setup;
        spec->net_userdata = j->net;
        return 0;
}

/* Nothing of its output shown (-a stdin): its id is, as docker run prints
 * it then. */
static void print_id_unattached(const struct run_job *j)
{
        if (!attached(&j->o, "stdout") && !attached(&j->o, "stderr")) {
                printf("%s\n", j->state->id);
                fflush(stdout);
        }
}

/* A foreground run under its monitor, as Docker's CLI runs one (create,
 * start, attach): -t, or --sig-proxy=false.  Its terminal can detach (the
 * keys) and re-attach; its output is in box logs.  The container's status
 * once it has ended and been recorded (and removed with --rm), 0 when
 * detached. */
static int run_attached(struct cli_ctx *ctx, struct run_job *j)
{
        struct box_err err = {0};
        const char *id = j->state->id;
        cli_event_container(ctx, id, "attach", NULL); /* Docker's order: before the start */
        int r = cli_container_start(ctx, id, true, &err);
        if (r < 0)
                return cli_fail(&err); /* recorded (or removed) by the monitor-to-be */
        /* -a: the others are in its log only, as Docker's */
        struct cli_attach_opts a = {.no_stdin = !attached(&j->o, "stdin"),
                                    .no_stdout = !attached(&j->o, "stdout"),
                                    .no_stderr = !attached(&j->o, "stderr"),
                                    .detach_keys = j->o.detach_keys,
                                    .stdin_once = true,
                                    .sig_proxy = !j->o.no_sig_proxy};
        print_id_unattached(j);
        bool detached;
        int status = cli_container_attach(ctx, id, &a, &detached, &err);
        if (status < 0)
                return cli_fail(&err);
        /* as docker run: it returns once the container is recorded exited
         * (or removed); a restart policy has the monitor go on */
        if (!detached && (!j->o.life.restart_name || streq(j->o.life.restart_name, "no")))
                (void)run_state_wait_monitor(ctx->runroot, id, -1);
        return status;
}

static int run_main(struct cli_ctx *ctx, int argc, char **argv, bool create)
{
        _cleanup_(run_job_release) struct run_job j = {.volumes_lock = -EBADF,
                                                       .netns_fd = -EBADF,
                                                       .userns_fd = -EBADF,
                                                       .cidfile_fd = -EBADF,
                                                       .peer_fds = {-EBADF, -EBADF}};
        struct box_err err = {0};
        int r, status = 0;

        double t0 = ms_now();
        j.argv = argv;
        int first = cli_run_flags_parse(&j.o, argc, argv);
        if (first <= 0)
                return -first;
        if (first >= argc && !j.o.rootfs)
                return cli_usage_error("run", "'box run' requires at least 1 argument");
        /* with --rootfs every positional argument is the command */
        j.image = j.o.rootfs ? j.o.rootfs : argv[first];
        j.cmd_args = j.o.rootfs ? argv + first : argv + first + 1;
        r = translate_flags(&j, &err);
        if (r < 0)
                return cli_fail(&err);

        PHASE("flags");
        r = resolve_rootfs(ctx, &j, &err);
        if (r < 0)
                return cli_fail(&err);

        PHASE("image");
        /* -t (the terminal can detach), --sig-proxy=false (box's signals
         * are not the container's), or a container that outlives the run
         * (no --rm: `box logs` has its output afterwards, as Docker's):
         * under its monitor.  A --rm run stays box's own child: no log to
         * keep, no fork and exec more on its start. */
        bool monitored = !create && !j.o.life.detach && (j.o.tty || j.o.no_sig_proxy || !j.o.rm);
        bool transient = j.o.rm && !create && !j.o.life.detach && !monitored;
        if (j.o.network == RUN_NETWORK_CONTAINER) {
                r = join_container(ctx, &j, create, transient, &err);
                if (r < 0)
                        return cli_fail(&err);
        }
        /* --pid/--ipc container:NAME, recorded by id */
        struct {
                const char *flag, **mode;
                char **id_mode;
        } peers[] = {{"pid", &j.o.pid_mode, &j.pid_mode}, {"ipc", &j.o.ipc_mode, &j.ipc_mode}};
        for (size_t i = 0; i < ARRAY_SIZE(peers); i++) {
                if (!*peers[i].mode || !startswith(*peers[i].mode, "container:"))
                        continue;
                r = cli_run_peer_resolve(store_root(j.st), peers[i].flag, *peers[i].mode,
                                         peers[i].id_mode, &err);
                if (r < 0)
                        return cli_fail(&err);
                *peers[i].mode = *peers[i].id_mode;
        }
        j.args = cli_run_argv(j.img, j.o.entrypoint != NULL, j.o.entrypoint, j.cmd_args);
        if (!j.args[0] || !*j.args[0]) {
                box_err_set(&err, EINVAL, "no command specified");
                err.exit_code = EXIT_NOT_FOUND;
                return cli_fail(&err);
        }
        /* --cidfile: Docker's client makes it before the container (so a
         * second run with the same file fails first) and removes it when
         * no container was made */
        if (j.o.cidfile) {
                j.cidfile_fd = open(j.o.cidfile, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
                if (j.cidfile_fd < 0) {
                        box_err_errno(&err, errno, "--cidfile '%s'", j.o.cidfile);
                        return cli_fail(&err);
                }
        }
        r = create_container(ctx, &j, transient, &err);
        if (r < 0 && !j.state) {
                if (j.o.cidfile)
                        (void)unlink(j.o.cidfile);
                return cli_fail(&err);
        }
        if (j.o.cidfile) {
                size_t n = strlen(j.state->id);
                if (write(j.cidfile_fd, j.state->id, n) != (ssize_t)n) {
                        box_err_errno(&err, errno ? errno : EIO, "write --cidfile '%s'",
                                      j.o.cidfile);
                        r = -err.code;
                }
                close(TAKE_FD(j.cidfile_fd));
        }
        /* this process (or, with -t, its monitor) removes it when it ends:
         * no fsync of its state */
        j.state->ephemeral = j.o.rm && !create && !j.o.life.detach;
        struct run_spec spec;
        if (r >= 0)
                r = prepare_container(&j, &spec, &err);
        /* its writable layer goes with it: never worth a sync */
        if (r >= 0)
                spec.volatile_upper = transient;
        struct started_ctx sc = {.state = j.state, .started_ns = &j.started_ns};
        spec.on_started = on_started;
        spec.on_go = on_go;
        spec.userdata = &sc;
        spec.cgroups_gone = &j.cgroups_gone;
        spec.oom_killed = &j.oom_killed;
        /* --rm: its cgroups go while its record does (finish_container) */
        if (j.o.rm)
                spec.cgroups_later = &j.cgroups_later;
        spec.root_gone = &j.root_gone;
        if (r >= 0)
                r = write_records(ctx, &j, &spec, transient, &err);
        run_volume_unlock(TAKE_FD(j.volumes_lock));
        if (r >= 0 && monitored) {
                close(TAKE_FD(j.state->lock_fd));
                return run_attached(ctx, &j);
        }
        if (r >= 0 && (create || j.o.life.detach)) {
                /* the monitor-to-be takes the lock in its own process */
                close(TAKE_FD(j.state->lock_fd));
                r = create ? 0 : cli_container_start(ctx, j.state->id, false, &err);
                if (r < 0)
                        return cli_fail(&err); /* recorded (or removed) by the monitor-to-be */
                printf("%s\n", j.state->id);
                return 0;
        }
        if (r >= 0)
                r = attach_network(ctx, &j, &spec, &err);
        if (j.o.network == RUN_NETWORK_PRIVATE)
                sc.runroot = ctx->runroot;
        if (r >= 0 && (j.pid_mode || j.ipc_mode)) {
                _cleanup_jv_ struct jv *cfg = cli_container_config(ctx, j.state->id);
                r = cli_run_peer_open(ctx->runroot, cfg, &spec, j.peer_fds, &err);
        }
        _cleanup_free_ char *finished_at = NULL;
        if (r >= 0) {
                PHASE("state");
                print_id_unattached(&j);
                r = run_sandbox_run(&spec, &status, &err);
                PHASE("exited");
        }
        /* FinishedAt: its end, not the end of the clean-up below (a
         * transient container's record goes: no time wanted) */
        if (r >= 0 && !j.o.rm)
                finished_at = oci_time_now(true);
        run_net_detach(TAKE_PTR(j.net));
        if (r < 0) {
                finish_container(ctx, &j, err.exit_code ? err.exit_code : EXIT_BOX, NULL, &err);
                return cli_fail(&err);
        }
        finish_container(ctx, &j, status, finished_at, NULL);
        PHASE("cleaned up");
        return status;
}

int cmd_run(struct cli_ctx *ctx, int argc, char **argv)
{
        return run_main(ctx, argc, argv, false);
}

int cmd_create(struct cli_ctx *ctx, int argc, char **argv)
{
        return run_main(ctx, argc, argv, true);
}
