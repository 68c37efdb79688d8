/* Address leases (see run/network.h for the files): one file per address,
 * made O_EXCL and write-locked (an OFD lock, which a fork shares and the
 * container never holds: box closes every fd before the container runs)
 * for as long as its holder lives. */
#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>

#include "lib/fs.h"
#include "lib/xalloc.h"
#include "run/name.h"
#include "run/net-internal.h"
#include "run/state.h"

static char *lease_path(const struct run_net *n, const char *ip)
{
        return xasprintf("%s/leases/%s", n->dir, ip);
}

static bool lease_locked(int fd)
{
        struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
        return fcntl(fd, F_OFD_GETLK, &fl) == 0 && fl.l_type != F_UNLCK;
}

/* The id a lease names (its first line), checked, or "" */
static void lease_id(int fd, char id[RUN_ID_LEN + 1], char **ret_names)
{
        char buf[4096];
        id[0] = '\0';
        ssize_t len = pread(fd, buf, sizeof(buf) - 1, 0);
        if (len <= 0)
                return;
        buf[len] = '\0';
        char *nl = strchr(buf, '\n');
        if (nl)
                *nl = '\0';
        if (!run_id_valid(buf))
                return;
        memcpy(id, buf, RUN_ID_LEN + 1);
        if (ret_names && nl) {
                nl[1 + strcspn(nl + 1, "\n")] = '\0';
                *ret_names = xstrdup(nl + 1);
        }
}

/* Is the lease open on FD held: locked by a live holder, or its
 * container's monitor alive? */
static bool lease_live(int fd, const char *runroot)
{
        if (lease_locked(fd))
                return true;
        char id[RUN_ID_LEN + 1];
        lease_id(fd, id, NULL);
        return runroot && id[0] && run_state_is_live(runroot, id);
}

static int lease_write(int fd, const char *id, const char *names, struct box_err *err)
{
        struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
        if (fcntl(fd, F_OFD_SETLK, &fl) < 0)
                return -errno;
        _cleanup_free_ char *data = xasprintf("%s\n%s\n", id, strempty(names));
        if (ftruncate(fd, 0) < 0 || pwrite(fd, data, strlen(data), 0) != (ssize_t)strlen(data))
                return box_err_errno(err, errno, "write lease");
        return 0;
}

