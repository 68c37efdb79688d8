/* The smallest useful image: one static binary, nothing else. */
#include <stdio.h>
#include <sys/utsname.h>
#include <unistd.h>

int main(int argc, char **argv)
{
        struct utsname u;
        const char *who = argc > 1 ? argv[1] : "box";

        if (uname(&u) < 0)
                return 1;
        printf("Hello from %s! (pid %d on %s, kernel %s)\n", who, (int)getpid(), u.nodename,
               u.release);
        return 0;
}
