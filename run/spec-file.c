/* struct run_spec to JSON and back (see spec-file.h). */
#include "run/spec-file.h"

#include "lib/strv.h"
#include "lib/xalloc.h"
#include "spec/json.h"

static struct jv *rates_dump(const struct run_device_rate *v, size_t n)
{
        struct jv *a = jv_array();
        for (size_t i = 0; i < n; i++) {
                struct jv *o = jv_object();
                jv_set(o, "major", jv_int(v[i].major));
                jv_set(o, "minor", jv_int(v[i].minor));
                jv_set(o, "bps", jv_int((int64_t)v[i].bps));
                jv_push(a, o);
        }
        return a;
}

static struct jv *resources_dump(const struct run_resources *r)
{
        struct jv *o = jv_object();
        jv_set(o, "memory", jv_int(r->memory));
        jv_set(o, "memory_swap", jv_int(r->memory_swap));
        jv_set(o, "cpu_quota", jv_int(r->cpu_quota));
        jv_set(o, "cpu_period", jv_int(r->cpu_period));
        jv_set(o, "cpu_shares", jv_int(r->cpu_shares));
        jv_set_str(o, "cpuset_cpus", r->cpuset_cpus);
        jv_set(o, "pids_limit", jv_int(r->pids_limit));
        jv_set(o, "blkio_weight", jv_int(r->blkio_weight));
        jv_set(o, "read_bps", rates_dump(r->read_bps, r->n_read_bps));
        jv_set(o, "write_bps", rates_dump(r->write_bps, r->n_write_bps));
        jv_set(o, "read_iops", rates_dump(r->read_iops, r->n_read_iops));
        jv_set(o, "write_iops", rates_dump(r->write_iops, r->n_write_iops));
        jv_set(o, "weight_device", rates_dump(r->weight_device, r->n_weight_device));
        jv_set_str(o, "cpuset_mems", r->cpuset_mems);
        jv_set(o, "memory_reservation", jv_int(r->memory_reservation));
        if (r->memory_swappiness_set)
                jv_set(o, "memory_swappiness", jv_int(r->memory_swappiness));
        jv_set(o, "oom_kill_disable", jv_bool(r->oom_kill_disable));
        jv_set(o, "device_rules", jv_strv(r->device_rules));
        return o;
}

static struct jv *idmap_dump(const struct run_idmap *m, size_t n)
{
        struct jv *a = jv_array();
        for (size_t i = 0; i < n; i++) {
                struct jv *o = jv_object();
                jv_set(o, "container", jv_int(m[i].container));
                jv_set(o, "host", jv_int(m[i].host));
                jv_set(o, "count", jv_int(m[i].count));
                jv_push(a, o);
        }
        return a;
}

static struct jv *mounts_dump(const struct run_mount *m, size_t n)
{
        struct jv *a = jv_array();
        for (size_t i = 0; i < n; i++) {
                struct jv *o = jv_object();
                jv_set(o, "type", jv_int(m[i].type));
                jv_set_str(o, "source", m[i].source);
                jv_set_str(o, "target", m[i].target);
                jv_set_str(o, "data", m[i].data);
                jv_set(o, "flags", jv_int((int64_t)m[i].flags));
                jv_set(o, "copy_up", jv_bool(m[i].copy_up));
                jv_push(a, o);
        }
        return a;
}

