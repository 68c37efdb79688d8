/* A UDP echo for the network tests (busybox has no UDP server): answers
 * each datagram on PORT with "echo:" and the datagram, COUNT times; with a
 * third argument "6", on IPv6 (and IPv4, mapped) rather than IPv4 only. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

int main(int argc, char **argv)
{
        int port = argc > 1 ? atoi(argv[1]) : 5353, count = argc > 2 ? atoi(argv[2]) : 1;
        int v6 = argc > 3 && strcmp(argv[3], "6") == 0;
        int fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_DGRAM, 0);
        struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port)};
        struct sockaddr_in6 sa6 = {.sin6_family = AF_INET6,
                                   .sin6_port = htons((unsigned short)port)};
        if (fd < 0 || (v6 ? bind(fd, (struct sockaddr *)&sa6, sizeof(sa6))
                          : bind(fd, (struct sockaddr *)&sa, sizeof(sa))) < 0) {
                perror("udpecho");
                return 1;
        }
        printf("ready\n");
        fflush(stdout);
        for (int i = 0; i < count; i++) {
                char buf[512], out[600];
                struct sockaddr_in6 from; /* room for either family */
                socklen_t len = sizeof(from);
                ssize_t n = recvfrom(fd, buf, sizeof(buf) - 1, 0, (struct sockaddr *)&from, &len);
                if (n < 0)
                        return 1;
                buf[n] = '\0';
                int m = snprintf(out, sizeof(out), "echo:%s", buf);
                sendto(fd, out, (size_t)m, 0, (struct sockaddr *)&from, len);
        }
        return 0;
}
