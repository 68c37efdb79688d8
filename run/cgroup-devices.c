/* The device allow-list of a container, one table for both cgroup
 * versions: v1 gets devices.deny "a" then one devices.allow line per rule;
 * v2 gets a BPF_PROG_TYPE_CGROUP_DEVICE program, generated from the same
 * table, attached to the container's cgroup (it goes away with it). */
#include <ctype.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <sys/syscall.h>

#include "lib/xalloc.h"
#include "run/run-internal.h"

struct dev_rule {
        char type;        /* 'c', 'b' or 'a' (all) */
        int major, minor; /* -1: any */
        char access[4];   /* of "rwm" */
};

/* The nodes box makes in /dev, the pty slaves and /dev/net/tun, plus
 * mknod (but no access) of anything, as Docker allows. */
static const struct dev_rule default_rules[] = {
        {'c', -1, -1, "m"}, {'b', -1, -1, "m"}, {'c', 1, 3, "rwm"},    {'c', 1, 5, "rwm"},
        {'c', 1, 7, "rwm"}, {'c', 1, 8, "rwm"}, {'c', 1, 9, "rwm"},    {'c', 5, 0, "rwm"},
        {'c', 5, 1, "rwm"}, {'c', 5, 2, "rwm"}, {'c', 136, -1, "rwm"}, {'c', 10, 200, "rwm"},
};

/* Docker's form: ^([acb]) ([0-9]+|\*):([0-9]+|\*) ([rwm]{1,3})$ */
static int rule_parse(const char *s, struct dev_rule *ret)
{
        if (!strchr("acb", s[0]) || !s[0] || s[1] != ' ')
                return -EINVAL;
        ret->type = s[0];
        const char *p = s + 2;
        int *num[] = {&ret->major, &ret->minor};
        for (int i = 0; i < 2; i++) {
                if (*p == '*') {
                        *num[i] = -1;
                        p++;
                } else {
                        char *end;
                        errno = 0;
                        unsigned long v = strtoul(p, &end, 10);
                        if (errno || end == p || !isdigit((unsigned char)*p) || v > 0xfffff)
                                return -EINVAL;
                        *num[i] = (int)v;
                        p = end;
                }
                if (*p++ != (i == 0 ? ':' : ' '))
                        return -EINVAL;
        }
        size_t n = strlen(p);
        if (n < 1 || n > 3 || strspn(p, "rwm") != n)
                return -EINVAL;
        for (size_t i = 0; i < n; i++)
                if (strchr(p + i + 1, p[i]))
                        return -EINVAL;
        memcpy(ret->access, p, n + 1);
        return 0;
}

int run_device_rule_check(const char *rule, struct box_err *err)
{
        struct dev_rule d;
        if (rule_parse(rule, &d) < 0)
                return box_err_set(err, EINVAL,
                                   "invalid --device-cgroup-rule '%.64s': want TYPE MAJOR:MINOR "
                                   "ACCESS (c 1:3 rwm; TYPE a, b or c; '*' for any number; "
                                   "ACCESS of rwm)",
                                   rule);
        return 0;
}

/* The defaults, then EXTRA's lines (checked by the CLI); *RET_N rules. */
static struct dev_rule *rules_of(char *const *extra, size_t *ret_n)
{
        size_t n = ARRAY_SIZE(default_rules), m = 0;
        for (char *const *e = extra; e && *e; e++)
                m++;
        struct dev_rule *v = xnew(struct dev_rule, n + m);
        memcpy(v, default_rules, sizeof(default_rules));
        for (size_t i = 0; i < m; i++)
                if (rule_parse(extra[i], &v[n]) == 0)
                        n++;
        *ret_n = n;
        return v;
}

