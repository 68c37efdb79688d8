/* box run's flags: the table (one row per flag) and the parsers of the
 * flags that need more than a string, a list or a switch.  A new flag is
 * a row here and a field of struct run_opts (cli/cmd-run.h); cmd-run.c
 * translates the struct into a run spec. */
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "cli/cli.h"
#include "cli/cmd-run.h"
#include "cli/options.h"
#include "lib/fs.h"
#include "lib/strv.h"
#include "lib/xalloc.h"

static const char usage[] = "Usage: box run [OPTIONS] IMAGE [COMMAND] [ARG...]\n"
                            "       box run [OPTIONS] --rootfs DIR [COMMAND] [ARG...]\n"
                            "\n"
                            "Create and run a new container from an image, in the foreground.\n"
                            "\n"
                            "Options:\n";

void run_opts_release(struct run_opts *o)
{
        strv_free(o->env);
        strv_free(o->env_files);
        strv_free(o->cap_add);
        strv_free(o->cap_drop);
        strv_free(o->group_add);
        strv_free(o->volumes);
        strv_free(o->mounts);
        strv_free(o->tmpfs);
        strv_free(o->ulimits);
        free(o->seccomp_profile);
        free(o->res.read_bps);
        free(o->res.write_bps);
        free(o->uid_map);
        free(o->gid_map);
}

static int parse_int(const char *s, int64_t *ret)
{
        char *end;
        errno = 0;
        long long v = strtoll(s, &end, 10);
        if (errno || end == s || *end)
                return -EINVAL;
        *ret = v;
        return 0;
}

static int parse_security_opt(struct run_opts *o, const char *s, struct box_err *err)
{
        if (startswith(s, "seccomp=") || startswith(s, "seccomp:")) {
                const char *v = s + 8;
                if (streq(v, "unconfined")) {
                        o->seccomp = RUN_SECCOMP_UNCONFINED;
                        return 0;
                }
                free(o->seccomp_profile);
                o->seccomp_profile = NULL;
                int r = fs_read_file_at(AT_FDCWD, v, 1 << 22, &o->seccomp_profile, NULL, err);
                if (r < 0)
                        return box_err_prefix(err, "opening seccomp profile failed");
                r = run_seccomp_profile_check(o->seccomp_profile, err);
                if (r < 0)
                        return box_err_prefix(err, "'%s'", v);
                o->seccomp = RUN_SECCOMP_PROFILE;
                return 0;
        }
        if (streq(s, "no-new-privileges") || streq(s, "no-new-privileges=true") ||
            streq(s, "no-new-privileges:true")) {
                o->no_new_privs = true;
                return 0;
        }
        if (streq(s, "no-new-privileges=false") || streq(s, "no-new-privileges:false")) {
                o->no_new_privs = false;
                return 0;
        }
        int lsm = cli_security_opt_lsm(s, err);
        if (lsm != 0)
                return lsm < 0 ? lsm : 0;
        return box_err_set(err, EINVAL, "invalid --security-opt: '%s'", s);
}

static int parse_rate(const char *s, struct run_device_rate **v, size_t *n, struct box_err *err)
{
        const char *colon = strrchr(s, ':');
        if (!colon)
                return box_err_set(err, EINVAL, "bad format '%s': expected DEVICE:RATE", s);
        _cleanup_free_ char *dev = xstrndup(s, (size_t)(colon - s));
        int64_t rate;
        if (run_parse_bytes(colon + 1, &rate) < 0)
                return box_err_set(err, EINVAL, "invalid rate '%s'", colon + 1);
        struct stat st;
        if (stat(dev, &st) < 0)
                return box_err_errno(err, errno, "device '%s'", dev);
        if (!S_ISBLK(st.st_mode))
                return box_err_set(err, EINVAL, "'%s' is not a block device", dev);
        *v = xreallocarray(*v, *n + 1, sizeof(**v));
        (*v)[(*n)++] =
                (struct run_device_rate){major(st.st_rdev), minor(st.st_rdev), (uint64_t)rate};
        return 0;
}

static int parse_idmap(const char *arg, struct run_idmap **v, size_t *n)
{
        struct box_err err = {0};
        struct run_idmap m;
        if (run_idmap_parse(arg, &m, &err) < 0)
                return cli_fail(&err);
        *v = xreallocarray(*v, *n + 1, sizeof(**v));
        (*v)[(*n)++] = m;
        return 0;
}

