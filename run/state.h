/* Containers on disk.  What must outlive a reboot lives in the store,
 * <root>/containers/<id>/, so later commands (ps, logs, exec, start, rm)
 * need nothing else:
 *
 *   config.json   what it runs: id, name, image, argv, env, mounts... (the
 *                 CLI writes it; run/ only passes it through)
 *   name          its name
 *   image         the image's manifest digest (pins it against gc)
 *   state         {"status": "created|running|exited", "exit_code",
 *                  "created_at", "started_at", "finished_at", "oom_killed"
 *                  when the OOM killer ended a process of the last run}: no pid, since
 *                  a pid read back after a reboot names someone else
 *   hostname, hosts, resolv.conf   bind-mounted into the container
 *   upper/, work/ the overlayfs writable layer
 *   volumes       anonymous volume names, one per line (removed with it)
 *   volumes-used  every volume it mounts (absent: none)
 *   network.json  its network attachment while it has one (networks, IPs,
 *                 MACs, host veth, published ports: run/network.h), which
 *                 `box rm` and `box network prune` give back after a crash
 *
 * A transient container (run --rm in the foreground: the box that makes it
 * removes it) keeps its record in the runroot instead, in
 * <runroot>/containers/<id>/record/, and only its writable layer in the
 * store, <root>/containers/.rw/<id>/{upper,work}: the store's
 * containers/<id> is a symlink to the record, made last, so every reader of
 * the store's path (ps, inspect, name lookups) finds it while it runs, and
 * a start costs the store's file system 5 inodes rather than 13 (on ext4
 * each new inode scans those freed lately, and an unlink may wait for its
 * discard).  A reboot empties the runroot: the dangling link and its .rw
 * dir are leftovers that run_state_list skips and container prune removes.
 *
 * What is true only while box runs it lives in the runroot (default
 * /run/box, a tmpfs that a reboot empties), <runroot>/containers/<id>/:
 *
 *   lock          the monitor (the foreground box, or box-monitor for a
 *                 detached container, and the box it execs for cleanup and
 *                 restarts, all one process) holds a POSIX write lock on it
 *                 for as long as it lives; F_GETLK names the monitor's pid
 *                 from the kernel, not a file.  A POSIX lock goes when its
 *                 process closes ANY fd of the file: the lock holder must
 *                 never call what opens it (run_state_is_live, ..._info_read)
 *   state         {"pid", "pid_start"}: the container's pid 1 and its start
 *                 time (/proc/PID/stat field 22), once it runs
 *   exit          "STATUS SECONDS.NANOS", written by the monitor when pid 1
 *                 is reaped, before the store records it
 *   stopping      stop, kill and rm -f were here: no restart
 *
 * A container is signalled only through a pidfd of that pid, after its
 * start time and its cgroup (named by the id) are checked: never a bare pid
 * read from disk.  The truth (run_state_info_read) is the store's record
 * checked against the lock and that pidfd: a container whose monitor died
 * may still run (unmonitored: stop and rm -f reach it through the pidfd),
 * or be gone (the next box records its exit: the monitor's "exit" record,
 * else 137).
 *
 * The root is mounted on <root>/containers/.rootfs, one directory shared
 * by all containers: each mounts it only in its own mount namespace, and
 * on this host a directory costs milliseconds to make and remove.
 *
 * Names live in <root>/containers/.names/<name>, a symlink to the id; it
 * is made with symlinkat(2), so two containers can never take one name.
 * Directories whose name starts with '.' are not containers; every id read
 * back (a name's link, a directory) must be 64 lowercase hex digits.
 *
 * Ownership: struct run_state is owned by its creator; run_state_free(). */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "lib/err.h"
#include "run/name.h"

struct jv;

struct run_state {
        char id[RUN_ID_LEN + 1];
        char *name;
        char *dir;    /* absolute: the record, <root>/containers/<id> (or the runroot's) */
        char *rw_dir; /* absolute: where upper/ and work/ are (dir, or containers/.rw/<id>) */
        char *root;
        char *run_dir; /* absolute: <runroot>/containers/<id> */
        int lock_fd;   /* the monitor's lock (held while this process lives) */
        /* removed by this process when it exits (run --rm in the
         * foreground): its state file is written once it runs (no
         * "created" record first: a missing state reads as created), still
         * replaced atomically (temp, rename) but not fsynced, since no one
         * reads it after a crash but the prune that removes the container;
         * set by run_state_create for a transient container */
        bool ephemeral;
        /* rw_dir came from the pool (run_rw_pool_take): what its last
         * container left there is for run_rw_pool_sweep_start(), and sweep
         * its thread while it runs (finished by run_state_remove_ended and
         * run_state_free) */
        bool pooled;
        struct run_rw_sweep *sweep;
};

