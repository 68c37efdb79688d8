/* The container runtime: runs one process in new namespaces on an
 * overlayfs (or plain directory) root, with Docker's mounts, capabilities,
 * seccomp filter and cgroup limits.
 *
 * run/ never reads the store: the CLI resolves the image, the user's flags
 * and the container's state directory into a struct run_spec and hands it
 * to run_sandbox_run().  Everything in the spec is borrowed: the caller owns
 * it and keeps it alive across the call.
 *
 * Invariants: no mount made for a container is ever visible on the host
 * (they all live in the container's private mount namespace, which dies
 * with its last process); the container's cgroups are removed before
 * run_sandbox_run() returns; no fd of box survives the container's execve. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/types.h>

#include "lib/err.h"

enum run_network {
        RUN_NETWORK_HOST,      /* share box's network namespace */
        RUN_NETWORK_NONE,      /* a new one with only lo, up */
        RUN_NETWORK_PRIVATE,   /* a new one, lo up, that net_setup gives interfaces */
        RUN_NETWORK_CONTAINER, /* join the namespace of netns_fd (another container's) */
};

enum run_mount_type {
        RUN_MOUNT_BIND,   /* source: a host path */
        RUN_MOUNT_VOLUME, /* source: a volume's _data dir; copied up from the image when empty */
        RUN_MOUNT_TMPFS,  /* source ignored; data holds tmpfs options */
};

struct run_mount {
        enum run_mount_type type;
        const char *source;
        const char *target;  /* absolute, inside the container */
        const char *data;    /* tmpfs: "size=...,mode=..." (may be NULL) */
        unsigned long flags; /* MS_RDONLY, MS_NOEXEC, MS_NOSUID, MS_NODEV */
        bool copy_up;        /* volume: copy the image's files at target in when empty */
        /* bind: when PIN_INO is nonzero, SOURCE must still be that inode (a
         * build's --secret or --ssh, checked long before the step) */
        dev_t pin_dev;
        ino_t pin_ino;
};

enum run_seccomp_mode {
        RUN_SECCOMP_DEFAULT,    /* Docker's default allow-list, by capabilities */
        RUN_SECCOMP_UNCONFINED, /* no filter */
        RUN_SECCOMP_PROFILE,    /* seccomp_profile holds a Docker profile (JSON) */
};

/* One line of a uid_map/gid_map: N ids from CONTAINER up are HOST up. */
struct run_idmap {
        uint32_t container, host, count;
};

struct run_rlimit {
        int resource; /* RLIMIT_* */
        struct rlimit lim;
};

struct run_device_rate {
        unsigned major, minor;
        uint64_t bps;
};

/* Podman's default limit on a container's processes (a fork bomb in an
 * image or a RUN step stops there); --pids-limit 0 or -1 lifts it. */
#define RUN_PIDS_LIMIT_DEFAULT 2048

/* Resource limits; 0 means "not set" unless said otherwise. */
struct run_resources {
        int64_t memory;      /* bytes */
        int64_t memory_swap; /* bytes of memory+swap; -1 unlimited; 0 default (2x memory) */
        int64_t cpu_quota;   /* us per cpu_period; from --cpus */
        int64_t cpu_period;  /* us */
        int64_t cpu_shares;  /* v1 shares (2..262144); mapped to cpu.weight on v2 */
        const char *cpuset_cpus;
        int64_t pids_limit; /* 0: RUN_PIDS_LIMIT_DEFAULT; -1 unlimited */
        int blkio_weight;   /* 10..1000 */
        struct run_device_rate *read_bps, *write_bps;
        size_t n_read_bps, n_write_bps;
        /* the same for I/O operations a second (.bps holds them), and the
         * per-device blkio weights (.bps holds the weight, 10..1000) */
        struct run_device_rate *read_iops, *write_iops, *weight_device;
        size_t n_read_iops, n_write_iops, n_weight_device;
        const char *cpuset_mems;
        int64_t memory_reservation; /* bytes: the soft limit (v1 soft_limit, v2 memory.low) */
        int memory_swappiness;      /* 0..100 when memory_swappiness_set (v1 only) */
        bool memory_swappiness_set;
        bool oom_kill_disable; /* v1 only, as Docker (v2 has no such switch) */
        /* --device-cgroup-rule lines ("c 1:3 rwm", run_device_rule_check()ed),
         * allowed on top of the defaults (v1 devices.allow and v2's program) */
        char *const *device_rules;
};

