// Thin wrappers over Linux calls Swift cannot make directly (the variadic `syscall`, `prctl`)
// and C11 atomics on words that live in memory shared between processes.
//
// Why the atomics are here and not in Swift: `Synchronization.Atomic<T>` must be a stored
// property of a Swift value with a fixed address chosen by Swift; it cannot be placed on a raw
// pointer into a `MAP_SHARED` mapping. (swift-atomics' `UnsafeAtomic` could, but it is not a
// dependency.) Each function is one C11 atomic operation and nothing more.
#ifndef BATCHGATE_CSHIMS_H
#define BATCHGATE_CSHIMS_H

#include <stdatomic.h>
#include <stdint.h>

/// Waits while `*word == expected`, for at most `timeout_ns` (negative: no limit). Process-shared
/// (no FUTEX_PRIVATE_FLAG). Returns 0 when woken, otherwise an errno value (EAGAIN: the word had
/// already changed, ETIMEDOUT, EINTR).
int bg_futex_wait(uint32_t *word, uint32_t expected, int64_t timeout_ns);

/// Wakes up to `count` waiters on `word` (process-shared). Returns how many were woken, or -errno.
int bg_futex_wake(uint32_t *word, int32_t count);

/// `memfd_create(name, flags)`; returns the descriptor or -1 with errno set.
int bg_memfd_create(const char *name, unsigned int flags);

/// The MFD_CLOEXEC flag for `bg_memfd_create`.
unsigned int bg_mfd_cloexec(void);

/// `prctl(PR_SET_PDEATHSIG, signal)`; returns 0 or -1 with errno set.
int bg_set_parent_death_signal(int signal);

/// Pins the calling thread to the `index`-th CPU that its cpuset allows. Returns 0, or an errno value
/// (EINVAL when fewer CPUs are allowed).
int bg_pin_to_allowed_cpu(int index);

/// Lets the calling thread run on every CPU its cpuset allows again. Returns 0 or an errno value.
int bg_unpin(void);

/// Gives the pages of freed heap blocks back to the system (glibc's `malloc_trim(0)`). Returns 1 when
/// memory was released, 0 when there was none to release.
int bg_release_free_heap(void);

/// A pause hint for spin loops (`pause` on x86, `yield` on arm64).
static inline void bg_cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

/// Atomic load with acquire ordering.
static inline uint32_t bg_load_acquire_u32(uint32_t *p) {
    return atomic_load_explicit((_Atomic uint32_t *)p, memory_order_acquire);
}
/// Atomic store with release ordering.
static inline void bg_store_release_u32(uint32_t *p, uint32_t v) {
    atomic_store_explicit((_Atomic uint32_t *)p, v, memory_order_release);
}
/// Atomic fetch-and-add (sequentially consistent); returns the old value.
static inline uint32_t bg_fetch_add_u32(uint32_t *p, uint32_t v) {
    return atomic_fetch_add_explicit((_Atomic uint32_t *)p, v, memory_order_seq_cst);
}
/// Atomic fetch-and-subtract (sequentially consistent); returns the old value.
static inline uint32_t bg_fetch_sub_u32(uint32_t *p, uint32_t v) {
    return atomic_fetch_sub_explicit((_Atomic uint32_t *)p, v, memory_order_seq_cst);
}
/// Atomic compare-and-exchange (sequentially consistent); on failure `*expected` gets the current value.
static inline _Bool bg_compare_exchange_u32(uint32_t *p, uint32_t *expected, uint32_t desired) {
    return atomic_compare_exchange_strong_explicit(
        (_Atomic uint32_t *)p, expected, desired, memory_order_seq_cst, memory_order_seq_cst);
}

/// Atomic load with acquire ordering.
static inline uint64_t bg_load_acquire_u64(uint64_t *p) {
    return atomic_load_explicit((_Atomic uint64_t *)p, memory_order_acquire);
}
/// Atomic load with relaxed ordering.
static inline uint64_t bg_load_relaxed_u64(uint64_t *p) {
    return atomic_load_explicit((_Atomic uint64_t *)p, memory_order_relaxed);
}
/// Atomic store with release ordering.
static inline void bg_store_release_u64(uint64_t *p, uint64_t v) {
    atomic_store_explicit((_Atomic uint64_t *)p, v, memory_order_release);
}
/// Atomic fetch-and-add (sequentially consistent); returns the old value.
static inline uint64_t bg_fetch_add_u64(uint64_t *p, uint64_t v) {
    return atomic_fetch_add_explicit((_Atomic uint64_t *)p, v, memory_order_seq_cst);
}
/// Atomic compare-and-exchange (sequentially consistent); on failure `*expected` gets the current value.
static inline _Bool bg_compare_exchange_u64(uint64_t *p, uint64_t *expected, uint64_t desired) {
    return atomic_compare_exchange_strong_explicit(
        (_Atomic uint64_t *)p, expected, desired, memory_order_seq_cst, memory_order_seq_cst);
}

/// A full (sequentially consistent) fence.
static inline void bg_fence_seq_cst(void) { atomic_thread_fence(memory_order_seq_cst); }

/// Adds to a `posix_spawn_file_actions_t` (passed as `actions`) the action that closes every descriptor from `from`
/// up in the child (glibc's `posix_spawn_file_actions_addclosefrom_np`, which Swift's Glibc module does not show).
/// Returns 0 or an errno value.
int bg_spawn_close_from(void *actions, int from);

#endif
