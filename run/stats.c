/* What a container uses, for box stats and box top: its cgroup's counters
 * (v1 controllers where the host mounts them, else the v2 hierarchy, so
 * v1, v2 and hybrid hosts all work) and its network namespace's. */
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/fs.h"
#include "lib/xalloc.h"
#include "run/lifecycle.h"

static bool read_text(const char *dir, const char *file, char **ret)
{
        _cleanup_free_ char *p = xasprintf("%s/%s", dir, file);
        return fs_read_file_at(AT_FDCWD, p, 1 << 20, ret, NULL, NULL) == 0;
}

static bool read_u64(const char *dir, const char *file, uint64_t *ret)
{
        _cleanup_free_ char *s = NULL;
        if (!dir || !read_text(dir, file, &s))
                return false;
        char *end;
        errno = 0;
        uint64_t v = strtoull(s, &end, 10);
        if (errno || end == s)
                return false; /* "max" */
        *ret = v;
        return true;
}

bool run_cgroup_stat_key(const char *dir, const char *file, const char *key, uint64_t *ret)
{
        _cleanup_free_ char *s = NULL;
        if (!dir || !read_text(dir, file, &s))
                return false;
        size_t n = strlen(key);
        for (char *l = s; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
                if (strneq(l, key, n) && l[n] == ' ') {
                        *ret = strtoull(l + n + 1, NULL, 10);
                        return true;
                }
        }
        return false;
}

static uint64_t host_memory(void)
{
        uint64_t kb = 0;
        return run_cgroup_stat_key("/proc", "meminfo", "MemTotal:", &kb) ? kb * 1024 : 0;
}

/* v1 blkio: "MAJ:MIN Read N" lines; the throttle files count every
 * device whatever the scheduler, the others only CFQ's or BFQ's. */
static void blkio_v1(const char *dir, struct run_stats *s)
{
        static const char *const files[] = {
                "blkio.throttle.io_service_bytes_recursive",
                "blkio.throttle.io_service_bytes",
                "blkio.io_service_bytes_recursive",
                "blkio.bfq.io_service_bytes_recursive",
        };
        for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
                _cleanup_free_ char *t = NULL;
                if (!read_text(dir, files[i], &t))
                        continue;
                bool any = false;
                for (char *l = t; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
                        char op[16];
                        unsigned long long v;
                        if (sscanf(l, "%*u:%*u %15s %llu", op, &v) != 2)
                                continue;
                        any = true;
                        if (streq(op, "Read"))
                                s->blk_read += v;
                        else if (streq(op, "Write"))
                                s->blk_write += v;
                }
                if (any)
                        return;
        }
}

/* v2 io.stat: "MAJ:MIN rbytes=N wbytes=N rios=..." */
static void io_v2(const char *dir, struct run_stats *s)
{
        _cleanup_free_ char *t = NULL;
        if (!read_text(dir, "io.stat", &t))
                return;
        for (char *p = t; (p = strstr(p, "bytes=")); p += 6) {
                uint64_t v = strtoull(p + 6, NULL, 10);
                if (p > t && p[-1] == 'r')
                        s->blk_read += v;
                else if (p > t && p[-1] == 'w')
                        s->blk_write += v;
        }
}

static void memory_stats(const char *v1, const char *v2, struct run_stats *s)
{
        uint64_t usage = 0, inactive = 0, limit = 0;
        if (v1) {
                (void)read_u64(v1, "memory.usage_in_bytes", &usage);
                (void)run_cgroup_stat_key(v1, "memory.stat", "total_inactive_file", &inactive);
                (void)read_u64(v1, "memory.limit_in_bytes", &limit);
        } else if (v2) {
                (void)read_u64(v2, "memory.current", &usage);
                (void)run_cgroup_stat_key(v2, "memory.stat", "inactive_file", &inactive);
                (void)read_u64(v2, "memory.max", &limit);
        }
        /* Docker's: the page cache it may drop does not count */
        s->mem_usage = usage > inactive ? usage - inactive : usage;
        uint64_t host = host_memory();
        s->mem_limit = limit == 0 || (host && limit > host) ? host : limit;
}