/* Checks a --device-cgroup-rule line: TYPE (a, b, c) MAJOR:MINOR (numbers
 * or '*') ACCESS (of rwm), as the devices controller takes it. */
int run_device_rule_check(const char *rule, struct box_err *err);

struct run_spec {
        const char *id;        /* 64 hex: names the cgroup */
        const char *state_dir; /* absolute: the container's state dir (upper/, work/) */
        const char *mount_dir; /* an existing dir the root is mounted on, in the container's
                                * own mount namespace only (so it may be shared); NULL:
                                * state_dir/rootfs, made when missing */

        /* The root: either an overlay of lowerdirs (relative to base_dir,
         * topmost first) with upper/ and work/ of state_dir, or rootfs, a
         * directory used as it is. */
        const char *base_dir;
        char *const *lowerdirs;
        const char *rootfs;
        bool read_only;
        /* the overlay is mounted "volatile" (overlayfs(5)): its unmount
         * does not sync the store's whole file system, and fsync inside is
         * a no-op.  For a writable layer thrown away when the container
         * ends (run --rm in the foreground): a crash leaves work/ marked
         * incompat/volatile, which only that container's removal clears. */
        bool volatile_upper;

        /* Files bind-mounted over /etc/hostname, /etc/hosts and
         * /etc/resolv.conf (absolute host paths; NULL: leave the image's). */
        const char *hostname_file, *hosts_file, *resolv_file;
        const struct run_mount *mounts; /* sorted so that parents come first */
        size_t n_mounts;

        /* The process. */
        char *const *argv;      /* argv[0]: a path, or a name looked up in the container's PATH */
        char *const *env;       /* final "K=V" list; HOME is added from passwd when missing */
        const char *user;       /* "", "name", "uid", "name:group", "uid:gid" */
        char *const *group_add; /* extra groups: names or gids */
        /* --device nodes, "TYPE MAJOR MINOR MODE UID GID PATH\tHOST" (TYPE b
         * or c, MODE octal permissions, PATH absolute in the container, HOST
         * the host's node, bound where mknod is refused); their access is in
         * resources->device_rules */
        char *const *devices;
        /* the primary gid is not among the supplementary groups: BuildKit's
         * RUN steps (Docker's daemon, and podman, put it first there) */
        bool no_gid_in_groups;
        const char *cwd; /* absolute; created when missing */
        const char *hostname;
        bool interactive;                  /* keep stdin; else /dev/null */
        bool tty;                          /* a pty from the container's devpts on 0, 1, 2 */
        unsigned short tty_rows, tty_cols; /* its size (0: box's stdin's or stdout's) */
        bool null_stdout, null_stderr;     /* /dev/null instead (run -a without them) */
        bool init;                         /* box's small reaping init as pid 1 */
        bool cancel_on_signal; /* SIGINT/TERM/HUP/QUIT kill the container and fail the run
                                * (a build's RUN step) instead of reaching it */
        /* fsync, fdatasync, syncfs, sync, sync_file_range and msync return 0
         * without syncing (the default seccomp filter) and the overlay is
         * volatile: a build's RUN step, whose upper dir box syncs itself */
        bool no_sync;
        enum run_network network;
        /* RUN_NETWORK_PRIVATE: called in box between the clone and the
         * container's start with the pid of its first process, to put its
         * interfaces in its network namespace (run/network.h). */
        int (*net_setup)(pid_t pid, void *userdata, struct box_err *err);
        void *net_userdata;
        int netns_fd; /* RUN_NETWORK_CONTAINER: an fd of the namespace to join */

        /* A user namespace with these maps (n_uid_map == 0: none).  The
         * image is seen through idmapped mounts, so its root-owned files
         * belong to the container's root; upper/, work/, the /etc files and
         * new volumes must already belong to the host id of container
         * root (run_idmap_host()). */
        const struct run_idmap *uid_map, *gid_map;
        size_t n_uid_map, n_gid_map;
        /* RUN_NETWORK_CONTAINER with maps: the other container's user
         * namespace (userns_fd), which has these maps, is joined rather
         * than a new one made, so its network namespace is in reach */
        bool join_userns;
        int userns_fd;

        /* Security. */
        uint64_t caps;   /* bit per CAP_*: bounding, effective, permitted, inheritable */
        bool privileged; /* all caps, no seccomp, all devices, /sys and /proc writable */
        bool no_new_privs;
        enum run_seccomp_mode seccomp;
        const char *seccomp_profile;   /* RUN_SECCOMP_PROFILE: the JSON text */
        const char *seccomp_cache_dir; /* compiled filters are kept here (NULL: no cache) */
        const struct run_rlimit *rlimits;
        size_t n_rlimits;

