/* Private to run/: the steps of building a container, each run in the
 * container's first process (after clone, before exec) unless said
 * otherwise.  They allocate only what they must and report failures in
 * struct box_err, which the process sends back to box over a pipe. */
#pragma once

#include <linux/filter.h>
#include <signal.h>

#include "run/run.h"

/* A compiled seccomp filter (built in box, loaded in the container). */
struct run_bpf {
        struct sock_filter *filter;
        unsigned short len;
};

/* In box, before clone: compiles the filter for SPEC and the container's CAPS. */
int run_seccomp_compile(const struct run_spec *spec, uint64_t caps, struct run_bpf *ret,
                        struct box_err *err);

/* ---- box's side of a process in a container (run/sandbox.c) ---- */

/* Passes FD over the unix socket SOCK; receives one (CLOEXEC), or -errno. */
int run_fd_send(int sock, int fd);
int run_fd_recv(int sock);

/* In the process, with the pty MASTER of the container's devpts: makes its
 * slave the controlling terminal on 0, 1 and 2 (and the container's
 * /dev/console with CONSOLE), sized WS (may be NULL), and sends MASTER to
 * box over SOCK. */
/* A stdio buffer that takes /proc/self/mountinfo in one read(2) on a
 * usual host (procfs says its block is 1 KiB, and each read walks the
 * mounts again from where it stopped) */
#define MOUNTINFO_BUF 32768

/* A cgroup file system the host has mounted, as /proc/self/mountinfo
 * lists it: its mount point, super options ("rw,cpu,cpuacct"), version. */
struct run_cgroup_mount {
        char *mnt, *super;
        bool v2;
};
/* Every cgroup and cgroup2 mount, in mountinfo's order (*RET, *RET_N). */
int run_cgroup_mounts_read(struct run_cgroup_mount **ret, size_t *ret_n, struct box_err *err);
void run_cgroup_mounts_free(struct run_cgroup_mount *v, size_t n);
/* Those CG read when it was made (*RET_N of them; none without CG): the
 * container's set-up mounts them in its /sys/fs/cgroup, its mount
 * namespace being a copy of box's, without reading mountinfo again. */
const struct run_cgroup_mount *run_cgroup_mounts(const struct run_cgroup *cg, size_t *ret_n);

struct winsize;
int run_pty_take(int master, const struct winsize *ws, bool console, int sock, struct box_err *err);

/* Without -t, the process gets pipes, not box's own stdio, as in Docker
 * and Podman: a file, a terminal or a device handed to box could be reopened
 * through /proc/self/fd/N with another access mode (`< input` rewritten, the
 * user's terminal reopened).  A pipe or a socket box was given is passed on
 * as it is: reopening it gives nothing more.  host[i] is box's end, child[i]
 * the process's (-1: none, fd i is passed as it is).  A stdout or stderr
 * that is the host's /dev/null is not passed on either (a chmod of
 * /proc/self/fd/1 would reach the host's node), nor relayed: with OWN_NULL
 * it gets no pipe and null[i] says so, and the process opens its own
 * /dev/null there once in its root (what it writes goes nowhere, as
 * before, without a pipe and box's reads).  A named FIFO is relayed too,
 * as a file is: only pipes and sockets of no file system pass as they are. */
struct run_relay {
        int child[3];
        int host[3];
        bool null[3];
};
/* Refuses a directory on box's stdio; with TTY opens no pipe. */
int run_relay_open(bool interactive, bool tty, bool own_null, struct run_relay *s,
                   struct box_err *err);
void run_relay_close(struct run_relay *s);
/* Waits for PID (box's child), forwarding the signals SIGFD reads and, with
 * the pty MASTER (or -1) or the relay's pipes, its I/O; with TIMEOUT_MS > 0
 * kills it with SIGKILL once that has passed.  Returns its status the
 * Docker way (the exit code, or 128+N when killed by signal N).  With
 * RET_CANCEL, SIGINT, SIGTERM, SIGHUP or SIGQUIT is not forwarded: PID is
 * killed (a pid 1 ignores what it does not handle, so `sleep` in a RUN
 * step would outlive a cancelled build) and *RET_CANCEL is the signal. */
int run_supervise(bool interactive, pid_t pid, int sigfd, int master, struct run_relay *rl,
                  int timeout_ms, int *ret_cancel);
/* Blocks the signals box forwards to a container (and SIGCHLD, SIGWINCH,
 * SIGTTOU, SIGPIPE) and returns a signalfd that reads them, the old mask
 * in RET_OLD; run_signals_restore() undoes it. */
int run_signals_block(sigset_t *ret_old, struct box_err *err);
void run_signals_restore(const sigset_t *old);