/* ---- the flags that need a parser (cli_opt_func: 0 or a reported exit status) ---- */

static int opt_workdir(void *opts, const char *arg)
{
        struct run_opts *o = opts;
        if (arg[0] != '/')
                return cli_usage_error("run",
                                       "the working directory '%s' is invalid, it needs to be an "
                                       "absolute path",
                                       arg);
        o->workdir = arg;
        return 0;
}

static int opt_hostname(void *opts, const char *arg)
{
        struct run_opts *o = opts;
        struct box_err err = {0};
        /* the kernel's HOST_NAME_MAX; it goes into /etc/hosts too */
        if (cli_check_host_name("--hostname", arg, 64, &err) < 0)
                return cli_fail(&err);
        o->hostname = arg;
        return 0;
}

static int opt_detach(void *opts, const char *arg)
{
        return cli_usage_error("run", "detached mode (-d) is not supported yet");
}

static int opt_network(void *opts, const char *arg)
{
        struct run_opts *o = opts;
        if (streq(arg, "host") || streq(arg, "default"))
                o->network = RUN_NETWORK_HOST;
        else if (streq(arg, "none"))
                o->network = RUN_NETWORK_NONE;
        else
                return cli_usage_error(
                        "run", "network mode '%s' is not supported yet (use host or none)", arg);
        return 0;
}

static int opt_publish(void *opts, const char *arg)
{
        return cli_usage_error("run", "publishing ports (-p/-P) is not supported yet");
}

static int opt_security_opt(void *opts, const char *arg)
{
        struct box_err err = {0};
        if (parse_security_opt(opts, arg, &err) < 0)
                return cli_fail(&err);
        return 0;
}

static int opt_memory(void *opts, const char *arg)
{
        struct run_opts *o = opts;
        if (run_parse_bytes(arg, &o->res.memory) < 0)
                return cli_usage_error("run", "invalid memory limit '%s'", arg);
        if (o->res.memory < 6 * 1024 * 1024)
                return cli_usage_error("run", "minimum memory limit allowed is 6MB");
        return 0;
}

static int opt_memory_swap(void *opts, const char *arg)
{
        struct run_opts *o = opts;
        if (streq(arg, "-1"))
                o->res.memory_swap = -1;
        else if (run_parse_bytes(arg, &o->res.memory_swap) < 0)
                return cli_usage_error("run", "invalid memory-swap limit '%s'", arg);
        return 0;
}

static int opt_cpus(void *opts, const char *arg)
{
        struct run_opts *o = opts;
        char *end;
        double cpus = strtod(arg, &end);
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        if (end == arg || *end || cpus <= 0)
                return cli_usage_error("run", "invalid --cpus '%s'", arg);
        if (cpus > (double)n)
                return cli_usage_error("run",
                                       "range of CPUs is from 0.01 to %ld.00, as there are only "
                                       "%ld CPUs available",
                                       n, n);
        o->res.cpu_period = 100000;
        o->res.cpu_quota = (int64_t)(cpus * 100000 + 0.5);
        if (o->res.cpu_quota < 1000)
                o->res.cpu_quota = 1000;
        return 0;
}

static int opt_cpu_shares(void *opts, const char *arg)
{
        struct run_opts *o = opts;
        if (parse_int(arg, &o->res.cpu_shares) < 0 || o->res.cpu_shares < 0)
                return cli_usage_error("run", "invalid --cpu-shares '%s'", arg);
        return 0;
}

static int opt_cpuset_cpus(void *opts, const char *arg)
{
        struct run_opts *o = opts;
        if (!*arg || strspn(arg, "0123456789,-") != strlen(arg))
                return cli_usage_error("run", "invalid value '%s' for cpuset cpus", arg);
        o->res.cpuset_cpus = arg;
        return 0;
}

static int opt_pids_limit(void *opts, const char *arg)
{
        struct run_opts *o = opts;
        if (parse_int(arg, &o->res.pids_limit) < 0)
                return cli_usage_error("run", "invalid --pids-limit '%s'", arg);
        if (o->res.pids_limit <= 0)
                o->res.pids_limit = -1;
        return 0;
}

static int opt_blkio_weight(void *opts, const char *arg)
{
        struct run_opts *o = opts;
        int64_t w;
        if (parse_int(arg, &w) < 0 || (w != 0 && (w < 10 || w > 1000)))
                return cli_usage_error("run", "range of blkio weight is from 10 to 1000");
        o->res.blkio_weight = (int)w;
        return 0;
}

