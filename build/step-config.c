/* The instructions that edit the image config (ENV, LABEL, ARG, WORKDIR,
 * CMD, ENTRYPOINT, SHELL, USER, STOPSIGNAL, EXPOSE, VOLUME, HEALTHCHECK,
 * MAINTAINER, ONBUILD) and BuildKit's history strings for them. */
#include <ctype.h>
#include <fcntl.h>

#include "build/build-internal.h"
#include "lib/go-path.h"
#include "lib/go-quote.h"
#include "lib/strv.h"
#include "lib/syscall.h"

/* ---- instructions ---- */

char **step_command_argv(struct stage_ctx *c, const struct dockerfile_instr *in)
{
        if (in->json)
                return strv_copy(in->args);
        char **shell = c->cur.img.config.shell && c->cur.img.config.shell[0]
                               ? strv_copy(c->cur.img.config.shell)
                               : strv_append(strv_append(NULL, "/bin/sh"), "-c");
        return strv_append(shell, in->args && in->args[0] ? in->args[0] : "");
}

/* History strings are BuildKit's, which formats with Go's fmt: %v of a
 * []string is "[a b]", %q of one is "[\"a\" \"b\"]" (strconv.Quote). */
char *build_go_strv(char *const *v, bool quoted)
{
        if (!quoted) {
                _cleanup_free_ char *j = strv_join(v, " ");
                return xasprintf("[%s]", j);
        }
        struct buf b = {0};
        buf_putc(&b, '[');
        for (size_t i = 0; v && v[i]; i++) {
                if (i)
                        buf_putc(&b, ' ');
                go_quote(&b, v[i]);
        }
        buf_putc(&b, ']');
        return buf_steal(&b);
}

/* Go's time.Duration.String(). */
static void go_frac(struct buf *b, uint64_t v, int prec)
{
        uint64_t p10 = 1;
        for (int i = 0; i < prec; i++)
                p10 *= 10;
        buf_printf(b, "%llu", (unsigned long long)(v / p10));
        uint64_t f = v % p10;
        if (!f)
                return;
        char digits[16];
        snprintf(digits, sizeof(digits), "%0*llu", prec, (unsigned long long)f);
        size_t n = strlen(digits);
        while (n && digits[n - 1] == '0')
                digits[--n] = '\0';
        buf_printf(b, ".%s", digits);
}

static void go_duration(struct buf *b, int64_t d)
{
        if (d == 0) {
                buf_puts(b, "0s");
                return;
        }
        if (d < 0) {
                buf_putc(b, '-');
                d = -d;
        }
        uint64_t u = (uint64_t)d;
        if (u < 1000) {
                buf_printf(b, "%lluns", (unsigned long long)u);
        } else if (u < 1000000) {
                go_frac(b, u, 3);
                buf_puts(b, "\xc2\xb5s");
        } else if (u < 1000000000) {
                go_frac(b, u, 6);
                buf_puts(b, "ms");
        } else {
                uint64_t h = u / 3600000000000ull, m = u / 60000000000ull % 60;
                if (h)
                        buf_printf(b, "%lluh", (unsigned long long)h);
                if (h || m)
                        buf_printf(b, "%llum", (unsigned long long)m);
                go_frac(b, u % 60000000000ull, 9);
                buf_putc(b, 's');
        }
}

static int do_env(struct stage_ctx *c, const struct dockerfile_instr *in, bool label,
                  struct box_err *err)
{
        /* every pair is expanded before any is set, as BuildKit does:
         * "ENV a=1 b=$a" does not see the new a */
        _cleanup_strv_free_ char **kv = xnew0(char *, 1);
        for (size_t i = 0; i < in->n_pairs; i++) {
                char *k = NULL, *v = NULL;
                int r = stage_expand(c, in->pairs[i].key, &k, err);
                if (r >= 0)
                        r = stage_expand(c, in->pairs[i].value, &v, err);
                kv = k ? strv_push(kv, k) : kv;
                kv = v ? strv_push(kv, v) : kv;
                if (r < 0)
                        return r;
        }
        struct buf hist = {0};
        buf_puts(&hist, label ? "LABEL" : "ENV");
        for (char **p = kv; p[0] && p[1]; p += 2) {
                const char *k = p[0], *v = p[1];
                if (label) {
                        c->cur.img.config.labels = oci_kv_set(c->cur.img.config.labels, k, v);
                } else {
                        _cleanup_free_ char *e = xasprintf("%s=%s", k, v);
                        if (!c->cur.img.config.env)
                                c->cur.img.config.env = xnew0(char *, 1);
                        c->cur.img.config.env = strv_env_set(c->cur.img.config.env, e);
                }
                buf_printf(&hist, " %s=%s", k, v);
        }
        image_state_add_history(&c->cur, hist.data, true);
        build_chain_next(c->cur.chain, hist.data);
        buf_release(&hist);
        return 0;
}

