/* box update [OPTIONS] CONTAINER...: new resource limits and restart
 * policy, as docker update: written to the running container's cgroups at
 * once, and to its records (spec.json for every later start, config.json
 * for inspect and its monitor's restart decision). */
#include <stdio.h>

#include "cli/cmd-run.h"
#include "cli/container.h"
#include "cli/events.h"
#include "lib/xalloc.h"
#include "run/lifecycle.h"
#include "run/network.h"
#include "run/spec-file.h"
#include "spec/json.h"

/* O's flags over the container's limits CUR: what it runs with from now. */
static int merge(const struct run_opts *o, const struct jv *hc, struct run_resources *cur,
                 struct box_err *err)
{
        const struct run_resources *n = &o->res;
        if (n->memory > 0) {
                /* Docker's rule: a memory+swap limit the user set stays
                 * unless given again, and must stay above memory */
                if (n->memory_swap == 0 && cur->memory_swap > 0 && n->memory > cur->memory_swap)
                        return box_err_set(err, EINVAL,
                                           "Memory limit should be smaller than already set "
                                           "memoryswap limit, update the memoryswap at the same "
                                           "time");
                cur->memory = n->memory;
        }
        if (n->memory_swap != 0) {
                if (cur->memory <= 0)
                        return box_err_set(err, EINVAL,
                                           "You should always set the Memory limit when using "
                                           "Memoryswap limit, see usage");
                if (n->memory_swap > 0 && n->memory_swap < cur->memory)
                        return box_err_set(err, EINVAL,
                                           "minimum memoryswap limit should be larger than memory "
                                           "limit, see usage");
                cur->memory_swap = n->memory_swap;
        }
        if (n->memory_reservation > 0)
                cur->memory_reservation = n->memory_reservation;
        if (cur->memory > 0 && cur->memory_reservation > cur->memory)
                return box_err_set(err, EINVAL,
                                   "minimum memory limit can not be less than memory "
                                   "reservation limit, see usage");
        if (n->cpu_quota) { /* --cpus */
                if (jv_int_value(jv_get(hc, "CpuQuota")) > 0 && !o->cpu_quota)
                        return box_err_set(err, EINVAL,
                                           "conflicting options: Nano CPUs and CPU Quota cannot "
                                           "both be set");
                cur->cpu_period = n->cpu_period;
                cur->cpu_quota = n->cpu_quota;
        }
        if (o->cpu_period || o->cpu_quota) {
                if (jv_int_value(jv_get(hc, "NanoCpus")) > 0)
                        return box_err_set(err, EINVAL,
                                           "conflicting options: CPU %s cannot be updated as "
                                           "NanoCPUs has already been set",
                                           o->cpu_period ? "Period" : "Quota");
                if (o->cpu_period)
                        cur->cpu_period = o->cpu_period;
                if (o->cpu_quota)
                        cur->cpu_quota = o->cpu_quota;
        }
        if (n->cpu_shares > 0)
                cur->cpu_shares = n->cpu_shares;
        if (n->cpuset_cpus)
                cur->cpuset_cpus = n->cpuset_cpus;
        if (n->cpuset_mems)
                cur->cpuset_mems = n->cpuset_mems;
        if (n->pids_limit)
                cur->pids_limit = n->pids_limit;
        if (n->blkio_weight)
                cur->blkio_weight = n->blkio_weight;
        return 0;
}

/* HostConfig's limits, now RES, as box run records them; the restart
 * policy when given. */
static void record(struct jv *hc, const struct run_opts *o, const struct run_resources *res)
{
        cli_host_config_limits(hc, res,
                               o->res.cpu_quota                ? CLI_CPU_NANO
                               : o->cpu_period || o->cpu_quota ? CLI_CPU_CFS
                                                               : CLI_CPU_KEEP);
        if (o->life.restart) {
                struct jv *rp = jv_object();
                jv_set_str(rp, "Name", o->life.restart_name);
                jv_set(rp, "MaximumRetryCount", jv_int(o->life.restart_max));
                jv_set(hc, "RestartPolicy", rp);
        }
}

static int update(struct cli_ctx *ctx, const struct run_opts *o, const char *name,
                  char id[RUN_ID_LEN + 1], struct box_err *err)
{
        int r = cli_container_find(ctx, name, id, err);
        if (r < 0)
                return r;
        const char *root = cli_container_root(ctx);
        /* config.json's other writers (network connect) hold it too */
        _cleanup_close_ int lock = run_net_lock(root, id, err);
        if (lock < 0)
                return lock;
        _cleanup_jv_ struct jv *cfg = NULL;
        r = run_state_config(root, id, &cfg, err);
        if (r < 0)
                return r;
        struct jv *hc = jv_get(cfg, "HostConfig");
        if (!jv_is_object(hc))
                return box_err_set(err, EINVAL, "container %.12s: config.json has no HostConfig",
                                   id);
        if (o->life.restart && jv_bool_value(jv_get(hc, "AutoRemove")) &&
            !streq(o->life.restart_name, "no"))
                return box_err_set(err, EINVAL,
                                   "Restart policy cannot be updated because AutoRemove is "
                                   "enabled for the container");
        struct run_spec_file f = {0};
        r = cli_container_spec(ctx, id, &f, err);
        if (r < 0)
                return r;
        if (!f.spec.resources)
                f.spec.resources = &f.res;
        r = merge(o, hc, &f.res, err);
        /* a running container's cgroups first: what the kernel refuses
         * (memory below its use) is then recorded nowhere */
        if (r >= 0 && cli_container_status(ctx, id) == RUN_STATUS_RUNNING)
                r = run_cgroup_update(f.spec.cgroup_parent, id, &f.res, err);
        if (r >= 0) {
                _cleanup_free_ char *text = run_spec_file_dump(&f.spec);
                r = run_state_spec_write(root, id, text, err);
        }
        if (r >= 0) {
                record(hc, o, &f.res);
                r = run_state_config_write(root, id, cfg, err);
        }
        run_spec_file_release(&f);
        return r < 0 ? box_err_prefix(err, "update %.12s", id) : 0;
}

int cmd_update(struct cli_ctx *ctx, int argc, char **argv)
{
        struct run_opts o;
        int first = cli_update_flags_parse(&o, argc, argv);
        if (first <= 0) {
                run_opts_release(&o);
                return -first;
        }
        int ret = 0;
        if (first >= argc)
                ret = cli_usage_error("update", "'box update' requires at least 1 argument");
        else if (first == 1)
                ret = cli_usage_error("update",
                                      "you must provide one or more flags when using this "
                                      "command");
        for (int a = first; !ret && a < argc; a++) {
                struct box_err err = {0};
                char id[RUN_ID_LEN + 1];
                if (update(ctx, &o, argv[a], id, &err) < 0) {
                        ret = cli_fail(&err);
                        continue;
                }
                printf("%s\n", argv[a]);
                cli_event_container(ctx, id, "update", NULL); /* Docker's */
        }
        run_opts_release(&o);
        return ret;
}
