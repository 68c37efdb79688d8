/* box run [OPTIONS] IMAGE [COMMAND] [ARG...]
 *
 * Translates the image's config and the user's flags into a struct
 * run_spec, makes the container's state dir, runs it in the foreground
 * and returns its status as Docker does (125 box failed, 126 cannot
 * execute, 127 not found, else the container's own). */
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>

#include "cli/cli.h"
#include "lib/log.h"
#include "cli/cmd-run-life.h"
#include "cli/cmd-run.h"
#include "cli/container.h"
#include "lib/fs.h"
#include "lib/strv.h"
#include "lib/xalloc.h"
#include "run/run.h"
#include "run/state.h"
#include "run/volume.h"
#include "spec/json.h"
#include "run/spec-file.h"
#include "store/image.h"

static const char help[] =
        "Usage: box run [OPTIONS] IMAGE [COMMAND] [ARG...]\n"
        "       box run [OPTIONS] --rootfs DIR [COMMAND] [ARG...]\n"
        "\n"
        "Create and run a new container from an image, in the foreground.\n"
        "\n"
        "Options:\n"
        "      --blkio-weight N         block IO weight (10-1000)\n"
        "      --cap-add CAP            add a Linux capability (or ALL)\n"
        "      --cap-drop CAP           drop a Linux capability (or ALL)\n"
        "      --cgroup-parent PATH     parent cgroup (default /box)\n"
        "      --cpu-shares, -c N       CPU shares (relative weight)\n"
        "      --cpus N                 number of CPUs (fractions allowed)\n"
        "      --cpuset-cpus LIST       CPUs to run on (0-3, 0,1)\n"
        "      --device-read-bps D:R    limit read rate from a device (/dev/sda:1mb)\n"
        "      --device-write-bps D:R   limit write rate to a device\n"
        "      --entrypoint CMD         override the image's ENTRYPOINT (string or JSON array)\n"
        "  -d, --detach                 run in the background under a monitor; print the id\n"
        "  -e, --env K=V|K              set an environment variable (K alone: box's value)\n"
        "      --env-file FILE          read environment variables from FILE\n"
        "      --group-add GROUP        add a supplementary group\n"
        "      --health-cmd CMD         a command (run with sh -c) that checks its health\n"
        "      --health-interval D      time between health checks (default 30s)\n"
        "      --health-retries N       failures in a row that make it unhealthy (default 3)\n"
        "      --health-start-period D  failures in this time do not count (default 0s)\n"
        "      --health-timeout D       longest a check may run (default 30s)\n"
        "  -h, --hostname NAME          container hostname (default: its short id)\n"
        "      --init                   run box's small init as pid 1 (reaps zombies)\n"
        "      --log-driver DRIVER      k8s-file (default), journald or none\n"
        "      --log-opt K=V            max-size=SIZE (default 10m), max-file=N (default 3)\n"
        "  -i, --interactive            keep stdin attached\n"
        "  -m, --memory BYTES           memory limit (6m at least)\n"
        "      --memory-swap BYTES      memory + swap limit (-1 unlimited)\n"
        "      --mount SPEC             type=bind|volume|tmpfs,source=...,target=...[,readonly]\n"
        "      --name NAME              assign a name to the container\n"
        "      --network MODE           host (default) or none\n"
        "      --no-healthcheck         disable the image's HEALTHCHECK\n"
        "      --pids-limit N           limit the number of processes (default 2048; 0 or -1\n"
        "                               unlimited)\n"
        "      --privileged             all capabilities, devices and no seccomp\n"
        "      --read-only              mount the root file system read-only\n"
        "      --restart POLICY         no, on-failure[:N], always, unless-stopped (with -d)\n"
        "      --rm                     remove the container (and its anonymous volumes) on exit\n"
        "      --rootfs DIR             run DIR as the root file system instead of an image\n"
        "      --security-opt OPT       seccomp=unconfined|PROFILE.json, no-new-privileges\n"
        "      --stop-signal SIG        signal that stops it (default: the image's, or SIGTERM)\n"
        "      --stop-timeout SECS      seconds box stop waits before SIGKILL (default 10)\n"
        "  -t, --tty                    allocate a pseudo-TTY\n"
        "      --tmpfs PATH[:OPTS]      mount a tmpfs\n"
        "      --ulimit NAME=S[:H]      set a ulimit (never above the current hard limit)\n"
        "  -u, --user USER[:GROUP]      user and group (names from the container's files)\n"
        "      --uidmap C:H:N           run in a user namespace: container ids C.. are host H..\n"
        "      --gidmap C:H:N           the same for groups (default: the uid map)\n"
        "      --userns host|private    user namespace mode (private needs --uidmap)\n"
        "  -v, --volume SPEC            bind mount or volume: SRC:DST[:ro|rw], NAME:DST, DST\n"
        "  -w, --workdir DIR            working directory (created when missing)\n";

