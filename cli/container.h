/* What the container commands share (ps, start, stop, logs, inspect...):
 * finding a container, reading its config and spec, bringing its record up
 * to date, and starting it detached under its monitor.
 *
 * config.json is the CLI's (Docker-shaped: Config, HostConfig...); spec.json
 * is run/'s (struct run_spec, run/spec-file.h); state is run/state.h's. */
#pragma once

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include "cli/cli.h"
#include "run/name.h"
#include "run/state.h"

struct jv;
struct run_spec_file;

/* Finds NAME_OR_ID (name, id or unique prefix) in the store. */
int cli_container_find(struct cli_ctx *ctx, const char *name_or_id, char ret_id[RUN_ID_LEN + 1],
                       struct box_err *err);
/* The container's state, the truth (run_state_info_read()); a container
 * whose monitor died is recorded as exited first (its exit, its cgroups
 * released, --rm applied), so a caller never sees it half-way. */
int cli_container_state(struct cli_ctx *ctx, const char *id, struct run_state_info *ret);
/* Waits (10 s at most) while the container is exiting: its pid 1 has
 * ended and its monitor still gives back what it held.  Docker's daemon
 * holds a container's lock for its clean-up, and inspect, start and rm
 * wait for it; so do box's, while ps shows it running until then. */
void cli_container_settle(struct cli_ctx *ctx, const char *id);
/* Only its status (as cli_container_state()). */
enum run_status cli_container_status(struct cli_ctx *ctx, const char *id);
/* Its config.json, parsed (NULL when unreadable): the caller's. */
struct jv *cli_container_config(struct cli_ctx *ctx, const char *id);
/* The store root the containers live under. */
const char *cli_container_root(struct cli_ctx *ctx);
/* Its published ports as docker ps prints them ("0.0.0.0:40123->3306/tcp,
 * ..."; "" when none or not attached): a string, the caller's. */
char *cli_container_ports_text(struct cli_ctx *ctx, const char *id);
/* inspect's NetworkSettings (Ports, Networks, the first network's address
 * at the top level), from its attachment while it has one. */
struct jv *cli_container_network_settings(struct cli_ctx *ctx, const char *id);
/* Its spec.json. */
int cli_container_spec(struct cli_ctx *ctx, const char *id, struct run_spec_file *ret,
                       struct box_err *err);
/* ---- its network (cli/run-network.c) ---- */
struct run_net_attachment;
/* Records the network flags in HostConfig HC: the mode, the -p specs (with
 * -P, the image's EXPOSEd ports too), the aliases, --ip and --ip6. */
void cli_run_network_record(struct jv *hc, const char *mode, char *const *publish,
                            char *const *exposed, bool publish_all, char *const *aliases,
                            const char *ip, const char *ip6);
/* The container's /etc files from its HostConfig HC (--add-host, --dns,
 * --dns-search, --dns-option): the extra hosts lines (host-gateway as
 * GATEWAY, which may be NULL), and resolv.conf RC with the DNS flags
 * applied.  Both the caller's to free. */
char *cli_run_etc_hosts_extra(const struct jv *hc, const char *gateway);
char *cli_run_etc_resolv(const struct jv *hc, const char *rc);
/* Before a container is made on user network NETWORK: it exists, and its
 * --ip, --ip6 and aliases fit it (Docker's create-time checks). */
int cli_run_network_check(const char *root, const char *network, const char *ip, const char *ip6,
                          char *const *aliases, struct box_err *err);
/* ---- --pid/--ipc container:NAME (cli/run-peer.c) ---- */
struct run_spec;
/* MODE "container:NAME" of --FLAG ("pid" or "ipc") as config.json records
 * it, "container:ID" (*RET_MODE, the caller's); an IPC donor must be
 * shareable. */
int cli_run_peer_resolve(const char *root, const char *flag, const char *mode, char **ret_mode,
                         struct box_err *err);
/* Opens the namespaces config.json CFG's PidMode/IpcMode "container:ID"
 * name (that container must run) into SPEC; FDS (2, each -EBADF before)
 * hold them, for cli_run_peer_close() once the container has started. */
int cli_run_peer_open(const char *runroot, const struct jv *cfg, struct run_spec *spec, int fds[2],
                      struct box_err *err);
void cli_run_peer_close(int fds[2]);

/* "02:42:ac:11:00:02" (':' or '-' between the bytes) into RET; -EINVAL
 * for another form, or an address no interface may have (multicast, all
 * zero). */
int cli_mac_parse(const char *s, uint8_t ret[6]);
/* "bridge,backend": the networks config.json CFG names (ps's Networks). */
char *cli_container_networks_text(const struct jv *cfg);
/* Attaches container S as its config.json CFG asks (a private network) and
 * writes its /etc/hosts and resolv.conf.  PORT_FDS: on a restart, the host
 * ports' sockets its monitor kept (run_net_attach_opts). */
int cli_run_network_attach(const char *root, const char *runroot, struct run_state *s,
                           const struct jv *cfg, const int *port_fds, size_t n_port_fds,
                           struct run_net_attachment **ret, struct box_err *err);

/* Starts a created or exited container detached: a child becomes its
 * monitor; returns once the container runs, or with the start error
 * (err->exit_code 126/127 as a foreground run).  ATTACH: the caller
 * attaches next (cli_container_attach()); the monitor waits for it before
 * it relays any output or takes the exit, and never drops its output. */
