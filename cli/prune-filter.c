/* The prune commands' --filter, one meaning for all of them (Docker's
 * container, image, volume, network and system prune): until=TIME takes
 * only what was created before TIME, label=K[=V] only what carries that
 * label, label!=K[=V] only what does not; volume prune's all=BOOL. */
#include <string.h>

#include "cli/cli.h"
#include "cli/format.h"
#include "cli/options.h"
#include "lib/strv.h"
#include "lib/xalloc.h"
#include "spec/json.h"
#include "spec/oci.h"

int cli_prune_filter_add(struct cli_prune_filter *f, const char *cmd, unsigned keys,
                         const char *arg)
{
        const char *eq = strchr(arg, '=');
        if (!eq)
                return cli_usage_error(cmd, "bad format of filter '%s' (expected name=value)", arg);
        _cleanup_free_ char *key = xstrndup(arg, (size_t)(eq - arg));
        const char *v = eq + 1;
        if ((keys & CLI_PRUNE_UNTIL) && streq(key, "until")) {
                if (f->until) /* Docker's words */
                        return cli_usage_error(cmd, "more than one until filter specified");
                if (cli_parse_when(v, &f->until_ns) < 0)
                        return cli_usage_error(cmd, "invalid filter 'until=%s'", v);
                f->until = true;
        } else if ((keys & CLI_PRUNE_LABEL) && (streq(key, "label") || streq(key, "label!"))) {
                if (!*v)
                        return cli_usage_error(cmd, "invalid filter '%s'", arg);
                char ***to = streq(key, "label") ? &f->labels : &f->not_labels;
                *to = strv_append(*to ? *to : xnew0(char *, 1), v);
        } else if ((keys & CLI_PRUNE_ALL) && streq(key, "all")) {
                bool b;
                if (cli_bool_value(v, &b) < 0)
                        return cli_usage_error(cmd, "invalid filter 'all=%s'", v);
                f->all = b;
        } else {
                return cli_usage_error(cmd, "invalid filter '%s'", key);
        }
        return 0;
}

bool cli_prune_filter_takes(const struct cli_prune_filter *f, const char *created,
                            char *const *labels)
{
        if (f->until) {
                int64_t t;
                /* unknown creation time: not provably before, so kept */
                if (!created || oci_time_parse_ns(created, &t) < 0 || t >= f->until_ns)
                        return false;
        }
        if (!cli_labels_match(f->labels, labels))
                return false;
        STRV_FOREACH (nl, f->not_labels) {
                char *one[] = {*nl, NULL};
                if (cli_labels_match(one, labels))
                        return false;
        }
        return true;
}

bool cli_prune_filter_takes_json(const struct cli_prune_filter *f, const char *created,
                                 const struct jv *labels)
{
        _cleanup_strv_free_ char **kv = cli_labels_kv(labels);
        return cli_prune_filter_takes(f, created, kv);
}

void cli_prune_filter_release(struct cli_prune_filter *f)
{
        strv_free(f->labels);
        strv_free(f->not_labels);
        *f = (struct cli_prune_filter){0};
}