char *run_spec_file_dump(const struct run_spec *s)
{
        _cleanup_jv_ struct jv *o = jv_object();
        jv_set_str(o, "id", s->id);
        jv_set_str(o, "state_dir", s->state_dir);
        jv_set_str(o, "mount_dir", s->mount_dir);
        jv_set_str(o, "base_dir", s->base_dir);
        jv_set(o, "lowerdirs", jv_strv(s->lowerdirs));
        jv_set_str(o, "rootfs", s->rootfs);
        jv_set(o, "read_only", jv_bool(s->read_only));
        jv_set_str(o, "hostname_file", s->hostname_file);
        jv_set_str(o, "hosts_file", s->hosts_file);
        jv_set_str(o, "resolv_file", s->resolv_file);
        jv_set(o, "mounts", mounts_dump(s->mounts, s->n_mounts));
        jv_set(o, "argv", jv_strv(s->argv));
        jv_set(o, "env", jv_strv(s->env));
        jv_set_str(o, "user", s->user);
        jv_set(o, "group_add", jv_strv(s->group_add));
        jv_set(o, "devices", jv_strv(s->devices));
        jv_set_str(o, "cwd", s->cwd);
        jv_set_str(o, "hostname", s->hostname);
        jv_set(o, "interactive", jv_bool(s->interactive));
        jv_set(o, "tty", jv_bool(s->tty));
        jv_set(o, "init", jv_bool(s->init));
        jv_set(o, "network", jv_int(s->network));
        jv_set(o, "uid_map", idmap_dump(s->uid_map, s->n_uid_map));
        jv_set(o, "gid_map", idmap_dump(s->gid_map, s->n_gid_map));
        jv_set(o, "caps", jv_int((int64_t)s->caps));
        jv_set(o, "privileged", jv_bool(s->privileged));
        jv_set(o, "no_new_privs", jv_bool(s->no_new_privs));
        jv_set(o, "seccomp", jv_int(s->seccomp));
        jv_set_str(o, "seccomp_profile", s->seccomp_profile);
        jv_set_str(o, "seccomp_cache_dir", s->seccomp_cache_dir);
        struct jv *rl = jv_array();
        for (size_t i = 0; i < s->n_rlimits; i++) {
                struct jv *l = jv_object();
                jv_set(l, "resource", jv_int(s->rlimits[i].resource));
                jv_set(l, "soft", jv_int((int64_t)s->rlimits[i].lim.rlim_cur));
                jv_set(l, "hard", jv_int((int64_t)s->rlimits[i].lim.rlim_max));
                jv_push(rl, l);
        }
        jv_set(o, "rlimits", rl);
        if (s->resources)
                jv_set(o, "resources", resources_dump(s->resources));
        jv_set_str(o, "cgroup_parent", s->cgroup_parent);
        jv_set(o, "shm_size", jv_int(s->shm_size));
        jv_set(o, "sysctls", jv_strv(s->sysctls));
        jv_set(o, "host_pid", jv_bool(s->host_pid));
        jv_set(o, "host_ipc", jv_bool(s->host_ipc));
        jv_set(o, "host_uts", jv_bool(s->host_uts));
        jv_set(o, "host_cgroupns", jv_bool(s->host_cgroupns));
        jv_set(o, "ipc_none", jv_bool(s->ipc_none));
        jv_set(o, "oom_score_adj", jv_int(s->oom_score_adj));
        jv_set_str(o, "domainname", s->domainname);
        return jv_dump(o, JV_PRETTY);
}

static int64_t get_int(const struct jv *o, const char *key)
{
        return jv_int_value(jv_get(o, key));
}

static int rates_parse(const struct jv *a, struct run_device_rate **ret, size_t *ret_n)
{
        size_t n = jv_len(a);
        *ret = n ? xnew0(struct run_device_rate, n) : NULL;
        for (size_t i = 0; i < n; i++) {
                const struct jv *o = jv_at(a, i);
                (*ret)[i] = (struct run_device_rate){(unsigned)get_int(o, "major"),
                                                     (unsigned)get_int(o, "minor"),
                                                     (uint64_t)get_int(o, "bps")};
        }
        *ret_n = n;
        return 0;
}

