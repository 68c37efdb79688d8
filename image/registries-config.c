/* registries.yaml: the only user of libyaml (no yaml type leaves this file).
 *
 *   unqualified-registry: localhost:5000   # serves names without a registry
 *   registries:
 *     localhost:5000:
 *       insecure: true                      # plain HTTP, unverified TLS
 *       location: 127.0.0.1:5000            # connect there instead
 *       mirrors: [mirror.local:5000]        # tried first when pulling
 *       ca: /etc/box/certs/local-ca.pem     # a private CA
 *
 * /etc/box/registries.yaml is read first, then the user's file; a
 * registry the user's file names replaces the system's entry.
 *
 * libyaml is dlopen()ed when a file exists (lib/dl.h): most hosts have
 * none, and no command pays at start-up for loading it. */
#include "image/registry.h"

#include <ctype.h>
#include <fcntl.h>
#include <yaml.h>

#include "lib/dl.h"
#include "lib/fs.h"
#include "lib/strv.h"
#include "lib/xalloc.h"
#include "spec/ref.h"

#define CONF_MAX       (1u << 20)
#define REGISTRIES_MAX 1000

struct conf_entry {
        char *host;
        struct image_registry_conf c;
};

struct conf {
        char *unqualified;
        struct conf_entry *v;
        size_t n;
};

void image_registry_conf_release(struct image_registry_conf *c)
{
        free(c->location);
        strv_free(c->mirrors);
        free(c->ca_file);
        memset(c, 0, sizeof(*c));
}

static void conf_release(struct conf *cf)
{
        free(cf->unqualified);
        for (size_t i = 0; i < cf->n; i++) {
                free(cf->v[i].host);
                image_registry_conf_release(&cf->v[i].c);
        }
        free(cf->v);
}

static struct dl_lib libyaml = DL_LIB("libyaml-0.so.2", NULL);

/* FN of libyaml, after dl_lib_load() succeeded */
#define YAML(fn) DL_FN(&libyaml, fn)

struct yfile {
        const char *path;
        yaml_document_t doc;
};

static int at(struct yfile *y, const yaml_node_t *n, struct box_err *err, const char *what)
{
        return box_err_set(err, EINVAL, "'%s':%zu:%zu: %s", y->path, n->start_mark.line + 1,
                           n->start_mark.column + 1, what);
}

static const char *scalar(const yaml_node_t *n)
{
        return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

/* host[:port]: letters, digits, '.', '-', ':', '[', ']', '_' */
static int host_valid(const char *s)
{
        if (!s || !*s || strlen(s) > 255)
                return 0;
        for (const char *p = s; *p; p++)
                if (!isalnum((unsigned char)*p) && !strchr(".-:[]_", *p))
                        return 0;
        return 1;
}

static int get_host(struct yfile *y, yaml_node_t *n, char **ret, struct box_err *err)
{
        const char *s = scalar(n);
        if (!host_valid(s))
                return at(y, n, err, "not a registry host[:port]");
        free(*ret);
        *ret = xstrdup(s);
        return 0;
}

static int get_bool(struct yfile *y, yaml_node_t *n, int *ret, struct box_err *err)
{
        const char *s = scalar(n);
        if (s && (streq(s, "true") || streq(s, "yes")))
                *ret = 1;
        else if (s && (streq(s, "false") || streq(s, "no")))
                *ret = 0;
        else
                return at(y, n, err, "want true or false");
        return 0;
}

static int get_mirrors(struct yfile *y, yaml_node_t *n, char ***ret, struct box_err *err)
{
        if (n->type != YAML_SEQUENCE_NODE)
                return at(y, n, err, "mirrors: want a list of hosts");
        strv_free(*ret);
        *ret = xnew0(char *, 1);
        for (yaml_node_item_t *i = n->data.sequence.items.start; i < n->data.sequence.items.top;
             i++) {
                yaml_node_t *m = YAML(yaml_document_get_node)(&y->doc, *i);
                if (!host_valid(scalar(m)))
                        return at(y, m, err, "mirrors: not a registry host[:port]");
                *ret = strv_append(*ret, scalar(m));
        }
        return 0;
}

static int parse_registry(struct yfile *y, yaml_node_t *n, struct image_registry_conf *c,
                          struct box_err *err)
{
        if (n->type != YAML_MAPPING_NODE)
                return at(y, n, err, "want a mapping (insecure, location, mirrors, ca)");
        for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top;
             p++) {
                yaml_node_t *k = YAML(yaml_document_get_node)(&y->doc, p->key);
                yaml_node_t *v = YAML(yaml_document_get_node)(&y->doc, p->value);
                const char *key = scalar(k);
                int r;
                if (key && streq(key, "insecure"))
                        r = get_bool(y, v, &c->insecure, err);
                else if (key && streq(key, "location"))
                        r = get_host(y, v, &c->location, err);
                else if (key && streq(key, "mirrors"))
                        r = get_mirrors(y, v, &c->mirrors, err);
                else if (key && streq(key, "ca") && scalar(v) && scalar(v)[0] == '/') {
                        free(c->ca_file);
                        c->ca_file = xstrdup(scalar(v));
                        r = 0;
                } else if (key && streq(key, "ca"))
                        r = at(y, v, err, "ca: want an absolute path");
                else
                        r = at(y, k, err, "unknown key (want insecure, location, mirrors or ca)");
                if (r < 0)
                        return r;
        }
        return 0;
}

