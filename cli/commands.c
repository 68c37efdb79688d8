/* The command table: one line per command, kept sorted by name. */
#include "cli/cli.h"

const struct cli_command cli_commands[] = {
        {"image", "Manage images", cmd_image, 0},
        {"images", "List images", cmd_images, 0},
        {"import", "Import a rootfs tarball as an image", cmd_import, 0},
        {"info", "Show store and kernel features", cmd_info, 0},
        {"load", "Load images from a tar archive or an OCI layout", cmd_load, 0},
        {"pull", "Download an image archive or OCI layout over HTTP(S)", cmd_pull, 0},
        {"rmi", "Remove one or more images", cmd_rmi, 0},
        {"save", "Save one or more images to a tar archive", cmd_save, 0},
        {"system", "Manage the store: df, prune, fsck", cmd_system, 0},
        {"tag", "Create a tag that refers to an image", cmd_tag, 0},
        {"version", "Show the box version", cmd_version, 0},
        {},
};
