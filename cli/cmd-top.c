/* box top CONTAINER [ps OPTIONS]: the container's processes, as docker top
 * shows them: the host's ps(1) with the options (default -ef), keeping the
 * lines whose PID is in the container's cgroup (and the thread lines that
 * follow one, "-" in the PID column, as with ps -m), columns re-aligned. */
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/container.h"
#include "cli/events.h"
#include "cli/options.h"
#include "cli/format.h"
#include "lib/fs.h"
#include "lib/strv.h"
#include "lib/xalloc.h"
#include "run/lifecycle.h"
#include "spec/json.h"

static const char help[] = "Usage: box top CONTAINER [ps OPTIONS]\n"
                           "\n"
                           "Display the running processes of a container (the host's ps, default "
                           "-ef).\n";

/* Docker's: the options joined, then split on single spaces. */
static char **ps_argv(int argc, char **argv)
{
        char **v = strv_append(NULL, "ps");
        if (argc == 0)
                return strv_append(v, "-ef");
        for (int i = 0; i < argc; i++) {
                _cleanup_free_ char *a = xstrdup(argv[i]);
                for (char *p = a, *w; (w = strsep(&p, " "));)
                        if (*w)
                                v = strv_append(v, w);
        }
        return v;
}

/* Runs ARGV (ps from the host's PATH) and returns its stdout. */
static int ps_output(char **argv, char **ret, struct box_err *err)
{
        int p[2];
        pid_t pid;
        if (pipe2(p, O_CLOEXEC) < 0)
                return box_err_errno(err, errno, "pipe");
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_adddup2(&fa, p[1], 1);
        int e = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
        posix_spawn_file_actions_destroy(&fa);
        if (e) {
                close(p[0]);
                close(p[1]);
                return box_err_errno(err, e, "run '%s'", argv[0]);
        }
        close(p[1]);
        _cleanup_free_ char *out = NULL;
        int r = fs_read_fd(p[0], 1 << 26, &out, NULL, err);
        close(p[0]);
        int st;
        while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
                ;
        if (r < 0)
                return r;
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
                return box_err_set(err, EIO, "error running ps: exit status %d",
                                   WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
        *ret = TAKE_PTR(out);
        return 0;
}

static char **fields(const char *line)
{
        char **v = xnew0(char *, 1);
        for (const char *p = line; *p;) {
                while (*p == ' ' || *p == '\t')
                        p++;
                size_t n = strcspn(p, " \t");
                if (n)
                        v = strv_push(v, xstrndup(p, n));
                p += n;
        }
        return v;
}

/* A row of N cells: the first N-1 fields, then the rest joined by spaces. */
static char *row(char *const *f, size_t n)
{
        struct buf b = {0};
        size_t len = strv_length(f);
        for (size_t i = 0; i < len; i++)
                buf_printf(&b, "%s%s", i == 0 ? "" : i < n ? "\t" : " ", f[i]);
        return buf_steal(&b);
}

static bool has_pid(const pid_t *pids, size_t n, long pid)
{
        for (size_t i = 0; i < n; i++)
                if (pids[i] == pid)
                        return true;
        return false;
}

/* Keeps the container's lines of OUT (ps's output), Docker's parsePSOutput. */
static int filter(char *out, const pid_t *pids, size_t npids, char ***ret, struct box_err *err)
{
        char *rest = out, *line = strsep(&rest, "\n");
        _cleanup_strv_free_ char **titles = fields(line ? line : "");
        size_t nt = strv_length(titles), pid_at = nt;
        for (size_t i = 0; i < nt; i++)
                if (streq(titles[i], "PID") && pid_at == nt)
                        pid_at = i;
        if (pid_at == nt)
                return box_err_set(err, EINVAL, "couldn't find PID field in ps output");
        _cleanup_strv_free_ char **lines = strv_push(xnew0(char *, 1), row(titles, nt));
        bool in = false;
        while ((line = strsep(&rest, "\n"))) {
                _cleanup_strv_free_ char **f = fields(line);
                if (strv_length(f) <= pid_at)
                        continue;
                if (streq(f[pid_at], "-")) {
                        if (in)
                                lines = strv_push(lines, row(f, nt));
                        continue;
                }
                char *end;
                long pid = strtol(f[pid_at], &end, 10);
                if (end == f[pid_at] || *end)
                        return box_err_set(err, EINVAL, "unexpected pid '%s' in ps output",
                                           f[pid_at]);
                in = has_pid(pids, npids, pid);
                if (in)
                        lines = strv_push(lines, row(f, nt));
        }
        *ret = TAKE_PTR(lines);
        return 0;
}

int cmd_top(struct cli_ctx *ctx, int argc, char **argv)
{
        struct box_err err = {0};
        /* what follows the container is ps's: box top C -o pid,comm */
        int first = cli_options_parse_help("top", help, true, argc, argv);
        if (first <= 0)
                return -first;
        if (first >= argc)
                return cli_usage_error("top", "'box top' requires at least 1 argument");
        argc -= first - 1;
        argv += first - 1;
        char id[RUN_ID_LEN + 1];
        if (cli_container_find(ctx, argv[1], id, &err) < 0)
                return cli_fail(&err);
        if (cli_container_status(ctx, id) != RUN_STATUS_RUNNING) {
                box_err_set(&err, ESRCH, "container %s is not running", id);
                return cli_fail(&err);
        }
        _cleanup_jv_ struct jv *cfg = cli_container_config(ctx, id);
        const char *parent = jv_get_str(jv_get(cfg, "HostConfig"), "CgroupParent");
        _cleanup_free_ pid_t *pids = NULL;
        size_t npids = 0;
        if (run_cgroup_pids(parent, id, &pids, &npids) < 0) {
                box_err_set(&err, ESRCH, "container %s is not running", id);
                return cli_fail(&err);
        }
        _cleanup_strv_free_ char **ps = ps_argv(argc - 2, argv + 2), **lines = NULL;
        _cleanup_free_ char *out = NULL;
        if (ps_output(ps, &out, &err) < 0 || filter(out, pids, npids, &lines, &err) < 0)
                return cli_fail(&err);
        cli_format_tabwrite(lines);
        cli_event_container(ctx, id, "top", NULL); /* Docker's */
        return 0;
}