enum run_status {
        RUN_STATUS_CREATED,
        RUN_STATUS_RUNNING,
        RUN_STATUS_EXITED,
        RUN_STATUS_RESTARTING, /* exited; its monitor waits to start it again */
};

void run_state_free(struct run_state *s);
DEFINE_POINTER_CLEANUP(struct run_state, run_state_free)
#define _cleanup_run_state_ _cleanup_(run_state_freep)

/* Makes a new container: a fresh id, its runtime dir with the monitor's
 * lock taken by this process (first, so that no one ever sees the
 * container without a live monitor while it is being made), NAME reserved
 * (NULL: a generated one), the state dir with upper/ and work/ (TRANSIENT:
 * the record in the runroot, see above).  -EEXIST (exit 125) when NAME is
 * taken. */
int run_state_create(const char *root, const char *runroot, const char *name, bool transient,
                     struct run_state **ret, struct box_err *err);
/* Under <root>/containers/: transient containers' writable layers. */
#define RUN_RW_DIR ".rw"
/* Under RUN_RW_DIR: the pool of emptied writable layers (run/rw-pool.c),
 * slots named 0, 1, ...; not an id, so never taken for a leftover. */
#define RUN_RW_POOL "pool"
/* In an ended container's RUN_RW_DIR/<id>, beside upper/ and work/: its
 * name's link and the store's link to it, moved there when it ended, and
 * removed by run_rw_pool_sweep or with the layer. */
#define RUN_RW_NAME_LINK  "name-link"
#define RUN_RW_STORE_LINK "store-link"
/* Moves an emptied layer of the pool to RW (which must not exist), checked
 * to hold an empty upper/ and work/ that nothing of its last container
 * marked: true when RW is ready, false when the caller makes it. */
bool run_rw_pool_take(const char *root, const char *rw);
/* RW of a transient container that has ended and no longer runs anything
 * (its cgroups gone, so its overlay is unmounted): into the pool when the
 * container left its upper/ untouched and a slot is free (true); false
 * leaves RW where it is, the caller's to remove. */
bool run_rw_pool_put(const char *root, const char *rw);
/* What the last container left in RW, a layer taken from the pool, that
 * was moved aside rather than waited for (the overlay's old work dir, the
 * links RUN_RW_NAME_LINK and RUN_RW_STORE_LINK): removed by a thread while
 * the new container starts and runs (each freed block may wait for its
 * discard; box's own way to the container's exec and back waits for none).
 * NULL when there was nothing to start (or it was done in line).
 * run_rw_pool_sweep_finish() waits for it, and removes what it could not:
 * before RW is put back, removed, or the process clones anything else. */
struct run_rw_sweep;
struct run_rw_sweep *run_rw_pool_sweep_start(const char *rw);
void run_rw_pool_sweep_finish(struct run_rw_sweep *w);
/* Removes the pool (container prune): 0 or -errno. */
int run_rw_pool_clear(const char *root);
/* The directory holding container ID's upper/ and work/: the caller's. */
char *run_state_rw_dir(const char *root, const char *id);
/* Removes what transient containers left when their record went without
 * them (a reboot emptied the runroot, a box was killed while it made or
 * removed one): their links and writable layers, and any name that links
 * to no container; and the pool of emptied layers.  The number of
 * containers' leftovers removed. */
int run_state_prune_leftovers(const char *root, const char *runroot);
/* The files of a container's state dir that its maker writes (the table
 * in state.c names them on disk). */
enum run_state_file {
        RUN_FILE_CONFIG,       /* config.json */
        RUN_FILE_IMAGE,        /* the manifest digest it pins */
        RUN_FILE_HOSTNAME,     /* bind-mounted on /etc/hostname */
        RUN_FILE_HOSTS,        /* on /etc/hosts */
        RUN_FILE_RESOLV_CONF,  /* on /etc/resolv.conf */
        RUN_FILE_VOLUMES,      /* its anonymous volumes */
        RUN_FILE_VOLUMES_USED, /* every volume it mounts */
        RUN_FILE_SPEC,         /* spec.json: its struct run_spec (run/spec-file.h) */
};
/* Writes FILE (small, no fsync: the state dir is disposable). */
int run_state_write_file(const struct run_state *s, enum run_state_file file, const char *data,
                         struct box_err *err);
