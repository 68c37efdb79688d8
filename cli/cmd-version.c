#include <stdio.h>
#include <sys/utsname.h>

#include "cli/cli.h"
#include "cli/format.h"
#include "cli/options.h"
#include "spec/json.h"
#include "spec/oci.h"

struct version_flags {
        const char *format;
};

#define T struct version_flags
static const struct cli_option version_flag_rows[] = {
        CLI_STRING("format", 'f', T, format, "string",
                   "'json', or a Go-style template ({{.Client.Version}})"),
        CLI_HELP("help", 'h'),
};
#undef T

static const struct cli_options version_options = CLI_OPTIONS("version", version_flag_rows, 20,
                                                              "Usage: box version [OPTIONS]\n"
                                                              "\n"
                                                              "Show the box version information.\n"
                                                              "\n"
                                                              "Options:\n");

/* Docker's shape: box is its own engine, so Server is box too (scripts
 * ask {{.Server.Version}} to see that the engine answers). */
static struct jv *version_json(const struct utsname *u)
{
        struct jv *o = jv_object();
        const char *names[] = {"Client", "Server"};
        for (size_t i = 0; i < 2; i++) {
                struct jv *c = jv_object();
                jv_set_str(c, "Version", BOX_VERSION);
                jv_set_str(c, "Os", "linux");
                jv_set_str(c, "Arch", oci_host_arch());
                jv_set_str(c, "KernelVersion", u->release);
                jv_set(o, names[i], c);
        }
        return o;
}

int cmd_version(struct cli_ctx *ctx, int argc, char **argv)
{
        (void)ctx;
        struct version_flags f = {0};
        int first = cli_options_parse(&version_options, &f, argc, argv);
        if (first <= 0)
                return -first;
        if (first < argc)
                return cli_usage_error("version", "'box version' accepts no arguments");
        struct utsname u;
        uname(&u);
        if (f.format) {
                struct box_err err = {0};
                if (cli_format_object(f.format, version_json(&u), &err) < 0)
                        return cli_fail(&err);
                return 0;
        }
        printf("box version %s\n", BOX_VERSION);
        printf("OS/Arch: linux/%s\n", oci_host_arch()); /* Go's GOARCH names */
        printf("Kernel: %s\n", u.release);
        return 0;
}
