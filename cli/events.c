/* The events box's commands record (cli/events.h). */
#include <stdio.h>

#include "cli/container.h"
#include "cli/events.h"
#include "cli/format.h"
#include "image/load.h"
#include "lib/log.h"
#include "lib/strv.h"
#include "lib/xalloc.h"
#include "run/events.h"
#include "run/network.h"
#include "spec/json.h"
#include "spec/ref.h"

void cli_event(struct cli_ctx *ctx, const char *type, const char *action, const char *id,
               char *const *attrs)
{
        struct box_err err = {0};
        struct run_event ev = {.type = type, .action = action, .id = id, .attrs = attrs};
        if (run_events_append(ctx->runroot, &ev, 1, &err) < 0)
                log_warn("%s, ignoring", err.msg);
}

char **cli_event_container_attrs(const struct jv *cfg, char *const *extra)
{
        const struct jv *c = jv_get(cfg, "Config");
        char **attrs = cli_labels_kv(jv_get(c, "Labels"));
        const char *image = jv_get_str(c, "Image");
        const char *name = jv_get_str(cfg, "Name");
        attrs = strv_append(attrs, "image");
        attrs = strv_append(attrs, image ? image : "");
        attrs = strv_append(attrs, "name");
        attrs = strv_append(attrs, name ? name : "");
        STRV_FOREACH (e, extra)
                attrs = strv_append(attrs, *e);
        return attrs;
}

void cli_event_container(struct cli_ctx *ctx, const char *id, const char *action,
                         char *const *extra)
{
        _cleanup_jv_ struct jv *cfg = cli_container_config(ctx, id);
        _cleanup_strv_free_ char **attrs = cli_event_container_attrs(cfg, extra);
        cli_event(ctx, "container", action, id, attrs);
}

void cli_event_container_signal(struct cli_ctx *ctx, const char *id, int sig)
{
        char v[16];
        snprintf(v, sizeof(v), "%d", sig);
        cli_event_container(ctx, id, "kill", (char *[]){"signal", v, NULL});
}

void cli_event_image(struct cli_ctx *ctx, const char *action, const char *id, const char *name)
{
        cli_event(ctx, "image", action, id, name ? (char *[]){"name", (char *)name, NULL} : NULL);
}

void cli_event_images(struct cli_ctx *ctx, const char *action, const struct image_loaded *v,
                      size_t n)
{
        for (size_t i = 0; i < n; i++) {
                if (!v[i].names || !v[i].names[0]) {
                        cli_event_image(ctx, action, v[i].id, NULL);
                        continue;
                }
                STRV_FOREACH (nm, v[i].names) {
                        _cleanup_free_ char *fam = spec_ref_familiar_of(*nm);
                        cli_event_image(ctx, action, v[i].id, fam ? fam : *nm);
                }
        }
}

/* The networks a start of CFG joins: its --network (but none, host and
 * another container's), unless network disconnect took it off, then those
 * of network connect */
static char **start_networks(const struct jv *cfg)
{
        const struct jv *hc = jv_get(cfg, "HostConfig");
        const char *mode = jv_get_str(hc, "NetworkMode");
        char **nets = xnew0(char *, 1);
        if (mode && !jv_bool_value(jv_get(hc, RUN_NET_MODE_LEFT)) && !streq(mode, "none") &&
            !streq(mode, "host") && !startswith(mode, "container:"))
                nets = strv_append(nets, streq(mode, "default") ? "bridge" : mode);
        const struct jv *bn = jv_get(hc, "BoxNetworks");
        for (size_t i = 0; i < jv_len(bn); i++) {
                const char *n = jv_get_str(jv_at(bn, i), "Name");
                if (n && !strv_contains(nets, n))
                        nets = strv_append(nets, n);
        }
        return nets;
}

char *cli_event_start_prelude(const char *root, const char *id, const struct jv *cfg,
                              int64_t time_ns)
{
        struct buf b = {0};
        buf_puts(&b, "");
        _cleanup_strv_free_ char **nets = start_networks(cfg);
        STRV_FOREACH (n, nets) {
                _cleanup_free_ char *nid = NULL, *driver = NULL;
                (void)run_net_summary(root, *n, &nid, &driver, NULL);
                char *attrs[] = {"container", (char *)id, "name",
                                 *n,          "type",     (char *)strempty(driver),
                                 NULL};
                struct run_event ev = {"network", "connect", nid ? nid : *n, attrs, time_ns};
                _cleanup_free_ char *l = run_events_format(&ev, 1);
                buf_puts(&b, l);
        }
        const struct jv *mv = jv_get(cfg, "Mounts");
        for (size_t i = 0; i < jv_len(mv); i++) {
                const struct jv *m = jv_at(mv, i);
                const char *name = jv_get_str(m, "Name");
                if (!streq(strempty(jv_get_str(m, "Type")), "volume") || !name)
                        continue;
                char *attrs[] = {"container",   (char *)id,
                                 "destination", (char *)strempty(jv_get_str(m, "Destination")),
                                 "driver",      "local",
                                 "propagation", "",
                                 "read/write",  jv_bool_value(jv_get(m, "RW")) ? "true" : "false",
                                 NULL};
                struct run_event ev = {"volume", "mount", name, attrs, time_ns};
                _cleanup_free_ char *l = run_events_format(&ev, 1);
                buf_puts(&b, l);
        }
        if (!b.len) {
                free(b.data);
                return NULL;
        }
        return b.data;
}
