/* A container that outlives the command: box starts it, then the process
 * that is its parent becomes its monitor by exec'ing box-monitor
 * (run/monitor/box-monitor.c), which keeps the lock of run/state.h, the
 * container's stdio and its exit, and when the container is gone execs
 * `box container cleanup` in the same process (see docs/lifecycle.md).
 *
 * Ownership: everything passed in is borrowed. */
#pragma once

#include <stdint.h>

#include "run/run.h"
#include "run/state.h"

struct run_event;

struct run_monitor {
        const char *monitor_bin; /* box-monitor */
        const char *box;         /* box itself, for the cleanup and health checks */
        const char *root, *runroot;
        const char *log_driver; /* "k8s-file" (NULL too), "none", "journald" */
        const char *log_path;
        int64_t log_max_size, log_max_file;
        int64_t health_interval_ms; /* 0: no health check */
        /* > 0: the interval for the first HEALTH_START_PERIOD_MS instead */
        int64_t health_start_interval_ms, health_start_period_ms;
        /* > 0: the box that starts it attaches (run -t, start -a): the
         * monitor waits that long for it before relaying anything, and never
         * drops its output */
        int64_t attach_wait_ms;
        int ready_fd; /* >= 0: gets a struct box_err (code 0) once the container runs */
        /* sockets of the published host ports: the monitor keeps them bound
         * for the container's life and hands them to `box container
         * cleanup`, whose restart publishes the same ports with them */
        const int *port_fds;
        size_t n_port_fds;
        /* a network namespace of its own: once it runs, it joins what box
         * network connect recorded meanwhile */
        bool net_late;
        /* its start's event (run/events.h), appended once it runs, before
         * its monitor could append its end (NULL: none) */
        const struct run_event *start_event;
        /* log lines written with it, before it (NULL: none) */
        const char *start_prelude;
};

/* Starts SPEC's container from this process (already detached from the
 * user's terminal) and becomes its monitor: stdio goes to /dev/null, the
 * container's stdio to the monitor.  Never returns on success; -errno (ERR
 * set, err->exit_code 126/127 as a foreground run) when the container could
 * not start.  S holds the monitor's lock. */
int run_container_start_detached(struct run_state *s, const struct run_spec *spec,
                                 const struct run_monitor *m, struct box_err *err);

/* Releases what a container that ended holds outside its state dir: its
 * cgroups (and, with the network, its ports); safe to call twice. */
void run_container_release(const struct run_spec *spec);

/* The freezer: FREEZE or thaw every process of container ID (v1 freezer,
 * else v2 cgroup.freeze), waiting until the kernel says it is done. */
int run_cgroup_freeze(const char *parent, const char *id, bool freeze, struct box_err *err);
/* box update: running container ID's cgroup limits rewritten to RES (all
 * of them but the device list, which stays as the container started). */
struct run_resources;
int run_cgroup_update(const char *parent, const char *id, const struct run_resources *res,
                      struct box_err *err);
/* Is container ID frozen? */
bool run_cgroup_frozen(const char *parent, const char *id);
/* The directory of container ID's cgroup in the hierarchy of CONTROLLER
 * (a v1 controller name; NULL: the v2 hierarchy), or NULL when there is
 * none: the caller's to free. */
char *run_cgroup_dir(const char *parent, const char *id, const char *controller);

/* What container ID uses now (run/stats.c): cumulative counters but the
 * memory, from its cgroup (v1 controllers where mounted, else v2). */
struct run_stats {
        uint64_t cpu_ns;               /* CPU time */
        uint64_t mem_usage, mem_limit; /* without inactive page cache (Docker's); the
                                        * limit is the host's memory when none is set */
        uint64_t blk_read, blk_write;  /* bytes */
        uint64_t pids;
};
/* -ENOENT when the container has no cgroup (it does not run). */
int run_stats_read(const char *parent, const char *id, struct run_stats *ret);
/* Bytes received and sent on the interfaces of PID's network namespace
 * but lo; 0 for the host's own namespace (--network host). */
int run_stats_net(pid_t pid, uint64_t *ret_rx, uint64_t *ret_tx);
/* The host's CPU time (/proc/stat, in ns) and its online CPUs. */
int run_stats_host_cpu(uint64_t *ret_ns, int *ret_online);
/* KEY's value in DIR/FILE, a "key value" per line file (memory.stat,
 * cpu.stat, memory.events): false when the file or the key is missing. */
bool run_cgroup_stat_key(const char *dir, const char *file, const char *key, uint64_t *ret);
/* The pids of container ID's cgroup (a v1 hierarchy's cgroup.procs, else
 * v2's): the caller's to free; -ENOENT when it has none. */
int run_cgroup_pids(const char *parent, const char *id, pid_t **ret, size_t *ret_n);
