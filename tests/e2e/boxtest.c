/* A tiny static probe run inside test containers (bind-mounted in):
 *   boxtest keyctl        try keyctl(2); exit 0 if allowed
 *   boxtest fds           print every open fd above 2 and what it is
 *   boxtest open PATH     try to open PATH read-only; print the errno name
 *   boxtest caps          print the capability sets from /proc/self/status
 *   boxtest connect PATH  connect to the unix stream socket PATH; print the errno name
 *   boxtest setxattr PATH NAME VALUE   set an extended attribute
 *   boxtest setflags DIR FLAGS         OR FLAGS into DIR's file flags (FS_IOC_SETFLAGS)
 *   boxtest fdsend SOCK DIR            send an fd of DIR over the unix socket SOCK
 *   boxtest fdhold SOCK NAME SECS      take one fd from SOCK; after SECS, create NAME
 *                                      beneath it; then hold it for a minute
 *   boxtest exchange DIR LINK TARGET SECS   swap directory DIR and symlink LINK (to
 *                                      TARGET) as fast as it can for SECS seconds,
 *                                      making them again whenever someone removed one */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

/* fdsend / fdhold: one fd over a unix stream socket (SCM_RIGHTS) */
static int fd_pass(int argc, char **argv)
{
        struct sockaddr_un a = {.sun_family = AF_UNIX};
        snprintf(a.sun_path, sizeof(a.sun_path), "%s", argv[2]);
        int s = socket(AF_UNIX, SOCK_STREAM, 0), fd;
        char c = 'x';
        struct iovec io = {&c, 1};
        union {
                struct cmsghdr h;
                char b[CMSG_SPACE(sizeof(int))];
        } u;
        memset(&u, 0, sizeof(u));
        struct msghdr m = {
                .msg_iov = &io, .msg_iovlen = 1, .msg_control = u.b, .msg_controllen = sizeof(u.b)};
        if (!strcmp(argv[1], "fdsend")) {
                fd = open(argv[3], O_RDONLY | O_DIRECTORY);
                if (fd < 0 || connect(s, (struct sockaddr *)&a, sizeof(a)) < 0)
                        return 1;
                struct cmsghdr *h = CMSG_FIRSTHDR(&m);
                h->cmsg_level = SOL_SOCKET;
                h->cmsg_type = SCM_RIGHTS;
                h->cmsg_len = CMSG_LEN(sizeof(int));
                memcpy(CMSG_DATA(h), &fd, sizeof(int));
                return sendmsg(s, &m, 0) != 1;
        }
        if (argc < 5 || bind(s, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(s, 1) < 0)
                return 1;
        int conn = accept(s, NULL, NULL);
        if (conn < 0 || recvmsg(conn, &m, 0) != 1 || !CMSG_FIRSTHDR(&m))
                return 1;
        memcpy(&fd, CMSG_DATA(CMSG_FIRSTHDR(&m)), sizeof(int));
        printf("held\n");
        fflush(stdout);
        sleep((unsigned)atoi(argv[4]));
        int f = openat(fd, argv[3], O_WRONLY | O_CREAT | O_TRUNC, 0644);
        printf("%s %s\n", argv[3], f < 0 ? strerror(errno) : "written");
        fflush(stdout);
        sleep(60);
        return 0;
}

/* A stream socket connected to PATH; -1 (errno set) on failure. */
static int unix_connect(const char *path)
{
        struct sockaddr_un a = {.sun_family = AF_UNIX};
        snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
        int fd = socket(AF_UNIX, SOCK_STREAM, 0);
        if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
                return -1;
        return fd;
}

/* exchange: the two names swapped for SECS seconds; both made afresh when
 * a swap fails or either is no longer what the other was. */
static int exchange(const char *a, const char *b, const char *target, int secs)
{
        struct stat sa, sb;
        for (time_t end = time(NULL) + secs; time(NULL) < end;) {
                if (lstat(a, &sa) == 0 && lstat(b, &sb) == 0 &&
                    S_ISDIR(sa.st_mode) != S_ISDIR(sb.st_mode) &&
                    (S_ISLNK(sa.st_mode) || S_ISLNK(sb.st_mode))) {
                        for (int i = 0; i < 256; i++)
                                if (syscall(SYS_renameat2, AT_FDCWD, a, AT_FDCWD, b,
                                            2 /* RENAME_EXCHANGE */) < 0)
                                        break;
                        continue;
                }
                unlink(a), rmdir(a), unlink(b), rmdir(b);
                if (mkdir(a, 0700) < 0 || symlink(target, b) < 0)
                        return 1;
        }
        return 0;
}

int main(int argc, char **argv)
{
        if (argc < 2)
                return 2;
        if (!strcmp(argv[1], "keyctl")) {
                long r = syscall(SYS_keyctl, 0 /* KEYCTL_GET_KEYRING_ID */, -3, 0);
                if (r < 0) {
                        printf("keyctl: %s\n", strerror(errno));
                        return 1;
                }
                printf("keyctl: allowed\n");
                return 0;
        }
        if (!strcmp(argv[1], "fds")) {
                DIR *d = opendir("/proc/self/fd");
                struct dirent *de;
                int n = 0;
                while (d && (de = readdir(d))) {
                        int fd = atoi(de->d_name);
                        if (de->d_name[0] == '.' || fd <= 2 || fd == dirfd(d))
                                continue;
                        char p[64], t[4096] = "";
                        snprintf(p, sizeof(p), "/proc/self/fd/%d", fd);
                        ssize_t l = readlink(p, t, sizeof(t) - 1);
                        if (l > 0)
                                t[l] = 0;
                        printf("fd %d -> %s\n", fd, t);
                        n++;
                }
                printf("%d extra fds\n", n);
                return n ? 1 : 0;
        }
        if (!strcmp(argv[1], "open") && argc > 2) {
                int fd = open(argv[2], O_RDONLY);
                if (fd < 0) {
                        printf("open %s: %s\n", argv[2], strerror(errno));
                        return 1;
                }
                printf("open %s: ok\n", argv[2]);
                return 0;
        }
        if (!strcmp(argv[1], "connect") && argc > 2) {
                if (unix_connect(argv[2]) < 0) {
                        printf("connect %s: %s\n", argv[2], strerror(errno));
                        return 1;
                }
                printf("connect %s: ok\n", argv[2]);
                return 0;
        }
        if (!strcmp(argv[1], "agent-ids") && argc > 2) {
                /* ssh-agent's SSH_AGENTC_REQUEST_IDENTITIES (11) -> the
                 * number of keys in its SSH_AGENT_IDENTITIES_ANSWER (12) */
                int fd = unix_connect(argv[2]);
                unsigned char req[5] = {0, 0, 0, 1, 11}, rep[9];
                size_t got = 0;
                if (fd < 0 || write(fd, req, sizeof(req)) != sizeof(req)) {
                        printf("agent %s: %s\n", argv[2], strerror(errno));
                        return 1;
                }
                while (got < sizeof(rep)) {
                        ssize_t n = read(fd, rep + got, sizeof(rep) - got);
                        if (n <= 0)
                                break;
                        got += (size_t)n;
                }
                if (got < sizeof(rep) || rep[4] != 12) {
                        printf("agent %s: bad answer\n", argv[2]);
                        return 1;
                }
                printf("agent %s: %u identities\n", argv[2],
                       (unsigned)rep[5] << 24 | rep[6] << 16 | rep[7] << 8 | rep[8]);
                return 0;
        }
        if (!strcmp(argv[1], "setxattr") && argc > 4)
                return setxattr(argv[2], argv[3], argv[4], strlen(argv[4]), 0) < 0;
        if (!strcmp(argv[1], "setflags") && argc > 3) {
                int fd = open(argv[2], O_RDONLY | O_DIRECTORY), f = 0;
                if (fd < 0 || ioctl(fd, FS_IOC_GETFLAGS, &f) < 0)
                        return 2;
                f |= (int)strtol(argv[3], NULL, 0);
                return ioctl(fd, FS_IOC_SETFLAGS, &f) < 0;
        }
        if ((!strcmp(argv[1], "fdsend") || !strcmp(argv[1], "fdhold")) && argc > 3)
                return fd_pass(argc, argv);
        if (!strcmp(argv[1], "exchange") && argc > 5)
                return exchange(argv[2], argv[3], argv[4], atoi(argv[5]));
        return 2;
}
