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

/// Bytes in each thread's read overflow buffer (`CLibevent_read_overflow`).
#define CLIBEVENT_READ_OVERFLOW_BYTES 16384
/// The calling thread's read overflow buffer: a socket reads into a small evbuffer chain first and only what
/// does not fit lands here (then copied into the evbuffer), so a request that fits the small chain costs one
/// small allocation instead of a 16 KiB one. One per thread, so no locking; the bytes never outlive the read.
static inline unsigned char *CLibevent_read_overflow(void) {
    static __thread unsigned char overflow[CLIBEVENT_READ_OVERFLOW_BYTES];
    return overflow;
}
#endif