        const struct run_resources *resources; /* NULL: no limits but the default pids limit */
        const char *cgroup_parent;             /* default "/box" */

        /* Docker's --shm-size: bytes of the /dev/shm tmpfs (0: 64 MiB) */
        int64_t shm_size;
        /* --sysctl: "key=value" pairs (run_sysctl_check()ed), written under
         * the container's /proc/sys, in its namespaces, before its process
         * starts */
        char *const *sysctls;
        /* --pid/--ipc/--uts/--cgroupns host: that namespace is box's (the
         * host's), not a new one; IPC_NONE: a new IPC namespace without
         * /dev/shm (--ipc none) */
        bool host_pid, host_ipc, host_uts, host_cgroupns, ipc_none;
        /* --oom-score-adj: written to the process's oom_score_adj before its
         * execve (0: inherited, as box's) */
        int oom_score_adj;
        /* --pid/--ipc container:NAME: that container's PID namespace
         * (PIDNS_FD) and IPC namespace (IPCNS_FD), each valid only when its
         * JOIN_ flag is set.  /dev/shm stays the container's own: the
         * other's tmpfs lives in the other's mount namespace alone, where
         * no bind mount can reach it (SysV IPC and POSIX message queues are
         * the namespace's, and shared) */
        bool join_pid, join_ipc;
        int pidns_fd, ipcns_fd;
        /* --domainname: the NIS domain name of its UTS namespace (NULL: none) */
        const char *domainname;

        /* Called in the parent once the container's process runs (after
         * its execve); pid is its pid on the host. */
        void (*on_started)(pid_t pid, void *userdata);
        /* Called in the parent once it has told the container's process to
         * go on, while that builds its root and box only waits for its
         * execve: work that may start there (a thread of its own; nothing
         * that clone(2) could copy half done). */
        void (*on_go)(void *userdata);
        void *userdata;
        /* Set (when not NULL) once the container has ended: true when its
         * cgroups are gone, so nothing of it runs and its overlay, which
         * only its own mount namespace held, is unmounted. */
        bool *cgroups_gone;
        /* Set (when not NULL) once the container has ended: whether the
         * kernel's OOM killer killed a process of it (read before its
         * cgroups go). */
        bool *oom_killed;
        /* With this set, once the container has ended successfully, its
         * cgroups are removed by run_cgroup_destroy_start(), whose handle
         * is stored here, and cgroups_gone is left as it was: the caller's
         * run_cgroup_destroy_finish() tells it (NULL stored: the sandbox
         * removed them itself, and cgroups_gone says how that went). */
        struct run_cgroup_destroy **cgroups_later;
        /* Set (when not NULL) once the container has ended: true when the
         * overlay it ran on is gone (its superblock shut down).  Its cgroups
         * gone, nothing of it runs, but a process outside it keeps the
         * overlay alive (another container it passed a file descriptor of
         * its root to over a socket in a shared volume, a host process in
         * its mount namespace) and can write through it into its upper dir:
         * such a layer must not go to the next container (run/rw-pool.c). */
        bool *root_gone;
        /* Detached (box run -d, box start): called instead of box's own
         * supervision once the container runs, with box's ends of its stdio
         * (-1 where there is none; with -t, OUT_FD is the pty master); it
         * execs the container's monitor, so it returns only on failure
         * (-errno, ERR set), and then the container is killed. */
        int (*detach)(pid_t pid, int in_fd, int out_fd, int err_fd, void *userdata,
                      struct box_err *err);
};

/* Runs the container to its end and returns its exit status the Docker
 * way (the process's exit code, or 128+N when killed by signal N) in
 * *ret_status.  Fails (-errno, err set, err->exit_code 126/127 when the
 * command cannot be run) if the container could not be started. */
int run_sandbox_run(const struct run_spec *spec, int *ret_status, struct box_err *err);

/* The host id that container id ID maps to, or -1. */
int64_t run_idmap_host(const struct run_idmap *map, size_t n, uint32_t id);
/* The container id that host id ID maps to, or -1. */
int64_t run_idmap_container(const struct run_idmap *map, size_t n, uint32_t id);
/* An fd of a new user namespace with SPEC's id maps (held by nothing else:
 * it lives as long as the fd). */
