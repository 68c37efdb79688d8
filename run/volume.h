/* Volumes: <root>/volumes/<name>/_data is what containers mount, and
 * <root>/volumes/<name>/volume.json holds {"CreatedAt", "Labels",
 * "Options", "Anonymous"}.  Anonymous volumes (an image's VOLUME, `-v /path`) are
 * named by 64 random hex digits and listed in their container's
 * "volumes" file, which removes them with the container (--rm, rm -v).
 * A volume is in use while some container's "volumes-used" file names it.
 *
 * Ownership: strings returned are the caller's to free. */
#pragma once

#include <stdbool.h>

#include "lib/err.h"

bool run_volume_name_valid(const char *name);
/* Docker's local-driver options OPTS (k, v, ...: type, device, o), checked. */
int run_volume_opts_check(char *const *opts, struct box_err *err);
/* Creates NAME if missing (with OPTS, which a volume keeps from its
 * creation on).  *ret_created tells whether it is new (and so should get
 * the image's content); *ret_data is the _data path. */
int run_volume_create(const char *root, const char *name, bool anonymous, char *const *labels,
                      char *const *opts, char **ret_data, bool *ret_created, struct box_err *err);
/* A volume with a type and a device (`volume create -o`): mounts the
 * device on its _data, as Docker's local driver, unless already mounted.
 * It stays mounted from its first use until `volume rm` (no daemon counts
 * the users); after a reboot the next use mounts it again.  Called in the
 * host's mount namespace before a container that uses it is made, under
 * the volume's own lock (flock on its directory): concurrent first uses
 * mount it once.  A _data that is no directory (a link) is refused. */
int run_volume_mount(const char *root, const char *name, struct box_err *err);
/* run_volume_mount() for each volume the container record DIR uses (its
 * volumes-used): what `box start` does before the container is made. */
int run_volume_mount_used(const char *root, const char *dir, struct box_err *err);
int run_volume_exists(const char *root, const char *name);
/* Ids (12 hex) of containers that use NAME, one per line, or NULL. */
char *run_volume_users(const char *root, const char *name);
/* The volumes lock, <root>/volumes/.lock (flock): box run holds it shared
 * from making its volumes until its "volumes-used" file names them; volume
 * rm and prune and container removal hold it exclusive, so a volume is
 * never removed between a starting container's check and its mount.
 * Returns the fd (run_volume_unlock(), which accepts -EBADF). */
int run_volume_lock(const char *root, bool exclusive, struct box_err *err);
void run_volume_unlock(int fd);
/* Removes NAME; refuses (EBUSY) while a container uses it, as Docker does
 * even with --force.  Every mount on its _data is taken off first, under
 * the volume's own lock.  The caller holds the volumes lock exclusive. */
int run_volume_remove(const char *root, const char *name, struct box_err *err);
/* Names of all volumes (a strv). */
char **run_volume_list(const char *root);
/* The volume's metadata as Docker's `volume inspect` object (JSON). */
char *run_volume_inspect_json(const char *root, const char *name);
/* Is the volume anonymous? */
bool run_volume_is_anonymous(const char *root, const char *name);