enum {
        OPT_RM = 1000,
        OPT_NAME,
        OPT_ENTRYPOINT,
        OPT_ENV_FILE,
        OPT_NETWORK,
        OPT_INIT,
        OPT_READ_ONLY,
        OPT_CAP_ADD,
        OPT_CAP_DROP,
        OPT_SECURITY_OPT,
        OPT_PRIVILEGED,
        OPT_ULIMIT,
        OPT_MOUNT,
        OPT_TMPFS,
        OPT_MEMORY_SWAP,
        OPT_CPUS,
        OPT_CPUSET_CPUS,
        OPT_PIDS_LIMIT,
        OPT_BLKIO_WEIGHT,
        OPT_DEVICE_READ_BPS,
        OPT_DEVICE_WRITE_BPS,
        OPT_GROUP_ADD,
        OPT_ROOTFS,
        OPT_CGROUP_PARENT,
        OPT_HELP,
        OPT_DETACH_KEYS,
        OPT_USERNS,
        OPT_UIDMAP,
        OPT_GIDMAP,
        OPT_RESTART,
        OPT_LOG_DRIVER,
        OPT_LOG_OPT,
        OPT_STOP_SIGNAL,
        OPT_STOP_TIMEOUT,
        OPT_HEALTH_CMD,
        OPT_HEALTH_INTERVAL,
        OPT_HEALTH_TIMEOUT,
        OPT_HEALTH_RETRIES,
        OPT_HEALTH_START_PERIOD,
        OPT_NO_HEALTHCHECK,
};

struct run_opts {
        bool rm, init, read_only, privileged, interactive, tty, no_new_privs;
        const char *rootfs;
        bool entrypoint_set;
        const char *entrypoint, *name, *hostname, *user, *workdir, *cgroup_parent;
        enum run_network network;
        char **env, **env_files, **cap_add, **cap_drop, **group_add;
        char **volumes, **mounts, **tmpfs, **ulimits;
        char **read_bps, **write_bps;
        enum run_seccomp_mode seccomp;
        char *seccomp_profile;
        struct run_resources res;
        struct run_idmap *uid_map, *gid_map;
        size_t n_uid_map, n_gid_map;
        struct cli_run_life life;
};

static void run_opts_release(struct run_opts *o)
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
        strv_free(o->read_bps);
        strv_free(o->write_bps);
        free(o->seccomp_profile);
        free(o->res.read_bps);
        free(o->res.write_bps);
        free(o->uid_map);
        free(o->gid_map);
        cli_run_life_release(&o->life);
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

/* Parses the flags; returns the index of the first positional argument,
 * or a negative exit code already reported. */