int step_workdir_config(struct stage_ctx *c, const struct dockerfile_instr *in, struct box_err *err)
{
        _cleanup_free_ char *w = NULL;
        int r = stage_expand(c, in->args[0], &w, err);
        if (r < 0)
                return r;
        _cleanup_free_ char *full =
                w[0] == '/' ? xstrdup(w)
                            : xasprintf("%s/%s", strempty(c->cur.img.config.working_dir), w);
        free(c->cur.img.config.working_dir);
        c->cur.img.config.working_dir = go_path_clean(full);
        if (c->cur.img.config.working_dir[0] != '/') {
                char *t = xasprintf("/%s", c->cur.img.config.working_dir);
                free(c->cur.img.config.working_dir);
                c->cur.img.config.working_dir = t;
        }
        return 0;
}

int step_workdir(struct stage_ctx *c, const struct dockerfile_instr *in, struct box_err *err)
{
        int r = step_workdir_config(c, in, err);
        if (r < 0)
                return r;
        _cleanup_free_ char *created_by = xasprintf("WORKDIR %s", c->cur.img.config.working_dir);
        _cleanup_free_ char *p_parent = xasprintf("parent: %s", c->cur.chain);
        _cleanup_free_ char *p_inst = xasprintf("instruction: %s", created_by);
        _cleanup_free_ char *p_user = xasprintf("user: %s", strempty(c->cur.img.config.user));
        char *parts[] = {p_parent, p_inst, p_user, NULL};
        _cleanup_free_ char *key = step_key(c, parts);
        memcpy(c->cur.chain, key, sizeof(digest_str));
        /* the directory is looked up in the merged view, inside the root: a
         * layer's own symlinks are the image's, never the host's */
        struct step_dir sd;
        r = step_dir_new(c->b, &sd, err);
        if (r >= 0)
                r = step_overlay_mount(c->b, &c->cur, &sd, true, err);
        _cleanup_close_ int root =
                r >= 0 ? open(sd.merged, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -EBADF;
        if (r >= 0 && root < 0)
                r = box_err_errno(err, errno, "open build root");
        if (r >= 0) {
                _cleanup_close_ int wd =
                        openat_in_root(root, c->cur.img.config.working_dir + 1, O_PATH, 0);
                bool done = wd >= 0;
                if (done) {
                        image_state_add_history(&c->cur, created_by, true);
                } else if (step_cache_lookup(c, key, created_by, parts)) {
                        builder_progress(c->b, "  CACHED\n");
                        done = true;
                }
                if (done) {
                        close(TAKE_FD(root));
                        step_dir_free(&sd);
                        return 0;
                }
        }
        if (r >= 0) {
                struct copy_opts o = {.chmod = -1};
                /* as BuildKit: the directories WORKDIR creates belong to USER */
                const char *user = c->cur.img.config.user;
                /* a user the image does not know: root, as BuildKit's mkdir */
                if (user && *user && step_resolve_owner(root, user, "user ", &o, NULL) < 0)
                        o.has_chown = false;
                if (r >= 0)
                        r = build_copy_heredoc("", "/.box-workdir-probe", root, &o,
                                               err); /* ensures root is writable */
                if (r >= 0) {
                        unlinkat(root, ".box-workdir-probe", 0);
                        _cleanup_free_ char *p = xasprintf("%s/", c->cur.img.config.working_dir);
                        _cleanup_free_ char *probe = xasprintf("%s.box-probe", p);
                        r = build_copy_heredoc("", probe, root, &o, err);
                        if (r >= 0) {
                                _cleanup_close_ int wd =
                                        openat_in_root(root, c->cur.img.config.working_dir + 1,
                                                       O_RDONLY | O_DIRECTORY, 0);
                                if (wd >= 0)
                                        unlinkat(wd, ".box-probe", 0);
                        }
                }
        }
        if (root >= 0)
                close(TAKE_FD(root));
        if (r >= 0)
                r = step_commit(c, &sd, key, created_by, err);
        step_dir_free(&sd);
        return r;
}

int step_arg(struct stage_ctx *c, const struct dockerfile_instr *in, struct box_err *err)
{
        struct builder *b = c->b;
        struct buf hist = {0};
        buf_puts(&hist, "ARG");
        STRV_FOREACH (a, in->args) {
                const char *eq = strchr(*a, '=');
                _cleanup_free_ char *name = eq ? xstrndup(*a, (size_t)(eq - *a)) : xstrdup(*a);
                _cleanup_free_ char *value = NULL;
                int have = 0;
                int i = strv_env_find(b->build_args, name, strlen(name));
                if (i >= 0) {
                        const char *v = strchr(b->build_args[i], '=');
                        value = xstrdup(v ? v + 1 : "");
                        have = 1;
                        if (!strv_contains(b->used_args, name))
                                b->used_args = strv_append(b->used_args, name);
                } else if (eq) {
                        int r = stage_expand(c, eq + 1, &value, err);
                        if (r < 0) {
                                buf_release(&hist);
                                return r;
                        }
                        have = 1;
                } else {
                        int g = strv_env_find(b->global_args, name, strlen(name));
                        if (g >= 0 && strchr(b->global_args[g], '=')) {
                                value = xstrdup(strchr(b->global_args[g], '=') + 1);
                                have = 1;
                        }
                }
                _cleanup_free_ char *entry = have ? xasprintf("%s=%s", name, value) : xstrdup(name);
                if (have)
                        c->args = strv_env_set(c->args, entry);
                if (!strv_contains(c->arg_names, name))
                        c->arg_names = strv_append(c->arg_names, name);
                buf_printf(&hist, " %s", entry);
        }
        /* one history entry per instruction, as BuildKit writes it */
        image_state_add_history(&c->cur, hist.data, true);
        build_chain_next(c->cur.chain, hist.data);
        buf_release(&hist);
        return 0;
}

int step_healthcheck(struct stage_ctx *c, const struct dockerfile_instr *in, struct box_err *err)
{
        struct oci_container_config *cc = &c->cur.img.config;
        if (cc->healthcheck) {
                strv_free(cc->healthcheck->test);
                free(cc->healthcheck);
                cc->healthcheck = NULL;
        }
        struct oci_healthcheck *h = xnew0(struct oci_healthcheck, 1);
        cc->healthcheck = h;
        const char *kind = in->args && in->args[0] ? in->args[0] : "NONE";
        if (strcasecmp(kind, "NONE") == 0) {
                h->test = strv_append(NULL, "NONE");
        } else {
                if (in->json) {
                        h->test = strv_append(NULL, "CMD");
                        for (size_t i = 1; in->args[i]; i++)
                                h->test = strv_append(h->test, in->args[i]);
                } else {
                        h->test = strv_append(NULL, "CMD-SHELL");
                        h->test = strv_append(h->test, in->args[1] ? in->args[1] : "");
                }
                static const char *const durs[] = {"interval", "timeout", "start-period",
                                                   "start-interval"};
                int64_t *fields[] = {&h->interval, &h->timeout, &h->start_period,
                                     &h->start_interval};
                for (size_t i = 0; i < ARRAY_SIZE(durs); i++) {
                        const char *v = build_dockerfile_flag_value(in, durs[i]);
                        if (v && build_parse_duration(v, fields[i]) < 0)
                                return box_err_set(err, EINVAL, "invalid --%s '%s'", durs[i], v);
                }
                const char *rv = build_dockerfile_flag_value(in, "retries");
                if (rv)
                        h->retries = (int)strtol(rv, NULL, 10);
        }
        /* BuildKit: "HEALTHCHECK %+v" of the config struct */
        _cleanup_free_ char *t = build_go_strv(h->test, false);
        struct buf hb = {0};
        buf_printf(&hb, "HEALTHCHECK {Test:%s Interval:", t);
        go_duration(&hb, h->interval);
        buf_puts(&hb, " Timeout:");
        go_duration(&hb, h->timeout);
        buf_puts(&hb, " StartPeriod:");
        go_duration(&hb, h->start_period);
        buf_puts(&hb, " StartInterval:");
        go_duration(&hb, h->start_interval);
        buf_printf(&hb, " Retries:%d}", h->retries);
        image_state_add_history(&c->cur, hb.data, true);
        build_chain_next(c->cur.chain, hb.data);
        buf_release(&hb);
        return 0;
}

/* One history entry that changes no file, and the cache chain with it. */
static void record(struct stage_ctx *c, const char *hist)
{
        image_state_add_history(&c->cur, hist, true);
        build_chain_next(c->cur.chain, hist);
}

int step_env(struct stage_ctx *c, const struct dockerfile_instr *in, struct box_err *err)
{
        return do_env(c, in, false, err);
}

int step_label(struct stage_ctx *c, const struct dockerfile_instr *in, struct box_err *err)
{
        return do_env(c, in, true, err);
}

static int set_command(struct stage_ctx *c, const struct dockerfile_instr *in, bool entrypoint)
{
        struct oci_container_config *cc = &c->cur.img.config;
        _cleanup_free_ char *hist = NULL;
        char **v = step_command_argv(c, in);
        _cleanup_free_ char *j = build_go_strv(v, true);
        if (!v[0]) { /* "[]" clears it: the config omits an empty list */
                strv_free(v);
                v = NULL;
        }
        if (!entrypoint) {
                strv_free(cc->cmd);
                cc->cmd = v;
                c->cur.cmd_set = true;
                hist = xasprintf("CMD %s", j);
        } else {
                strv_free(cc->entrypoint);
                cc->entrypoint = v;
                if (!c->cur.cmd_set) {
                        strv_free(cc->cmd);
                        cc->cmd = NULL;
                }
                hist = xasprintf("ENTRYPOINT %s", j);
        }
        record(c, hist);
        return 0;
}

int step_cmd(struct stage_ctx *c, const struct dockerfile_instr *in, struct box_err *err)
{
        return set_command(c, in, false);
}

int step_entrypoint(struct stage_ctx *c, const struct dockerfile_instr *in, struct box_err *err)
{
        return set_command(c, in, true);
}

int step_shell(struct stage_ctx *c, const struct dockerfile_instr *in, struct box_err *err)
{
        struct oci_container_config *cc = &c->cur.img.config;
        strv_free(cc->shell);
        cc->shell = strv_copy(in->args);
        _cleanup_free_ char *j = build_go_strv(cc->shell, false);
        _cleanup_free_ char *hist = xasprintf("SHELL %s", j);
        record(c, hist);
        return 0;
}

/* USER and STOPSIGNAL: one expanded word into FIELD. */
static int set_word(struct stage_ctx *c, const struct dockerfile_instr *in, const char *what,
                    char **field, struct box_err *err)
{
        char *v = NULL;
        int r = stage_expand(c, in->args[0], &v, err);
        if (r < 0)
                return r;
        free(*field);
        *field = v;
        _cleanup_free_ char *hist = xasprintf("%s %s", what, v);
        record(c, hist);
        return 0;
}

int step_user(struct stage_ctx *c, const struct dockerfile_instr *in, struct box_err *err)
{
        return set_word(c, in, "USER", &c->cur.img.config.user, err);
}

int step_stopsignal(struct stage_ctx *c, const struct dockerfile_instr *in, struct box_err *err)
{
        return set_word(c, in, "STOPSIGNAL", &c->cur.img.config.stop_signal, err);
}

/* EXPOSE and VOLUME: each argument expanded and handed to ADD, which
 * applies it and appends it to the history "WHAT [a b]". */
typedef int (*word_adder)(struct oci_container_config *cc, char *v, const char *raw, struct buf *h,
                          struct box_err *err);

static int each_word(struct stage_ctx *c, const struct dockerfile_instr *in, const char *what,
                     bool split, word_adder add, struct box_err *err)
{
        struct buf h = {0};
        buf_printf(&h, "%s [", what);
        int r = 0;
        STRV_FOREACH (a, in->args) {
                /* SPLIT: each argument expands to words, as EXPOSE's do in
                 * BuildKit (ProcessWords: EXPOSE $PORTS with "80 443/udp") */
                _cleanup_strv_free_ char **words = NULL;
                if (split) {
                        struct shell_env e = {stage_scope_get, c};
                        r = build_shell_expand_words(*a, c->b->df->escape_token, 0, &e, &words,
                                                     err);
                } else {
                        words = xnew0(char *, 2);
                        r = stage_expand(c, *a, &words[0], err);
                }
                for (size_t i = 0; r >= 0 && words[i]; i++)
                        r = add(&c->cur.img.config, words[i], *a, &h, err);
                if (r < 0)
                        break;
        }
        if (r >= 0) {
                buf_putc(&h, ']');
                record(c, h.data);
        }
        buf_release(&h);
        return r < 0 ? r : 0;
}

/* "EXPOSE [" and "VOLUME [" are 8 bytes: a longer history has words */
#define HIST_SEP(h) ((h)->len > 8 ? " " : "")

static int add_port(struct oci_container_config *cc, char *v, const char *raw, struct buf *h,
                    struct box_err *err)
{
        /* [[ip:]host:]port[/proto]: the image exposes the container's port,
         * its protocol in lowercase (go-connections' nat.ParsePortSpec) */
        char *colon = strrchr(v, ':');
        if (colon)
                v = colon + 1;
        char *proto = strchr(v, '/');
        const char *pr = proto ? proto + 1 : "tcp";
        if (proto)
                *proto = '\0';
        for (char *l = proto ? proto + 1 : NULL; l && *l; l++)
                *l = (char)tolower((unsigned char)*l);
        char *end = v, *end2 = NULL;
        long lo = isdigit((unsigned char)*v) ? strtol(v, &end, 10) : 0, hi = lo;
        if (*end == '-' && isdigit((unsigned char)end[1]))
                hi = strtol(end + 1, &end2, 10);
        else
                end2 = end;
        if (end == v || *end2 || lo < 1 || hi > 65535 || hi < lo)
                return box_err_set(err, EINVAL, "invalid port '%s'", raw);
        /* the ports of this protocol already there, as a bitmap: a
         * range of 65535 is not 65535 scans of the list */
        _cleanup_free_ unsigned char *seen = xzalloc(65536 / 8);
        size_t n_ports = 0;
        for (; cc->exposed_ports && cc->exposed_ports[n_ports]; n_ports++) {
                const char *e = cc->exposed_ports[n_ports], *sl = strchr(e, '/');
                long q = strtol(e, NULL, 10);
                if (sl && streq(sl + 1, pr) && q >= 1 && q <= 65535)
                        seen[q / 8] |= (unsigned char)(1u << (q % 8));
        }
        if (!cc->exposed_ports)
                cc->exposed_ports = xnew0(char *, 1);
        for (long p = lo; p <= hi; p++) {
                char *port = xasprintf("%ld/%s", p, pr);
                buf_printf(h, "%s%s", HIST_SEP(h), port);
                if (seen[p / 8] & (1u << (p % 8))) {
                        free(port);
                        continue;
                }
                seen[p / 8] |= (unsigned char)(1u << (p % 8));
                cc->exposed_ports = strv_push_at(cc->exposed_ports, n_ports++, port);
        }
        return 0;
}

int step_expose(struct stage_ctx *c, const struct dockerfile_instr *in, struct box_err *err)
{
        return each_word(c, in, "EXPOSE", true, add_port, err);
}

static int add_volume(struct oci_container_config *cc, char *v, const char *raw, struct buf *h,
                      struct box_err *err)
{
        if (!*v) /* "VOLUME $UNSET", as BuildKit */
                return box_err_set(err, EINVAL, "VOLUME specified can not be an empty string");
        if (!strv_contains(cc->volumes, v))
                cc->volumes = strv_append(cc->volumes, v);
        buf_printf(h, "%s%s", HIST_SEP(h), v);
        return 0;
}

int step_volume(struct stage_ctx *c, const struct dockerfile_instr *in, struct box_err *err)
{
        return each_word(c, in, "VOLUME", false, add_volume, err);
}

int step_maintainer(struct stage_ctx *c, const struct dockerfile_instr *in, struct box_err *err)
{
        free(c->cur.img.author);
        c->cur.img.author = xstrdup(in->args && in->args[0] ? in->args[0] : "");
        _cleanup_free_ char *hist = xasprintf("MAINTAINER %s", c->cur.img.author);
        record(c, hist);
        return 0;
}

int step_onbuild(struct stage_ctx *c, const struct dockerfile_instr *in, struct box_err *err)
{
        const char *o = in->original;
        while (isspace((unsigned char)*o))
                o++;
        o += strcspn(o, " \t");
        while (isspace((unsigned char)*o))
                o++;
        /* the trigger carries its heredocs' lines, as BuildKit's does, so
         * that the stage built FROM this image reads them again */
        struct buf t = {0};
        buf_puts(&t, o);
        for (size_t h = 0; h < in->n_heredocs; h++)
                buf_printf(&t, "\n%s%s", in->heredocs[h].content, in->heredocs[h].name);
        _cleanup_free_ char *trigger = buf_steal(&t);
        c->cur.img.config.on_build = strv_append(c->cur.img.config.on_build, trigger);
        /* BuildKit records no history entry for ONBUILD */
        _cleanup_free_ char *key = xasprintf("ONBUILD %s", trigger);
        build_chain_next(c->cur.chain, key);
        return 0;
}
