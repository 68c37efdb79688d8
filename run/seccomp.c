/* The seccomp filter: Docker's default allow-list (moby/profiles
 * seccomp/default.json) encoded as a table, or a user profile in Docker's
 * JSON format, compiled with libseccomp in box's own process into a BPF
 * program that the container's process loads just before it execs. */
#include <linux/audit.h>
#include <linux/capability.h>
#include <sched.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdbool.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/utsname.h>

#include <ctype.h>
#include <fcntl.h>
#include <inttypes.h>

#include "lib/fs.h"
#include "lib/sha256.h"
#include "lib/strv.h"
#include "lib/xalloc.h"
#include "run/run-internal.h"
#include "spec/json.h"

#define CAP_BIT(c) (UINT64_C(1) << (c))
#define NO_CAP     -1

/* One group of the default profile: every syscall named in NAMES gets
 * ACTION when the container has cap INCLUDE_CAP (NO_CAP: always) and lacks
 * EXCLUDE_CAP (NO_CAP: never excluded), on x86 when X86_ONLY. */
struct sc_group {
        const char *names; /* space separated */
        int include_cap, exclude_cap;
        bool x86_only;
        int errno_ret; /* 0: allow; else fail with this errno */
};

static const struct sc_group default_groups[] = {
        {"accept accept4 access adjtimex alarm bind brk cachestat capget capset chdir chmod "
         "chown chown32 clock_adjtime clock_adjtime64 clock_getres clock_getres_time64 "
         "clock_gettime clock_gettime64 clock_nanosleep clock_nanosleep_time64 close "
         "close_range connect copy_file_range creat dup dup2 dup3 epoll_create epoll_create1 "
         "epoll_ctl epoll_ctl_old epoll_pwait epoll_pwait2 epoll_wait epoll_wait_old eventfd "
         "eventfd2 execve execveat exit exit_group faccessat faccessat2 fadvise64 fadvise64_64 "
         "fallocate fanotify_mark fchdir fchmod fchmodat fchmodat2 fchown fchown32 fchownat "
         "fcntl fcntl64 fdatasync fgetxattr flistxattr flock fork fremovexattr fsetxattr fstat "
         "fstat64 fstatat64 fstatfs fstatfs64 fsync ftruncate ftruncate64 futex futex_requeue "
         "futex_time64 futex_wait futex_waitv futex_wake futimesat getcpu getcwd getdents "
         "getdents64 getegid getegid32 geteuid geteuid32 getgid getgid32 getgroups getgroups32 "
         "getitimer getpeername getpgid getpgrp getpid getppid getpriority getrandom getresgid "
         "getresgid32 getresuid getresuid32 getrlimit get_robust_list getrusage getsid "
         "getsockname getsockopt get_thread_area gettid gettimeofday getuid getuid32 getxattr "
         "getxattrat inotify_add_watch inotify_init inotify_init1 inotify_rm_watch io_cancel "
         "ioctl io_destroy io_getevents io_pgetevents io_pgetevents_time64 ioprio_get "
         "ioprio_set io_setup io_submit ipc kill landlock_add_rule landlock_create_ruleset "
         "landlock_restrict_self lchown lchown32 lgetxattr link linkat listen listmount "
         "listxattr listxattrat llistxattr _llseek lremovexattr lseek lsetxattr lstat lstat64 "
         "madvise map_shadow_stack membarrier memfd_create memfd_secret mincore mkdir mkdirat "
         "mknod mknodat mlock mlock2 mlockall mmap mmap2 mprotect mq_getsetattr mq_notify "
         "mq_open mq_timedreceive mq_timedreceive_time64 mq_timedsend mq_timedsend_time64 "
         "mq_unlink mremap mseal msgctl msgget msgrcv msgsnd msync munlock munlockall munmap "
         "name_to_handle_at nanosleep newfstatat _newselect open openat openat2 pause "
         "pidfd_open pidfd_send_signal pipe pipe2 pkey_alloc pkey_free pkey_mprotect poll ppoll "
         "ppoll_time64 prctl pread64 preadv preadv2 prlimit64 process_mrelease pselect6 "
         "pselect6_time64 pwrite64 pwritev pwritev2 read readahead readlink readlinkat readv "
         "recv recvfrom recvmmsg recvmmsg_time64 recvmsg remap_file_pages removexattr "
         "removexattrat rename renameat renameat2 restart_syscall riscv_hwprobe rmdir rseq "
         "rt_sigaction rt_sigpending rt_sigprocmask rt_sigqueueinfo rt_sigreturn "
         "rt_sigsuspend rt_sigtimedwait rt_sigtimedwait_time64 rt_tgsigqueueinfo "
         "sched_getaffinity sched_getattr sched_getparam sched_get_priority_max "
         "sched_get_priority_min sched_getscheduler sched_rr_get_interval "
         "sched_rr_get_interval_time64 sched_setaffinity sched_setattr sched_setparam "
         "sched_setscheduler sched_yield seccomp select semctl semget semop semtimedop "
         "semtimedop_time64 send sendfile sendfile64 sendmmsg sendmsg sendto setfsgid "
         "setfsgid32 setfsuid setfsuid32 setgid setgid32 setgroups setgroups32 setitimer "
         "setpgid setpriority setregid setregid32 setresgid setresgid32 setresuid setresuid32 "
         "setreuid setreuid32 setrlimit set_robust_list setsid setsockopt set_thread_area "
         "set_tid_address setuid setuid32 setxattr setxattrat shmat shmctl shmdt shmget "
         "shutdown sigaltstack signalfd signalfd4 sigprocmask sigreturn socketcall socketpair "
         "splice stat stat64 statfs statfs64 statmount statx symlink symlinkat sync "
         "sync_file_range syncfs sysinfo tee tgkill time timer_create timer_delete "
         "timer_getoverrun timer_gettime timer_gettime64 timer_settime timer_settime64 "
         "timerfd_create timerfd_gettime timerfd_gettime64 timerfd_settime timerfd_settime64 "
         "times tkill truncate truncate64 ugetrlimit umask uname unlink unlinkat uretprobe utime "
         "utimensat utimensat_time64 utimes vfork vmsplice wait4 waitid waitpid write writev",
         NO_CAP, NO_CAP, false, 0},
        /* kernel >= 4.8 only upstream; box needs a newer kernel anyway */
        {"process_vm_readv process_vm_writev ptrace", NO_CAP, NO_CAP, false, 0},
        {"arch_prctl modify_ldt", NO_CAP, NO_CAP, true, 0},
        {"open_by_handle_at", CAP_DAC_READ_SEARCH, NO_CAP, false, 0},
        {"bpf clone clone3 fanotify_init fsconfig fsmount fsopen fspick lookup_dcookie "
         "lsm_get_self_attr lsm_list_modules lsm_set_self_attr mount mount_setattr move_mount "
         "open_tree perf_event_open quotactl quotactl_fd setdomainname sethostname setns syslog "
         "umount umount2 unshare",
         CAP_SYS_ADMIN, NO_CAP, false, 0},
        /* glibc falls back to clone(2), whose flags the filter can see */
        {"clone3", NO_CAP, CAP_SYS_ADMIN, false, ENOSYS},
        {"reboot", CAP_SYS_BOOT, NO_CAP, false, 0},
        {"chroot", CAP_SYS_CHROOT, NO_CAP, false, 0},
        {"delete_module init_module finit_module", CAP_SYS_MODULE, NO_CAP, false, 0},
        {"acct", CAP_SYS_PACCT, NO_CAP, false, 0},
        {"kcmp pidfd_getfd process_madvise process_vm_readv process_vm_writev ptrace",
         CAP_SYS_PTRACE, NO_CAP, false, 0},
        {"iopl ioperm", CAP_SYS_RAWIO, NO_CAP, false, 0},
        {"settimeofday stime clock_settime clock_settime64", CAP_SYS_TIME, NO_CAP, false, 0},
        {"vhangup", CAP_SYS_TTY_CONFIG, NO_CAP, false, 0},
        {"get_mempolicy mbind set_mempolicy set_mempolicy_home_node", CAP_SYS_NICE, NO_CAP, false,
         0},
        {"syslog", CAP_SYSLOG, NO_CAP, false, 0},
        {"bpf", CAP_BPF, NO_CAP, false, 0},
        {"perf_event_open", CAP_PERFMON, NO_CAP, false, 0},
};

