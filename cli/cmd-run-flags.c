/* box run's flags: the table (one row per flag) and the parsers of the
 * flags that need more than a string, a list or a switch.  A new flag is
 * a row here and a field of struct run_opts (cli/cmd-run.h); cmd-run.c
 * translates the struct into a run spec. */
#include <arpa/inet.h>
#include <ctype.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "cli/cli.h"
#include "cli/cmd-run.h"
#include "cli/container.h"
#include "cli/options.h"
#include "lib/fs.h"
#include "lib/log.h"
#include "lib/strv.h"
#include "lib/xalloc.h"
#include "run/name.h"
#include "run/network.h"
#include "spec/oci.h"

/* The command whose flags are being parsed (run, create or update), for
 * the "See 'box CMD --help'" line of a bad value's error. */
static const char *flags_cmd = "run";

static const char usage[] = "Usage: box run [OPTIONS] IMAGE [COMMAND] [ARG...]\n"
                            "       box run [OPTIONS] --rootfs DIR [COMMAND] [ARG...]\n"
                            "\n"
                            "Create and run a new container from an image, in the foreground.\n"
                            "\n"
                            "Options:\n";
static const char create_usage[] =
        "Usage: box create [OPTIONS] IMAGE [COMMAND] [ARG...]\n"
        "       box create [OPTIONS] --rootfs DIR [COMMAND] [ARG...]\n"
        "\n"
        "Create a new container from an image without starting it (box start runs it).\n"
        "\n"
        "Options:\n";