static int parse_flags(struct run_opts *o, int argc, char **argv)
{
        static const struct option opts[] = {
                {"rm", no_argument, NULL, OPT_RM},
                {"name", required_argument, NULL, OPT_NAME},
                {"entrypoint", required_argument, NULL, OPT_ENTRYPOINT},
                {"env", required_argument, NULL, 'e'},
                {"env-file", required_argument, NULL, OPT_ENV_FILE},
                {"user", required_argument, NULL, 'u'},
                {"workdir", required_argument, NULL, 'w'},
                {"hostname", required_argument, NULL, 'h'},
                {"interactive", no_argument, NULL, 'i'},
                {"tty", no_argument, NULL, 't'},
                {"detach", no_argument, NULL, 'd'},
                {"network", required_argument, NULL, OPT_NETWORK},
                {"net", required_argument, NULL, OPT_NETWORK},
                {"publish", required_argument, NULL, 'p'},
                {"publish-all", no_argument, NULL, 'P'},
                {"init", no_argument, NULL, OPT_INIT},
                {"read-only", no_argument, NULL, OPT_READ_ONLY},
                {"cap-add", required_argument, NULL, OPT_CAP_ADD},
                {"cap-drop", required_argument, NULL, OPT_CAP_DROP},
                {"security-opt", required_argument, NULL, OPT_SECURITY_OPT},
                {"privileged", no_argument, NULL, OPT_PRIVILEGED},
                {"ulimit", required_argument, NULL, OPT_ULIMIT},
                {"volume", required_argument, NULL, 'v'},
                {"mount", required_argument, NULL, OPT_MOUNT},
                {"tmpfs", required_argument, NULL, OPT_TMPFS},
                {"memory", required_argument, NULL, 'm'},
                {"memory-swap", required_argument, NULL, OPT_MEMORY_SWAP},
                {"cpus", required_argument, NULL, OPT_CPUS},
                {"cpu-shares", required_argument, NULL, 'c'},
                {"cpuset-cpus", required_argument, NULL, OPT_CPUSET_CPUS},
                {"pids-limit", required_argument, NULL, OPT_PIDS_LIMIT},
                {"blkio-weight", required_argument, NULL, OPT_BLKIO_WEIGHT},
                {"device-read-bps", required_argument, NULL, OPT_DEVICE_READ_BPS},
                {"device-write-bps", required_argument, NULL, OPT_DEVICE_WRITE_BPS},
                {"group-add", required_argument, NULL, OPT_GROUP_ADD},
                {"rootfs", required_argument, NULL, OPT_ROOTFS},
                {"cgroup-parent", required_argument, NULL, OPT_CGROUP_PARENT},
                {"userns", required_argument, NULL, OPT_USERNS},
                {"uidmap", required_argument, NULL, OPT_UIDMAP},
                {"gidmap", required_argument, NULL, OPT_GIDMAP},
                {"restart", required_argument, NULL, OPT_RESTART},
                {"log-driver", required_argument, NULL, OPT_LOG_DRIVER},
                {"log-opt", required_argument, NULL, OPT_LOG_OPT},
                {"stop-signal", required_argument, NULL, OPT_STOP_SIGNAL},
                {"stop-timeout", required_argument, NULL, OPT_STOP_TIMEOUT},
                {"health-cmd", required_argument, NULL, OPT_HEALTH_CMD},
                {"health-interval", required_argument, NULL, OPT_HEALTH_INTERVAL},
                {"health-timeout", required_argument, NULL, OPT_HEALTH_TIMEOUT},
                {"health-retries", required_argument, NULL, OPT_HEALTH_RETRIES},
                {"health-start-period", required_argument, NULL, OPT_HEALTH_START_PERIOD},
                {"no-healthcheck", no_argument, NULL, OPT_NO_HEALTHCHECK},
                {"help", no_argument, NULL, OPT_HELP},
                {},
        };
        struct box_err err = {0};
        int c;

        opterr = 0;
        while ((c = getopt_long(argc, argv, "+e:u:w:h:itdp:Pv:m:c:", opts, NULL)) != -1) {
                switch (c) {
                case OPT_HELP:
                        cli_help(help);
                        return -1000;
                case OPT_RM:
                        o->rm = true;
                        break;
                case OPT_NAME:
                        o->name = optarg;
                        break;
                case OPT_ENTRYPOINT:
                        o->entrypoint_set = true;
                        o->entrypoint = optarg;
                        break;
                case 'e':
                        o->env = strv_append(o->env, optarg);
                        break;
                case OPT_ENV_FILE:
                        o->env_files = strv_append(o->env_files, optarg);
                        break;
                case 'u':
                        o->user = optarg;
                        break;
                case 'w':
                        if (optarg[0] != '/')
                                return -cli_usage_error("run",
                                                        "the working directory '%s' is invalid, it "
                                                        "needs to be an absolute path",
                                                        optarg);
                        o->workdir = optarg;
                        break;
                case 'h':
                        /* the kernel's HOST_NAME_MAX; it goes into /etc/hosts too */
                        if (cli_check_host_name("--hostname", optarg, 64, &err) < 0)
                                return -cli_fail(&err);
                        o->hostname = optarg;
                        break;
                case 'i':
                        o->interactive = true;
                        break;
                case 't':
                        o->tty = true;
                        break;
                case 'd':
                        o->life.detach = true;
                        break;
                case OPT_RESTART:
                        o->life.restart = optarg;
                        break;
                case OPT_LOG_DRIVER:
                        o->life.log_driver = optarg;
                        break;
                case OPT_LOG_OPT:
                        o->life.log_opts = strv_append(o->life.log_opts, optarg);
                        break;
                case OPT_STOP_SIGNAL:
                        o->life.stop_signal = optarg;
                        break;
                case OPT_STOP_TIMEOUT:
                        o->life.stop_timeout = optarg;
                        break;
                case OPT_HEALTH_CMD:
                        o->life.health_cmd = optarg;
                        break;
                case OPT_HEALTH_INTERVAL:
                        o->life.health_interval = optarg;
                        break;
                case OPT_HEALTH_TIMEOUT:
                        o->life.health_timeout = optarg;
                        break;
                case OPT_HEALTH_RETRIES:
                        o->life.health_retries = optarg;
                        break;
                case OPT_HEALTH_START_PERIOD:
                        o->life.health_start_period = optarg;
                        break;
                case OPT_NO_HEALTHCHECK:
                        o->life.no_healthcheck = true;
                        break;
                case OPT_NETWORK:
                        if (streq(optarg, "host") || streq(optarg, "default"))
                                o->network = RUN_NETWORK_HOST;
                        else if (streq(optarg, "none"))
                                o->network = RUN_NETWORK_NONE;
                        else
                                return -cli_usage_error(
                                        "run",
                                        "network mode '%s' is not supported yet (use host or none)",
                                        optarg);
                        break;
                case 'p':
                case 'P':
                        return -cli_usage_error("run",
                                                "publishing ports (-p/-P) is not supported yet");
                case OPT_INIT:
                        o->init = true;
                        break;
                case OPT_READ_ONLY:
                        o->read_only = true;
                        break;
                case OPT_CAP_ADD:
                        o->cap_add = strv_append(o->cap_add, optarg);
                        break;
                case OPT_CAP_DROP:
                        o->cap_drop = strv_append(o->cap_drop, optarg);
                        break;
                case OPT_SECURITY_OPT:
                        if (parse_security_opt(o, optarg, &err) < 0)
                                return -cli_fail(&err);
                        break;
                case OPT_PRIVILEGED:
                        o->privileged = true;
                        break;
                case OPT_ULIMIT:
                        o->ulimits = strv_append(o->ulimits, optarg);
                        break;
                case 'v':
                        o->volumes = strv_append(o->volumes, optarg);
                        break;
                case OPT_MOUNT:
                        o->mounts = strv_append(o->mounts, optarg);
                        break;
                case OPT_TMPFS:
                        o->tmpfs = strv_append(o->tmpfs, optarg);
                        break;
                case 'm':
                        if (run_parse_bytes(optarg, &o->res.memory) < 0)
                                return -cli_usage_error("run", "invalid memory limit '%s'", optarg);
                        if (o->res.memory < 6 * 1024 * 1024)
                                return -cli_usage_error("run",
                                                        "minimum memory limit allowed is 6MB");
                        break;
                case OPT_MEMORY_SWAP:
                        if (streq(optarg, "-1"))
                                o->res.memory_swap = -1;
                        else if (run_parse_bytes(optarg, &o->res.memory_swap) < 0)
                                return -cli_usage_error("run", "invalid memory-swap limit '%s'",
                                                        optarg);
                        break;
                case OPT_CPUS: {
                        char *end;
                        double cpus = strtod(optarg, &end);
                        long n = sysconf(_SC_NPROCESSORS_ONLN);
                        if (end == optarg || *end || cpus <= 0)
                                return -cli_usage_error("run", "invalid --cpus '%s'", optarg);
                        if (cpus > (double)n)
                                return -cli_usage_error("run",
                                                        "range of CPUs is from 0.01 to %ld.00, as "
                                                        "there are only %ld CPUs available",
                                                        n, n);
                        o->res.cpu_period = 100000;
                        o->res.cpu_quota = (int64_t)(cpus * 100000 + 0.5);
                        if (o->res.cpu_quota < 1000)
                                o->res.cpu_quota = 1000;
                        break;
                }
                case 'c':
                        if (parse_int(optarg, &o->res.cpu_shares) < 0 || o->res.cpu_shares < 0)
                                return -cli_usage_error("run", "invalid --cpu-shares '%s'", optarg);
                        break;
                case OPT_CPUSET_CPUS:
                        if (!*optarg || strspn(optarg, "0123456789,-") != strlen(optarg))
                                return -cli_usage_error("run", "invalid value '%s' for cpuset cpus",
                                                        optarg);
                        o->res.cpuset_cpus = optarg;
                        break;
                case OPT_PIDS_LIMIT:
                        if (parse_int(optarg, &o->res.pids_limit) < 0)
                                return -cli_usage_error("run", "invalid --pids-limit '%s'", optarg);
                        if (o->res.pids_limit <= 0)
                                o->res.pids_limit = -1;
                        break;
                case OPT_BLKIO_WEIGHT: {
                        int64_t w;
                        if (parse_int(optarg, &w) < 0 || (w != 0 && (w < 10 || w > 1000)))
                                return -cli_usage_error("run",
                                                        "range of blkio weight is from 10 to 1000");
                        o->res.blkio_weight = (int)w;
                        break;
                }
                case OPT_DEVICE_READ_BPS:
                        if (parse_rate(optarg, &o->res.read_bps, &o->res.n_read_bps, &err) < 0)
                                return -cli_fail(&err);
                        break;
                case OPT_DEVICE_WRITE_BPS:
                        if (parse_rate(optarg, &o->res.write_bps, &o->res.n_write_bps, &err) < 0)
                                return -cli_fail(&err);
                        break;
                case OPT_GROUP_ADD:
                        o->group_add = strv_append(o->group_add, optarg);
                        break;
                case OPT_ROOTFS:
                        o->rootfs = optarg;
                        break;
                case OPT_USERNS:
                        if (*optarg && !streq(optarg, "host") && !streq(optarg, "private"))
                                return -cli_usage_error("run",
                                                        "--userns '%s' is not supported yet (host, "
                                                        "or private with --uidmap/--gidmap)",
                                                        optarg);
                        break;
                case OPT_UIDMAP:
                case OPT_GIDMAP: {
                        struct run_idmap m;
                        if (run_idmap_parse(optarg, &m, &err) < 0)
                                return -cli_fail(&err);
                        struct run_idmap **v = c == OPT_UIDMAP ? &o->uid_map : &o->gid_map;
                        size_t *n = c == OPT_UIDMAP ? &o->n_uid_map : &o->n_gid_map;
                        *v = xreallocarray(*v, *n + 1, sizeof(**v));
                        (*v)[(*n)++] = m;
                        break;
                }
                case OPT_CGROUP_PARENT:
                        if (optarg[0] != '/' || strstr(optarg, ".."))
                                return -cli_usage_error(
                                        "run",
                                        "--cgroup-parent must be an absolute path without '..'");
                        o->cgroup_parent = optarg;
                        break;
                case '?':
                default:
                        if (optopt)
                                return -cli_usage_error("run", "unknown or incomplete flag '-%c'",
                                                        optopt);
                        return -cli_usage_error("run", "unknown flag '%s'", argv[optind - 1]);
                }
        }
        if (o->res.memory_swap > 0 && o->res.memory == 0)
                return -cli_usage_error(
                        "run",
                        "you should always set the memory limit when using the memoryswap limit");
        if (o->res.memory_swap > 0 && o->res.memory_swap < o->res.memory)
                return -cli_usage_error(
                        "run",
                        "minimum memoryswap limit should be larger than memory limit, see usage");
        if (o->n_gid_map && !o->n_uid_map)
                return -cli_usage_error("run", "--gidmap needs a --uidmap");
        if (o->n_uid_map && !o->n_gid_map) {
                /* podman's rule: the gid map defaults to the uid map */
                o->gid_map = xnew(struct run_idmap, o->n_uid_map);
                memcpy(o->gid_map, o->uid_map, o->n_uid_map * sizeof(*o->uid_map));
                o->n_gid_map = o->n_uid_map;
        }
        if (o->n_uid_map && (run_idmap_host(o->uid_map, o->n_uid_map, 0) < 0 ||
                             run_idmap_host(o->gid_map, o->n_gid_map, 0) < 0))
                return -cli_usage_error("run", "the id maps must map the container's root (id 0)");
        if (o->interactive && o->tty && !isatty(0) && !o->life.detach)
                return -cli_usage_error(NULL, "the input device is not a TTY");
        if (cli_run_life_check(&o->life, o->rm, &err) < 0)
                return -cli_usage_error("run", "%s", err.msg);
        return optind;
}

