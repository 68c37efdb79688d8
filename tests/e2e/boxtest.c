/* A tiny static probe run inside test containers (bind-mounted in):
 *   boxtest keyctl        try keyctl(2); exit 0 if allowed
 *   boxtest fds           print every open fd above 2 and what it is
 *   boxtest open PATH     try to open PATH read-only; print the errno name
 *   boxtest caps          print the capability sets from /proc/self/status
 *   boxtest connect PATH  connect to the unix stream socket PATH; print the errno name */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

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
                struct sockaddr_un a = {.sun_family = AF_UNIX};
                snprintf(a.sun_path, sizeof(a.sun_path), "%s", argv[2]);
                int fd = socket(AF_UNIX, SOCK_STREAM, 0);
                if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
                        printf("connect %s: %s\n", argv[2], strerror(errno));
                        return 1;
                }
                printf("connect %s: ok\n", argv[2]);
                return 0;
        }
        if (!strcmp(argv[1], "agent-ids") && argc > 2) {
                /* ssh-agent's SSH_AGENTC_REQUEST_IDENTITIES (11) -> the
                 * number of keys in its SSH_AGENT_IDENTITIES_ANSWER (12) */
                struct sockaddr_un a = {.sun_family = AF_UNIX};
                snprintf(a.sun_path, sizeof(a.sun_path), "%s", argv[2]);
                int fd = socket(AF_UNIX, SOCK_STREAM, 0);
                unsigned char req[5] = {0, 0, 0, 1, 11}, rep[9];
                size_t got = 0;
                if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
                    write(fd, req, sizeof(req)) != sizeof(req)) {
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
        return 2;
}
