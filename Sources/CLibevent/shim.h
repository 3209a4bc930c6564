// CLibevent: libevent 2.1 (core, pthreads, openssl flavours) for Swift.
// Only what Swift cannot import (macros) is wrapped here, each prefixed CLibevent_.
#ifndef CLIBEVENT_SHIM_H
#define CLIBEVENT_SHIM_H
#include "../CSystemHeaders/shim.h"
#include <event2/event.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/listener.h>
#include <event2/thread.h>
#include <event2/util.h>
#include <openssl/ssl.h>

static inline short CLibevent_EV_READ(void) { return EV_READ; }
static inline short CLibevent_EV_WRITE(void) { return EV_WRITE; }
static inline short CLibevent_EV_PERSIST(void) { return EV_PERSIST; }
static inline short CLibevent_EV_TIMEOUT(void) { return EV_TIMEOUT; }
static inline short CLibevent_EV_SIGNAL(void) { return EV_SIGNAL; }

/// recv(2), send(2), writev(2) and readv(2) on a socket as plain system calls (`syscall`), for the proxy loop's reads and
/// writes. glibc's wrappers are thread-cancellation points: in a process with more than one thread each call
/// also enables and then disables asynchronous cancellation around the system call (about 0.6 % of the proxy's
/// CPU per request, perf on loopback). uma-pep never cancels a thread. The result and errno are the wrappers'.
static inline ssize_t CLibevent_recv(int fd, void *buffer, size_t length) {
    return syscall(SYS_recvfrom, (long)fd, buffer, length, 0L, (void *)0, (void *)0);
}
static inline ssize_t CLibevent_send(int fd, const void *buffer, size_t length, int flags) {
    return syscall(SYS_sendto, (long)fd, buffer, length, (long)flags, (void *)0, 0L);
}
static inline ssize_t CLibevent_writev(int fd, const struct iovec *vectors, int count) {
    return syscall(SYS_writev, (long)fd, vectors, (long)count);
}
static inline ssize_t CLibevent_readv(int fd, const struct iovec *vectors, int count) {
    return syscall(SYS_readv, (long)fd, vectors, (long)count);
}

/// Bytes in each thread's read buffer (`CLibevent_read_buffer_take`).
#define CLIBEVENT_READ_BUFFER_BYTES 16384
/// The calling thread's read buffer and whether it is taken (function-local: Swift imports no C globals).
typedef struct {
    unsigned char bytes[CLIBEVENT_READ_BUFFER_BYTES];
    int taken;
} CLibevent_read_buffer_state;
static inline CLibevent_read_buffer_state *CLibevent_read_buffer(void) {
    static __thread CLibevent_read_buffer_state state;
    return &state;
}
/// The calling thread's read buffer (one per thread, so no locking), or NULL while it is taken. A plain socket
/// whose input buffer is empty reads into it and its owner parses the bytes in place; only what is left when the
/// read callback returns is copied into the socket's evbuffer, so a request or response consumed at once costs
/// no evbuffer chain (an allocation and a free). A socket with bytes already waiting reads into a small evbuffer
/// chain with this buffer as the overflow. Give it back with `CLibevent_read_buffer_give_back`; its bytes never
/// outlive the read callback.
static inline unsigned char *CLibevent_read_buffer_take(void) {
    CLibevent_read_buffer_state *state = CLibevent_read_buffer();
    if (state->taken) return 0;
    state->taken = 1;
    return state->bytes;
}
/// Gives the calling thread's read buffer back (see `CLibevent_read_buffer_take`).
static inline void CLibevent_read_buffer_give_back(void) { CLibevent_read_buffer()->taken = 0; }
#endif
