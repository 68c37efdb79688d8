/* box's helper threads.
 *
 * box learns of its children's ends and of the signals it forwards through
 * a signalfd, which sees a signal only while every thread blocks it: each
 * helper thread starts with all signals blocked.  A thread that runs
 * across a clone(2) of box's must take no lock the child could inherit
 * held (run/rw-pool.c's sweep); the others end, or are joined, first. */
#pragma once

#include <pthread.h>
#include <stdbool.h>

/* pthread_create(3) of FN(ARG) with every signal blocked in the new thread
 * (the caller's mask is as it was); DETACHED: never joined, on the
 * smallest stack (for a thread that makes a system call or two).  0, or
 * pthread_create's error. */
int thread_start(pthread_t *ret, bool detached, void *(*fn)(void *), void *arg);
