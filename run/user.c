/* Resolving -u and --group-add against the container's own /etc/passwd
 * and /etc/group, with runc's rules: a name must exist; a number need not
 * (uid N without a passwd entry gets gid 0 and HOME=/); without an
 * explicit group the user's supplementary groups are the groups that list
 * it as a member. */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/strv.h"
#include "lib/xalloc.h"
#include "run/run.h"

void run_user_release(struct run_user *u)
{
        free(u->groups);
        free(u->home);
        u->groups = NULL;
        u->home = NULL;
        u->n_groups = 0;
}

static bool parse_id(const char *s, unsigned *ret)
{
        char *end;
        if (!*s || *s == '-' || *s == '+')
                return false;
        errno = 0;
        unsigned long v = strtoul(s, &end, 10);
        if (errno || *end || v > UINT_MAX - 1)
                return false;
        *ret = (unsigned)v;
        return true;
}

/* A number outside 0..2147483647 ("-1", "2147483648") is neither a name
 * to look up nor an id: runc refuses it with this error, as Docker shows. */
static bool id_out_of_range(const char *s, struct box_err *err)
{
        const char *d = s + (*s == '-');
        if (!*d || d[strspn(d, "0123456789")])
                return false;
        errno = 0;
        long long v = strtoll(s, NULL, 10);
        if (errno != ERANGE && v >= 0 && v <= INT32_MAX)
                return false;
        box_err_set(err, EINVAL, "'%s': uids and gids must be in range 0-2147483647", s);
        return true;
}

/* Splits one line of a colon-separated database into at most n fields,
 * in place; returns the field count. */
static size_t split_fields(char *line, char **f, size_t n)
{
        size_t i = 0;
        f[i++] = line;
        for (char *p = line; *p && i < n; p++) {
                if (*p == ':') {
                        *p = '\0';
                        f[i++] = p + 1;
                }
        }
        return i;
}

struct pw_entry {
        char name[256];
        unsigned uid, gid;
};

/* Finds the passwd entry whose name is ARG or, if ARG is a number, whose
 * uid is ARG.  Returns 1 when found. */
static int passwd_find(const char *passwd, const char *arg, struct pw_entry *ret)
{
        if (!passwd)
                return 0;
        _cleanup_free_ char *copy = xstrdup(passwd);
        unsigned want;
        bool numeric = parse_id(arg, &want);
        char *save = NULL;
        for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                char *f[7];
                if (split_fields(line, f, 7) < 4 || line[0] == '#')
                        continue;
                unsigned uid, gid;
                if (!parse_id(f[2], &uid) || !parse_id(f[3], &gid))
                        continue;
                if (streq(f[0], arg) || (numeric && uid == want)) {
                        snprintf(ret->name, sizeof(ret->name), "%s", f[0]);
                        ret->uid = uid;
                        ret->gid = gid;
                        return 1;
                }
        }
        return 0;
}

/* The home field needs the full 7-field split; done separately to keep
 * passwd_find simple to read. */
static void passwd_home(const char *passwd, const char *name, char *home, size_t n)
{
        _cleanup_free_ char *copy = xstrdup(passwd);
        char *save = NULL;
        snprintf(home, n, "/");
        for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                char *f[7];
                size_t k = split_fields(line, f, 7);
                if (k >= 6 && streq(f[0], name)) {
                        if (*f[5])
                                snprintf(home, n, "%s", f[5]);
                        return;
                }
        }
}

/* Looks a group up by name or number: returns 1 and its gid when found. */
static int group_find(const char *group, const char *arg, unsigned *ret_gid)
{
        if (!group)
                return 0;
        _cleanup_free_ char *copy = xstrdup(group);
        unsigned want;
        bool numeric = parse_id(arg, &want);
        char *save = NULL;
        for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                char *f[4];
                unsigned gid;
                if (split_fields(line, f, 4) < 3 || line[0] == '#' || !parse_id(f[2], &gid))
                        continue;
                if (streq(f[0], arg) || (numeric && gid == want)) {
                        *ret_gid = gid;
                        return 1;
                }
        }
        return 0;
}

static void add_gid(struct run_user *u, gid_t gid)
{
        for (size_t i = 0; i < u->n_groups; i++)
                if (u->groups[i] == gid)
                        return;
        u->groups = xreallocarray(u->groups, u->n_groups + 1, sizeof(gid_t));
        u->groups[u->n_groups++] = gid;
}

void run_user_groups_prepend(struct run_user *u, gid_t gid)
{
        size_t i = 0;
        while (i < u->n_groups && u->groups[i] != gid)
                i++;
        if (i == u->n_groups) {
                u->groups = xreallocarray(u->groups, u->n_groups + 1, sizeof(gid_t));
                u->n_groups++;
        }
        memmove(u->groups + 1, u->groups, i * sizeof(gid_t));
        u->groups[0] = gid;
}

/* Adds every group that lists NAME among its members. */
static void member_groups(const char *group, const char *name, struct run_user *u)
{
        if (!group)
                return;
        _cleanup_free_ char *copy = xstrdup(group);
        char *save = NULL;
        for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                char *f[4];
                unsigned gid;
                if (split_fields(line, f, 4) < 4 || line[0] == '#' || !parse_id(f[2], &gid))
                        continue;
                char *save2 = NULL;
                for (char *m = strtok_r(f[3], ",", &save2); m; m = strtok_r(NULL, ",", &save2))
                        if (streq(m, name))
                                add_gid(u, gid);
        }
}

int run_user_resolve(const char *spec, char *const *group_add, const char *passwd,
                     const char *group, struct run_user *ret, struct box_err *err)
{
        struct run_user u = {.uid = 0, .gid = 0};
        _cleanup_free_ char *copy = xstrdup(spec ? spec : "");
        char *user_arg = copy, *group_arg = strchr(copy, ':');
        char home[PATH_MAX] = "/";
        struct pw_entry pw;
        bool found;

        if (group_arg)
                *group_arg++ = '\0';
        if (!*user_arg)
                user_arg = "0";

        found = passwd_find(passwd, user_arg, &pw);
        if (found) {
                u.uid = pw.uid;
                u.gid = pw.gid;
                passwd_home(passwd, pw.name, home, sizeof(home));
        } else {
                unsigned id;
                if (id_out_of_range(user_arg, err))
                        return -EINVAL;
                if (!parse_id(user_arg, &id))
                        return box_err_set(
                                err, ENOENT,
                                "unable to find user '%s': no matching entries in passwd file",
                                user_arg);
                u.uid = id;
        }

        if (group_arg && *group_arg) {
                unsigned gid;
                bool named = group_find(group, group_arg, &gid);
                if (!named && id_out_of_range(group_arg, err))
                        return -EINVAL;
                if (!named && !parse_id(group_arg, &gid))
                        return box_err_set(
                                err, ENOENT,
                                "unable to find group '%s': no matching entries in group file",
                                group_arg);
                u.gid = gid;
        } else if (found) {
                member_groups(group, pw.name, &u);
        }

        STRV_FOREACH (g, group_add) {
                unsigned gid;
                bool named = group_find(group, *g, &gid);
                if (!named && id_out_of_range(*g, err)) {
                        run_user_release(&u);
                        return -EINVAL;
                }
                if (!named && !parse_id(*g, &gid)) {
                        run_user_release(&u);
                        return box_err_set(
                                err, ENOENT,
                                "unable to find group '%s': no matching entries in group file", *g);
                }
                add_gid(&u, gid);
        }
        u.home = xstrdup(home);
        *ret = u;
        return 0;
}