/* Argument-filtered rules of the default profile. */
struct sc_arg_rule {
        const char *name;
        int exclude_cap;
        struct scmp_arg_cmp cmp;
};

#define NS_CLONE_FLAGS                                                                             \
        (CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET | \
         CLONE_NEWCGROUP)

static const struct sc_arg_rule default_arg_rules[] = {
        /* every address family but AF_ALG (38) and AF_VSOCK (40) */
        {"socket", NO_CAP, {0, SCMP_CMP_LT, AF_ALG, 0}},
        {"socket", NO_CAP, {0, SCMP_CMP_EQ, AF_ALG + 1, 0}},
        {"socket", NO_CAP, {0, SCMP_CMP_GT, AF_VSOCK, 0}},
        /* PER_LINUX, PER_LINUX32, UNAME26 variants and the query */
        {"personality", NO_CAP, {0, SCMP_CMP_EQ, 0x0, 0}},
        {"personality", NO_CAP, {0, SCMP_CMP_EQ, 0x0008, 0}},
        {"personality", NO_CAP, {0, SCMP_CMP_EQ, 0x20000, 0}},
        {"personality", NO_CAP, {0, SCMP_CMP_EQ, 0x20008, 0}},
        {"personality", NO_CAP, {0, SCMP_CMP_EQ, 0xffffffff, 0}},
        /* clone without namespace flags unless CAP_SYS_ADMIN */
        {"clone", CAP_SYS_ADMIN, {0, SCMP_CMP_MASKED_EQ, NS_CLONE_FLAGS, 0}},
};