static int write_to(const char *dir, const char *file, const char *value, struct box_err *err)
{
        _cleanup_free_ char *p = xasprintf("%s/%s", dir, file);
        _cleanup_close_ int fd = open(p, O_WRONLY | O_CLOEXEC);
        if (fd < 0 || write(fd, value, strlen(value)) < 0)
                return box_err_errno(err, errno, "write '%s' to '%s'", value, p);
        return 0;
}

int run_cgroup_devices_v1(const char *dir, bool all, char *const *extra, struct box_err *err)
{
        if (all)
                return write_to(dir, "devices.allow", "a", err);
        size_t n_rules;
        _cleanup_free_ struct dev_rule *rules = rules_of(extra, &n_rules);
        int r = write_to(dir, "devices.deny", "a", err);
        if (r < 0)
                return r;
        /* one rule a write(2), all through one open file */
        _cleanup_free_ char *p = xasprintf("%s/devices.allow", dir);
        _cleanup_close_ int fd = open(p, O_WRONLY | O_CLOEXEC);
        if (fd < 0)
                return box_err_errno(err, errno, "open '%s'", p);
        for (size_t i = 0; i < n_rules; i++) {
                const struct dev_rule *d = &rules[i];
                char line[64], maj[16], min[16];
                snprintf(maj, sizeof(maj), d->major < 0 ? "*" : "%d", d->major);
                snprintf(min, sizeof(min), d->minor < 0 ? "*" : "%d", d->minor);
                /* v1 reads any "a" line as "a *:* rwm", everything: a
                 * rule of type a is the same rule for b and c, as in the
                 * BPF program of v2 */
                const char types[3] = {d->type == 'a' ? 'b' : d->type, d->type == 'a' ? 'c' : 0};
                for (const char *t = types; *t; t++) {
                        int n = snprintf(line, sizeof(line), "%c %s:%s %s", *t, maj, min,
                                         d->access);
                        if (write(fd, line, (size_t)n) != n)
                                return box_err_errno(err, errno ? errno : EIO, "write '%s' to '%s'",
                                                     line, p);
                }
        }
        return 0;
}

/* ---- the BPF program ---- */

static struct bpf_insn insn(__u8 code, __u8 dst, __u8 src, __s16 off, __s32 imm)
{
        return (struct bpf_insn){
                .code = code, .dst_reg = dst, .src_reg = src, .off = off, .imm = imm};
}

#define LDX_W(dst, src, off)   insn(BPF_LDX | BPF_MEM | BPF_W, dst, src, off, 0)
#define MOV32_REG(dst, src)    insn(BPF_ALU | BPF_MOV | BPF_X, dst, src, 0, 0)
#define MOV64_IMM(dst, imm)    insn(BPF_ALU64 | BPF_MOV | BPF_K, dst, 0, 0, imm)
#define AND32_IMM(dst, imm)    insn(BPF_ALU | BPF_AND | BPF_K, dst, 0, 0, imm)
#define RSH32_IMM(dst, imm)    insn(BPF_ALU | BPF_RSH | BPF_K, dst, 0, 0, imm)
#define JNE_IMM(dst, imm, off) insn(BPF_JMP | BPF_JNE | BPF_K, dst, 0, off, imm)
#define EXIT()                 insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

static unsigned access_bits(const char *a)
{
        unsigned bits = 0;
        for (; *a; a++)
                bits |= *a == 'r'   ? BPF_DEVCG_ACC_READ
                        : *a == 'w' ? BPF_DEVCG_ACC_WRITE
                                    : BPF_DEVCG_ACC_MKNOD;
        return bits;
}

/* r2 = type, r3 = access, r4 = major, r5 = minor; each rule is a block
 * that returns 1 on a match and otherwise jumps to the next block. */