int run_userns_open(const struct run_spec *spec, int *ret_fd, struct box_err *err);
/* Parses "CONTAINER:HOST:COUNT". */
int run_idmap_parse(const char *s, struct run_idmap *ret, struct box_err *err);

/* ---- copying trees and opening a container's root (box cp) ---- */

/* Copies the tree under SRC_FD into DST_FD (an empty dir), keeping modes,
 * owners, times and symlinks; DST_FD itself takes SRC_FD's owner and mode.
 * Works through fds only (DST_FD may be shared with running containers);
 * a tree deeper than 256 directories is refused. */
int run_copy_tree(int src_fd, int dst_fd, struct box_err *err);

/* An fd (O_PATH, a directory) of the root of SPEC (its overlay, or its
 * --rootfs bound, with its volumes and bind mounts, each with its flags),
 * mounted read-write on SPEC's mount_dir in a new private
 * mount namespace of the calling process, which must be single-threaded
 * and keeps that namespace: for box cp into or out of a stopped
 * container.  The caller's working directory is kept. */
int run_rootfs_open_private(const struct run_spec *spec, int *ret_fd, struct box_err *err);

/* ---- where a mount may go (run/mount-target.c) ---- */

/* Refuses a mount of TYPE at TARGET (absolute and clean: no ".", ".." or
 * "//"): nothing at "/" (Docker); nothing at or under /proc but binds of
 * the files lxcfs emulates (runc); no volume at or under /sys or /dev,
 * whose content is the kernel's and would be copied into the volume. */
int run_mount_target_check(enum run_mount_type type, const char *target, struct box_err *err);

/* ---- sysctls (run/sysctl.c) ---- */

/* Checks one --sysctl "key=value" as runc does: only sysctls of a namespace
 * the container has of its own (kernel.msg*, kernel.sem, kernel.shm*,
 * fs.mqueue.* with its own IPC namespace; net.* with a network namespace
 * not the host's); the key's '.' or '/' separated words of [A-Za-z0-9_-]
 * only.  NETWORK: its mode; SHARED_IPC: its IPC namespace is the host's or
 * another container's. */
int run_sysctl_check(const char *kv, enum run_network network, bool shared_ipc,
                     struct box_err *err);
/* --network container:NAME: refuses V's net.* sysctls when NETNS_FD, the
 * namespace joined, is box's own (NAME runs with --network host, or joined
 * one that does), as runc does: they would change the host's. */
int run_sysctl_check_netns(int netns_fd, char *const *v, struct box_err *err);
/* In the container, once its network is there: writes each of V under
 * SYS_FD, its /proc/sys (opened before /proc/sys was made read-only). */
int run_sysctls_write(int sys_fd, char *const *v, struct box_err *err);

/* ---- capabilities (run/caps.c) ---- */

/* Podman's default set: CHOWN DAC_OVERRIDE FOWNER FSETID KILL
 * NET_BIND_SERVICE SETFCAP SETGID SETPCAP SETUID SYS_CHROOT. */
uint64_t run_caps_default(void);
/* A build step's: BuildKit's (containerd's default set), the default plus
 * CAP_MKNOD (debootstrap makes /dev nodes; the device cgroup still refuses
 * opening any node but the usual few), CAP_NET_RAW (busybox's ping) and
 * CAP_AUDIT_WRITE. */
uint64_t run_caps_build_default(void);
uint64_t run_caps_all(void);
/* box's own permitted set: what it can give (no CAP_SYS_RESOURCE here). */
uint64_t run_caps_own(void);
/* "chown", "CAP_CHOWN", "cap_chown" -> CAP_CHOWN; "ALL" -> -2; else -EINVAL. */
int run_cap_from_name(const char *name);
const char *run_cap_name(int cap); /* "CAP_CHOWN" or NULL */
/* Applies --cap-add/--cap-drop to CAPS the Docker way: drops are applied
 * first unless "ALL" is added. */
int run_caps_apply_flags(uint64_t *caps, char *const *add, char *const *drop, struct box_err *err);

/* ---- users (run/user.c): pure parsers, unit-tested ---- */

struct run_user {
        uid_t uid;
        gid_t gid;
        gid_t *groups; /* supplementary */
        size_t n_groups;
        char *home;
};
void run_user_release(struct run_user *u);
/* Resolves SPEC ("", "name", "uid", "x:group") and GROUP_ADD against the
 * contents of an /etc/passwd and /etc/group (either may be NULL when the
 * file is missing), the way Docker does. */
int run_user_resolve(const char *spec, char *const *group_add, const char *passwd,
                     const char *group, struct run_user *ret, struct box_err *err);