/* Takes address IP (dotted) when free or stale: 0, -EADDRINUSE when live. */
static int lease_take(const struct run_net *n, const char *runroot, const char *ip, const char *id,
                      const char *names, int *ret_fd, struct box_err *err)
{
        _cleanup_free_ char *p = lease_path(n, ip);
        _cleanup_close_ int fd = open(p, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (fd < 0 && errno == EEXIST) {
                fd = open(p, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
                if (fd >= 0 && lease_live(fd, runroot))
                        return -EADDRINUSE;
        }
        if (fd < 0)
                return box_err_errno(err, errno, "lease '%s'", p);
        int r = lease_write(fd, id, names, err);
        if (r == -EAGAIN || r == -EACCES)
                return -EADDRINUSE;
        if (r < 0)
                return r;
        *ret_fd = TAKE_FD(fd);
        return 0;
}

/* IPv6 subnets are large: the lowest 65534 addresses are the pool (what a
 * host's network can hold many times over), so a scan stays short. */
#define IPAM6_POOL 65534u

/* NET + OFFSET, for an offset below the subnet's size (the bits it sets
 * are host bits, zero in NET). */
static struct in6_addr addr6_add(const struct in6_addr *net, uint32_t offset)
{
        struct in6_addr a = *net;
        for (int i = 15; i >= 0 && offset; i--, offset >>= 8)
                a.s6_addr[i] = (uint8_t)(a.s6_addr[i] + (offset & 0xff));
        return a;
}

/* The OFFSET-th address of N's subnet of FAMILY, as text in IP; false
 * for the gateway (never a container's). */
static bool pool_addr(const struct run_net *n, int family, uint32_t offset, void *ret_addr,
                      char ip[INET6_ADDRSTRLEN])
{
        if (family == AF_INET6) {
                struct in6_addr a = addr6_add(&n->subnet6, offset);
                memcpy(ret_addr, &a, sizeof(a));
                inet_ntop(AF_INET6, &a, ip, INET6_ADDRSTRLEN);
                return !IN6_ARE_ADDR_EQUAL(&a, &n->gateway6);
        }
        struct in_addr a = {.s_addr = htonl(ntohl(n->subnet.s_addr) + offset)};
        memcpy(ret_addr, &a, sizeof(a));
        inet_ntop(AF_INET, &a, ip, INET6_ADDRSTRLEN);
        return a.s_addr != n->gateway.s_addr;
}

/* The lowest free address of offsets 1..LAST of the subnet of FAMILY into
 * RET_ADDR (an in_addr or in6_addr), in two passes: first only addresses
 * never leased, then stale ones. */
static int lease_scan(const struct run_net *n, const char *runroot, const char *id,
                      const char *names, int family, uint32_t last, void *ret_addr, int *ret_fd,
                      struct box_err *err)
{
        _cleanup_free_ char *dir = xasprintf("%s/leases", n->dir);
        if (mkdir(dir, 0700) < 0 && errno != EEXIST)
                return box_err_errno(err, errno, "create '%s'", dir);
        char ip[INET6_ADDRSTRLEN];
        struct in6_addr a;
        for (int pass = 0; pass < 2; pass++) {
                for (uint32_t off = 1; off <= last; off++) {
                        if (!pool_addr(n, family, off, &a, ip))
                                continue;
                        _cleanup_free_ char *p = lease_path(n, ip);
                        if (pass == 0 && access(p, F_OK) == 0)
                                continue;
                        int r = lease_take(n, runroot, ip, id, names, ret_fd, err);
                        if (r == -EADDRINUSE)
                                continue;
                        if (r < 0)
                                return r;
                        memcpy(ret_addr, &a,
                               family == AF_INET6 ? sizeof(a) : sizeof(struct in_addr));
                        return 0;
                }
        }
        return box_err_set(err, ENOSPC, "network '%s': no free %saddress left", n->name,
                           family == AF_INET6 ? "IPv6 " : "");
}

int ipam_check(const struct run_net *n, const char *want, struct in_addr *ret_ip,
               struct box_err *err)
{
        uint32_t net = ntohl(n->subnet.s_addr), gw = ntohl(n->gateway.s_addr);
        uint32_t size = n->prefixlen >= 31 ? 0 : 1u << (32 - n->prefixlen);
        struct in_addr a;
        if (inet_pton(AF_INET, want, &a) != 1)
                return box_err_set(err, EINVAL, "invalid --ip '%s'", want);
        uint32_t h = ntohl(a.s_addr);
        if (h - net >= size || h == net || h == net + size - 1 || h == gw)
                return box_err_set(err, EINVAL, "--ip '%s' is not a free address of network '%s'",
                                   want, n->name);
        if (ret_ip)
                *ret_ip = a;
        return 0;
}

/* Takes WANT (--ip, --ip6 of FAMILY) when it fits N and is free: its
 * address in RET_ADDR (an in_addr or in6_addr). */
static int lease_want(const struct run_net *n, const char *runroot, const char *id,
                      const char *names, int family, const char *want, void *ret_addr, int *ret_fd,
                      struct box_err *err)
{
        struct in6_addr a; /* room for either family */
        char ip[INET6_ADDRSTRLEN];
        int r = family == AF_INET6 ? ipam_check6(n, want, &a, err)
                                   : ipam_check(n, want, (struct in_addr *)&a, err);
        if (r < 0)
                return r;
        /* the canonical text names the lease: "fd00:0::5" is "fd00::5" */
        inet_ntop(family, &a, ip, sizeof(ip));
        _cleanup_free_ char *dir = xasprintf("%s/leases", n->dir);
        if (mkdir(dir, 0700) < 0 && errno != EEXIST)
                return box_err_errno(err, errno, "create '%s'", dir);
        r = lease_take(n, runroot, ip, id, names, ret_fd, err);
        /* attach_locked() names the network */
        if (r == -EADDRINUSE)
                return box_err_set(err, EADDRINUSE, "address '%s' is already in use", want);
        if (r < 0)
                return r;
        memcpy(ret_addr, &a, family == AF_INET6 ? sizeof(a) : sizeof(struct in_addr));
        return 0;
}

int ipam_lease(const struct run_net *n, const char *runroot, const char *id, const char *names,
               const char *want, struct in_addr *ret_ip, int *ret_fd, struct box_err *err)
{
        uint32_t size = n->prefixlen >= 31 ? 0 : 1u << (32 - n->prefixlen);
        if (want)
                return lease_want(n, runroot, id, names, AF_INET, want, ret_ip, ret_fd, err);
        /* every address but the network's and the broadcast one */
        return lease_scan(n, runroot, id, names, AF_INET, size >= 2 ? size - 2 : 0, ret_ip, ret_fd,
                          err);
}

/* Gives back the lease named A if ID still holds it. */
static void lease_release(const struct run_net *n, const char *a, const char *id, int fd)
{
        _cleanup_free_ char *p = lease_path(n, a);
        _cleanup_close_ int own = fd >= 0 ? fd : open(p, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        char holder[RUN_ID_LEN + 1];
        if (own < 0)
                return;
        lease_id(own, holder, NULL);
        /* someone else's now (it was stale and taken over): not ours to remove */
        if (!streq(holder, id) || (fd < 0 && lease_locked(own)))
                return;
        unlink(p);
}

void ipam_forget(const struct run_net *n, const char *ip, const char *id)
{
        _cleanup_free_ char *p = lease_path(n, ip);
        _cleanup_close_ int fd = open(p, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        char holder[RUN_ID_LEN + 1];
        if (fd < 0)
                return;
        lease_id(fd, holder, NULL);
        if (streq(holder, id))
                unlink(p);
}

void ipam_release(const struct run_net *n, struct in_addr ip, const char *id, int fd)
{
        char a[INET_ADDRSTRLEN];
        inet_ntop(AF_INET, &ip, a, sizeof(a));
        lease_release(n, a, id, fd);
}

/* Is A in N's IPv6 subnet? */
static bool in_subnet6(const struct run_net *n, const struct in6_addr *a)
{
        for (int bit = 0; bit < n->prefixlen6; bit++) {
                uint8_t m = (uint8_t)(0x80 >> (bit % 8));
                if ((a->s6_addr[bit / 8] & m) != (n->subnet6.s6_addr[bit / 8] & m))
                        return false;
        }
        return true;
}

int ipam_check6(const struct run_net *n, const char *want, struct in6_addr *ret_ip,
                struct box_err *err)
{
        struct in6_addr a;
        if (inet_pton(AF_INET6, want, &a) != 1)
                return box_err_set(err, EINVAL, "invalid --ip6 '%s'", want);
        if (!n->ipv6)
                return box_err_set(err, EINVAL,
                                   "--ip6 '%s': network '%s' has no IPv6 (box network create "
                                   "--ipv6)",
                                   want, n->name);
        if (!in_subnet6(n, &a)) {
                char s[INET6_ADDRSTRLEN];
                inet_ntop(AF_INET6, &n->subnet6, s, sizeof(s));
                return box_err_set(err, EINVAL,
                                   "--ip6 '%s' is not in the subnet '%s/%d' of network '%s'", want,
                                   s, n->prefixlen6, n->name);
        }
        /* the subnet's first address is its routers' anycast one (RFC 4291) */
        if (IN6_ARE_ADDR_EQUAL(&a, &n->subnet6) || IN6_ARE_ADDR_EQUAL(&a, &n->gateway6))
                return box_err_set(err, EINVAL, "--ip6 '%s' is the %s of network '%s'", want,
                                   IN6_ARE_ADDR_EQUAL(&a, &n->gateway6)
                                           ? "gateway"
                                           : "subnet-router anycast address",
                                   n->name);
        if (ret_ip)
                *ret_ip = a;
        return 0;
}

int ipam_lease6(const struct run_net *n, const char *runroot, const char *id, const char *names,
                const char *want, struct in6_addr *ret_ip, int *ret_fd, struct box_err *err)
{
        if (want)
                return lease_want(n, runroot, id, names, AF_INET6, want, ret_ip, ret_fd, err);
        int hostbits = 128 - n->prefixlen6;
        /* the subnet's first address is its router anycast one, never a host's */
        uint32_t last = hostbits >= 32 ? IPAM6_POOL : (uint32_t)((1ull << hostbits) - 1);
        return lease_scan(n, runroot, id, names, AF_INET6, last < IPAM6_POOL ? last : IPAM6_POOL,
                          ret_ip, ret_fd, err);
}

void ipam_release6(const struct run_net *n, const struct in6_addr *ip, const char *id, int fd)
{
        char a[INET6_ADDRSTRLEN];
        inet_ntop(AF_INET6, ip, a, sizeof(a));
        lease_release(n, a, id, fd);
}

struct member {
        char ip[INET6_ADDRSTRLEN];
        char id[RUN_ID_LEN + 1];
        char *names;
        bool v6;
};

void ipam_members(const struct run_net *n, const char *runroot, const char *except_id,
                  ipam_member_fn fn, void *userdata)
{
        _cleanup_free_ char *dir = xasprintf("%s/leases", n->dir);
        _cleanup_closedir_ DIR *d = opendir(dir);
        if (!d)
                return;
        struct member *v = NULL;
        size_t len = 0, cap = 0;
        FS_FOREACH_DIRENT (de, d) {
                struct in6_addr a;
                bool v6 = inet_pton(AF_INET6, de->d_name, &a) == 1;
                if (!v6 && inet_pton(AF_INET, de->d_name, &a) != 1)
                        continue;
                _cleanup_close_ int fd =
                        openat(dirfd(d), de->d_name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
                if (fd < 0)
                        continue;
                struct member m = {.v6 = v6};
                lease_id(fd, m.id, &m.names);
                /* our own lease is never asked whether it lives: the
                 * answer may look at our monitor's lock file, and a
                 * process that closes that file loses the POSIX lock it
                 * holds there (box container cleanup would seem gone
                 * while it still releases the container) */
                if (!m.id[0] || (except_id && streq(m.id, except_id)) || !lease_live(fd, runroot)) {
                        free(m.names);
                        continue;
                }
                snprintf(m.ip, sizeof(m.ip), "%s", de->d_name);
                if (len == cap)
                        v = xreallocarray(v, cap = cap ? 2 * cap : 16, sizeof(*v));
                v[len++] = m;
        }
        /* a member is its IPv4 lease, with its IPv6 one of a dual-stack network */
        for (size_t i = 0; i < len; i++) {
                if (v[i].v6)
                        continue;
                const char *ip6 = NULL;
                for (size_t j = 0; j < len && !ip6; j++)
                        if (v[j].v6 && streq(v[j].id, v[i].id))
                                ip6 = v[j].ip;
                fn(v[i].ip, ip6, v[i].id, strempty(v[i].names), userdata);
        }
        for (size_t i = 0; i < len; i++)
                free(v[i].names);
        free(v);
}

bool ipam_in_use(const struct run_net *n, const char *runroot)
{
        _cleanup_free_ char *dir = xasprintf("%s/leases", n->dir);
        _cleanup_closedir_ DIR *d = opendir(dir);
        bool used = false;
        if (!d)
                return false;
        FS_FOREACH_DIRENT (de, d) {
                _cleanup_close_ int fd =
                        openat(dirfd(d), de->d_name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
                if (fd >= 0 && lease_live(fd, runroot))
                        used = true;
                else
                        (void)unlinkat(dirfd(d), de->d_name, 0);
        }
        return used;
}
