/* `--change`: one Dockerfile instruction applied to an image config, parsed
 * by the Dockerfile parser and applied by the builder's own config handlers
 * (step-config.c) on a stage of its own that has no layers and no history:
 * the history those handlers write is dropped, as Docker's BuildFromConfig
 * drops its commits. */
#include <strings.h>

#include "build/build-internal.h"
#include "lib/strv.h"

/* Docker's validCommitCommands, each with the builder's handler. */
static const struct {
        const char *name;
        step_handler handler;
} change_handlers[] = {
        {"cmd", step_cmd},         {"entrypoint", step_entrypoint},   {"env", step_env},
        {"expose", step_expose},   {"healthcheck", step_healthcheck}, {"label", step_label},
        {"onbuild", step_onbuild}, {"stopsignal", step_stopsignal},   {"user", step_user},
        {"volume", step_volume},   {"workdir", step_workdir_config},
};

/* The name the parser and the checks put before their messages: a change
 * has one line, so "change:1: " says nothing the caller's prefix does not. */
#define CHANGE_FILE "change"

static int drop_position(struct box_err *err, int r)
{
        const char *m = err->msg;
        if (!startswith(m, CHANGE_FILE ":"))
                return r;
        m += strlen(CHANGE_FILE ":");
        if (startswith(m, "1:"))
                m += 2;
        while (*m == ' ')
                m++;
        memmove(err->msg, m, strlen(m) + 1);
        return r;
}

static step_handler change_handler(const char *name)
{
        for (size_t i = 0; i < ARRAY_SIZE(change_handlers); i++)
                if (streq(name, change_handlers[i].name))
                        return change_handlers[i].handler;
        return NULL;
}

/* What the checker checks once variables are expanded, here against the
 * config's Env: the ports of EXPOSE.  (STOPSIGNAL's is checked once set.) */
static int check_ports(struct stage_ctx *c, const struct dockerfile_instr *in, struct box_err *err)
{
        struct shell_env env = {stage_scope_get, c};
        STRV_FOREACH (a, in->args) {
                _cleanup_strv_free_ char **words = NULL;
                int r = build_shell_expand_words(*a, c->b->df->escape_token, 0, &env, &words, err);
                if (r < 0)
                        return r;
                bool upper = false;
                STRV_FOREACH (p, words) {
                        r = build_port_check(CHANGE_FILE, 1, *p, &upper, err);
                        if (r < 0)
                                return r;
                }
        }
        return 0;
}

static int apply_one(struct stage_ctx *c, const char *change, struct box_err *err)
{
        if (strchr(change, '\n'))
                return box_err_set(err, EINVAL,
                                   "a change is one instruction on one line: it holds a newline");
        _cleanup_dockerfile_ struct dockerfile *df = NULL;
        int r = build_dockerfile_parse_ast(CHANGE_FILE, change, strlen(change), &df, err);
        if (r < 0)
                return drop_position(err, r);
        /* one line in, one instruction out: the parser never splits a line */
        const struct dockerfile_instr *in = &df->instrs[0];
        step_handler handler = change_handler(in->name);
        if (!handler)
                return box_err_set(err, EINVAL,
                                   "unsupported instruction '%s': a change is one of CMD, "
                                   "ENTRYPOINT, ENV, EXPOSE, HEALTHCHECK, LABEL, ONBUILD, "
                                   "STOPSIGNAL, USER, VOLUME, WORKDIR",
                                   in->cmd);
        r = build_dockerfile_instr_validate(CHANGE_FILE, in, err);
        if (r < 0)
                return drop_position(err, r);
        c->b->df = df;
        if (streq(in->name, "expose"))
                r = check_ports(c, in, err);
        if (r >= 0)
                r = handler(c, in, err);
        if (r >= 0 && streq(in->name, "stopsignal") &&
            !build_signal_valid(c->cur.img.config.stop_signal))
                r = box_err_set(err, EINVAL, "invalid signal '%s'", c->cur.img.config.stop_signal);
        c->b->df = NULL;
        return r < 0 ? drop_position(err, r) : 0;
}

/* CHANGE as one line for a message: newlines written as \n. */
static char *one_line(const char *change)
{
        struct buf b = {0};
        buf_puts(&b, "");
        for (const char *p = change; *p; p++)
                if (*p == '\n')
                        buf_puts(&b, "\\n");
                else
                        buf_putc(&b, *p);
        return buf_steal(&b);
}

int build_config_changes_apply(struct oci_container_config *config, char *const *changes,
                               struct box_err *err)
{
        struct builder b = {0};
        struct stage_ctx c = {.b = &b};
        oci_container_config_copy(&c.cur.img.config, config);
        int r = 0;
        STRV_FOREACH (ch, changes) {
                r = apply_one(&c, *ch, err);
                if (r < 0) {
                        _cleanup_free_ char *shown = one_line(*ch);
                        box_err_prefix(err, "--change '%s'", shown);
                        break;
                }
        }
        if (r >= 0) {
                oci_container_config_release(config);
                *config = c.cur.img.config;
                memset(&c.cur.img.config, 0, sizeof(c.cur.img.config));
        }
        image_state_release(&c.cur);
        return r;
}

int build_config_change_apply(struct oci_container_config *config, const char *change,
                              struct box_err *err)
{
        char *one[] = {(char *)change, NULL};
        return build_config_changes_apply(config, one, err);
}
