/* Image references as Docker reads them (github.com/distribution/reference):
 *   [domain[:port]/]path[:tag][@algo:hex]
 * normalised the Docker way: "mysql" -> docker.io/library/mysql:latest,
 * "index.docker.io/x" -> docker.io/library/x; a first component holding a
 * '.', a ':' or an uppercase letter, or equal to "localhost", is a registry
 * host and is kept.  The repository path (domain excluded) is at most 255
 * characters; a bare 64-hex-digit name is refused (it reads as an image id).
 *
 * Ownership: a struct image_ref owns its strings; spec_ref_release() frees
 * them.  domain and path are never NULL after a successful parse (domain is
 * "" only from spec_ref_parse_raw() or for a name whose first component is
 * not a valid host, as distribution does; both are "" for a digest-only
 * reference from spec_ref_parse_any()). */
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

/* Parses and normalises S like Docker's ParseDockerRef: adds the "latest"
 * tag when neither a tag nor a digest is given, and drops the tag when both
 * are ("busybox:1@sha256:..." -> "docker.io/library/busybox@sha256:..."). */
int spec_ref_parse(const char *s, struct image_ref *ret, struct box_err *err);
/* Parses and normalises S like ParseNormalizedNamed: no default tag, a tag
 * given with a digest is kept (for `box images REPO`). */
int spec_ref_parse_name(const char *s, struct image_ref *ret, struct box_err *err);
/* Parses S against the grammar only, like distribution's Parse: no default
 * domain, no "library/", domain "" when the first component is not one. */
int spec_ref_parse_raw(const char *s, struct image_ref *ret, struct box_err *err);
/* Like ParseAnyReference: 64 hex digits or a digest give a digest-only
 * reference (domain and path ""), anything else spec_ref_parse_name(). */
int spec_ref_parse_any(const char *s, struct image_ref *ret, struct box_err *err);
void spec_ref_release(struct image_ref *r);
#define _cleanup_image_ref_ _cleanup_(spec_ref_release)

/* "docker.io/library/mysql:latest" (the Go String()) */
char *spec_ref_format(const struct image_ref *r);
/* "domain/path" (the Go Name()) */
char *spec_ref_repository(const struct image_ref *r);
/* Docker's familiar form (FamiliarString): "mysql:latest", "localhost/x:1" */
char *spec_ref_familiar(const struct image_ref *r);
/* The familiar form of reference S (parsed as spec_ref_parse does), or
 * NULL when S does not parse. */
char *spec_ref_familiar_of(const char *s);
/* Familiar repository (FamiliarName): "docker.io/library/a:b" -> "a". */
char *spec_ref_familiar_repository(const struct image_ref *r);

/* FamiliarMatch: does PATTERN (Go's path.Match syntax: '*', '?', '[...]',
 * '\\') match the familiar string of R, or else its familiar name?  Returns
 * 1 or 0, or -EINVAL for a malformed pattern. */
int spec_ref_familiar_match(const char *pattern, const struct image_ref *r, struct box_err *err);
/* Validates a digest against the OCI grammar (algorithm ':' encoded) and
 * then as sha256 (64 lowercase hex digits); other well-formed algorithms
 * are refused as unsupported. */
int spec_digest_validate(const char *d, struct box_err *err);
/* Is S a 64-lowercase-hex-char string? */
int spec_is_hex64(const char *s);
