/* The command table: one line per command, kept sorted by name. */
#include "cli/cli.h"

const struct cli_command cli_commands[] = {
        {"version", "Show the box version", cmd_version, 0},
        {},
};