void run_opts_release(struct run_opts *o)
{
        cli_run_life_release(&o->life);
        strv_free(o->publish);
        strv_free(o->aliases);
        strv_free(o->env);
        strv_free(o->env_files);
        strv_free(o->cap_add);
        strv_free(o->cap_drop);
        strv_free(o->group_add);
        strv_free(o->add_hosts);
        strv_free(o->dns);
        strv_free(o->dns_search);
        strv_free(o->dns_options);
        strv_free(o->volumes);
        strv_free(o->mounts);
        strv_free(o->tmpfs);
        strv_free(o->ulimits);
        strv_free(o->labels);
        strv_free(o->label_files);
        strv_free(o->attach);
        strv_free(o->sysctls);
        strv_free(o->expose);
        free(o->seccomp_profile);
        free(o->res.read_bps);
        free(o->res.write_bps);
        free(o->res.read_iops);
        free(o->res.write_iops);
        free(o->res.weight_device);
        strv_free(o->read_bps_args);
        strv_free(o->write_bps_args);
        strv_free(o->read_iops_args);
        strv_free(o->write_iops_args);
        strv_free(o->weight_device_args);
        strv_free(o->device_rules);
        strv_free(o->devices);
        strv_free(o->device_maps);
        strv_free(o->cgroup_device_rules);
        strv_free(o->annotations);
        strv_free(o->volumes_from);
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

/* DEVICE:RATE (BYTES: in Docker's units, else a plain number from MIN to
 * MAX) appended to *V */
static int parse_rate(const char *s, bool bytes, int64_t min, int64_t max,
                      struct run_device_rate **v, size_t *n, struct box_err *err)
{
        const char *colon = strrchr(s, ':');
        if (!colon)
                return box_err_set(err, EINVAL, "bad format '%s': expected DEVICE:RATE", s);
        _cleanup_free_ char *dev = xstrndup(s, (size_t)(colon - s));
        int64_t rate;
        if (bytes ? run_parse_bytes(colon + 1, &rate) < 0
                  : parse_int(colon + 1, &rate) < 0 || rate < min || rate > max)
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
                return cli_usage_error(flags_cmd,
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

/* How much of S prints on one line (an error quotes no more). */
static int printable(const char *s)
{
        int n = 0;
        while (s[n] && isprint((unsigned char)s[n]) && n < 128)
                n++;
        return n;
}

/* --network: a mode, container:NAME, or a network's name. */
static int opt_network(void *opts, const char *arg)
{
        struct run_opts *o = opts;
        struct box_err err = {0};
        o->network_name = NULL;
        if (streq(arg, "host")) {
                o->network = RUN_NETWORK_HOST;
        } else if (streq(arg, "none")) {
                o->network = RUN_NETWORK_NONE;
        } else if (streq(arg, "bridge") || streq(arg, "default")) {
                o->network = RUN_NETWORK_PRIVATE;
        } else if (startswith(arg, "container:")) {
                if (!run_name_valid(arg + 10) && !run_id_valid(arg + 10)) {
                        box_err_set(&err, EINVAL, "invalid --network '%.*s': no container name",
                                    printable(arg), arg);
                        return cli_fail(&err);
                }
                o->network = RUN_NETWORK_CONTAINER;
                o->network_name = arg + 10;
        } else if (run_net_name_valid(arg)) {
                o->network = RUN_NETWORK_PRIVATE;
                o->network_name = arg;
        } else {
                box_err_set(&err, EINVAL,
                            "invalid --network '%.*s': want bridge, none, host, container:NAME or "
                            "a network's name",
                            printable(arg), arg);
                return cli_fail(&err);
        }
        return 0;
}

static int port_check(const char *arg, struct box_err *err)
{
        struct run_port *v = NULL;
        size_t n = 0;
        int r = run_port_parse(arg, &v, &n, err);
        free(v);
        return r;
}

/* -p: checked now, so that nothing is set up for a bad one */
static int opt_publish(void *opts, const char *arg)
{
        struct run_opts *o = opts;
        struct box_err err = {0};
        int r = port_check(arg, &err);
        if (r < 0)
                return cli_fail(&err);
        o->publish = strv_append(o->publish, arg);
        return 0;
}

static int opt_network_alias(void *opts, const char *arg)
{
        struct run_opts *o = opts;
        struct box_err err = {0};
        if (cli_check_host_name("--network-alias", arg, 253, &err) < 0)
                return cli_fail(&err);
        o->aliases = strv_append(o->aliases, arg);
        return 0;
}

static int opt_sig_proxy(void *opts, const char *arg)
{
        struct run_opts *o = opts;
        bool v;
        int r = cli_options_bool("run", "sig-proxy", arg, &v);
        o->no_sig_proxy = !v;
        return r;
}

static int opt_ip(void *opts, const char *arg)
{
        struct run_opts *o = opts;
        struct box_err err = {0};
        if (cli_check_ip_address("--ip", arg, &err) < 0)
                return cli_fail(&err);
        if (strchr(arg, ':'))
                return cli_usage_error(flags_cmd, "invalid --ip '%s': an IPv6 address is --ip6's",
                                       arg);
        o->ip = arg;
        return 0;
}

static int opt_ip6(void *opts, const char *arg)
{
        struct run_opts *o = opts;
        struct box_err err = {0};
        if (cli_check_ip_address("--ip6", arg, &err) < 0)
                return cli_fail(&err);
        if (!strchr(arg, ':'))
                return cli_usage_error(flags_cmd, "invalid --ip6 '%s': an IPv4 address is --ip's",
                                       arg);
        o->ip6 = arg;
        return 0;
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
                return cli_usage_error(flags_cmd, "invalid memory limit '%s'", arg);
        /* Docker's: 0 is no limit */
        if (o->res.memory > 0 && o->res.memory < 6 * 1024 * 1024)
                return cli_usage_error(flags_cmd, "minimum memory limit allowed is 6MB");
        return 0;
}

static int opt_memory_swap(void *opts, const char *arg)
{
        struct run_opts *o = opts;
        if (streq(arg, "-1"))
                o->res.memory_swap = -1;
        else if (run_parse_bytes(arg, &o->res.memory_swap) < 0)
                return cli_usage_error(flags_cmd, "invalid memory-swap limit '%s'", arg);
        return 0;
}

static int opt_cpus(void *opts, const char *arg)
{
        struct run_opts *o = opts;
        char *end;
        double cpus = strtod(arg, &end);
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        if (end == arg || *end || !(cpus >= 0))
                return cli_usage_error(flags_cmd, "invalid --cpus '%s'", arg);
        if (cpus == 0) { /* Docker's: 0.000 is no limit */
                o->res.cpu_period = o->res.cpu_quota = 0;
                return 0;
        }
        if (cpus > (double)n)
                return cli_usage_error(flags_cmd,
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
                return cli_usage_error(flags_cmd, "invalid --cpu-shares '%s'", arg);
        return 0;
}

_printf_(1, 2) static int flag_error(const char *fmt, ...);

/* One element of a Docker ParseUintList list: N or N-M, N <= M. */
static bool uint_range(const char *t, unsigned long *ret_lo, unsigned long *ret_hi)
{
        char *end;
        if (!isdigit((unsigned char)*t))
                return false;
        unsigned long lo = strtoul(t, &end, 10), hi = lo;
        if (*end == '-') {
                if (!isdigit((unsigned char)end[1]))
                        return false;
                hi = strtoul(end + 1, &end, 10);
        }
        if (*end || hi < lo)
                return false;
        *ret_lo = lo, *ret_hi = hi;
        return true;
}

/* Docker's parsers.ParseUintList: "" or N and N-M (N <= M) between
 * commas; the kernel's own error for "1-10,11--" named no flag. */
static bool valid_uint_list(const char *s)
{
        if (!*s)
                return true;
        _cleanup_strv_free_ char **v = strv_split(s, ',');
        unsigned long lo, hi;
        STRV_FOREACH (t, v)
                if (!uint_range(*t, &lo, &hi))
                        return false;
        return true;
}

/* Is every number of list WANT in the list the first readable of FILES
 * holds (the host's cpus or memory nodes)?  True when none can be read. */
static bool uint_list_available(const char *want, const char *const *files, char **ret_avail)
{
        _cleanup_free_ char *avail = NULL;
        for (; *files && !avail; files++)
                if (fs_read_file_at(AT_FDCWD, *files, 4096, &avail, NULL, NULL) < 0)
                        avail = NULL;
        if (!avail)
                return true;
        avail[strcspn(avail, "\n")] = '\0';
        _cleanup_strv_free_ char **w = strv_split(want, ','), **a = strv_split(avail, ',');
        unsigned long lo, hi, alo, ahi;
        STRV_FOREACH (t, w) {
                if (!uint_range(*t, &lo, &hi) || hi - lo > 65536)
                        goto missing;
                for (unsigned long n = lo; n <= hi; n++) {
                        bool in = false;
                        STRV_FOREACH (r, a)
                                in = in || (uint_range(*r, &alo, &ahi) && n >= alo && n <= ahi);
                        if (!in)
                                goto missing;
                }
        }
        return true;
missing:
        *ret_avail = TAKE_PTR(avail);
        return false;
}

static int opt_cpuset_cpus(void *opts, const char *arg)
{
        struct run_opts *o = opts;
        if (!valid_uint_list(arg))
                return cli_usage_error(flags_cmd, "invalid value '%s' for cpuset cpus", arg);
        /* Docker's daemon refuses CPUs the host lacks at create; the
         * cgroup write at the start named no flag */
        static const char *const cpus[] = {"/sys/fs/cgroup/cpuset/cpuset.cpus",
                                           "/sys/fs/cgroup/cpuset.cpus.effective",
                                           "/sys/devices/system/cpu/online", NULL};
        _cleanup_free_ char *avail = NULL;
        if (*arg && !uint_list_available(arg, cpus, &avail))
                return flag_error("requested CPUs are not available - requested %s, available: %s",
                                  arg, avail);
        o->res.cpuset_cpus = *arg ? arg : NULL; /* empty: Docker's unset */
        return 0;
}

static int opt_pids_limit(void *opts, const char *arg)
{
        struct run_opts *o = opts;
        if (parse_int(arg, &o->res.pids_limit) < 0)
                return cli_usage_error(flags_cmd, "invalid --pids-limit '%s'", arg);
        if (o->res.pids_limit <= 0)
                o->res.pids_limit = -1;
        return 0;
}

static int opt_blkio_weight(void *opts, const char *arg)
{
        struct run_opts *o = opts;
        int64_t w;
        if (parse_int(arg, &w) < 0 || (w != 0 && (w < 10 || w > 1000)))
                return cli_usage_error(flags_cmd, "range of blkio weight is from 10 to 1000");
        o->res.blkio_weight = (int)w;
        return 0;
}

static int opt_device_read_bps(void *opts, const char *arg)
{
        struct run_opts *o = opts;
        struct box_err err = {0};
        if (parse_rate(arg, true, 0, 0, &o->res.read_bps, &o->res.n_read_bps, &err) < 0)
                return cli_fail(&err);
        o->read_bps_args = strv_append(o->read_bps_args, arg);
        return 0;
}

static int opt_device_write_bps(void *opts, const char *arg)
{
        struct run_opts *o = opts;
        struct box_err err = {0};
        if (parse_rate(arg, true, 0, 0, &o->res.write_bps, &o->res.n_write_bps, &err) < 0)
                return cli_fail(&err);
        o->write_bps_args = strv_append(o->write_bps_args, arg);
        return 0;
}

static int opt_userns(void *opts, const char *arg)
{
        if (*arg && !streq(arg, "host") && !streq(arg, "private"))
                return cli_usage_error(flags_cmd,
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
        if (!run_cgroup_parent_valid(arg))
                return cli_usage_error(flags_cmd,
                                       "--cgroup-parent must be an absolute path without '..'");
        o->cgroup_parent = arg;
        return 0;
}

/* A bad value of one of the flags below: one line, 125. */
_printf_(1, 2) static int flag_error(const char *fmt, ...)
{
        struct box_err err = {0};
        va_list ap;
        va_start(ap, fmt);
        box_err_setv(&err, EINVAL, fmt, ap);
        va_end(ap);
        return cli_fail(&err);
}

static int opt_shm_size(void *opts, const char *arg)
{
        struct run_opts *o = opts;
        /* Docker's units (RAMInBytes: b, k, m, g; 1024s); 0: the default */
        if (run_parse_bytes(arg, &o->shm_size) < 0)
                return flag_error("invalid --shm-size '%s'", arg);
        return 0;
}

static int opt_sysctl(void *opts, const char *arg)
{
        struct run_opts *o = opts;
        struct box_err err = {0};
        /* the key now; the namespaces once every flag is read */
        if (run_sysctl_check(arg, RUN_NETWORK_PRIVATE, false, &err) < 0)
                return cli_fail(&err);
        o->sysctls = strv_append(o->sysctls, arg);
        return 0;
}

/* --pid/--ipc/--uts/--cgroupns: one of MODES ("" too), as Docker spells
 * them, or for --pid and --ipc container:NAME */
static int ns_mode(const char *flag, const char *arg, const char *const *modes, const char **ret)
{
        for (; *modes; modes++)
                if (streq(arg, *modes)) {
                        *ret = arg;
                        return 0;
                }
        /* another container's (--pid, --ipc) */
        if (startswith(arg, "container:") && (streq(flag, "pid") || streq(flag, "ipc")) &&
            (run_name_valid(arg + 10) || run_id_valid(arg + 10))) {
                *ret = arg;
                return 0;
        }
        return flag_error("invalid --%s '%.*s'", flag, printable(arg), arg);
}

/* podman's "private" for --pid and --uts is Docker's default, "" */
static int opt_pid(void *opts, const char *arg)
{
        static const char *const modes[] = {"", "host", NULL};
        return ns_mode("pid", streq(arg, "private") ? "" : arg, modes,
                       &((struct run_opts *)opts)->pid_mode);
}

static int opt_ipc(void *opts, const char *arg)
{
        static const char *const modes[] = {"", "host", "private", "shareable", "none", NULL};
        return ns_mode("ipc", arg, modes, &((struct run_opts *)opts)->ipc_mode);
}

static int opt_uts(void *opts, const char *arg)
{
        static const char *const modes[] = {"", "host", NULL};
        return ns_mode("uts", streq(arg, "private") ? "" : arg, modes,
                       &((struct run_opts *)opts)->uts_mode);
}

static int opt_cgroupns(void *opts, const char *arg)
{
        static const char *const modes[] = {"", "host", "private", NULL};
        return ns_mode("cgroupns", arg, modes, &((struct run_opts *)opts)->cgroupns_mode);
}

static int opt_platform(void *opts, const char *arg)
{
        (void)opts;
        _cleanup_free_ char *host = xasprintf("linux/%s", oci_host_arch());
        if (!streq(arg, "linux") && !streq(arg, host) && !startswith(arg, host))
                return flag_error("unsupported --platform '%.*s': box runs '%s' images only",
                                  printable(arg), arg, host);
        return 0;
}

/* --expose PORT[/PROTO] or a range, as EXPOSE takes it */
static int opt_expose(void *opts, const char *arg)
{
        struct run_opts *o = opts;
        /* a container port alone: no host port, no address */
        if (!isdigit((unsigned char)arg[0]) || strchr(arg, ':') || port_check(arg, NULL) < 0)
                return flag_error("invalid --expose '%.*s': want PORT[/PROTO]", printable(arg),
                                  arg);
        o->expose = strv_append(o->expose, arg);
        return 0;
}

static int opt_mac_address(void *opts, const char *arg)
{
        struct run_opts *o = opts;
        uint8_t mac[6];
        if (cli_mac_parse(arg, mac) < 0)
                return flag_error("invalid --mac-address '%.*s': want six hex bytes "
                                  "(02:42:ac:11:00:02), not multicast nor all zero",
                                  printable(arg), arg);
        o->mac_address = arg;
        return 0;
}

static int opt_add_host(void *opts, const char *arg)
{
        struct run_opts *o = opts;
        struct box_err err = {0};
        _cleanup_free_ char *e = NULL;
        if (cli_parse_add_host("--add-host", arg, true, &e, &err) < 0)
                return cli_fail(&err);
        o->add_hosts = strv_append(o->add_hosts, e);
        return 0;
}

static int opt_dns(void *opts, const char *arg)
{
        struct run_opts *o = opts;
        struct box_err err = {0};
        if (cli_check_ip_address("--dns", arg, &err) < 0)
                return cli_fail(&err);
        /* Docker's warning: a container's loopback is its own, so a
         * resolver listening on the host's is not reached from a bridge */
        struct in_addr a4;
        struct in6_addr a6;
        if ((inet_pton(AF_INET, arg, &a4) == 1 && (ntohl(a4.s_addr) >> 24) == 127) ||
            (inet_pton(AF_INET6, arg, &a6) == 1 && IN6_IS_ADDR_LOOPBACK(&a6)))
                log_warn("localhost DNS setting (--dns=%s) may fail in containers", arg);
        o->dns = strv_append(o->dns, arg);
        return 0;
}

static int opt_dns_search(void *opts, const char *arg)
{
        struct run_opts *o = opts;
        struct box_err err = {0};
        /* "." alone: no search domain (Docker's) */
        if (!streq(arg, ".") && cli_check_host_name("--dns-search", arg, 255, &err) < 0)
                return cli_fail(&err);
        o->dns_search = strv_append(o->dns_search, arg);
        return 0;
}

static int opt_dns_option(void *opts, const char *arg)
{
        struct run_opts *o = opts;
        struct box_err err = {0};
        if (cli_check_dns_option(arg, &err) < 0)
                return cli_fail(&err);
        o->dns_options = strv_append(o->dns_options, arg);
        return 0;
}

static int opt_domainname(void *opts, const char *arg)
{
        struct run_opts *o = opts;
        struct box_err err = {0};
        /* the kernel's __NEW_UTS_LEN */
        if (cli_check_host_name("--domainname", arg, 64, &err) < 0)
                return cli_fail(&err);
        o->domainname = arg;
        return 0;
}

static int opt_annotation(void *opts, const char *arg)
{
        struct run_opts *o = opts;
        if (!strchr(arg, '=') || arg[0] == '=')
                return flag_error("invalid --annotation '%.*s': want KEY=VALUE", printable(arg),
                                  arg);
        o->annotations = strv_append(o->annotations, arg);
        return 0;
}

static int opt_volumes_from(void *opts, const char *arg)
{
        struct run_opts *o = opts;
        const char *colon = strchr(arg, ':');
        _cleanup_free_ char *name = colon ? xstrndup(arg, (size_t)(colon - arg)) : xstrdup(arg);
        if ((colon && !streq(colon + 1, "ro") && !streq(colon + 1, "rw")) ||
            (!run_name_valid(name) && !run_id_valid(name)))
                return flag_error("invalid --volumes-from '%.*s': want CONTAINER[:ro|rw]",
                                  printable(arg), arg);
        o->volumes_from = strv_append(o->volumes_from, arg);
        return 0;
}

/* ---- more resources ---- */

/* ARG a number from MIN to MAX into *RET */
static bool int_in(const char *arg, int64_t min, int64_t max, int64_t *ret)
{
        return parse_int(arg, ret) == 0 && *ret >= min && *ret <= max;
}

static int opt_cpu_period(void *opts, const char *arg)
{
        struct run_opts *o = opts;
        /* the kernel's range (Docker's message); 0: Docker's unset */
        int64_t v;
        if (parse_int(arg, &v) < 0 || (v != 0 && (v < 1000 || v > 1000000)))
                return flag_error("invalid --cpu-period '%.*s': CPU cfs period can not be less "
                                  "than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)",
                                  printable(arg), arg);
        o->cpu_period = v;
        return 0;
}

static int opt_cpu_quota(void *opts, const char *arg)
{
        struct run_opts *o = opts;
        /* -1: no quota */
        if (parse_int(arg, &o->cpu_quota) < 0 ||
            (o->cpu_quota < 1000 && o->cpu_quota != -1 && o->cpu_quota != 0))
                return flag_error("invalid --cpu-quota '%.*s': CPU cfs quota can not be less "
                                  "than 1ms (i.e. 1000)",
                                  printable(arg), arg);
        return 0;
}

static int opt_cpuset_mems(void *opts, const char *arg)
{
        struct run_opts *o = opts;
        if (!valid_uint_list(arg))
                return flag_error("invalid --cpuset-mems '%.*s'", printable(arg), arg);
        static const char *const mems[] = {"/sys/fs/cgroup/cpuset/cpuset.mems",
                                           "/sys/fs/cgroup/cpuset.mems.effective",
                                           "/sys/devices/system/node/online", NULL};
        _cleanup_free_ char *avail = NULL;
        if (*arg && !uint_list_available(arg, mems, &avail))
                return flag_error("requested memory nodes are not available - requested %s, "
                                  "available: %s",
                                  arg, avail);
        o->res.cpuset_mems = *arg ? arg : NULL; /* empty: Docker's unset */
        return 0;
}

static int opt_memory_reservation(void *opts, const char *arg)
{
        struct run_opts *o = opts;
        if (run_parse_bytes(arg, &o->res.memory_reservation) < 0)
                return flag_error("invalid --memory-reservation '%.*s'", printable(arg), arg);
        if (o->res.memory_reservation > 0 && o->res.memory_reservation < 6 * 1024 * 1024)
                return flag_error("invalid --memory-reservation '%.*s': minimum memory "
                                  "reservation allowed is 6MB",
                                  printable(arg), arg);
        return 0;
}

static int opt_memory_swappiness(void *opts, const char *arg)
{
        struct run_opts *o = opts;
        int64_t v;
        if (!int_in(arg, -1, 100, &v))
                return flag_error("invalid --memory-swappiness '%.*s': valid memory swappiness "
                                  "range is 0-100",
                                  printable(arg), arg);
        o->res.memory_swappiness = (int)v;
        o->res.memory_swappiness_set = v >= 0;
        return 0;
}

static int opt_oom_score_adj(void *opts, const char *arg)
{
        struct run_opts *o = opts;
        int64_t v;
        if (!int_in(arg, -1000, 1000, &v))
                return flag_error("invalid --oom-score-adj '%.*s': range for oom score adj is "
                                  "[-1000, 1000]",
                                  printable(arg), arg);
        o->oom_score_adj = (int)v;
        return 0;
}

/* --device-read-iops, --device-write-iops, --blkio-weight-device: DEVICE:N */
static int device_number(const char *flag, const char *arg, int64_t min, int64_t max,
                         struct run_device_rate **v, size_t *n, char ***args)
{
        struct box_err err = {0};
        if (parse_rate(arg, false, min, max, v, n, &err) < 0)
                return flag_error("invalid --%s '%.*s': %s", flag, printable(arg), arg, err.msg);
        *args = strv_append(*args, arg);
        return 0;
}

static int opt_device_read_iops(void *opts, const char *arg)
{
        struct run_opts *o = opts;
        return device_number("device-read-iops", arg, 0, INT64_MAX, &o->res.read_iops,
                             &o->res.n_read_iops, &o->read_iops_args);
}

static int opt_device_write_iops(void *opts, const char *arg)
{
        struct run_opts *o = opts;
        return device_number("device-write-iops", arg, 0, INT64_MAX, &o->res.write_iops,
                             &o->res.n_write_iops, &o->write_iops_args);
}

static int opt_blkio_weight_device(void *opts, const char *arg)
{
        struct run_opts *o = opts;
        return device_number("blkio-weight-device", arg, 10, 1000, &o->res.weight_device,
                             &o->res.n_weight_device, &o->weight_device_args);
}

static int opt_device_cgroup_rule(void *opts, const char *arg)
{
        struct run_opts *o = opts;
        struct box_err err = {0};
        if (run_device_rule_check(arg, &err) < 0)
                return cli_fail(&err);
        o->device_rules = strv_append(o->device_rules, arg);
        o->cgroup_device_rules = strv_append(o->cgroup_device_rules, arg);
        o->res.device_rules = o->cgroup_device_rules;
        return 0;
}

static int opt_device(void *opts, const char *arg)
{
        struct box_err err = {0};
        if (cli_run_device_add(opts, arg, &err) < 0)
                return cli_fail(&err);
        return 0;
}

/* ---- what box has no such thing for: one line, 125 ---- */

/* A flag of what box has no such thing for: FLAG's value ARG, refused
 * with WHY. */
static int refuse(const char *flag, const char *arg, const char *why)
{
        return flag_error("--%s '%.*s' is not supported: %s", flag, printable(arg), arg, why);
}

static int opt_gpus(void *opts, const char *arg)
{
        (void)opts;
        return refuse("gpus", arg, "box has no GPU device plugin (bind the device nodes)");
}

static int opt_runtime(void *opts, const char *arg)
{
        (void)opts;
        /* box is its own runtime: there is no other OCI runtime to hand to */
        return streq(arg, "box") ? 0 : refuse("runtime", arg, "box runs containers itself");
}

static int opt_storage_opt(void *opts, const char *arg)
{
        (void)opts;
        return refuse("storage-opt", arg, "box's overlay store has no per-container options");
}

static int opt_isolation(void *opts, const char *arg)
{
        (void)opts;
        return streq(arg, "default") || !*arg ? 0 : refuse("isolation", arg, "only 'default'");
}

static int opt_volume_driver(void *opts, const char *arg)
{
        (void)opts;
        return streq(arg, "local") || !*arg ? 0
                                            : refuse("volume-driver", arg, "box has 'local' only");
}

static int opt_link(void *opts, const char *arg)
{
        (void)opts;
        return refuse("link", arg,
                      "legacy; put both containers on a network (box network create), where "
                      "names resolve");
}

static int opt_kernel_memory(void *opts, const char *arg)
{
        (void)opts;
        int64_t bytes;
        /* 0 asks for no limit, which is what every container has */
        if (run_parse_bytes(arg, &bytes) == 0 && bytes == 0)
                return 0;
        return refuse("kernel-memory", arg, "deprecated, and not on cgroup v2");
}

static int opt_cpu_rt_period(void *opts, const char *arg)
{
        (void)opts;
        return refuse("cpu-rt-period", arg, "no real-time scheduling on cgroup v2");
}

static int opt_cpu_rt_runtime(void *opts, const char *arg)
{
        (void)opts;
        return refuse("cpu-rt-runtime", arg, "no real-time scheduling on cgroup v2");
}

/* ---- the table: in the order of the help ---- */

#define R CLI_ARG_REQUIRED
#define T struct run_opts

/* The rows run, create and update share: one text for each flag. */
#define ROW_BLKIO_WEIGHT                                                                           \
        CLI_FUNC("blkio-weight", 0, R, opt_blkio_weight, "N", "block IO weight (10-1000)")
#define ROW_CPU_PERIOD                                                                             \
        CLI_FUNC("cpu-period", 0, R, opt_cpu_period, "US", "CPU CFS period (microseconds)")
#define ROW_CPU_QUOTA                                                                              \
        CLI_FUNC("cpu-quota", 0, R, opt_cpu_quota, "US", "CPU CFS quota per period (-1: none)")
#define ROW_CPU_SHARES                                                                             \
        CLI_FUNC("cpu-shares", 'c', R, opt_cpu_shares, "N", "CPU shares (relative weight)")
#define ROW_CPUS CLI_FUNC("cpus", 0, R, opt_cpus, "N", "number of CPUs (fractions allowed)")
#define ROW_CPUSET_CPUS                                                                            \
        CLI_FUNC("cpuset-cpus", 0, R, opt_cpuset_cpus, "LIST", "CPUs to run on (0-3, 0,1)")
#define ROW_CPUSET_MEMS                                                                            \
        CLI_FUNC("cpuset-mems", 0, R, opt_cpuset_mems, "LIST", "memory nodes to use (0-3, 0,1)")
#define ROW_MEMORY CLI_FUNC("memory", 'm', R, opt_memory, "BYTES", "memory limit (6m at least)")
#define ROW_MEMORY_RESERVATION                                                                     \
        CLI_FUNC("memory-reservation", 0, R, opt_memory_reservation, "BYTES", "memory soft limit")
#define ROW_MEMORY_SWAP                                                                            \
        CLI_FUNC("memory-swap", 0, R, opt_memory_swap, "BYTES",                                    \
                 "memory + swap limit (-1 unlimited)")
#define ROW_PIDS_LIMIT                                                                             \
        CLI_FUNC("pids-limit", 0, R, opt_pids_limit, "N",                                          \
                 "limit the number of processes (default 2048; 0 or -1\nunlimited)")

static const struct cli_option run_flags[] = {
        CLI_FUNC("add-host", 0, R, opt_add_host, "NAME:IP",
                 "add a line to its /etc/hosts (IP host-gateway: the host)"),
        CLI_FUNC("annotation", 0, R, opt_annotation, "K=V", "add an OCI annotation"),
        CLI_STRV("attach", 'a', T, attach, "STREAM",
                 "attach only STDIN, STDOUT or STDERR (foreground)"),
        ROW_BLKIO_WEIGHT,
        CLI_FUNC("blkio-weight-device", 0, R, opt_blkio_weight_device, "D:W",
                 "block IO weight of a device (10-1000)"),
        CLI_STRV("cap-add", 0, T, cap_add, "CAP", "add a Linux capability (or ALL)"),
        CLI_STRV("cap-drop", 0, T, cap_drop, "CAP", "drop a Linux capability (or ALL)"),
        CLI_FUNC("cgroup-parent", 0, R, opt_cgroup_parent, "PATH", "parent cgroup (default /box)"),
        CLI_FUNC("cgroupns", 0, R, opt_cgroupns, "MODE",
                 "cgroup namespace: private (default) or host"),
        CLI_STRING("cidfile", 0, T, cidfile, "FILE", "write the container's id to FILE"),
        ROW_CPU_PERIOD,
        ROW_CPU_QUOTA,
        ROW_CPU_SHARES,
        ROW_CPUS,
        ROW_CPUSET_CPUS,
        CLI_FUNC("cpu-rt-period", 0, R, opt_cpu_rt_period, "US", "refused: not on cgroup v2"),
        CLI_FUNC("cpu-rt-runtime", 0, R, opt_cpu_rt_runtime, "US", "refused: not on cgroup v2"),
        ROW_CPUSET_MEMS,
        CLI_FUNC("device", 0, R, opt_device, "H[:C][:PERMS]",
                 "add host device H (or a directory's) as C, PERMS of rwm"),
        CLI_FUNC("device-cgroup-rule", 0, R, opt_device_cgroup_rule, "RULE",
                 "allow devices in the cgroup (c 1:3 rwm)"),
        CLI_FUNC("dns", 0, R, opt_dns, "IP", "a nameserver (replaces the host's)"),
        CLI_FUNC("dns-opt", 0, R, opt_dns_option, "OPT", "the same as --dns-option"),
        CLI_FUNC("dns-option", 0, R, opt_dns_option, "OPT", "a resolver option (ndots:2)"),
        CLI_FUNC("dns-search", 0, R, opt_dns_search, "DOMAIN",
                 "a search domain (replaces the host's; '.': none)"),
        CLI_FUNC("domainname", 0, R, opt_domainname, "NAME", "its NIS domain name"),
        CLI_FUNC("device-read-bps", 0, R, opt_device_read_bps, "D:R",
                 "limit read rate from a device (/dev/sda:1mb)"),
        CLI_FUNC("device-read-iops", 0, R, opt_device_read_iops, "D:N",
                 "limit read operations a second from a device"),
        CLI_FUNC("device-write-bps", 0, R, opt_device_write_bps, "D:R",
                 "limit write rate to a device"),
        CLI_FUNC("device-write-iops", 0, R, opt_device_write_iops, "D:N",
                 "limit write operations a second to a device"),
        CLI_TRUE("detach", 'd', T, life.detach,
                 "run in the background under a monitor; print the id"),
        CLI_STRING("detach-keys", 0, T, detach_keys, "KEYS",
                   "keys that detach a -t run, leaving it running\n(default ctrl-p,ctrl-q; \"\": "
                   "none)"),
        CLI_CONTENT_TRUST,
        CLI_STRING("entrypoint", 0, T, entrypoint, "CMD",
                   "override the image's ENTRYPOINT (string or JSON array)"),
        CLI_STRV("env", 'e', T, env, "K=V|K", "set an environment variable (K alone: box's value)"),
        CLI_STRV("env-file", 0, T, env_files, "FILE", "read environment variables from FILE"),
        CLI_FUNC("expose", 0, R, opt_expose, "PORT[/P]",
                 "expose a port or a range (-P publishes it)"),
        CLI_FUNC("gpus", 0, R, opt_gpus, "GPUS", "refused: box has no GPU support"),
        CLI_STRV("group-add", 0, T, group_add, "GROUP", "add a supplementary group"),
        CLI_STRING("health-cmd", 0, T, life.health_cmd, "CMD",
                   "a command (run with sh -c) that checks its health"),
        CLI_STRING("health-interval", 0, T, life.health_interval, "D",
                   "time between health checks (default 30s)"),
        CLI_STRING("health-retries", 0, T, life.health_retries, "N",
                   "failures in a row that make it unhealthy (default 3)"),
        CLI_STRING("health-start-interval", 0, T, life.health_start_interval, "D",
                   "time between checks in the start period"),
        CLI_STRING("health-start-period", 0, T, life.health_start_period, "D",
                   "failures in this time do not count (default 0s)"),
        CLI_STRING("health-timeout", 0, T, life.health_timeout, "D",
                   "longest a check may run (default 30s)"),
        CLI_HELP("help", 0),
        CLI_FUNC("ip", 0, R, opt_ip, "ADDRESS", "its IPv4 address on its user network"),
        CLI_FUNC("ip6", 0, R, opt_ip6, "ADDRESS",
                 "its IPv6 address on its user network (with IPv6)"),
        CLI_FUNC("hostname", 'h', R, opt_hostname, "NAME",
                 "container hostname (default: its short id)"),
        CLI_TRUE("init", 0, T, init, "run box's small init as pid 1 (reaps zombies)"),
        CLI_FUNC("ipc", 0, R, opt_ipc, "MODE",
                 "IPC namespace: private (default), shareable, none,\nhost or container:NAME"),
        CLI_FUNC("isolation", 0, R, opt_isolation, "default", "container isolation (only default)"),
        CLI_FUNC("kernel-memory", 0, R, opt_kernel_memory, "BYTES", "refused: deprecated"),
        CLI_TRUE("interactive", 'i', T, interactive, "keep stdin attached"),
        CLI_STRV("label", 'l', T, labels, "K=V", "set a label on the container"),
        CLI_STRV("label-file", 0, T, label_files, "FILE", "read labels from FILE (K=V lines)"),
        CLI_FUNC("link", 0, R, opt_link, "NAME:ALIAS", "refused (legacy): use a user network"),
        CLI_STRING("log-driver", 0, T, life.log_driver, "DRIVER",
                   "k8s-file (default), journald or none"),
        CLI_STRV("log-opt", 0, T, life.log_opts, "K=V",
                 "max-size=SIZE (default 10m), max-file=N (default 3)"),
        CLI_FUNC("mac-address", 0, R, opt_mac_address, "MAC",
                 "its MAC address on its network (02:42:ac:11:00:02)"),
        ROW_MEMORY,
        ROW_MEMORY_RESERVATION,
        ROW_MEMORY_SWAP,
        CLI_FUNC("memory-swappiness", 0, R, opt_memory_swappiness, "N",
                 "swappiness 0-100 (cgroup v1; -1: the host's)"),
        CLI_STRV("mount", 0, T, mounts, "SPEC",
                 "type=bind|volume|tmpfs,source=...,target=...[,readonly]"),
        CLI_STRING("name", 0, T, name, "NAME", "assign a name to the container"),
        CLI_FUNC("net", 0, R, opt_network, NULL, NULL),
        CLI_FUNC("net-alias", 0, R, opt_network_alias, NULL, NULL),
        CLI_FUNC("network", 0, R, opt_network, "MODE",
                 "bridge (default), none, host, container:NAME or a\nnetwork's name"),
        CLI_FUNC("network-alias", 0, R, opt_network_alias, "NAME",
                 "another name on its user network"),
        CLI_TRUE("no-healthcheck", 0, T, life.no_healthcheck, "disable the image's HEALTHCHECK"),
        CLI_TRUE("oom-kill-disable", 0, T, res.oom_kill_disable,
                 "disable the OOM killer (cgroup v1)"),
        CLI_FUNC("oom-score-adj", 0, R, opt_oom_score_adj, "N",
                 "the OOM killer's preference (-1000 to 1000)"),
        CLI_FUNC("pid", 0, R, opt_pid, "MODE",
                 "PID namespace: a new one (default), host or\ncontainer:NAME"),
        ROW_PIDS_LIMIT,
        CLI_FUNC("platform", 0, R, opt_platform, "string", "image platform (only the host's)"),
        CLI_TRUE("privileged", 0, T, privileged, "all capabilities, devices and no seccomp"),
        CLI_FUNC("publish", 'p', R, opt_publish, "[IP:][H:]C[/P]",
                 "publish container port C (or a range) on host port H\n(default: a free one), by "
                 "kernel DNAT"),
        CLI_TRUE("publish-all", 'P', T, publish_all, "publish every EXPOSEd port on a free one"),
        CLI_STRING("pull", 0, T, pull, "string",
                   "pull the image: missing (default), always, newer or never"),
        CLI_TRUE("quiet", 'q', T, quiet, "no pull progress"),
        CLI_TRUE("read-only", 0, T, read_only, "mount the root file system read-only"),
        CLI_STRING("restart", 0, T, life.restart, "POLICY",
                   "no, on-failure[:N], always, unless-stopped (with -d)"),
        CLI_TRUE("rm", 0, T, rm, "remove the container (and its anonymous volumes) on exit"),
        CLI_STRING("rootfs", 0, T, rootfs, "DIR",
                   "run DIR as the root file system instead of an image"),
        CLI_FUNC("runtime", 0, R, opt_runtime, "box", "the runtime (only box itself)"),
        CLI_FUNC("security-opt", 0, R, opt_security_opt, "OPT",
                 "seccomp=unconfined|PROFILE.json, no-new-privileges"),
        CLI_FUNC("shm-size", 0, R, opt_shm_size, "BYTES", "size of /dev/shm (default 64m)"),
        CLI_STRING("stop-signal", 0, T, life.stop_signal, "SIG",
                   "signal that stops it (default: the image's, or SIGTERM)"),
        CLI_STRING("stop-timeout", 0, T, life.stop_timeout, "SECS",
                   "seconds box stop waits before SIGKILL (default 10)"),
        CLI_FUNC("storage-opt", 0, R, opt_storage_opt, "OPT",
                 "refused: no per-container storage options"),
        CLI_FUNC("sysctl", 0, R, opt_sysctl, "K=V",
                 "set a namespaced kernel parameter (net.*, kernel.shm*,\nkernel.msg*, "
                 "kernel.sem, fs.mqueue.*)"),
        CLI_TRUE("tty", 't', T, tty, "allocate a pseudo-TTY"),
        CLI_FUNC("sig-proxy", 0, CLI_ARG_OPTIONAL, opt_sig_proxy, NULL,
                 "send box's signals to the container (default true;\nnot with -t)"),
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
        CLI_FUNC("uts", 0, R, opt_uts, "MODE", "UTS namespace: a new one (default) or host"),
        CLI_STRV("volume", 'v', T, volumes, "SPEC",
                 "bind mount or volume: SRC:DST[:ro|rw], NAME:DST, DST"),
        CLI_FUNC("volume-driver", 0, R, opt_volume_driver, "local",
                 "the volume driver (only local)"),
        CLI_FUNC("volumes-from", 0, R, opt_volumes_from, "C[:ro|rw]",
                 "the volumes and binds of container C"),
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

static const struct cli_options create_options = {
        .cmd = "create",
        .usage = create_usage,
        .v = run_flags,
        .n = ARRAY_SIZE(run_flags),
        .help_width = 25,
        .stop_at_operand = true,
};

/* The rules between flags, once all are read. */
static int run_opts_check(struct run_opts *o, bool create)
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
                return cli_usage_error(flags_cmd, "--gidmap needs a --uidmap");
        if (o->n_uid_map && !o->n_gid_map) {
                /* podman's rule: the gid map defaults to the uid map */
                o->gid_map = xnew(struct run_idmap, o->n_uid_map);
                memcpy(o->gid_map, o->uid_map, o->n_uid_map * sizeof(*o->uid_map));
                o->n_gid_map = o->n_uid_map;
        }
        if (o->n_uid_map && (run_idmap_host(o->uid_map, o->n_uid_map, 0) < 0 ||
                             run_idmap_host(o->gid_map, o->n_gid_map, 0) < 0))
                return cli_usage_error(flags_cmd,
                                       "the id maps must map the container's root (id 0)");
        /* Docker's rules: the other container's network is as it is */
        struct box_err cerr = {0};
        if (o->network == RUN_NETWORK_CONTAINER && (o->publish || o->publish_all))
                box_err_set(&cerr, EINVAL,
                            "conflicting options: port publishing and the container type "
                            "network mode");
        else if (o->network == RUN_NETWORK_CONTAINER && o->hostname)
                box_err_set(&cerr, EINVAL, "conflicting options: hostname and the network mode");
        else if (o->network == RUN_NETWORK_CONTAINER && o->add_hosts)
                box_err_set(&cerr, EINVAL,
                            "conflicting options: custom host-to-IP mapping and the network mode");
        else if (o->network == RUN_NETWORK_CONTAINER && (o->dns || o->dns_search || o->dns_options))
                box_err_set(&cerr, EINVAL, "conflicting options: dns and the network mode");
        if (cerr.code)
                return cli_fail(&cerr);
        /* Docker's: --cpus is a period and a quota */
        if ((o->cpu_period || o->cpu_quota) && o->res.cpu_quota)
                return flag_error("conflicting options: Nano CPUs and CPU %s cannot both be set",
                                  o->cpu_period ? "Period" : "Quota");
        if (o->cpu_period || o->cpu_quota) {
                o->res.cpu_period = o->cpu_period;
                o->res.cpu_quota = o->cpu_quota;
        }
        if (o->res.memory > 0 && o->res.memory_reservation > o->res.memory)
                return flag_error("minimum memory limit can not be less than memory reservation "
                                  "limit, see usage");
        /* the namespaces a --sysctl may reach, now that they are known */
        bool host_ipc = o->ipc_mode && streq(o->ipc_mode, "host");
        bool shared_ipc = host_ipc || (o->ipc_mode && startswith(o->ipc_mode, "container:"));
        STRV_FOREACH (s, o->sysctls)
                if (run_sysctl_check(*s, o->network, shared_ipc, &cerr) < 0)
                        return cli_fail(&cerr);
        if (o->uts_mode && streq(o->uts_mode, "host") && o->domainname)
                return flag_error("conflicting options: --domainname and the UTS mode host (it "
                                  "would set the host's)");
        if (o->mac_address && o->network != RUN_NETWORK_PRIVATE)
                return flag_error("conflicting options: mac-address and the network mode");
        if (o->uts_mode && streq(o->uts_mode, "host") && o->hostname)
                return flag_error("conflicting options: hostname and the UTS mode");
        bool peer = (o->pid_mode && startswith(o->pid_mode, "container:")) ||
                    (o->ipc_mode && startswith(o->ipc_mode, "container:"));
        if (o->n_uid_map && peer)
                return flag_error("conflicting options: --uidmap and --pid/--ipc container:NAME "
                                  "(the other container's namespaces are out of a new user "
                                  "namespace's reach)");
        if (o->n_uid_map && ((o->pid_mode && streq(o->pid_mode, "host")) || host_ipc))
                return flag_error("conflicting options: --uidmap and --%s host (a new user "
                                  "namespace cannot mount the host's)",
                                  host_ipc ? "ipc" : "pid");
        if (o->cidfile && access(o->cidfile, F_OK) == 0)
                return flag_error("Container ID file found, make sure the other container "
                                  "isn't running or delete %s",
                                  o->cidfile);
        if ((o->aliases || o->ip || o->ip6) &&
            (o->network != RUN_NETWORK_PRIVATE || !o->network_name))
                return cli_usage_error(flags_cmd, "--%s works only on a user network",
                                       o->ip    ? "ip"
                                       : o->ip6 ? "ip6"
                                                : "network-alias");
        unsigned char keys[16];
        size_t nkeys;
        if (o->detach_keys && cli_detach_keys_parse(o->detach_keys, keys, &nkeys) < 0)
                return cli_usage_error(flags_cmd, "invalid detach keys '%s'", o->detach_keys);
        /* a terminal is needed only by who attaches now (create attaches none) */
        if (o->interactive && o->tty && !isatty(0) && !o->life.detach && !create)
                return cli_usage_error(NULL, "the input device is not a TTY");
        STRV_FOREACH (a, o->attach)
                if (strcasecmp(*a, "stdin") && strcasecmp(*a, "stdout") && strcasecmp(*a, "stderr"))
                        return cli_usage_error(flags_cmd,
                                               "invalid argument '%s' for -a: valid streams are "
                                               "STDIN, STDOUT and STDERR",
                                               *a);
        if (o->attach && o->life.detach)
                return cli_usage_error(flags_cmd,
                                       "conflicting options: cannot specify both --attach and "
                                       "--detach");
        struct box_err err = {0};
        if (cli_run_life_check(&o->life, o->rm, &err) < 0)
                return cli_usage_error(flags_cmd, "%s", err.msg);
        return 0;
}

/* box update: the resource flags of run, and --restart, parsed alike */
#define R CLI_ARG_REQUIRED
#define T struct run_opts
static const struct cli_option update_flags[] = {
        CLI_HELP("help", 'h'),
        ROW_BLKIO_WEIGHT,
        ROW_CPU_PERIOD,
        ROW_CPU_QUOTA,
        ROW_CPU_SHARES,
        ROW_CPUS,
        ROW_CPUSET_CPUS,
        ROW_CPUSET_MEMS,
        ROW_MEMORY,
        ROW_MEMORY_RESERVATION,
        ROW_MEMORY_SWAP,
        ROW_PIDS_LIMIT,
        CLI_STRING("restart", 0, T, life.restart, "POLICY",
                   "no, on-failure[:N], always, unless-stopped"),
};
#undef R
#undef T

static const struct cli_options update_options =
        CLI_OPTIONS("update", update_flags, 28,
                    "Usage: box update [OPTIONS] CONTAINER [CONTAINER...]\n"
                    "\n"
                    "Update the resource limits and restart policy of one or more containers:\n"
                    "a running one at once, and at every later start.\n"
                    "\n"
                    "Options:\n");

int cli_update_flags_parse(struct run_opts *o, int argc, char **argv)
{
        *o = (struct run_opts){0};
        flags_cmd = "update";
        int first = cli_options_parse(&update_options, o, argc, argv);
        if (first <= 0)
                return first;
        if ((o->cpu_period || o->cpu_quota) && o->res.cpu_quota)
                return -flag_error("conflicting options: Nano CPUs and CPU %s cannot both be set",
                                   o->cpu_period ? "Period" : "Quota");
        if (o->res.memory > 0 && o->res.memory_reservation > o->res.memory)
                return -flag_error("minimum memory limit can not be less than memory reservation "
                                   "limit, see usage");
        if (o->res.memory > 0 && o->res.memory_swap > 0 && o->res.memory_swap < o->res.memory)
                return -cli_usage_error("update", "minimum memoryswap limit should be larger "
                                                  "than memory limit, see usage");
        if (o->life.restart) {
                struct box_err err = {0};
                if (cli_run_life_check(&o->life, false, &err) < 0)
                        return -cli_usage_error("update", "%s", err.msg);
        }
        return first;
}

int cli_run_flags_parse(struct run_opts *o, int argc, char **argv)
{
        *o = (struct run_opts){.network = RUN_NETWORK_PRIVATE, .seccomp = RUN_SECCOMP_DEFAULT};
        bool create = argc > 0 && streq(argv[0], "create");
        flags_cmd = create ? "create" : "run";
        int first = cli_options_parse(create ? &create_options : &run_options, o, argc, argv);
        if (first <= 0)
                return first;
        int r = run_opts_check(o, create);
        return r ? -r : first;
}

int cli_run_flag_words(const char *arg)
{
        if (arg[0] != '-' || !arg[1] || streq(arg, "--"))
                return 0;
        if (arg[1] == '-') {
                const char *eq = strchr(arg + 2, '=');
                size_t n = eq ? (size_t)(eq - arg - 2) : strlen(arg + 2);
                for (size_t i = 0; i < ARRAY_SIZE(run_flags); i++)
                        if (run_flags[i].name && strlen(run_flags[i].name) == n &&
                            strneq(run_flags[i].name, arg + 2, n))
                                return !eq && run_flags[i].arg == CLI_ARG_REQUIRED ? 2 : 1;
                return 1;
        }
        /* -it, -e A=1, -eA=1, -ite A=1: a letter that takes a value ends the word */
        for (const char *c = arg + 1; *c; c++)
                for (size_t i = 0; i < ARRAY_SIZE(run_flags); i++)
                        if (run_flags[i].short_name == *c && run_flags[i].arg == CLI_ARG_REQUIRED)
                                return c[1] ? 1 : 2;
        return 1;
}
