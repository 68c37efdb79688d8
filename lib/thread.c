#include "lib/thread.h"

#include <limits.h>
#include <signal.h>

int thread_start(pthread_t *ret, bool detached, void *(*fn)(void *), void *arg)
{
        pthread_attr_t attr;
        int r = pthread_attr_init(&attr);
        if (r != 0)
                return r;
        if (detached) {
                (void)pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
                (void)pthread_attr_setstacksize(&attr, PTHREAD_STACK_MIN);
        }
        sigset_t all, old;
        sigfillset(&all);
        pthread_sigmask(SIG_SETMASK, &all, &old);
        r = pthread_create(ret, &attr, fn, arg);
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        pthread_attr_destroy(&attr);
        return r;
}