static size_t build_program(struct bpf_insn *p, const struct dev_rule *rules, size_t n_rules)
{
        size_t n = 0;
        p[n++] = LDX_W(BPF_REG_2, BPF_REG_1, 0);
        p[n++] = AND32_IMM(BPF_REG_2, 0xffff);
        p[n++] = LDX_W(BPF_REG_3, BPF_REG_1, 0);
        p[n++] = RSH32_IMM(BPF_REG_3, 16);
        p[n++] = LDX_W(BPF_REG_4, BPF_REG_1, 4);
        p[n++] = LDX_W(BPF_REG_5, BPF_REG_1, 8);
        for (size_t i = 0; i < n_rules; i++) {
                const struct dev_rule *d = &rules[i];
                size_t start = n, jumps[4], nj = 0;
                if (d->type != 'a') {
                        jumps[nj++] = n;
                        p[n++] = JNE_IMM(BPF_REG_2,
                                         d->type == 'c' ? BPF_DEVCG_DEV_CHAR : BPF_DEVCG_DEV_BLOCK,
                                         0);
                }
                /* every access asked for must be allowed */
                p[n++] = MOV32_REG(BPF_REG_1, BPF_REG_3);
                p[n++] = AND32_IMM(BPF_REG_1, (__s32)~access_bits(d->access));
                jumps[nj++] = n;
                p[n++] = JNE_IMM(BPF_REG_1, 0, 0);
                if (d->major >= 0) {
                        jumps[nj++] = n;
                        p[n++] = JNE_IMM(BPF_REG_4, d->major, 0);
                }
                if (d->minor >= 0) {
                        jumps[nj++] = n;
                        p[n++] = JNE_IMM(BPF_REG_5, d->minor, 0);
                }
                p[n++] = MOV64_IMM(BPF_REG_0, 1);
                p[n++] = EXIT();
                for (size_t j = 0; j < nj; j++)
                        p[jumps[j]].off = (__s16)(n - jumps[j] - 1);
                (void)start;
        }
        p[n++] = MOV64_IMM(BPF_REG_0, 0);
        p[n++] = EXIT();
        return n;
}

int run_cgroup_devices_v2(const char *dir, bool all, char *const *extra, struct box_err *err)
{
        if (all)
                return 0; /* no program: everything allowed */
        size_t n_rules;
        _cleanup_free_ struct dev_rule *rules = rules_of(extra, &n_rules);
        _cleanup_free_ struct bpf_insn *prog = xnew(struct bpf_insn, 16 + n_rules * 10);
        size_t n = build_program(prog, rules, n_rules);
        union bpf_attr load = {0};
        load.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
        load.insns = (__u64)(uintptr_t)prog;
        load.insn_cnt = (__u32)n;
        load.license = (__u64)(uintptr_t) "GPL";
        _cleanup_close_ int pfd = (int)syscall(SYS_bpf, BPF_PROG_LOAD, &load, sizeof(load));
        if (pfd < 0) {
                /* again, with the verifier's last words for the message */
                int e = errno;
                _cleanup_free_ char *log = xzalloc(1 << 16);
                load.log_buf = (__u64)(uintptr_t)log;
                load.log_size = 1 << 16;
                load.log_level = 1;
                (void)syscall(SYS_bpf, BPF_PROG_LOAD, &load, sizeof(load));
                char *last = log + strlen(log);
                while (last > log && (last[-1] == '\n'))
                        *--last = '\0';
                while (last > log && last[-1] != '\n')
                        last--;
                return box_err_set(err, e, "load the device filter: %s%s%s", strerror(e),
                                   *last ? ": " : "", last);
        }
        _cleanup_close_ int cfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (cfd < 0)
                return box_err_errno(err, errno, "open '%s'", dir);
        union bpf_attr at = {0};
        at.target_fd = (__u32)cfd;
        at.attach_bpf_fd = (__u32)pfd;
        at.attach_type = BPF_CGROUP_DEVICE;
        at.attach_flags = BPF_F_ALLOW_MULTI;
        if (syscall(SYS_bpf, BPF_PROG_ATTACH, &at, sizeof(at)) < 0)
                return box_err_errno(err, errno, "attach the device filter to '%s'", dir);
        return 0;
}