static int opt_device_read_bps(void *opts, const char *arg)
{
        struct run_opts *o = opts;
        struct box_err err = {0};
        if (parse_rate(arg, &o->res.read_bps, &o->res.n_read_bps, &err) < 0)
                return cli_fail(&err);
        return 0;
}

static int opt_device_write_bps(void *opts, const char *arg)
{
        struct run_opts *o = opts;
        struct box_err err = {0};
        if (parse_rate(arg, &o->res.write_bps, &o->res.n_write_bps, &err) < 0)
                return cli_fail(&err);
        return 0;
}

static int opt_userns(void *opts, const char *arg)
{
        if (*arg && !streq(arg, "host") && !streq(arg, "private"))
                return cli_usage_error("run",
                                       "--userns '%s' is not supported yet (host, or private "
                                       "with --uidmap/--gidmap)",
                                       arg);
        return 0;
}

static int opt_uidmap(void *opts, const char *arg)
{
        struct run_opts *o = opts;
        return parse_idmap(arg, &o->uid_map, &o->n_uid_map);
}

static int opt_gidmap(void *opts, const char *arg)
{
        struct run_opts *o = opts;
        return parse_idmap(arg, &o->gid_map, &o->n_gid_map);
}

static int opt_cgroup_parent(void *opts, const char *arg)
{
        struct run_opts *o = opts;
        if (arg[0] != '/' || strstr(arg, ".."))
                return cli_usage_error("run",
                                       "--cgroup-parent must be an absolute path without '..'");
        o->cgroup_parent = arg;
        return 0;
}

/* ---- the table: in the order of the help ---- */

#define R CLI_ARG_REQUIRED
#define T struct run_opts

static const struct cli_option run_flags[] = {
        CLI_FUNC("blkio-weight", 0, R, opt_blkio_weight, "N", "block IO weight (10-1000)"),
        CLI_STRV("cap-add", 0, T, cap_add, "CAP", "add a Linux capability (or ALL)"),
        CLI_STRV("cap-drop", 0, T, cap_drop, "CAP", "drop a Linux capability (or ALL)"),
        CLI_FUNC("cgroup-parent", 0, R, opt_cgroup_parent, "PATH", "parent cgroup (default /box)"),
        CLI_FUNC("cpu-shares", 'c', R, opt_cpu_shares, "N", "CPU shares (relative weight)"),
        CLI_FUNC("cpus", 0, R, opt_cpus, "N", "number of CPUs (fractions allowed)"),
        CLI_FUNC("cpuset-cpus", 0, R, opt_cpuset_cpus, "LIST", "CPUs to run on (0-3, 0,1)"),
        CLI_FUNC("device-read-bps", 0, R, opt_device_read_bps, "D:R",
                 "limit read rate from a device (/dev/sda:1mb)"),
        CLI_FUNC("device-write-bps", 0, R, opt_device_write_bps, "D:R",
                 "limit write rate to a device"),
        CLI_FUNC("detach", 'd', CLI_ARG_NONE, opt_detach, NULL, NULL),
        CLI_STRING("entrypoint", 0, T, entrypoint, "CMD",
                   "override the image's ENTRYPOINT (string or JSON array)"),
        CLI_STRV("env", 'e', T, env, "K=V|K", "set an environment variable (K alone: box's value)"),
        CLI_STRV("env-file", 0, T, env_files, "FILE", "read environment variables from FILE"),
        CLI_STRV("group-add", 0, T, group_add, "GROUP", "add a supplementary group"),
        CLI_HELP("help", 0),
        CLI_FUNC("hostname", 'h', R, opt_hostname, "NAME",
                 "container hostname (default: its short id)"),
        CLI_TRUE("init", 0, T, init, "run box's small init as pid 1 (reaps zombies)"),
        CLI_TRUE("interactive", 'i', T, interactive, "keep stdin attached"),
        CLI_FUNC("memory", 'm', R, opt_memory, "BYTES", "memory limit (6m at least)"),
        CLI_FUNC("memory-swap", 0, R, opt_memory_swap, "BYTES",
                 "memory + swap limit (-1 unlimited)"),
        CLI_STRV("mount", 0, T, mounts, "SPEC",
                 "type=bind|volume|tmpfs,source=...,target=...[,readonly]"),
        CLI_STRING("name", 0, T, name, "NAME", "assign a name to the container"),
        CLI_FUNC("net", 0, R, opt_network, NULL, NULL),
        CLI_FUNC("network", 0, R, opt_network, "MODE", "host (default) or none"),
        CLI_FUNC("pids-limit", 0, R, opt_pids_limit, "N",
                 "limit the number of processes (default 2048; 0 or -1\nunlimited)"),
        CLI_TRUE("privileged", 0, T, privileged, "all capabilities, devices and no seccomp"),
        CLI_FUNC("publish", 'p', R, opt_publish, NULL, NULL),
        CLI_FUNC("publish-all", 'P', CLI_ARG_NONE, opt_publish, NULL, NULL),
        CLI_STRING("pull", 0, T, pull, "string",
                   "pull the image: missing (default), always, newer or never"),
        CLI_TRUE("read-only", 0, T, read_only, "mount the root file system read-only"),
        CLI_TRUE("rm", 0, T, rm, "remove the container (and its anonymous volumes) on exit"),
        CLI_STRING("rootfs", 0, T, rootfs, "DIR",
                   "run DIR as the root file system instead of an image"),
        CLI_FUNC("security-opt", 0, R, opt_security_opt, "OPT",
                 "seccomp=unconfined|PROFILE.json, no-new-privileges"),
        CLI_TRUE("tty", 't', T, tty, "allocate a pseudo-TTY"),
        CLI_STRV("tmpfs", 0, T, tmpfs, "PATH[:OPTS]", "mount a tmpfs"),
        CLI_STRV("ulimit", 0, T, ulimits, "NAME=S[:H]",
                 "set a ulimit (never above the current hard limit)"),
        CLI_STRING("user", 'u', T, user, "USER[:GROUP]",
                   "user and group (names from the container's files)"),
        CLI_FUNC("uidmap", 0, R, opt_uidmap, "C:H:N",
                 "run in a user namespace: container ids C.. are host H.."),
        CLI_FUNC("gidmap", 0, R, opt_gidmap, "C:H:N", "the same for groups (default: the uid map)"),
        CLI_FUNC("userns", 0, R, opt_userns, "host|private",
                 "user namespace mode (private needs --uidmap)"),
        CLI_STRV("volume", 'v', T, volumes, "SPEC",
                 "bind mount or volume: SRC:DST[:ro|rw], NAME:DST, DST"),
        CLI_FUNC("workdir", 'w', R, opt_workdir, "DIR", "working directory (created when missing)"),
};

