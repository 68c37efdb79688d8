#include <stdio.h>
#include <sys/utsname.h>

#include "cli/cli.h"
#include "cli/options.h"
#include "spec/oci.h"

#ifndef BOX_VERSION
#define BOX_VERSION "0.1.0"
#endif

static const char help[] = "Usage: box version\n\nShow the box version information.\n";

int cmd_version(struct cli_ctx *ctx, int argc, char **argv)
{
        (void)ctx;
        int first = cli_options_parse_help("version", help, false, argc, argv);
        if (first <= 0)
                return -first;
        if (first < argc)
                return cli_usage_error("version", "'box version' accepts no arguments");
        struct utsname u;
        uname(&u);
        printf("box version %s\n", BOX_VERSION);
        printf("OS/Arch: linux/%s\n", oci_host_arch()); /* Go's GOARCH names */
        printf("Kernel: %s\n", u.release);
        return 0;
}