int cli_container_start(struct cli_ctx *ctx, const char *id, bool attach, struct box_err *err);
/* The stop signal of its config (Docker's StopSignal), SIGTERM by default. */
int cli_container_stop_signal(const struct jv *cfg);
/* "SIGTERM", "TERM", "term", "15" -> 15; -EINVAL otherwise. */
int cli_signal_parse(const char *s);
/* Stops container ID: SIG (0: its stop signal), SIGKILL after TIMEOUT seconds
 * (CLI_STOP_TIMEOUT_UNSET: its config's StopTimeout, else 10; < 0: never,
 * as Docker 25's -t -1), then waits for its monitor to record the exit. */
#define CLI_STOP_TIMEOUT_UNSET INT_MIN
int cli_container_stop(struct cli_ctx *ctx, const char *id, int timeout, int sig,
                       struct box_err *err);
/* Docker's State.Status: created, restarting, running, paused, exited. */
const char *cli_container_state_word(struct cli_ctx *ctx, const char *id,
                                     const struct run_state_info *i, bool *ret_paused);
/* Is it paused (its cgroup frozen)? */
bool cli_container_paused(struct cli_ctx *ctx, const char *id);
/* Freezes (FREEZE) or thaws it. */
int cli_container_freeze(struct cli_ctx *ctx, const char *id, bool freeze, struct box_err *err);
/* Its health ("healthy", "unhealthy", "starting") while it runs with a
 * health check, else NULL: the caller's (cli/container-health.c). */
char *cli_container_health(struct cli_ctx *ctx, const char *id, const struct run_state_info *i);
/* Docker's State.Health (Status, FailingStreak, Log), NULL without a
 * health check: the caller's. */
struct jv *cli_container_health_json(struct cli_ctx *ctx, const char *id,
                                     const struct run_state_info *i);
/* The monitor's interval between checks of config CFG, 0 without one. */
int64_t cli_health_interval_ms(const struct jv *cfg);
/* Config.Healthcheck.StartInterval in ms, the time between checks in the
 * start period (*RET_PERIOD_MS long); 0 when either is unset: the checks
 * keep their interval throughout. */
int64_t cli_health_start_ms(const struct jv *cfg, int64_t *ret_period_ms);
/* A start: the record says "starting" again, its streak 0 (CFG: its config). */
void cli_health_reset(struct cli_ctx *ctx, const char *id, const struct jv *cfg);
/* The path of its log (CRI format, rotated into .1, .2...): the caller's. */
char *cli_container_log_path(struct cli_ctx *ctx, const char *id);

/* Removes every container that is not running (created or exited) and
 * that FILTER (NULL: none) takes, printing "Deleted Containers:" and their
 * ids; adds the bytes freed. */
int cli_containers_prune(struct cli_ctx *ctx, const struct cli_prune_filter *filter, int64_t *freed,
                         struct box_err *err);

/* Docker's SizeRw (the bytes of container ID's writable layer) and
 * SizeRootFs (those and its image's, CFG's "Image"); 0 for what cannot be
 * read. */
void cli_container_sizes(struct cli_ctx *ctx, const char *id, const struct jv *cfg, int64_t *ret_rw,
                         int64_t *ret_rootfs);
/* The bytes of image H's layers, as box images lists them. */
struct store_image_handle;
int64_t cli_image_size(const struct store_image_handle *h);

struct cli_attach_opts {
        bool no_stdin;             /* send none of our stdin */
        bool no_stdout, no_stderr; /* show none of its stdout, its stderr (run -a) */
        const char *detach_keys;   /* Docker's syntax; NULL: ctrl-p,ctrl-q; "": none */
        bool stdin_once;           /* our stdin's end closes the container's (run -i, start -ai) */
        bool sig_proxy;            /* the signals box gets go to it (never with -t, as Docker's) */
};
/* Joins this process's stdio to running container ID through its
 * monitor's attach socket (cli/cmd-attach.c), with the terminal's size
 * when it has -t.  The container's exit status when it ends, 0 when
 * detached (*RET_DETACHED: the keys were typed). */
int cli_container_attach(struct cli_ctx *ctx, const char *id, const struct cli_attach_opts *o,
                         bool *ret_detached, struct box_err *err);
/* Docker's --detach-keys ("ctrl-p,ctrl-q", "" for none) into at most 16
 * bytes; -EINVAL when invalid. */
int cli_detach_keys_parse(const char *s, unsigned char ret[16], size_t *ret_n);

int cmd_attach(struct cli_ctx *ctx, int argc, char **argv);
int cmd_container(struct cli_ctx *ctx, int argc, char **argv);
int cmd_container_cleanup(struct cli_ctx *ctx, int argc, char **argv);
int cmd_container_healthcheck(struct cli_ctx *ctx, int argc, char **argv);
int cmd_healthcheck(struct cli_ctx *ctx, int argc, char **argv);
int cmd_container_verb(struct cli_ctx *ctx, int argc, char **argv);
int cmd_ps(struct cli_ctx *ctx, int argc, char **argv);
int cmd_create(struct cli_ctx *ctx, int argc, char **argv);
int cmd_logs(struct cli_ctx *ctx, int argc, char **argv);
int cmd_inspect(struct cli_ctx *ctx, int argc, char **argv);
int cmd_container_inspect(struct cli_ctx *ctx, int argc, char **argv);
int cmd_wait(struct cli_ctx *ctx, int argc, char **argv);
int cmd_top(struct cli_ctx *ctx, int argc, char **argv);
int cmd_stats(struct cli_ctx *ctx, int argc, char **argv);
int cmd_rename(struct cli_ctx *ctx, int argc, char **argv);
int cmd_container_prune(struct cli_ctx *ctx, int argc, char **argv);