/* Moves GID to the front of U's supplementary groups (added when missing). */
void run_user_groups_prepend(struct run_user *u, gid_t gid);

/* ---- seccomp (run/seccomp.c) ---- */

/* Parses a Docker profile only to validate it (for the CLI). */
int run_seccomp_profile_check(const char *json, struct box_err *err);

/* ---- cgroups (run/cgroup.c) ---- */

struct run_cgroup;
/* Creates the container's cgroup in every hierarchy (v1, v2 or hybrid)
 * and writes the limits.  V2_ONLY: the v2 directory alone (a process can
 * be born in it), and run_cgroup_create_rest makes the v1 ones later
 * (while the new process builds its root), which it joins itself by
 * run_cgroup_tasks_paths() before it runs anything of the container's. */
int run_cgroup_create(const char *parent, const char *id, const struct run_resources *res,
                      bool all_devices, bool v2_only, struct run_cgroup **ret, struct box_err *err);
int run_cgroup_create_rest(struct run_cgroup *cg, struct box_err *err);
/* The "tasks" files of the v1 directories run_cgroup_create left (a strv,
 * the caller's; empty when none). */
char **run_cgroup_tasks_paths(const struct run_cgroup *cg);
/* In the new process, single-threaded: writes "0" (this thread) to each
 * of TASKS; -errno. */
int run_cgroup_join_paths(char *const *tasks);
int run_cgroup_attach(struct run_cgroup *cg, pid_t pid, struct box_err *err);
/* How a new process joins CG on its own rather than being moved by box:
 * moving another process (cgroup.procs) takes a lock that waits for an RCU
 * grace period (a fraction of a millisecond on an idle host, tens on a
 * busy one), a thread moving itself through v1's "tasks" file does not,
 * and clone3's CLONE_INTO_CGROUP puts the process in the v2 hierarchy at
 * its birth.  TASKS: each v1 hierarchy's "tasks", open for writing (N of
 * them); V2_DIR: the v2 directory, or -EBADF. */
struct run_cgroup_join {
        int *tasks;
        size_t n;
        int v2_dir;
};
int run_cgroup_join_open(const struct run_cgroup *cg, struct run_cgroup_join *ret,
                         struct box_err *err);
/* In the new process, single-threaded: writes "0" (this thread) to each
 * of J's "tasks" files; -errno. */
int run_cgroup_join_self(const struct run_cgroup_join *j);
void run_cgroup_join_close(struct run_cgroup_join *j);
/* Moves PID into CG's v2 hierarchy only (when clone3 could not put it
 * there). */
int run_cgroup_attach_v2(struct run_cgroup *cg, pid_t pid, struct box_err *err);
/* Removes the cgroup (waiting briefly for it to empty) and frees cg: true
 * when every directory of it is gone, so no process is left in it. */
bool run_cgroup_destroy(struct run_cgroup *cg);
/* The same on a thread of its own, while the caller goes on (a container
 * that ended: its record is removed meanwhile, and ten rmdirs of cgroup
 * directories are ~0.3 ms on an idle host); run_cgroup_destroy_finish()
 * joins it and says what run_cgroup_destroy would have (NULL: true).
 * Without a thread, run_cgroup_destroy_start removes the cgroup itself. */
struct run_cgroup_destroy;
struct run_cgroup_destroy *run_cgroup_destroy_start(struct run_cgroup *cg);
bool run_cgroup_destroy_finish(struct run_cgroup_destroy *w);
/* The cgroup of a running container (PARENT/ID in every hierarchy) to
 * join with run_cgroup_attach(); fails when one is missing. */
int run_cgroup_open(const char *parent, const char *id, struct run_cgroup **ret,
                    struct box_err *err);
/* Frees CG and leaves its directories. */
void run_cgroup_free(struct run_cgroup *cg);
/* Whether the kernel's OOM killer killed a process of CG (its memory
 * cgroup counts them): Docker's State.OOMKilled. */
bool run_cgroup_oom_killed(const struct run_cgroup *cg);
/* Removes a cgroup left over by a container that ended without box. */
void run_cgroup_remove_stale(const char *parent, const char *id);
/* Is PARENT a cgroup parent box may make cgroups under (--cgroup-parent of
 * run and build): absolute, with no "..". */
bool run_cgroup_parent_valid(const char *parent);
/* "1g", "512m", "100k", "1024" -> bytes (Docker's RAMInBytes). */
int run_parse_bytes(const char *s, int64_t *ret);