/* ---- the container's /etc files ---- */

static const char hosts_none[] = "127.0.0.1\tlocalhost\n"
                                 "::1\tlocalhost ip6-localhost ip6-loopback\n"
                                 "fe00::0\tip6-localnet\n"
                                 "ff00::0\tip6-mcastprefix\n"
                                 "ff02::1\tip6-allnodes\n"
                                 "ff02::2\tip6-allrouters\n";

static int write_etc_files(struct run_state *s, const char *hostname, enum run_network net,
                           struct box_err *err)
{
        _cleanup_free_ char *h = xasprintf("%s\n", hostname), *hosts = NULL, *resolv = NULL;
        int r = run_state_write_file(s, RUN_FILE_HOSTNAME, h, err);
        if (r < 0)
                return r;
        if (net == RUN_NETWORK_HOST &&
            fs_read_file_at(AT_FDCWD, "/etc/hosts", 1 << 20, &hosts, NULL, NULL) == 0)
                r = run_state_write_file(s, RUN_FILE_HOSTS, hosts, err);
        else {
                _cleanup_free_ char *hn = xasprintf("%s127.0.0.1\t%s\n", hosts_none, hostname);
                r = run_state_write_file(s, RUN_FILE_HOSTS, hn, err);
        }
        if (r < 0)
                return r;
        if (fs_read_file_at(AT_FDCWD, "/etc/resolv.conf", 1 << 20, &resolv, NULL, NULL) < 0)
                resolv = xstrdup("");
        return run_state_write_file(s, RUN_FILE_RESOLV_CONF, resolv, err);
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
        STRV_FOREACH (s, o->volumes) {
                struct cli_mount m;
                r = cli_run_parse_volume(*s, &m, err);
                if (r < 0)
                        return r;
                mount_set_add(ms, &m);
        }
        STRV_FOREACH (s, o->mounts) {
                struct cli_mount m;
                r = cli_run_parse_mount(*s, &m, err);
                if (r < 0)
                        return r;
                mount_set_add(ms, &m);
        }
        STRV_FOREACH (s, o->tmpfs) {
                struct cli_mount m;
                r = cli_run_parse_tmpfs(*s, &m, err);
                if (r < 0)
                        return r;
                mount_set_add(ms, &m);
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
                        char *data;
                        if (anon) {
                                run_random_id(id);
                                m->source = xstrdup(id);
                        }
                        r = run_volume_create(root, m->source, anon, NULL, &data, &created, err);
                        if (r < 0)
                                return r;
                        ms->paths = strv_push(ms->paths, data);
                        rm->source = data;
                        rm->copy_up = !m->nocopy;
                        if (anon)
                                ms->anon = strv_append(ms->anon, m->source);
                        ms->used = strv_append(ms->used, m->source);
                }
        }
        return 0;
}

