// Thin wrappers only; see include/CShims.h.
#define _GNU_SOURCE
#include "CShims.h"

#include <errno.h>
#include <linux/futex.h>
#include <malloc.h>
#include <sched.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

int bg_futex_wait(uint32_t *word, uint32_t expected, int64_t timeout_ns) {
    struct timespec ts;
    struct timespec *timeout = NULL;
    if (timeout_ns >= 0) {
        ts.tv_sec = (time_t)(timeout_ns / 1000000000);
        ts.tv_nsec = (long)(timeout_ns % 1000000000);
        timeout = &ts;
    }
    // FUTEX_WAIT, not FUTEX_WAIT_PRIVATE: the word is in a MAP_SHARED mapping used by two processes.
    long r = syscall(SYS_futex, word, FUTEX_WAIT, expected, timeout, NULL, 0);
    return r == 0 ? 0 : errno;
}

int bg_futex_wake(uint32_t *word, int32_t count) {
    long r = syscall(SYS_futex, word, FUTEX_WAKE, count, NULL, NULL, 0);
    return r >= 0 ? (int)r : -errno;
}

int bg_memfd_create(const char *name, unsigned int flags) { return (int)syscall(SYS_memfd_create, name, flags); }

unsigned int bg_mfd_cloexec(void) { return MFD_CLOEXEC; }

int bg_set_parent_death_signal(int signal) { return prctl(PR_SET_PDEATHSIG, (unsigned long)signal, 0, 0, 0); }

int bg_unpin(void) {
    cpu_set_t all;
    CPU_ZERO(&all);
    for (int cpu = 0; cpu < CPU_SETSIZE; cpu++) CPU_SET(cpu, &all);
    // The kernel keeps only the CPUs the cpuset allows.
    return sched_setaffinity(0, sizeof(all), &all) == 0 ? 0 : errno;
}

int bg_pin_to_allowed_cpu(int index) {
    int error = bg_unpin();
    if (error != 0) return error;
    cpu_set_t allowed;
    if (sched_getaffinity(0, sizeof(allowed), &allowed) != 0) return errno;
    int seen = 0;
    for (int cpu = 0; cpu < CPU_SETSIZE; cpu++) {
        if (!CPU_ISSET(cpu, &allowed)) continue;
        if (seen++ == index) {
            cpu_set_t one;
            CPU_ZERO(&one);
            CPU_SET(cpu, &one);
            return sched_setaffinity(0, sizeof(one), &one) == 0 ? 0 : errno;
        }
    }
    return EINVAL;
}

int bg_release_free_heap(void) { return malloc_trim(0); }

int bg_spawn_close_from(void *actions, int from) {
    return posix_spawn_file_actions_addclosefrom_np((posix_spawn_file_actions_t *)actions, from);
}
