/* Private to `box run`: the pure translations from flags and image config
 * to a run spec (cmd-run-parse.c), kept apart so unit tests can call them.
 *
 * Ownership: every char ** returned is a strv the caller frees; struct
 * cli_mount owns its strings (cli_mount_release). */
#pragma once

#include <stdbool.h>

#include "cli/cmd-run-life.h"
#include "lib/err.h"
#include "run/run.h"

struct oci_container_config;

/* The flags of `box run` (cmd-run-flags.c fills it from its table; a new
 * flag is a row there and a field here).  Strings point into argv; the
 * rest is owned (run_opts_release). */
struct run_opts {
        bool rm, init, read_only, privileged, interactive, tty, no_new_privs;
        const char *rootfs;
        const char *entrypoint; /* NULL: the image's; "" none */
        const char *name, *hostname, *user, *workdir, *cgroup_parent;
        const char *pull; /* --pull: missing (NULL), always, newer, never */
        /* a foreground run through its monitor (-t, --sig-proxy=false):
         * the keys that detach ("": none; NULL: ctrl-p,ctrl-q) */
        const char *detach_keys;
        bool no_sig_proxy; /* --sig-proxy=false */
        bool tls_verify_off;
        enum run_network network;
        const char *network_name; /* a user network, or NAME of container:NAME */
        const char *ip;           /* --ip */
        const char *ip6;          /* --ip6 */
        bool publish_all;
        char **publish, **aliases;
        char **env, **env_files, **cap_add, **cap_drop, **group_add;
        char **add_hosts, **dns, **dns_search, **dns_options; /* /etc/hosts, resolv.conf */
        char **volumes, **mounts, **tmpfs, **ulimits;
        char **labels, **label_files; /* --label K=V|K, --label-file FILE */
        char **attach;                /* -a STDIN|STDOUT|STDERR (NULL: all) */
        enum run_seccomp_mode seccomp;
        char *seccomp_profile;
        struct run_resources res;
        struct run_idmap *uid_map, *gid_map;
        size_t n_uid_map, n_gid_map;
        struct cli_run_life life; /* -d, --restart, logs, health, stop */
        int64_t shm_size;         /* --shm-size (0: 64m) */
        char **sysctls;           /* --sysctl K=V */
        const char *cidfile;      /* --cidfile FILE */
        /* --pid, --ipc, --uts, --cgroupns as Docker records them (NULL:
         * the default: new namespaces) */
        const char *pid_mode, *ipc_mode, *uts_mode, *cgroupns_mode;
        bool quiet;    /* -q: no pull progress */
        char **expose; /* --expose PORT[/PROTO] */
        /* --cpu-period/--cpu-quota (into res once checked against --cpus) */
        int64_t cpu_period, cpu_quota;
        int oom_score_adj;
        /* the device flags as given ("PATH:N"), for HostConfig */
        char **read_bps_args, **write_bps_args, **read_iops_args, **write_iops_args,
                **weight_device_args, **device_rules;
        /* --device: the nodes (run_spec's devices) and the flags as given,
         * "HOST\tCONTAINER\tPERMS", for HostConfig.Devices */
        char **devices, **device_maps;
        char **cgroup_device_rules; /* --device-cgroup-rule's and --device's: res.device_rules */
        const char *mac_address, *domainname;
        char **annotations;  /* --annotation K=V */
        char **volumes_from; /* --volumes-from CONTAINER[:ro|rw] */
};
void run_opts_release(struct run_opts *o);

/* Fills O (zeroed first) from ARGV's flags and checks the rules between
 * them.  Returns the index of the first operand (> 0), or <= 0 to stop:
 * the negated exit status, the failure reported (0 after --help). */
int cli_run_flags_parse(struct run_opts *o, int argc, char **argv);
/* The same for box update's flags (the resources and --restart). */
int cli_update_flags_parse(struct run_opts *o, int argc, char **argv);
/* The resource limits of HostConfig as box run records them and box
 * update rewrites them, from RES: CPU as NanoCpus (--cpus), as CpuPeriod
 * and CpuQuota (--cpu-period/--cpu-quota), or left as they are. */
enum cli_cpu_record { CLI_CPU_KEEP, CLI_CPU_NANO, CLI_CPU_CFS };
struct run_resources;
void cli_host_config_limits(struct jv *hc, const struct run_resources *res,
                            enum cli_cpu_record cpu);

/* How many words of a `box run` command line the flag word ARG spans (2
 * when its value is the next word), 0 when ARG is not a flag ("--", an
 * operand).  For reading back a recorded command (generate systemd). */
int cli_run_flag_words(const char *arg);

/* Docker's argv: ENTRYPOINT + CMD; ARGS (the words after the image)
 * replace CMD; an --entrypoint (ENTRYPOINT_SET) replaces ENTRYPOINT and
 * drops the image's CMD; an empty --entrypoint means none.  An
 * --entrypoint that is a JSON array of strings is taken as exec form. */