#undef R
#undef T

static const struct cli_options run_options = {
        .cmd = "run",
        .usage = usage,
        .v = run_flags,
        .n = ARRAY_SIZE(run_flags),
        .help_width = 25,
        /* box run IMAGE CMD -x: -x is CMD's */
        .stop_at_operand = true,
};

/* The rules between flags, once all are read. */
static int run_opts_check(struct run_opts *o)
{
        if (o->res.memory_swap > 0 && o->res.memory == 0)
                return cli_usage_error(
                        "run",
                        "you should always set the memory limit when using the memoryswap limit");
        if (o->res.memory_swap > 0 && o->res.memory_swap < o->res.memory)
                return cli_usage_error(
                        "run",
                        "minimum memoryswap limit should be larger than memory limit, see usage");
        if (o->n_gid_map && !o->n_uid_map)
                return cli_usage_error("run", "--gidmap needs a --uidmap");
        if (o->n_uid_map && !o->n_gid_map) {
                /* podman's rule: the gid map defaults to the uid map */
                o->gid_map = xnew(struct run_idmap, o->n_uid_map);
                memcpy(o->gid_map, o->uid_map, o->n_uid_map * sizeof(*o->uid_map));
                o->n_gid_map = o->n_uid_map;
        }
        if (o->n_uid_map && (run_idmap_host(o->uid_map, o->n_uid_map, 0) < 0 ||
                             run_idmap_host(o->gid_map, o->n_gid_map, 0) < 0))
                return cli_usage_error("run", "the id maps must map the container's root (id 0)");
        if (o->interactive && o->tty && !isatty(0))
                return cli_usage_error(NULL, "the input device is not a TTY");
        return 0;
}

int cli_run_flags_parse(struct run_opts *o, int argc, char **argv)
{
        *o = (struct run_opts){.network = RUN_NETWORK_HOST, .seccomp = RUN_SECCOMP_DEFAULT};
        int first = cli_options_parse(&run_options, o, argc, argv);
        if (first <= 0)
                return first;
        int r = run_opts_check(o);
        return r ? -r : first;
}
