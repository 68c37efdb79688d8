/* The network of a --network none container: only lo, brought up. */
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "run/run-internal.h"

int run_net_loopback_up(struct box_err *err)
{
        _cleanup_close_ int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (s < 0)
                return box_err_errno(err, errno, "socket");
        struct ifreq ifr = {0};
        snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
        if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
                return box_err_errno(err, errno, "get flags of lo");
        ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
        if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
                return box_err_errno(err, errno, "bring lo up");
        return 0;
}