/* box bind-mounts /etc/hostname, /etc/hosts and /etc/resolv.conf; when the
 * image lacks them, making the mount points copies /etc up into the
 * container's upper dir, which costs a few directory operations per
 * container (milliseconds on this host).  A shared layer holding just the
 * three empty files, on top of the image's, avoids that.  It is used only
 * when the image's /etc is a plain directory, so it can shadow nothing but
 * the three files box mounts over anyway. */
static bool image_etc_is_dir(const char *root, char *const *lowerdirs)
{
        _cleanup_close_ int rfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
        STRV_FOREACH (l, lowerdirs) {
                _cleanup_free_ char *p = xasprintf("%s/etc", *l);
                struct stat st;
                if (rfd < 0 || fstatat(rfd, p, &st, AT_SYMLINK_NOFOLLOW) < 0) {
                        if (errno == ENOENT)
                                continue; /* not in this layer: look below */
                        return false;
                }
                return S_ISDIR(st.st_mode); /* a whiteout (char 0/0) or symlink: no */
        }
        return false;
}

static void add_mountpoint_layer(const char *root, char ***lowerdirs)
{
        static const char *const files[] = {"hostname", "hosts", "resolv.conf"};
        if (!image_etc_is_dir(root, *lowerdirs))
                return;
        _cleanup_free_ char *etc = xasprintf("%s/" RUN_MOUNTPOINT_LAYER "/etc", root);
        _cleanup_free_ char *last = xasprintf("%s/%s", etc, files[ARRAY_SIZE(files) - 1]);
        if (access(last, F_OK) < 0) {
                /* made once per store; the last file marks it complete */
                if (fs_mkdir_p(etc, 0755, NULL) < 0)
                        return;
                for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
                        _cleanup_free_ char *f = xasprintf("%s/%s", etc, files[i]);
                        int fd = open(f, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
                        if (fd < 0)
                                return;
                        close(fd);
                }
        }
        char **v = xnew0(char *, 1);
        v = strv_append(v, RUN_MOUNTPOINT_LAYER);
        STRV_FOREACH (l, *lowerdirs)
                v = strv_append(v, *l);
        strv_free(*lowerdirs);
        *lowerdirs = v;
}