/* The absolute path of FILE (to mount it): the caller's to free. */
char *run_state_file_path(const struct run_state *s, enum run_state_file file);
/* Records the lifecycle in the store's state file (atomically, by the
 * holder of the monitor's lock): status "created", "running" (PID, the
 * container's pid 1 on the host, goes to the runtime state with its start
 * time), "restarting" (EXIT_CODE; the runtime dir stays, its monitor will
 * start it again) or "exited" (EXIT_CODE; the runtime dir goes); "created"
 * again after a failed start keeps its creation time and records EXIT_CODE
 * (Docker's ExitCode of a start that failed). */
int run_state_set(const struct run_state *s, const char *status, pid_t pid, int exit_code,
                  struct box_err *err);
struct run_state_update {
        const char *status;
        pid_t pid;
        int exit_code;
        const char *finished_at; /* RFC 3339; NULL: now */
        const char *error;       /* State.Error; NULL: unchanged */
        bool oom_killed;         /* exited, restarting: State.OOMKilled */
};
int run_state_change(const struct run_state *s, const struct run_state_update *u,
                     struct box_err *err);
/* Opens container ID and takes its monitor's lock (-EBUSY when a live
 * monitor or another box holds it); LOCK_FD >= 0 is that lock, already
 * held by this process (passed across exec by the monitor). */
int run_state_open(const char *root, const char *runroot, const char *id, int lock_fd,
                   struct run_state **ret, struct box_err *err);
/* The exit the monitor recorded in the runtime dir: its status and time
 * (RFC 3339, the caller's); -ENOENT when there is none. */
int run_state_exit_record(const struct run_state *s, int *ret_code, char **ret_time);

/* What is true of a container now: the store's record checked against its
 * monitor's lock and its pid 1 (through a pidfd).  STALE: the store says it
 * runs but neither it nor its monitor does (the monitor was killed, or the
 * host rebooted): the next box to notice takes the lock and records the
 * exit (exit_code from the monitor's record, else 137 with error set). */
struct run_state_info {
        enum run_status status;
        bool monitored; /* a live monitor holds the lock */
        bool stale;
        /* RUNNING, but its pid 1 has ended and its monitor (which holds the
         * lock) has not recorded the exit yet: it is still releasing what
         * the container held; pid is 0 */
        bool exiting;
        pid_t pid; /* RUNNING: the container's pid 1 on the host (checked) */
        int exit_code;
        int64_t restart_count;
        bool oom_killed; /* the OOM killer killed a process of its last run */
        char *created_at, *started_at, *finished_at, *error; /* RFC 3339, "" when unset */
};
int run_state_info_read(const char *root, const char *runroot, const char *id,
                        struct run_state_info *ret);
void run_state_info_release(struct run_state_info *i);
/* Sends SIG to the container's pid 1 through a checked pidfd: -ESRCH when
 * it does not run. */
int run_state_signal(const char *runroot, const char *id, int sig, struct box_err *err);
/* Waits up to TIMEOUT_MS for the container's pid 1 to end (0: it has,
 * or it did not run; -ETIMEDOUT). */
int run_state_wait_exit(const char *runroot, const char *id, int timeout_ms);
/* Waits for its monitor to end (TIMEOUT_MS < 0: forever). */
int run_state_wait_monitor(const char *runroot, const char *id, int timeout_ms);
/* Waits (TIMEOUT_MS at most) while the container is exiting (struct
 * run_state_info's): on its monitor's pidfd and on its record in ROOT
 * (inotify), so it returns as the monitor ends or records a restart. */
void run_state_wait_settled(const char *root, const char *runroot, const char *id, int timeout_ms);
/* Flags in the runtime dir, for its monitor: STOPPING, set by stop, kill
 * and rm -f, means "do not restart it". */
#define RUN_MARK_STOPPING "stopping"
int run_state_mark(const char *runroot, const char *id, const char *flag);
bool run_state_marked(const char *runroot, const char *id, const char *flag);

/* Finds a container by full id, name, or unique id prefix. */
int run_state_lookup(const char *root, const char *name_or_id, char ret_id[RUN_ID_LEN + 1],
                     struct box_err *err);
/* Is the container's monitor alive (so the container is created or
 * running)? */