char **cli_run_argv(const struct oci_container_config *img, bool entrypoint_set,
                    const char *entrypoint, char *const *args);

/* The container's environment, in Docker's order and precedence:
 * PATH (default when the image has none), HOSTNAME, TERM=xterm with -t,
 * then the image's, then --env-file's, then -e's, each replacing. */
int cli_run_env(char *const *image_env, char *const *env_files, char *const *env_flags,
                const char *hostname, bool tty, char ***ret, struct box_err *err);

/* Applies -e flags to *V: "K=V" sets K, "K" alone takes box's own value;
 * a K box's environment lacks removes K from *V, or stays bare in it with
 * KEEP_BARE (exec: the container's K goes at the exec).  "" and "=V" are
 * refused. */
int cli_env_flags_apply(char ***v, char *const *env_flags, bool keep_bare, struct box_err *err);

/* Parses an --env-file's contents (Docker's rules) into "K=V" entries,
 * appended to *v. */
int cli_run_parse_env_file(const char *content, const char *path, char ***v, struct box_err *err);
/* The same for a --label-file: a line "K" alone is the label K with an
 * empty value (not the host's variable). */
int cli_run_parse_label_file(const char *content, const char *path, char ***v, struct box_err *err);

struct cli_mount {
        enum run_mount_type type;
        char *source; /* bind: host path; volume: name (NULL: anonymous) */
        char *target;
        char *data; /* tmpfs options */
        char *mode; /* -v's options as given ("ro,z"), inspect's Mode; NULL: "" */
        unsigned long flags;
        bool nocopy;
        bool from_image;      /* an image VOLUME */
        char **volume_opts;   /* volume-opt=K=V: k, v, ... (for a new volume) */
        char **volume_labels; /* volume-label=K=V: k, v, ... (for a new volume) */
};
void cli_mount_release(struct cli_mount *m);

/* PATH (absolute) made canonical as Go's path.Clean does: no "//", "."
 * or ".." components, no trailing '/'.  A relative PATH comes back as it is. */
char *cli_run_clean_path(const char *path);
/* --device ARG (cli/run-device.c): its nodes into O's devices and their
 * cgroup lines into O's device_rules; a path that is no device node (nor a
 * directory holding some) is an error. */
int cli_run_device_add(struct run_opts *o, const char *arg, struct box_err *err);

/* The parsers below also refuse a target run_mount_target_check() refuses
 * and a volume name that is not Docker's [a-zA-Z0-9][a-zA-Z0-9_.-]+. */

/* -v HOST:CTR[:opts], -v NAME:CTR[:opts], -v CTR */
int cli_run_parse_volume(const char *s, struct cli_mount *ret, struct box_err *err);
/* --mount type=bind|volume|tmpfs,source=...,target=...,readonly,... */
int cli_run_parse_mount(const char *s, struct cli_mount *ret, struct box_err *err);
/* --tmpfs /path[:opts] */
int cli_run_parse_tmpfs(const char *s, struct cli_mount *ret, struct box_err *err);
/* --ulimit name=soft[:hard] */
int cli_run_parse_ulimit(const char *s, struct run_rlimit *ret, struct box_err *err);
/* A --security-opt about a Linux security module (apparmor=, label=;
 * Docker's ':' spelling too).  box confines with no LSM, so only the two
 * values that ask for none, apparmor=unconfined and label=disable, are
 * honest no-ops: returns 1 for those, 0 when S is about no LSM, and -EINVAL
 * with a one-line message for any other (a confinement box cannot give). */
int cli_security_opt_lsm(const char *s, struct box_err *err);

/* Values box writes into a line of a container's /etc/hostname, /etc/hosts
 * or /etc/resolv.conf (box run --hostname; box build --add-host, --dns,
 * --dns-search, --dns-option).  Each must be one word of its kind, so that
 * none can end its line and add a host or a nameserver of its own (a value
 * from a CI variable holding a newline).  FLAG names the flag in the
 * message.  Returns 0 or -EINVAL. */
/* --add-host NAME:IP (or NAME=IP, an IPv6 address in [] or not) as
 * "NAME:IP" in *RET (the caller's); GATEWAY_OK: Docker's IP "host-gateway" */
int cli_parse_add_host(const char *flag, const char *arg, bool gateway_ok, char **ret,
                       struct box_err *err);
/* a host or domain name: letters, digits, '-', '_' and '.', 1 to MAX bytes */
int cli_check_host_name(const char *flag, const char *name, size_t max, struct box_err *err);
/* an IPv4 or IPv6 address */
int cli_check_ip_address(const char *flag, const char *ip, struct box_err *err);
/* a resolver option (ndots:2, edns0): printable, no blank, no '#' */
int cli_check_dns_option(const char *opt, struct box_err *err);