int run_stats_read(const char *parent, const char *id, struct run_stats *ret)
{
        _cleanup_free_ char *v2 = run_cgroup_dir(parent, id, NULL);
        _cleanup_free_ char *cpu = run_cgroup_dir(parent, id, "cpuacct");
        _cleanup_free_ char *mem = run_cgroup_dir(parent, id, "memory");
        _cleanup_free_ char *blk = run_cgroup_dir(parent, id, "blkio");
        _cleanup_free_ char *pids = run_cgroup_dir(parent, id, "pids");
        struct run_stats s = {0};
        if (!v2 && !cpu && !mem && !pids)
                return -ENOENT;
        uint64_t usec = 0;
        if (!read_u64(cpu, "cpuacct.usage", &s.cpu_ns) &&
            run_cgroup_stat_key(v2, "cpu.stat", "usage_usec", &usec))
                s.cpu_ns = usec * 1000;
        memory_stats(mem, mem ? NULL : v2, &s);
        if (blk)
                blkio_v1(blk, &s);
        else if (v2)
                io_v2(v2, &s);
        (void)read_u64(pids ? pids : v2, "pids.current", &s.pids);
        *ret = s;
        return 0;
}

int run_stats_net(pid_t pid, uint64_t *ret_rx, uint64_t *ret_tx)
{
        struct stat a, b;
        _cleanup_free_ char *ns = xasprintf("/proc/%d/ns/net", (int)pid);
        *ret_rx = *ret_tx = 0;
        if (stat(ns, &a) < 0)
                return -errno;
        /* the host's network: none of it is the container's own (Docker
         * shows 0B for --network host) */
        if (stat("/proc/self/ns/net", &b) == 0 && a.st_ino == b.st_ino && a.st_dev == b.st_dev)
                return 0;
        _cleanup_free_ char *dir = xasprintf("/proc/%d/net", (int)pid), *t = NULL;
        if (!read_text(dir, "dev", &t))
                return -ENOENT;
        /* "  eth0: RX bytes packets errs drop fifo frame compressed multicast TX bytes ..." */
        for (char *l = t; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
                char name[64];
                unsigned long long rx, tx;
                if (sscanf(l, " %63[^:]: %llu %*u %*u %*u %*u %*u %*u %*u %llu", name, &rx, &tx) !=
                            3 ||
                    streq(name, "lo"))
                        continue;
                *ret_rx += rx;
                *ret_tx += tx;
        }
        return 0;
}

int run_stats_host_cpu(uint64_t *ret_ns, int *ret_online)
{
        _cleanup_free_ char *t = NULL;
        if (!read_text("/proc", "stat", &t) || !startswith(t, "cpu "))
                return -EIO;
        uint64_t total = 0;
        char *p = t + 4;
        /* user nice system idle iowait irq softirq: Docker's sum */
        for (int i = 0; i < 7; i++) {
                char *end;
                total += strtoull(p, &end, 10);
                if (end == p)
                        break;
                p = end;
        }
        long hz = sysconf(_SC_CLK_TCK);
        *ret_ns = total * (1000000000ULL / (uint64_t)(hz > 0 ? hz : 100));
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        *ret_online = n > 0 ? (int)n : 1;
        return 0;
}

int run_cgroup_pids(const char *parent, const char *id, pid_t **ret, size_t *ret_n)
{
        static const char *const controllers[] = {"pids", "memory", "cpuacct", "freezer"};
        _cleanup_free_ char *dir = NULL, *t = NULL;
        for (size_t i = 0; i < ARRAY_SIZE(controllers) && !dir; i++)
                dir = run_cgroup_dir(parent, id, controllers[i]);
        if (!dir)
                dir = run_cgroup_dir(parent, id, NULL);
        if (!dir || !read_text(dir, "cgroup.procs", &t))
                return -ENOENT;
        pid_t *v = NULL;
        size_t n = 0;
        for (char *p = t; *p;) {
                char *end;
                long pid = strtol(p, &end, 10);
                if (end == p)
                        break;
                v = xreallocarray(v, n + 1, sizeof(*v));
                v[n++] = (pid_t)pid;
                p = end;
        }
        *ret = v;
        *ret_n = n;
        return 0;
}