static void resources_parse(const struct jv *o, struct run_resources *r, char ***device_rules)
{
        r->memory = get_int(o, "memory");
        r->memory_swap = get_int(o, "memory_swap");
        r->cpu_quota = get_int(o, "cpu_quota");
        r->cpu_period = get_int(o, "cpu_period");
        r->cpu_shares = get_int(o, "cpu_shares");
        r->cpuset_cpus = jv_get_str(o, "cpuset_cpus");
        r->pids_limit = get_int(o, "pids_limit");
        r->blkio_weight = (int)get_int(o, "blkio_weight");
        rates_parse(jv_get(o, "read_bps"), &r->read_bps, &r->n_read_bps);
        rates_parse(jv_get(o, "write_bps"), &r->write_bps, &r->n_write_bps);
        rates_parse(jv_get(o, "read_iops"), &r->read_iops, &r->n_read_iops);
        rates_parse(jv_get(o, "write_iops"), &r->write_iops, &r->n_write_iops);
        rates_parse(jv_get(o, "weight_device"), &r->weight_device, &r->n_weight_device);
        r->cpuset_mems = jv_get_str(o, "cpuset_mems");
        r->memory_reservation = get_int(o, "memory_reservation");
        r->memory_swappiness_set = jv_get(o, "memory_swappiness") != NULL;
        r->memory_swappiness = (int)get_int(o, "memory_swappiness");
        r->oom_kill_disable = jv_bool_value(jv_get(o, "oom_kill_disable"));
        r->device_rules = *device_rules = jv_to_strv(jv_get(o, "device_rules"));
}

static struct run_idmap *idmap_parse(const struct jv *a, size_t *ret_n)
{
        size_t n = jv_len(a);
        struct run_idmap *m = n ? xnew0(struct run_idmap, n) : NULL;
        for (size_t i = 0; i < n; i++) {
                const struct jv *o = jv_at(a, i);
                m[i] = (struct run_idmap){(uint32_t)get_int(o, "container"),
                                          (uint32_t)get_int(o, "host"),
                                          (uint32_t)get_int(o, "count")};
        }
        *ret_n = n;
        return m;
}

static int mounts_parse(const struct jv *a, struct run_spec_file *f, struct box_err *err)
{
        size_t n = jv_len(a);
        f->mounts = xnew0(struct run_mount, n ? n : 1);
        for (size_t i = 0; i < n; i++) {
                const struct jv *o = jv_at(a, i);
                struct run_mount *m = &f->mounts[i];
                m->type = (enum run_mount_type)get_int(o, "type");
                m->source = jv_get_str(o, "source");
                m->target = jv_get_str(o, "target");
                m->data = jv_get_str(o, "data");
                m->flags = (unsigned long)get_int(o, "flags");
                m->copy_up = jv_bool_value(jv_get(o, "copy_up"));
                if (!m->target || m->target[0] != '/' || (m->type != RUN_MOUNT_TMPFS && !m->source))
                        return box_err_set(err, EINVAL, "mount %zu has no source or target", i);
        }
        f->spec.mounts = f->mounts;
        f->spec.n_mounts = n;
        return 0;
}

static void rlimits_parse(const struct jv *a, struct run_spec_file *f)
{
        size_t n = jv_len(a);
        f->rlimits = n ? xnew0(struct run_rlimit, n) : NULL;
        for (size_t i = 0; i < n; i++) {
                const struct jv *o = jv_at(a, i);
                f->rlimits[i].resource = (int)get_int(o, "resource");
                f->rlimits[i].lim.rlim_cur = (rlim_t)get_int(o, "soft");
                f->rlimits[i].lim.rlim_max = (rlim_t)get_int(o, "hard");
        }
        f->spec.rlimits = f->rlimits;
        f->spec.n_rlimits = n;
}