/* ---- entering a container (run/enter.c) ----
 *
 * The one door into a container, for every process box puts there: the
 * container's first process (box run, and box build's RUN steps, which
 * both go through run_sandbox_run) and any process that joins a running
 * container later (exec, healthchecks, a monitor).  Such a process must
 *   1. call fs_close_all_except() before it touches any path that the
 *      image or the user controls (mount targets, the working directory,
 *      /etc/passwd, PATH lookups), keeping only the fds it still needs;
 *   2. once "/" is the container's root, call run_process_enter() last
 *      before it drops privileges and execs: it closes the fds again,
 *      enters the working directory and restricts execution to the root.
 * No other code may chdir() into a container or exec in one. */

/* Creates the working directory CWD (absolute, in the container) under
 * ROOTFD when missing, each component resolved inside the root, as Docker
 * does; called before a read-only root is made read-only. */
int run_enter_make_cwd(int rootfd, const char *cwd, struct box_err *err);
/* Fails when fd 0, 1 or 2 is a directory: a directory of the host handed to
 * a container is a way out of its root (/proc/self/fd/0/..). */
int run_enter_check_stdio(struct box_err *err);

/* With "/" the container's root: closes every fd but stdio and KEEP,
 * refuses a stdio fd that is a directory (of the host, from box's caller),
 * enters CWD ("" or NULL: "/") resolved inside the root with
 * RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS, refuses it when getcwd() finds
 * it unreachable from the root, and (where the kernel has Landlock) allows
 * execution only of files beneath the root, so box's own binary can never
 * be run in the container through /proc/self/exe.  UNCONFINED (a
 * privileged container) skips Landlock: a Landlock domain refuses every
 * mount, and a process with all capabilities, no seccomp filter and the
 * host's devices has nothing left for it to keep. */
int run_process_enter(const int *keep, size_t n_keep, const char *cwd, bool unconfined,
                      struct box_err *err);

/* The process that enters a container, as run_process_exec() starts it:
 * the container's first process (run/sandbox.c) and any that joins it
 * later (run/exec.c). */
struct run_process {
        char *const *argv;      /* argv[0]: a path, or a name looked up in PATH of ENV */
        char *const *env;       /* HOME is added from passwd when missing */
        const char *user;       /* as run_spec's */
        char *const *group_add; /* as run_spec's */
        bool no_gid_in_groups;  /* as run_spec's */
        const char *cwd;        /* absolute, in the container; NULL or "": "/" */
        uint64_t caps;          /* bounding, permitted and effective */
        bool no_new_privs;
        bool privileged;           /* no Landlock domain (run_process_enter) */
        const struct run_bpf *bpf; /* NULL: no seccomp filter */
        const struct run_rlimit *rlimits;
        size_t n_rlimits;
        int err_fd;                   /* the CLOEXEC error pipe, kept open */
        bool init;                    /* run_init_fork() before the execve */
        bool tty;                     /* stdio is the controlling pty (for init) */
        bool pdeathsig;               /* SIGKILL when box, the parent, dies */
        const sigset_t *restore_mask; /* the signal mask to exec with (NULL: as is) */
};
/* With "/" the container's root: resolves the user from the container's
 * /etc/passwd and /etc/group, goes through run_process_enter(), sets the
 * rlimits, no_new_privs, the bounding set, seccomp, the ids and the
 * capabilities, and execs.  Returns only on failure, err->exit_code 127
 * when the command is not found and 126 when it cannot be executed. */
int run_process_exec(const struct run_process *p, struct box_err *err);

/* Opens PATH (absolute, in the container) under ROOTFD as O_PATH, each
 * component resolved inside the root and no /proc magic link followed,
 * creating missing directories and the last component (a directory, or an
 * empty file when IS_DIR is false). */
int run_rootfs_open_in_root(int rootfd, const char *path, bool is_dir, int *ret_fd,
                            struct box_err *err);

/* Writes MAP to /proc/PID/FILE (uid_map, gid_map); 0 or -errno. */
int run_idmap_write(pid_t pid, const char *file, const struct run_idmap *map, size_t n);

/* Volume copy-up: the image's directory at each copy-up volume's target,
 * opened (in the root, before anything is mounted on it) by
 * run_copy_sources_open(); run_copy_up() copies source I into the volume
 * of mount M when that volume is empty. */
struct run_copy_sources {
        int *fds; /* one per spec->mounts entry; -EBADF: nothing to copy */
        size_t n;
};
int run_copy_sources_open(const struct run_spec *spec, int rootfd, struct run_copy_sources *ret,
                          struct box_err *err);
void run_copy_sources_release(struct run_copy_sources *s);
int run_copy_up(const struct run_copy_sources *s, size_t i, const struct run_mount *m,
                struct box_err *err);