bool run_state_is_live(const char *runroot, const char *id);
/* The container's status, as run_state_info_read() has it. */
enum run_status run_state_status(const char *root, const char *runroot, const char *id);
/* A pidfd of the container's pid 1 as the runtime state records it, if
 * that pid still names the same process (same start time) and that
 * process is in the container's cgroup, and its pid in RET_PID (may be
 * NULL; the pid names the process only while the pidfd shows it alive);
 * -ENOENT when none is recorded (not started yet), -ESRCH when it is gone
 * (or was never that). */
int run_state_pidfd(const char *runroot, const char *id, pid_t *ret_pid);
/* An O_PATH fd of the root of the running container ID, as its pid 1
 * sees it (its mounts included): -ENOENT or -ESRCH when it does not run. */
int run_state_root_open(const char *runroot, const char *id, int *ret_fd);
/* Kills a live container (SIGKILL to its pid 1 through a checked pidfd;
 * its monitor, if it has not started it yet) and waits for the monitor to
 * end.  0 when it is gone or was not live. */
int run_state_kill(const char *runroot, const char *id, struct box_err *err);
/* An fd of the network namespace of live container ID's pid 1 (checked as
 * run_state_kill checks it): -ESRCH when it does not run. */
int run_state_open_netns(const char *runroot, const char *id, int *ret_fd, struct box_err *err);
/* ... its user namespace, the same way */
int run_state_open_userns(const char *runroot, const char *id, int *ret_fd, struct box_err *err);
/* Removes the container: what it still holds of a network (network.json),
 * its cgroups if left over, its anonymous volumes when REMOVE_VOLUMES, its
 * name, its state dir and its runtime dir. */
int run_state_remove(const char *root, const char *runroot, const char *id, bool remove_volumes,
                     struct box_err *err);
/* Removes transient-or-not container S, made by this process, which has
 * just ended in it (run --rm in the foreground), as run_state_remove with
 * its volumes.  GONE: the sandbox removed its cgroups (unless LATER, a
 * removal still under way, which is joined before the layer's fate is
 * decided, and whose answer counts then) and its overlay is gone, so
 * nothing of it runs: no sweep for its cgroups, and a transient
 * container's untouched writable layer goes into the pool
 * (run_rw_pool_put). */
struct run_cgroup_destroy;
int run_state_remove_ended(struct run_state *s, const char *runroot,
                           struct run_cgroup_destroy *later, bool gone, struct box_err *err);
/* Renames container ID to NAME (taken atomically, as at creation). */
int run_state_rename(const char *root, const char *id, const char *name, struct box_err *err);
/* FILE of container ID's state dir as a JSON object (NULL when missing or
 * not an object): the caller's. */
struct jv *run_state_read_json(const char *root, const char *id, const char *file);
/* Ids of all containers (a strv, in directory order). */
char **run_state_list(const char *root);
/* The images containers pin: two parallel strvs, ids and the manifest
 * digests they run (either pointer may be NULL when not wanted); empty
 * when there are none. */
void run_state_pins(const char *root, char ***ret_ids, char ***ret_manifests);
/* The manifest digest container ID runs, checked to be a digest: -ENOENT
 * (ERR untouched) when it runs none (--rootfs). */
int run_state_image(const char *root, const char *id, char **ret_manifest, struct box_err *err);
/* The container's config.json, parsed (an object). */
struct jv;
int run_state_config(const char *root, const char *id, struct jv **ret, struct box_err *err);
/* Replaces it (atomically; box network connect records a network there). */
int run_state_config_write(const char *root, const char *id, const struct jv *cfg,
                           struct box_err *err);
/* Replaces its spec.json with TEXT (atomically; box update's limits). */
int run_state_spec_write(const char *root, const char *id, const char *text, struct box_err *err);
/* The container's overlay upper dir (its changes): the caller's to free. */
char *run_state_upper_dir(const char *root, const char *id);
/* Bytes the container's state dir takes. */
int64_t run_state_disk_usage(const char *root, const char *id);
/* The directory every container mounts its root on (made if missing). */
int run_state_mount_dir(const char *root, char **ret, struct box_err *err);
/* A layer of empty mount points (/etc/hostname, hosts, resolv.conf) that
 * containers share, relative to the store root; with a "-MASK" suffix, the
 * ones that also hold /proc, /sys or /dev for images lacking them. */
#define RUN_MOUNTPOINT_LAYER "containers/.mountpoints"

/* 64 random hex digits. */
void run_random_id(char ret[RUN_ID_LEN + 1]);
