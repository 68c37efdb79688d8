#include <stdio.h>
#include <sys/utsname.h>

#include "cli/cli.h"
#include "spec/oci.h"

#ifndef BOX_VERSION
#define BOX_VERSION "0.1.0"
#endif

static const char help[] = "Usage: box version\n\nShow the box version information.\n";

int cmd_version(struct cli_ctx *ctx, int argc, char **argv)
{
        (void)ctx;
        if (cli_wants_help(argc, argv))
                return cli_help(help);
        if (argc > 1)
                return cli_usage_error("version", "'box version' accepts no arguments");
        struct utsname u;
        uname(&u);
        printf("box version %s\n", BOX_VERSION);
        printf("OS/Arch: linux/%s\n", oci_host_arch()); /* Go's GOARCH names */
        printf("Kernel: %s\n", u.release);
        return 0;
}
