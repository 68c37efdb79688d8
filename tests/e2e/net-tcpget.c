/* An HTTP client for the network tests that connects as real programs do
 * (curl, Python): HOST resolved with getaddrinfo() (/etc/hosts), each
 * address tried in the order the C library gives them until one answers.
 * busybox's wget and nc take only the first address, IPv4 when there is
 * one.  Prints "via ADDR" on stderr and the response on stdout; with a
 * third argument "6" or "4", resolves to that family only.
 *   tcpget HOST PORT [4|6] */
#include <arpa/inet.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
        if (argc < 3) {
                fprintf(stderr, "usage: tcpget HOST PORT [4|6]\n");
                return 2;
        }
        struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *res, *ai;
        if (argc > 3)
                hints.ai_family = strcmp(argv[3], "6") == 0 ? AF_INET6 : AF_INET;
        int e = getaddrinfo(argv[1], argv[2], &hints, &res);
        if (e) {
                fprintf(stderr, "tcpget: %s: %s\n", argv[1], gai_strerror(e));
                return 1;
        }
        for (ai = res; ai; ai = ai->ai_next) {
                char a[INET6_ADDRSTRLEN] = "";
                void *p = ai->ai_family == AF_INET6
                                  ? (void *)&((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr
                                  : (void *)&((struct sockaddr_in *)ai->ai_addr)->sin_addr;
                inet_ntop(ai->ai_family, p, a, sizeof(a));
                int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, 0);
                struct timeval tv = {.tv_sec = 3};
                if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0 ||
                    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
                    connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
                        fprintf(stderr, "tcpget: %s: refused or unreachable\n", a);
                        if (fd >= 0)
                                close(fd);
                        continue;
                }
                fprintf(stderr, "via %s\n", a);
                static const char req[] = "GET / HTTP/1.0\r\n\r\n";
                if (write(fd, req, sizeof(req) - 1) != (ssize_t)(sizeof(req) - 1))
                        return 1;
                char buf[4096];
                ssize_t n;
                while ((n = read(fd, buf, sizeof(buf))) > 0)
                        fwrite(buf, 1, (size_t)n, stdout);
                close(fd);
                freeaddrinfo(res);
                return 0;
        }
        freeaddrinfo(res);
        return 1;
}
