/* Applies one Dockerfile instruction given with `--change` (import, commit)
 * to an image's container config. */
#pragma once

#include "spec/oci.h"

int image_change_apply(struct oci_container_config *c, const char *line, struct box_err *err);
