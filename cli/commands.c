/* The command table: one line per command, kept sorted by name. */
#include "cli/cli.h"

const struct cli_command cli_commands[] = {
        {"build", "Build an image from a Dockerfile", cmd_build, 0},
        {"context", "Inspect a build context", cmd_context, 0},
        {"dockerfile", "Parse and check Dockerfiles", cmd_dockerfile, 0},
        {"export", "Export a container's file system as a tar archive", cmd_export, 0},
        {"image", "Manage images", cmd_image, 0},
        {"images", "List images", cmd_images, 0},
        {"import", "Import a rootfs tarball as an image", cmd_import, 0},
        {"info", "Show store and kernel features", cmd_info, 0},
        {"load", "Load images from a tar archive or an OCI layout", cmd_load, 0},
        {"pull", "Download an image from a registry, or an archive or OCI layout over HTTP(S)",
         cmd_pull, 0},
        {"push", "Upload an image to a registry", cmd_push, 0},
        {"login", "Store credentials for a registry", cmd_login, 0},
        {"logout", "Remove the credentials stored for a registry", cmd_logout, 0},
        {"rm", "Remove one or more containers", cmd_rm, 0},
        {"rmi", "Remove one or more images", cmd_rmi, 0},
        {"run", "Create and run a new container", cmd_run, 0},
        {"save", "Save one or more images to a tar archive", cmd_save, 0},
        {"system", "Manage the store: df, prune, fsck", cmd_system, 0},
        {"tag", "Create a tag that refers to an image", cmd_tag, 0},
        {"version", "Show the box version", cmd_version, 0},
        {"volume", "Manage volumes", cmd_volume, 0},
        {},
};