int run_spec_file_parse(const char *text, struct run_spec_file *f, struct box_err *err)
{
        *f = (struct run_spec_file){0};
        int r = jv_parse(text, strlen(text), &f->doc, err);
        if (r < 0)
                return box_err_prefix(err, "spec.json");
        const struct jv *o = f->doc;
        struct run_spec *s = &f->spec;
        s->id = jv_get_str(o, "id");
        s->state_dir = jv_get_str(o, "state_dir");
        s->mount_dir = jv_get_str(o, "mount_dir");
        s->base_dir = jv_get_str(o, "base_dir");
        s->lowerdirs = f->lowerdirs = jv_to_strv(jv_get(o, "lowerdirs"));
        s->rootfs = jv_get_str(o, "rootfs");
        s->read_only = jv_bool_value(jv_get(o, "read_only"));
        s->hostname_file = jv_get_str(o, "hostname_file");
        s->hosts_file = jv_get_str(o, "hosts_file");
        s->resolv_file = jv_get_str(o, "resolv_file");
        r = mounts_parse(jv_get(o, "mounts"), f, err);
        if (r < 0)
                return box_err_prefix(err, "spec.json");
        s->argv = f->argv = jv_to_strv(jv_get(o, "argv"));
        s->env = f->env = jv_to_strv(jv_get(o, "env"));
        s->user = jv_get_str(o, "user");
        s->group_add = f->group_add = jv_to_strv(jv_get(o, "group_add"));
        s->devices = f->devices = jv_to_strv(jv_get(o, "devices"));
        s->cwd = jv_get_str(o, "cwd");
        s->hostname = jv_get_str(o, "hostname");
        s->interactive = jv_bool_value(jv_get(o, "interactive"));
        s->tty = jv_bool_value(jv_get(o, "tty"));
        s->init = jv_bool_value(jv_get(o, "init"));
        s->network = (enum run_network)get_int(o, "network");
        s->uid_map = f->uid_map = idmap_parse(jv_get(o, "uid_map"), &s->n_uid_map);
        s->gid_map = f->gid_map = idmap_parse(jv_get(o, "gid_map"), &s->n_gid_map);
        s->caps = (uint64_t)get_int(o, "caps");
        s->privileged = jv_bool_value(jv_get(o, "privileged"));
        s->no_new_privs = jv_bool_value(jv_get(o, "no_new_privs"));
        s->seccomp = (enum run_seccomp_mode)get_int(o, "seccomp");
        s->seccomp_profile = jv_get_str(o, "seccomp_profile");
        s->seccomp_cache_dir = jv_get_str(o, "seccomp_cache_dir");
        rlimits_parse(jv_get(o, "rlimits"), f);
        if (jv_is_object(jv_get(o, "resources"))) {
                resources_parse(jv_get(o, "resources"), &f->res, &f->device_rules);
                s->resources = &f->res;
        }
        s->cgroup_parent = jv_get_str(o, "cgroup_parent");
        s->shm_size = get_int(o, "shm_size");
        s->sysctls = f->sysctls = jv_to_strv(jv_get(o, "sysctls"));
        s->host_pid = jv_bool_value(jv_get(o, "host_pid"));
        s->host_ipc = jv_bool_value(jv_get(o, "host_ipc"));
        s->host_uts = jv_bool_value(jv_get(o, "host_uts"));
        s->host_cgroupns = jv_bool_value(jv_get(o, "host_cgroupns"));
        s->ipc_none = jv_bool_value(jv_get(o, "ipc_none"));
        s->oom_score_adj = (int)get_int(o, "oom_score_adj");
        s->domainname = jv_get_str(o, "domainname");
        if (!s->id || !s->state_dir || !s->argv || !s->argv[0] || (!s->rootfs && !s->lowerdirs))
                return box_err_set(err, EINVAL, "spec.json: incomplete");
        return 0;
}

void run_spec_file_release(struct run_spec_file *f)
{
        strv_free(f->lowerdirs);
        strv_free(f->argv);
        strv_free(f->env);
        strv_free(f->group_add);
        strv_free(f->sysctls);
        strv_free(f->device_rules);
        strv_free(f->devices);
        free(f->mounts);
        free(f->uid_map);
        free(f->gid_map);
        free(f->rlimits);
        free(f->res.read_bps);
        free(f->res.write_bps);
        free(f->res.read_iops);
        free(f->res.write_iops);
        free(f->res.weight_device);
        jv_free(f->doc);
        *f = (struct run_spec_file){0};
}
