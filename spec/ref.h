/* Image references as Docker reads them:
 *   [domain[:port]/]path[:tag][@algo:hex]
 * normalised the Docker way: "mysql" -> docker.io/library/mysql:latest,
 * "index.docker.io/x" -> docker.io/library/x; a first component with a '.',
 * a ':' or equal to "localhost" is a registry host and is kept.
 *
 * Ownership: a struct image_ref owns its strings; spec_ref_release() frees
 * them. */
#pragma once

#include "lib/err.h"

#define REF_DEFAULT_DOMAIN "docker.io"
#define REF_DEFAULT_TAG    "latest"
#define REF_NAME_MAX       255

struct image_ref {
        char *domain; /* "docker.io", "localhost", "127.0.0.1:5000" */
        char *path;   /* "library/mysql" */
        char *tag;    /* NULL when only a digest was given */
        char *digest; /* "sha256:..." or NULL */
};

/* Parses and normalises S; adds the "latest" tag when neither a tag nor a
 * digest is given. */
int spec_ref_parse(const char *s, struct image_ref *ret, struct box_err *err);
/* Parses S without defaulting the tag (for `box images REPO`). */
int spec_ref_parse_name(const char *s, struct image_ref *ret, struct box_err *err);
void spec_ref_release(struct image_ref *r);

/* "docker.io/library/mysql:latest" */
char *spec_ref_format(const struct image_ref *r);
/* "domain/path" */
char *spec_ref_repository(const struct image_ref *r);
/* Docker's familiar form: "mysql:latest", "localhost/x:1" */
char *spec_ref_familiar(const struct image_ref *r);
/* Familiar repository of a full reference string ("docker.io/library/a:b" -> "a"). */
char *spec_ref_familiar_repository(const struct image_ref *r);

/* Validates a "sha256:<64 hex>" digest string (other algorithms refused). */
int spec_digest_validate(const char *d, struct box_err *err);
/* Is S a 64-hex-char string? */
int spec_is_hex64(const char *s);