/* ---- config.json ---- */

static char *config_json(const struct run_state *s, const char *image, const char *image_id,
                         const struct run_opts *o, const struct run_spec *spec,
                         const struct mount_set *ms, const struct oci_container_config *img)
{
        _cleanup_jv_ struct jv *c = jv_object();
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
        jv_set(cfg, "AttachStdout", jv_bool(!o->life.detach));
        jv_set(cfg, "AttachStderr", jv_bool(!o->life.detach));
        jv_set(c, "Config", cfg);
        struct jv *hc = jv_object();
        jv_set(hc, "AutoRemove", jv_bool(o->rm));
        jv_set_str(hc, "NetworkMode", o->network == RUN_NETWORK_NONE ? "none" : "host");
        jv_set(hc, "Privileged", jv_bool(o->privileged));
        jv_set(hc, "ReadonlyRootfs", jv_bool(o->read_only));
        jv_set(hc, "Init", jv_bool(o->init));
        jv_set(hc, "CapAdd", jv_strv(o->cap_add));
        jv_set(hc, "CapDrop", jv_strv(o->cap_drop));
        jv_set(hc, "Memory", jv_int(o->res.memory));
        jv_set(hc, "MemorySwap", jv_int(o->res.memory_swap));
        jv_set(hc, "NanoCpus", jv_int(o->res.cpu_quota * 10000));
        jv_set(hc, "CpuShares", jv_int(o->res.cpu_shares));
        jv_set(hc, "PidsLimit",
               jv_int(o->res.pids_limit ? o->res.pids_limit : RUN_PIDS_LIMIT_DEFAULT));
        jv_set_str(hc, "CgroupParent", spec->cgroup_parent);
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
                jv_set(m, "RW", jv_bool(!(cm->flags & MS_RDONLY)));
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
};

/* -vvv: where the time of a start goes */
static double ms_now(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}
#define PHASE(name) log_debug("run: %-12s %7.3f ms", name, ms_now() - t0)

static void on_started(pid_t pid, void *userdata)
{
        struct started_ctx *c = userdata;
        (void)run_state_set(c->state, "running", pid, 0, NULL);
}

