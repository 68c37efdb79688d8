/* What registry.c shares with registry-pull.c and registry-push.c.
 *
 * image_registry_request() adds the credentials the registry asked for
 * (Basic, or a Bearer token it fetches and renews), retries 5xx, 429 and
 * dropped connections with back-off, and hands every response, error or
 * not, to the caller (keep_status). */
#pragma once

#include "image/registry.h"
#include "spec/oci.h"

#define REGISTRY_ACCEPT_MANIFESTS                                                                  \
        "Accept: " OCI_MEDIA_MANIFEST ", " OCI_MEDIA_INDEX ", " DOCKER_MEDIA_MANIFEST              \
        ", " DOCKER_MEDIA_MANIFEST_LIST

const char *image_registry_host(const struct image_registry *r);
const char *image_registry_repo(const struct image_registry *r);
/* "https://host:port", the endpoint in use */
const char *image_registry_endpoint(const struct image_registry *r);
const struct image_http_opts *image_registry_http_opts(const struct image_registry *r);

/* METHOD on PATH: "/manifests/x" under /v2/<repo>, or an absolute URL the
 * registry gave (an upload's Location), which must be on the same scheme,
 * host and port.  With REQ->no_redirect a 3xx comes back (blob GETs
 * follow it themselves, without credentials). */
int image_registry_request(struct image_registry *r, const char *method, const char *path,
                           const struct image_http_req *req, struct image_http **ret,
                           struct box_err *err);
/* The one-line error for a response that is not what WHAT expected:
 * registry, repository, HTTP status and the registry's own error code. */
int image_registry_status_error(struct image_registry *r, struct image_http *h, const char *what,
                                struct box_err *err);
/* Asks for a token covering SCOPE too ("repository:NAME:pull"). */
void image_registry_add_scope(struct image_registry *r, const char *scope);

/* The manifest or index REFERENCE (a tag or a digest) names: its bytes
 * (at most BOX_MAX_JSON_SIZE), media type and digest, verified against
 * REFERENCE when it is a digest. */
int image_registry_get_manifest(struct image_registry *r, const char *reference, char **ret,
                                size_t *ret_len, char **ret_media_type, digest_str ret_digest,
                                struct box_err *err);