static int add_rule(scmp_filter_ctx ctx, const char *name, uint32_t action, unsigned n_args,
                    const struct scmp_arg_cmp *args, struct box_err *err)
{
        int nr = seccomp_syscall_resolve_name(name);
        if (nr == __NR_SCMP_ERROR)
                return 0; /* unknown to this libseccomp: skipped, as Docker does */
        int r = seccomp_rule_add_array(ctx, action, nr, n_args, args);
        if (r < 0 && r != -EEXIST)
                return box_err_errno(err, -r, "seccomp rule for '%s'", name);
        return 0;
}

/* The calls that only ask for durability: with run_spec.no_sync they
 * return 0 without syncing (a build's RUN step, whose layer box itself
 * writes durably; dpkg's fsync of every unpacked file bought nothing). */
static const char *const sync_calls[] = {"fsync", "fdatasync",       "syncfs",
                                         "sync",  "sync_file_range", "msync"};

static uint32_t default_action(const char *name, uint32_t action, bool no_sync)
{
        if (no_sync && action == SCMP_ACT_ALLOW)
                for (size_t i = 0; i < ARRAY_SIZE(sync_calls); i++)
                        if (streq(name, sync_calls[i]))
                                return SCMP_ACT_ERRNO(0);
        return action;
}

static int build_default(scmp_filter_ctx ctx, uint64_t caps, bool no_sync, struct box_err *err)
{
        for (size_t i = 0; i < ARRAY_SIZE(default_groups); i++) {
                const struct sc_group *g = &default_groups[i];
                if (g->include_cap != NO_CAP && !(caps & CAP_BIT(g->include_cap)))
                        continue;
                if (g->exclude_cap != NO_CAP && (caps & CAP_BIT(g->exclude_cap)))
                        continue;
#if !defined(__x86_64__) && !defined(__i386__)
                if (g->x86_only)
                        continue;
#endif
                uint32_t action = g->errno_ret ? SCMP_ACT_ERRNO(g->errno_ret) : SCMP_ACT_ALLOW;
                _cleanup_free_ char *names = xstrdup(g->names);
                char *save = NULL;
                for (char *n = strtok_r(names, " ", &save); n; n = strtok_r(NULL, " ", &save)) {
                        int r = add_rule(ctx, n, default_action(n, action, no_sync), 0, NULL, err);
                        if (r < 0)
                                return r;
                }
        }
        for (size_t i = 0; i < ARRAY_SIZE(default_arg_rules); i++) {
                const struct sc_arg_rule *a = &default_arg_rules[i];
                if (a->exclude_cap != NO_CAP && (caps & CAP_BIT(a->exclude_cap)))
                        continue;
                int r = add_rule(ctx, a->name, SCMP_ACT_ALLOW, 1, &a->cmp, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* ---- Docker's profile format ---- */

static const struct {
        const char *name;
        uint32_t action; /* SCMP_ACT_ERRNO/TRACE get their value added */
} profile_actions[] = {
        {"SCMP_ACT_KILL", SCMP_ACT_KILL},
        {"SCMP_ACT_KILL_THREAD", SCMP_ACT_KILL},
        {"SCMP_ACT_KILL_PROCESS", SCMP_ACT_KILL_PROCESS},
        {"SCMP_ACT_TRAP", SCMP_ACT_TRAP},
        {"SCMP_ACT_ERRNO", SCMP_ACT_ERRNO(0)},
        {"SCMP_ACT_TRACE", SCMP_ACT_TRACE(0)},
        {"SCMP_ACT_ALLOW", SCMP_ACT_ALLOW},
        {"SCMP_ACT_LOG", SCMP_ACT_LOG},
};

static const struct {
        const char *name;
        enum scmp_compare op;
} profile_ops[] = {
        {"SCMP_CMP_NE", SCMP_CMP_NE},
        {"SCMP_CMP_LT", SCMP_CMP_LT},
        {"SCMP_CMP_LE", SCMP_CMP_LE},
        {"SCMP_CMP_EQ", SCMP_CMP_EQ},
        {"SCMP_CMP_GE", SCMP_CMP_GE},
        {"SCMP_CMP_GT", SCMP_CMP_GT},
        {"SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ},
};

static int parse_action(const char *s, const struct jv *errno_ret, uint32_t *ret,
                        struct box_err *err)
{
        for (size_t i = 0; s && i < ARRAY_SIZE(profile_actions); i++) {
                if (!streq(s, profile_actions[i].name))
                        continue;
                uint32_t a = profile_actions[i].action;
                if (a == SCMP_ACT_ERRNO(0))
                        a = SCMP_ACT_ERRNO(errno_ret ? (uint16_t)jv_int_value(errno_ret) : EPERM);
                else if (a == SCMP_ACT_TRACE(0))
                        a = SCMP_ACT_TRACE(errno_ret ? (uint16_t)jv_int_value(errno_ret) : EPERM);
                *ret = a;
                return 0;
        }
        return box_err_set(err, EINVAL, "unsupported seccomp action '%s'", strempty(s));
}

static bool kernel_at_least(const char *want)
{
        struct utsname u;
        unsigned a = 0, b = 0, x = 0, y = 0;
        if (uname(&u) < 0 || sscanf(u.release, "%u.%u", &a, &b) < 1 ||
            sscanf(want, "%u.%u", &x, &y) < 1)
                return true;
        return a > x || (a == x && b >= y);
}

static bool arch_matches(const struct jv *arches)
{
        for (size_t i = 0; i < jv_len(arches); i++) {
                const char *a = jv_str(jv_at(arches, i));
#if defined(__x86_64__)
                if (a && (streq(a, "amd64") || streq(a, "x86_64") || streq(a, "x32")))
                        return true;
#elif defined(__aarch64__)
                if (a && (streq(a, "arm64") || streq(a, "aarch64")))
                        return true;
#endif
        }
        return false;
}

/* Does a profile entry's includes/excludes filter select this container? */
static bool filter_selects(const struct jv *f, uint64_t caps, bool include)
{
        if (!f || jv_is_null(f) || jv_len(f) == 0)
                return include;
        struct jv *c = jv_get(f, "caps");
        struct jv *a = jv_get(f, "arches");
        const char *k = jv_get_str(f, "minKernel");
        if (include) {
                for (size_t i = 0; c && i < jv_len(c); i++) {
                        int cap = jv_str(jv_at(c, i)) ? run_cap_from_name(jv_str(jv_at(c, i))) : -1;
                        if (cap < 0 || !(caps & CAP_BIT(cap)))
                                return false;
                }
                if (a && jv_len(a) > 0 && !arch_matches(a))
                        return false;
                if (k && !kernel_at_least(k))
                        return false;
                return true;
        }
        /* excludes: any match excludes */
        for (size_t i = 0; c && i < jv_len(c); i++) {
                int cap = jv_str(jv_at(c, i)) ? run_cap_from_name(jv_str(jv_at(c, i))) : -1;
                if (cap >= 0 && (caps & CAP_BIT(cap)))
                        return true;
        }
        if (a && jv_len(a) > 0 && arch_matches(a))
                return true;
        if (k && kernel_at_least(k))
                return true;
        return false;
}

/* "SCMP_ARCH_X86" -> the libseccomp token, 0 when unknown. */
static uint32_t arch_token(const char *name)
{
        if (!name || !startswith(name, "SCMP_ARCH_"))
                return 0;
        char low[32];
        size_t i;
        for (i = 0; name[10 + i] && i < sizeof(low) - 1; i++)
                low[i] = (char)tolower((unsigned char)name[10 + i]);
        low[i] = '\0';
        return seccomp_arch_resolve_name(low);
}

/* The ABIs a profile covers besides the native one: "architectures", and
 * the "subArchitectures" of the native entry of "archMap" (Docker's rules). */
static void add_profile_arches(scmp_filter_ctx ctx, const struct jv *p)
{
        uint32_t native = seccomp_arch_native();
        struct jv *list = jv_get(p, "architectures");
        for (size_t i = 0; list && i < jv_len(list); i++) {
                uint32_t a = arch_token(jv_str(jv_at(list, i)));
                if (a && a != native)
                        (void)seccomp_arch_add(ctx, a);
        }
        struct jv *map = jv_get(p, "archMap");
        for (size_t i = 0; map && i < jv_len(map); i++) {
                struct jv *e = jv_at(map, i);
                if (arch_token(jv_get_str(e, "architecture")) != native)
                        continue;
                struct jv *sub = jv_get(e, "subArchitectures");
                for (size_t j = 0; sub && j < jv_len(sub); j++) {
                        uint32_t a = arch_token(jv_str(jv_at(sub, j)));
                        if (a && a != native)
                                (void)seccomp_arch_add(ctx, a);
                }
        }
}

static int build_profile(scmp_filter_ctx *ret, const char *json, uint64_t caps, struct box_err *err)
{
        _cleanup_jv_ struct jv *p = NULL;
        int r = jv_parse(json, strlen(json), &p, err);
        if (r < 0)
                return box_err_prefix(err, "seccomp profile");
        if (!jv_is_object(p))
                return box_err_set(err, EINVAL, "seccomp profile: not a JSON object");
        uint32_t def;
        r = parse_action(jv_get_str(p, "defaultAction"), jv_get(p, "defaultErrnoRet"), &def, err);
        if (r < 0)
                return box_err_prefix(err, "seccomp profile");
        scmp_filter_ctx ctx = seccomp_init(def);
        if (!ctx)
                return box_err_set(err, ENOMEM, "seccomp_init failed");
        seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
        seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
        add_profile_arches(ctx, p);

        struct jv *sys = jv_get(p, "syscalls");
        for (size_t i = 0; i < jv_len(sys); i++) {
                struct jv *e = jv_at(sys, i);
                if (!filter_selects(jv_get(e, "includes"), caps, true) ||
                    filter_selects(jv_get(e, "excludes"), caps, false))
                        continue;
                uint32_t action;
                r = parse_action(jv_get_str(e, "action"), jv_get(e, "errnoRet"), &action, err);
                if (r < 0)
                        goto fail;
                if (action == def)
                        continue;
                struct scmp_arg_cmp args[6];
                struct jv *ja = jv_get(e, "args");
                unsigned n = 0;
                for (size_t j = 0; ja && j < jv_len(ja) && n < 6; j++) {
                        struct jv *a = jv_at(ja, j);
                        const char *op = jv_get_str(a, "op");
                        size_t k;
                        for (k = 0; op && k < ARRAY_SIZE(profile_ops); k++)
                                if (streq(op, profile_ops[k].name))
                                        break;
                        if (!op || k == ARRAY_SIZE(profile_ops)) {
                                r = box_err_set(err, EINVAL, "unsupported seccomp operator '%s'",
                                                strempty(op));
                                goto fail;
                        }
                        args[n++] = (struct scmp_arg_cmp){
                                .arg = (unsigned)jv_int_value(jv_get(a, "index")),
                                .op = profile_ops[k].op,
                                .datum_a = (scmp_datum_t)jv_int_value(jv_get(a, "value")),
                                .datum_b = (scmp_datum_t)jv_int_value(jv_get(a, "valueTwo")),
                        };
                }
                struct jv *names = jv_get(e, "names");
                const char *one = jv_get_str(e, "name");
                if (one) {
                        r = add_rule(ctx, one, action, n, args, err);
                        if (r < 0)
                                goto fail;
                }
                for (size_t j = 0; names && j < jv_len(names); j++) {
                        const char *nm = jv_str(jv_at(names, j));
                        if (!nm)
                                continue;
                        r = add_rule(ctx, nm, action, n, args, err);
                        if (r < 0)
                                goto fail;
                }
        }
        *ret = ctx;
        return 0;
fail:
        seccomp_release(ctx);
        return box_err_prefix(err, "seccomp profile");
}

int run_seccomp_profile_check(const char *json, struct box_err *err)
{
        scmp_filter_ctx ctx = NULL;
        int r = build_profile(&ctx, json, run_caps_default(), err);
        if (ctx)
                seccomp_release(ctx);
        return r;
}

/* FNV-1a, 64 bits: a content key for the default table, cheap enough to
 * compute on every run (OpenSSL's start-up alone costs milliseconds). */
static uint64_t fnv1a(uint64_t h, const void *data, size_t len)
{
        const unsigned char *p = data;
        for (size_t i = 0; i < len; i++) {
                h ^= p[i];
                h *= UINT64_C(0x100000001b3);
        }
        return h;
}

/* The content of the default profile as compiled into this box: a box
 * whose table changed never loads a filter cached by another. */
static uint64_t default_table_hash(void)
{
        uint64_t h = UINT64_C(0xcbf29ce484222325);
        for (size_t i = 0; i < ARRAY_SIZE(default_groups); i++) {
                const struct sc_group *g = &default_groups[i];
                int v[4] = {g->include_cap, g->exclude_cap, g->x86_only, g->errno_ret};
                h = fnv1a(h, g->names, strlen(g->names) + 1);
                h = fnv1a(h, v, sizeof(v));
        }
        for (size_t i = 0; i < ARRAY_SIZE(default_arg_rules); i++) {
                const struct sc_arg_rule *a = &default_arg_rules[i];
                uint64_t v[5] = {(uint64_t)a->exclude_cap, a->cmp.arg, a->cmp.op, a->cmp.datum_a,
                                 a->cmp.datum_b};
                h = fnv1a(h, a->name, strlen(a->name) + 1);
                h = fnv1a(h, v, sizeof(v));
        }
        return h;
}

/* The cache: compiling the default filter costs ~20 ms, loading a
 * compiled one microseconds.  The key covers everything the program
 * depends on: the content of box's default table, libseccomp's version,
 * the architecture, the capabilities, and for a profile its text and the
 * kernel's release (a profile's minKernel selects rules by it). */
static char *cache_path(const struct run_spec *spec, uint64_t caps)
{
        if (!spec->seccomp_cache_dir)
                return NULL;
        const struct scmp_version *v = seccomp_version();
        struct buf key = {0};
        buf_printf(&key, "box-seccomp-3-%016" PRIx64 "-%u.%u.%u-%x-%" PRIx64 "%s",
                   default_table_hash(), v->major, v->minor, v->micro,
                   (unsigned)seccomp_arch_native(), caps, spec->no_sync ? "-nosync" : "");
        if (spec->seccomp != RUN_SECCOMP_PROFILE) {
                /* the default table: the key is readable and needs no hashing */
                char *p = xasprintf("%s/%s.bpf", spec->seccomp_cache_dir, key.data);
                buf_release(&key);
                return p;
        }
        struct utsname u;
        if (uname(&u) == 0)
                buf_printf(&key, "|%s", u.release);
        buf_printf(&key, "|%s", spec->seccomp_profile);
        char digest[SHA256_DIGEST_STR_LEN + 1];
        sha256_buf(key.data, key.len, digest);
        buf_release(&key);
        return xasprintf("%s/profile-%s.bpf", spec->seccomp_cache_dir, digest + 7);
}

static bool cache_load(const char *path, struct run_bpf *ret)
{
        char *data;
        size_t len;
        if (!path || fs_read_file_at(AT_FDCWD, path, 1 << 20, &data, &len, NULL) < 0)
                return false;
        if (len == 0 || len % sizeof(struct sock_filter) != 0 ||
            len / sizeof(struct sock_filter) > BPF_MAXINSNS) {
                free(data);
                return false;
        }
        ret->filter = (struct sock_filter *)(void *)data;
        ret->len = (unsigned short)(len / sizeof(struct sock_filter));
        return true;
}

static void cache_store(const char *path, const struct run_bpf *bpf)
{
        if (!path)
                return;
        _cleanup_free_ char *dir = xstrdup(path);
        *strrchr(dir, '/') = '\0';
        if (fs_mkdir_p(dir, 0700, NULL) < 0)
                return;
        (void)fs_write_atomic_at(AT_FDCWD, path, bpf->filter, bpf->len * sizeof(struct sock_filter),
                                 0600, NULL);
}

int run_seccomp_compile(const struct run_spec *spec, uint64_t caps, struct run_bpf *ret,
                        struct box_err *err)
{
        scmp_filter_ctx ctx = NULL;
        int r;

        _cleanup_free_ char *cpath = cache_path(spec, caps);
        if (cache_load(cpath, ret))
                return 0;

        if (spec->seccomp == RUN_SECCOMP_PROFILE) {
                r = build_profile(&ctx, spec->seccomp_profile, caps, err);
                if (r < 0)
                        return r;
        } else {
                ctx = seccomp_init(SCMP_ACT_ERRNO(EPERM));
                if (!ctx)
                        return box_err_set(err, ENOMEM, "seccomp_init failed");
                seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
#if defined(__x86_64__)
                /* Docker's profile also covers the x86 and x32 ABIs */
                seccomp_arch_add(ctx, SCMP_ARCH_X86);
                seccomp_arch_add(ctx, SCMP_ARCH_X32);
#endif
                r = build_default(ctx, caps, spec->no_sync, err);
                if (r < 0) {
                        seccomp_release(ctx);
                        return r;
                }
        }

        /* a binary tree of syscall numbers rather than a list: the same
         * rules, but the kernel's load (which evaluates the filter for every
         * syscall number of each ABI to fill its allow cache) walks a path
         * of ~10 comparisons per number instead of ~300 */
        (void)seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
        /* libseccomp 2.5 can only export to an fd */
        _cleanup_close_ int fd = memfd_create("box-seccomp", MFD_CLOEXEC);
        if (fd < 0) {
                seccomp_release(ctx);
                return box_err_errno(err, errno, "memfd_create");
        }
        r = seccomp_export_bpf(ctx, fd);
        seccomp_release(ctx);
        if (r < 0)
                return box_err_errno(err, -r, "export seccomp filter");
        if (lseek(fd, 0, SEEK_SET) < 0)
                return box_err_errno(err, errno, "seek seccomp filter");
        char *data;
        size_t len;
        r = fs_read_fd(fd, 0, &data, &len, err);
        if (r < 0)
                return box_err_prefix(err, "read seccomp filter");
        if (len == 0 || len % sizeof(struct sock_filter) != 0 ||
            len / sizeof(struct sock_filter) > BPF_MAXINSNS) {
                free(data);
                return box_err_set(err, E2BIG, "seccomp filter too large (%zu bytes)", len);
        }
        ret->filter = (struct sock_filter *)(void *)data;
        ret->len = (unsigned short)(len / sizeof(struct sock_filter));
        cache_store(cpath, ret);
        return 0;
}
