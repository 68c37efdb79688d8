/* --pid container:NAME and --ipc container:NAME: the other container whose
 * namespaces a container shares, named by its id in config.json
 * (HostConfig.PidMode/IpcMode "container:ID", as --network's), and its
 * namespaces opened at each start, in the foreground or by the
 * monitor-to-be, for run/sandbox.c to join. */
#include <fcntl.h>
#include <stdio.h>

#include "cli/container.h"
#include "lib/syscall.h"
#include "lib/xalloc.h"
#include "run/run.h"
#include "run/state.h"
#include "spec/json.h"

int cli_run_peer_resolve(const char *root, const char *flag, const char *mode, char **ret_mode,
                         struct box_err *err)
{
        char id[RUN_ID_LEN + 1];
        int r = run_state_lookup(root, mode + 10, id, err);
        if (r < 0)
                return box_err_prefix(err, "--%s '%s'", flag, mode);
        if (streq(flag, "ipc")) {
                /* Docker's rule: only a donor made to share gives its IPC */
                _cleanup_jv_ struct jv *cfg = run_state_read_json(root, id, "config.json");
                const char *m = jv_get_str(jv_get(cfg, "HostConfig"), "IpcMode");
                if (!m || !streq(m, "shareable"))
                        return box_err_set(err, EINVAL,
                                           "--ipc '%s': non-shareable IPC (hint: use --ipc "
                                           "shareable for the donor container)",
                                           mode);
        }
        *ret_mode = xasprintf("container:%s", id);
        return 0;
}

void cli_run_peer_close(int fds[2])
{
        for (int i = 0; i < 2; i++)
                if (fds[i] >= 0)
                        close(TAKE_FD(fds[i]));
}

int cli_run_peer_open(const char *runroot, const struct jv *cfg, struct run_spec *spec, int fds[2],
                      struct box_err *err)
{
        const struct jv *hc = jv_get(cfg, "HostConfig");
        const char *modes[] = {jv_get_str(hc, "PidMode"), jv_get_str(hc, "IpcMode")};
        for (int k = 0; k < 2; k++) {
                const char *m = modes[k];
                if (!m || !startswith(m, "container:"))
                        continue;
                const char *flag = k == 0 ? "pid" : "ipc";
                pid_t pid;
                _cleanup_close_ int pfd = run_state_pidfd(runroot, m + 10, &pid);
                _cleanup_free_ char *ns = xasprintf("/proc/%d/ns/%s", (int)pid, flag);
                int fd = pfd < 0 ? -1 : open(ns, O_RDONLY | O_CLOEXEC);
                if (fd >= 0)
                        fds[k] = fd;
                /* the pid named the container's pid 1 only if that still lives */
                if (fd < 0 || sys_pidfd_send_signal(pfd, 0, 0) < 0) {
                        cli_run_peer_close(fds);
                        return box_err_set(err, ESRCH, "--%s %s: container %.12s is not running",
                                           flag, m, m + 10);
                }
                if (k == 0) {
                        spec->join_pid = true;
                        spec->pidns_fd = fds[0];
                } else {
                        spec->join_ipc = true;
                        spec->ipcns_fd = fds[1];
                }
        }
        return 0;
}