static int parse_registries(struct yfile *y, yaml_node_t *n, struct conf *cf, struct box_err *err)
{
        if (n->type != YAML_MAPPING_NODE)
                return at(y, n, err, "registries: want a mapping of hosts");
        for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top;
             p++) {
                yaml_node_t *k = YAML(yaml_document_get_node)(&y->doc, p->key);
                yaml_node_t *v = YAML(yaml_document_get_node)(&y->doc, p->value);
                if (!host_valid(scalar(k)))
                        return at(y, k, err, "registries: not a registry host[:port]");
                struct conf_entry *e = NULL;
                for (size_t i = 0; i < cf->n; i++)
                        if (streq(cf->v[i].host, scalar(k))) {
                                e = &cf->v[i];
                                image_registry_conf_release(&e->c);
                        }
                if (!e) {
                        if (cf->n >= REGISTRIES_MAX)
                                return at(y, k, err, "registries: too many");
                        cf->v = xreallocarray(cf->v, cf->n + 1, sizeof(*cf->v));
                        e = &cf->v[cf->n++];
                        memset(e, 0, sizeof(*e));
                        e->host = xstrdup(scalar(k));
                }
                int r = parse_registry(y, v, &e->c, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int parse_top(struct yfile *y, struct conf *cf, struct box_err *err)
{
        yaml_node_t *root = YAML(yaml_document_get_root_node)(&y->doc);
        if (!root)
                return 0; /* an empty file */
        if (root->type != YAML_MAPPING_NODE)
                return at(y, root, err, "want a mapping (unqualified-registry, registries)");
        for (yaml_node_pair_t *p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top;
             p++) {
                yaml_node_t *k = YAML(yaml_document_get_node)(&y->doc, p->key);
                yaml_node_t *v = YAML(yaml_document_get_node)(&y->doc, p->value);
                const char *key = scalar(k);
                int r;
                if (key && streq(key, "unqualified-registry"))
                        r = get_host(y, v, &cf->unqualified, err);
                else if (key && streq(key, "registries"))
                        r = parse_registries(y, v, cf, err);
                else
                        r = at(y, k, err, "unknown key (want unqualified-registry or registries)");
                if (r < 0)
                        return r;
        }
        return 0;
}

static int conf_read(const char *path, struct conf *cf, struct box_err *err)
{
        _cleanup_free_ char *buf = NULL;
        size_t len;
        int r = fs_read_file_at(AT_FDCWD, path, CONF_MAX, &buf, &len, err);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;
        r = dl_lib_load(&libyaml, err);
        if (r < 0)
                return box_err_prefix(err, "'%s'", path);
        yaml_parser_t parser;
        struct yfile y = {.path = path};
        if (!YAML(yaml_parser_initialize)(&parser))
                return box_err_set(err, ENOMEM, "'%s': cannot start the YAML parser", path);
        YAML(yaml_parser_set_input_string)(&parser, (const unsigned char *)buf, len);
        if (!YAML(yaml_parser_load)(&parser, &y.doc)) {
                r = box_err_set(err, EINVAL, "'%s':%zu:%zu: %s", path, parser.problem_mark.line + 1,
                                parser.problem_mark.column + 1,
                                parser.problem ? parser.problem : "malformed YAML");
                YAML(yaml_parser_delete)(&parser);
                return r;
        }
        r = parse_top(&y, cf, err);
        YAML(yaml_document_delete)(&y.doc);
        YAML(yaml_parser_delete)(&parser);
        return r;
}

static char *user_conf_path(void)
{
        const char *x = getenv("XDG_CONFIG_HOME");
        if (x && x[0] == '/')
                return xasprintf("%s/box/registries.yaml", x);
        const char *home = getenv("HOME");
        return xasprintf("%s/.config/box/registries.yaml", home && *home ? home : "/root");
}

static const struct conf_entry *conf_find(const struct conf *cf, const char *host)
{
        for (size_t i = 0; i < cf->n; i++)
                if (streq(cf->v[i].host, host))
                        return &cf->v[i];
        return NULL;
}

static void conf_copy(struct image_registry_conf *dst, const struct conf_entry *e, const char *host)
{
        dst->location = xstrdup(e && e->c.location ? e->c.location : host);
        dst->mirrors = strv_copy(e && e->c.mirrors ? e->c.mirrors : (char *[]){NULL});
        dst->insecure = e ? e->c.insecure : 0;
        dst->ca_file = e && e->c.ca_file ? xstrdup(e->c.ca_file) : NULL;
}

int image_registry_conf_get(const char *host, struct image_registry_conf *ret, struct box_err *err)
{
        struct conf cf = {0};
        const char *sys = getenv("BOX_REGISTRIES_CONF");
        _cleanup_free_ char *user = user_conf_path();
        int r = conf_read(sys && *sys ? sys : "/etc/box/registries.yaml", &cf, err);
        if (r >= 0)
                r = conf_read(user, &cf, err);
        if (r < 0) {
                conf_release(&cf);
                return r;
        }
        memset(ret, 0, sizeof(*ret));
        const struct conf_entry *e = conf_find(&cf, host);
        /* names without a registry: where they come from is the file's choice */
        if (streq(host, REF_DEFAULT_DOMAIN) && !e && cf.unqualified &&
            !streq(cf.unqualified, host)) {
                const struct conf_entry *u = conf_find(&cf, cf.unqualified);
                conf_copy(ret, u, cf.unqualified);
        } else {
                conf_copy(ret, e, host);
        }
        conf_release(&cf);
        return 0;
}
