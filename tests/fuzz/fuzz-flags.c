/* libFuzzer target for the command line's value parsers, which take what
 * users, scripts and compose-like generators pass: the input's lines are
 * each given to every parser of one value (times and durations, byte
 * sizes, -p, --expose, -v, --mount, --tmpfs, --ulimit, id maps, signals,
 * detach keys, MAC addresses, CIDRs, --output, prune's --filter), the
 * whole input to the --env-file and --label-file readers, and the lines
 * as one argument vector to run's, create's and update's flag parsers
 * (which check --cpus, --memory, --device, --publish and the rest
 * together).  Errors are printed to stderr: run with -close_fd_mask=3 (--help prints
 * to stdout). */
#include <getopt.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "build/dockerfile.h"
#include "cli/build-output.h"
#include "cli/cli.h"
#include "cli/cmd-run-life.h"
#include "cli/cmd-run.h"
#include "cli/container.h"
#include "lib/strv.h"
#include "lib/xalloc.h"
#include "run/net-internal.h"
#include "run/network.h"
#include "spec/oci.h"

#define LINES_MAX 24

static void fuzz_value(const char *s)
{
        struct box_err err = {0};
        int64_t ns, bytes;

        cli_parse_when(s, &ns);
        cli_parse_duration(s, &ns);
        build_parse_duration(s, &ns);
        oci_time_parse_ns(s, &ns);
        run_parse_bytes(s, &bytes);

        struct run_port *ports = NULL;
        size_t n = 0;
        run_port_parse(s, &ports, &n, &err);
        run_port_parse_exposed(s, &ports, &n, &err);
        for (size_t i = 0; i < n; i++)
                free(run_port_format(&ports[i]));
        free(ports);

        struct cli_mount m = {0};
        if (cli_run_parse_volume(s, &m, &err) >= 0)
                cli_mount_release(&m);
        m = (struct cli_mount){0};
        if (cli_run_parse_mount(s, &m, &err) >= 0)
                cli_mount_release(&m);
        m = (struct cli_mount){0};
        if (cli_run_parse_tmpfs(s, &m, &err) >= 0)
                cli_mount_release(&m);

        struct run_rlimit rl;
        cli_run_parse_ulimit(s, &rl, &err);
        struct run_idmap map;
        run_idmap_parse(s, &map, &err);
        cli_signal_parse(s);
        unsigned char keys[16];
        cli_detach_keys_parse(s, keys, &n);
        uint8_t mac[6];
        cli_mac_parse(s, mac);
        struct in_addr a4;
        struct in6_addr a6;
        int len;
        net_parse_cidr(s, &a4, &len);
        net_parse_cidr6(s, &a6, &len);
        cli_security_opt_lsm(s, &err);

        struct cli_build_output out = {0};
        if (cli_build_output_parse(s, &out, &err) >= 0)
                cli_build_output_release(&out);

        struct cli_prune_filter f = {0};
        cli_prune_filter_add(&f, "system prune", CLI_PRUNE_UNTIL | CLI_PRUNE_LABEL | CLI_PRUNE_ALL,
                             s);
        char *labels[] = {"a", "b", "com.x", "", NULL};
        cli_prune_filter_takes(&f, "2024-01-02T03:04:05.123456789+01:00", labels);
        cli_prune_filter_takes(&f, s, labels);
        cli_prune_filter_release(&f);
}

static void fuzz_files(const char *data)
{
        struct box_err err = {0};
        char **v = NULL;

        /* *V is the caller's, with what was appended before an error */
        cli_run_parse_env_file(data, "env", &v, &err);
        strv_free(v);
        v = NULL;
        cli_run_parse_label_file(data, "labels", &v, &err);
        strv_free(v);
}

/* ARGV (argv[0] the command) through the flag parser of CMD */
static void fuzz_argv(const char *cmd, char **argv, int argc)
{
        struct run_opts o;

        argv[0] = (char *)cmd;
        optind = 0; /* getopt_long's state, reset as cli_dispatch does */
        if (streq(cmd, "update"))
                cli_update_flags_parse(&o, argc, argv);
        else
                cli_run_flags_parse(&o, argc, argv);
        run_opts_release(&o);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        if (size > 4096)
                return 0;
        char *s = xstrndup((const char *)data, size);
        fuzz_files(s);

        char *argv[LINES_MAX + 2] = {NULL};
        int argc = 1;
        for (char *line = s, *next; line && argc <= LINES_MAX; line = next) {
                next = strchr(line, '\n');
                if (next)
                        *next++ = '\0';
                fuzz_value(line);
                /* --security-opt seccomp=PATH reads a host file: not here */
                if (!strstr(line, "seccomp"))
                        argv[argc++] = line;
        }
        fuzz_argv("run", argv, argc);
        fuzz_argv("create", argv, argc);
        fuzz_argv("update", argv, argc);
        free(s);
        return 0;
}