/* The container's root being built: an fd of the new root, an O_PATH fd
 * of its /dev/null (checked to be the 1:3 character device) that masks
 * paths in run_rootfs_finish(), and what volumes copy from the image. */
struct run_rootfs {
        int rootfd, nullfd;
        struct run_copy_sources copy_src;
};
void run_rootfs_release(struct run_rootfs *rf);

/* SPEC's overlay (no user namespace, not --rootfs) as a detached mount
 * (*RET_FD), with the options the container's own mount(2) would give it;
 * on a thread of box's, whose working directory it unshares: run/sandbox.c
 * makes it while it prepares the clone. */
int run_rootfs_overlay_detached(const struct run_spec *spec, int *ret_fd, struct box_err *err);
/* The end of an overlay's fsconfig(2) (FS, its lower layers given): UPPER
 * and WORK, the options mount_root gives, then the detached mount
 * (*RET_FD); and the error of an fsconfig call on FS, with the kernel's
 * message when it left one. */
int run_overlay_fsmount(const struct run_spec *spec, int fs, const char *upper, const char *work,
                        int *ret_fd, struct box_err *err);
int run_fsconfig_error(int fs, struct box_err *err, const char *what);

/* The root, in two halves, so that the first can be built while box still
 * moves the process into its cgroup (which waits for an RCU grace period
 * on cgroup v1), and the second, which needs the cgroup namespace made
 * after that move, follows.
 *
 * The first: the root at ROOTFS_PATH (ROOT_MOUNT_FD >= 0: the root box
 * built, already attached there, or with ATTACH moved there first), / a
 * slave first, then /proc, /dev (+ nodes), /dev/pts, /dev/shm, /dev/mqueue and /sys.  Needs nothing of
 * the cgroup: no cgroup file system is mounted yet. */
int run_rootfs_mount_base(const struct run_spec *spec, const char *rootfs_path, int root_mount_fd,
                          bool attach, struct run_rootfs *rf, struct box_err *err);
/* The second, in the container's cgroup namespace: /sys/fs/cgroup (the
 * host's cgroup mounts CG_MOUNTS, as run_cgroup_mounts() gives them; NULL:
 * read here), the /etc files and the user's mounts; read-only binds are read-only
 * recursively, and no user mount or /etc file may land inside /proc. */
int run_rootfs_mount_rest(const struct run_spec *spec, struct run_rootfs *rf,
                          const struct run_cgroup_mount *cg_mounts, size_t n_cg_mounts,
                          struct box_err *err);
/* In box, with a user namespace: the container's root as a detached mount
 * (an overlay of idmapped layers, or an idmapped clone of --rootfs), made
 * with box's own privileges so overlayfs keeps its trusted xattrs; the
 * container attaches it with move_mount(2). */
int run_rootfs_detached(const struct run_spec *spec, int userns_fd, int *ret_fd,
                        struct box_err *err);
/* pivot_root into ROOTFD and detach the old root; cwd becomes "/". */
int run_rootfs_pivot(int rootfd, struct box_err *err);
/* After the pivot: masked paths (NULLFD of struct run_rootfs bound over
 * files, an empty read-only tmpfs over directories), read-only paths
 * (recursively), and a read-only root.  Every mount is made on an fd. */
int run_rootfs_finish(const struct run_spec *spec, int nullfd, struct box_err *err);
/* After the pivot: bind the pty slave SLAVE_FD over /dev/console. */
int run_rootfs_console(int slave_fd, struct box_err *err);

/* Refuses mount M when its target, resolved in ROOTFD the way the mount
 * will resolve it (symlinks of the image included), is a place
 * run_mount_target_check() forbids. */
int run_mount_target_check_at(int rootfd, const struct run_mount *m, struct box_err *err);

/* Brings lo up in the current network namespace. */
int run_net_loopback_up(struct box_err *err);

/* The built-in init: forks; the child returns 0 and goes on to exec, the
 * parent stays pid 1, reaping and forwarding signals, and exits with the
 * child's status.  Called with all signals blocked; init closes
 * CLOSE_IN_INIT (the error pipe) so that box sees the exec. */
int run_init_fork(const sigset_t *restore_mask, int close_in_init, bool tty, struct box_err *err);

/* The device allow-list (run/cgroup-devices.c): v1 devices.allow lines, or
 * a v2 BPF program attached to DIR; ALL: every device (--privileged);
 * EXTRA: --device-cgroup-rule lines allowed on top of the defaults. */
int run_cgroup_devices_v1(const char *dir, bool all, char *const *extra, struct box_err *err);
int run_cgroup_devices_v2(const char *dir, bool all, char *const *extra, struct box_err *err);
