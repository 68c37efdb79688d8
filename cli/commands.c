/* The command table: one line per command, kept sorted by name. */
#include "cli/cli.h"

const struct cli_command cli_commands[] = {
        {"context", "Inspect a build context", cmd_context, 0},
        {"dockerfile", "Parse and check Dockerfiles", cmd_dockerfile, 0},
        {"version", "Show the box version", cmd_version, 0},
        {},
};