static int run_main(struct cli_ctx *ctx, int argc, char **argv, bool create)
{
        struct run_opts o = {.network = RUN_NETWORK_HOST, .seccomp = RUN_SECCOMP_DEFAULT};
        struct store_image_handle h = {0};
        bool have_image = false;
        struct box_err err = {0};
        struct run_state *state = NULL;
        struct mount_set ms = {0};
        _cleanup_strv_free_ char **lowerdirs = NULL, **env = NULL, **args = NULL;
        _cleanup_strv_free_ char **env_files = xnew0(char *, 1);
        _cleanup_free_ char *rootfs = NULL, *hostname_file = NULL, *hosts_file = NULL,
                            *resolv_file = NULL, *cfg = NULL, *seccomp_cache = NULL,
                            *mount_dir = NULL;
        struct run_rlimit *rlimits = NULL;
        size_t n_rlimits = 0;
        struct store *st = NULL;
        int r, status = 0, ret = EXIT_BOX, volumes_lock = -EBADF;

        double t0 = ms_now();
        int first = parse_flags(&o, argc, argv);
        if (first == -1000) {
                run_opts_release(&o);
                return 0;
        }
        if (first < 0) {
                run_opts_release(&o);
                return -first;
        }
        if (first >= argc && !o.rootfs) {
                run_opts_release(&o);
                return cli_usage_error("run", "'box run' requires at least 1 argument");
        }
        /* with --rootfs every positional argument is the command */
        const char *image = o.rootfs ? o.rootfs : argv[first];
        char *const *cmd_args = o.rootfs ? argv + first : argv + first + 1;

        STRV_FOREACH (f, o.env_files) {
                _cleanup_free_ char *content = NULL;
                r = fs_read_file_at(AT_FDCWD, *f, 1 << 24, &content, NULL, &err);
                if (r < 0 || (r = cli_run_parse_env_file(content, *f, &env_files, &err)) < 0)
                        goto fail;
        }
        uint64_t caps = run_caps_default();
        r = run_caps_apply_flags(&caps, o.cap_add, o.cap_drop, &err);
        if (r < 0)
                goto fail;
        STRV_FOREACH (u, o.ulimits) {
                rlimits = xreallocarray(rlimits, n_rlimits + 1, sizeof(*rlimits));
                r = cli_run_parse_ulimit(*u, &rlimits[n_rlimits], &err);
                if (r < 0)
                        goto fail;
                n_rlimits++;
        }

        PHASE("flags");
        r = cli_store(ctx, &st, &err);
        if (r < 0)
                goto fail;
        const struct oci_container_config *img = NULL;
        if (o.rootfs) {
                struct stat rst;
                rootfs = realpath(o.rootfs, NULL);
                if (!rootfs || stat(rootfs, &rst) < 0 || !S_ISDIR(rst.st_mode)) {
                        r = box_err_errno(&err, rootfs ? ENOTDIR : errno, "rootfs '%s'", o.rootfs);
                        goto fail;
                }
        } else {
                /* gc (rmi, prune) holds the lock exclusive: while we hold it
                 * shared, nothing we resolve goes away before the container
                 * pins it (below) */
                r = store_lock(st, STORE_LOCK_SHARED, &err);
                if (r < 0)
                        goto fail;
                r = store_image_resolve(st, image, &h, &err);
                if (r < 0)
                        goto fail;
                have_image = true;
                img = &h.config.config;
                r = store_image_lowerdirs(st, &h, &lowerdirs, &err);
                if (r < 0)
                        goto fail;
                add_mountpoint_layer(store_root(st), &lowerdirs);
        }

        PHASE("image");
        args = cli_run_argv(img, o.entrypoint_set, o.entrypoint, cmd_args);
        if (!args[0] || !*args[0]) {
                r = box_err_set(&err, EINVAL, "no command specified");
                err.exit_code = EXIT_NOT_FOUND;
                goto fail;
        }
        r = run_state_create(store_root(st), ctx->runroot, o.name, &state, &err);
        if (r < 0)
                goto fail;
        if (have_image) {
                _cleanup_free_ char *pin = xasprintf("%s\n", h.manifest);
                r = run_state_write_file(state, RUN_FILE_IMAGE, pin, &err);
                if (r < 0)
                        goto fail_state;
        }
        /* pinned: gc keeps every layer of the image from now on */
        store_unlock(st);
        char short_id[13];
        snprintf(short_id, sizeof(short_id), "%.12s", state->id);
        const char *hostname = o.hostname ? o.hostname : short_id;

        r = cli_run_env(img ? img->env : NULL, env_files, o.env, hostname, o.tty, &env, &err);
        if (r < 0)
                goto fail_state;
        r = write_etc_files(state, hostname, o.network, &err);
        if (r < 0)
                goto fail_state;
        /* volume rm and prune wait until the volumes we make are marked used */
        volumes_lock = run_volume_lock(store_root(st), false, &err);
        if (volumes_lock < 0) {
                r = volumes_lock;
                goto fail_state;
        }
        r = build_mounts(store_root(st), &o, img ? img->volumes : NULL, &ms, &err);
        if (r < 0)
                goto fail_state;

        const char *user = o.user ? o.user : (img && img->user ? img->user : "");
        const char *cwd =
                o.workdir ? o.workdir
                          : (img && img->working_dir && *img->working_dir ? img->working_dir : "/");
        seccomp_cache = xasprintf("%s/cache/seccomp", store_root(st));
        r = run_state_mount_dir(store_root(st), &mount_dir, &err);
        if (r < 0)
                goto fail_state;
        hostname_file = run_state_file_path(state, RUN_FILE_HOSTNAME);
        hosts_file = run_state_file_path(state, RUN_FILE_HOSTS);
        resolv_file = run_state_file_path(state, RUN_FILE_RESOLV_CONF);
        struct run_spec spec = {
                .id = state->id,
                .state_dir = state->dir,
                .mount_dir = mount_dir,
                .base_dir = store_root(st),
                .lowerdirs = lowerdirs,
                .rootfs = rootfs,
                .read_only = o.read_only,
                .hostname_file = hostname_file,
                .hosts_file = hosts_file,
                .resolv_file = resolv_file,
                .mounts = ms.rm,
                .n_mounts = ms.n,
                .argv = args,
                .env = env,
                .user = user,
                .group_add = o.group_add,
                .cwd = cwd,
                .hostname = hostname,
                .interactive = o.interactive,
                .tty = o.tty,
                .init = o.init,
                .network = o.network,
                .uid_map = o.uid_map,
                .gid_map = o.gid_map,
                .n_uid_map = o.n_uid_map,
                .n_gid_map = o.n_gid_map,
                .caps = caps,
                .privileged = o.privileged,
                .no_new_privs = o.no_new_privs,
                .seccomp = o.seccomp,
                .seccomp_profile = o.seccomp_profile,
                .seccomp_cache_dir = seccomp_cache,
                .rlimits = rlimits,
                .n_rlimits = n_rlimits,
                .resources = &o.res,
                .cgroup_parent = o.cgroup_parent,
        };
        struct started_ctx sc = {.state = state};
        spec.on_started = on_started;
        spec.userdata = &sc;

        cfg = config_json(state, image, have_image ? h.id : NULL, &o, &spec, &ms, img);
        r = run_state_write_file(state, RUN_FILE_CONFIG, cfg, &err);
        if (r >= 0) {
                /* what box start and the monitor's restarts run */
                _cleanup_free_ char *sj = run_spec_file_dump(&spec);
                r = run_state_write_file(state, RUN_FILE_SPEC, sj, &err);
        }
        /* written only when there are volumes: a missing file means none */
        if (r >= 0 && ms.anon[0]) {
                _cleanup_free_ char *anon = join_lines(ms.anon);
                r = run_state_write_file(state, RUN_FILE_VOLUMES, anon, &err);
        }
        if (r >= 0 && ms.used[0]) {
                _cleanup_free_ char *used = join_lines(ms.used);
                r = run_state_write_file(state, RUN_FILE_VOLUMES_USED, used, &err);
        }
        if (r >= 0)
                r = run_state_set(state, "created", 0, 0, &err);
        if (r < 0)
                goto fail_state;
        run_volume_unlock(TAKE_FD(volumes_lock));

        PHASE("state");
        if (create || o.life.detach) {
                /* the monitor-to-be takes the lock in its own process */
                close(TAKE_FD(state->lock_fd));
                r = create ? 0 : cli_container_start(ctx, state->id, &err);
                if (r < 0)
                        goto fail; /* recorded (or removed) by the monitor-to-be */
                printf("%s\n", state->id);
                ret = 0;
                goto out;
        }
        r = run_sandbox_run(&spec, &status, &err);
        PHASE("exited");
        if (r < 0)
                goto fail_state;
        ret = status;
        if (o.rm)
                (void)run_state_remove(store_root(st), ctx->runroot, state->id, true, NULL);
        else
                (void)run_state_set(state, "exited", 0, status, NULL);
        PHASE("cleaned up");
        goto out;

fail_state:
        run_volume_unlock(TAKE_FD(volumes_lock));
        if (o.rm)
                (void)run_state_remove(store_root(st), ctx->runroot, state->id, true, NULL);
        else
                (void)run_state_set(state, "exited", 0, err.exit_code ? err.exit_code : EXIT_BOX,
                                    NULL);
fail:
        ret = cli_fail(&err);
out:
        run_volume_unlock(volumes_lock);
        if (st)
                store_unlock(st);
        run_state_free(state);
        mount_set_release(&ms);
        free(rlimits);
        if (have_image)
                store_image_handle_release(&h);
        run_opts_release(&o);
        return ret;
}

int cmd_run(struct cli_ctx *ctx, int argc, char **argv)
{
        return run_main(ctx, argc, argv, false);
}

int cmd_create(struct cli_ctx *ctx, int argc, char **argv)
{
        return run_main(ctx, argc, argv, true);
}
