// CHiredis: hiredis (Debian 12: 0.14, `libhiredis-dev`) and its libevent adapter for Swift, used by the shared
// second-level cache on Redis (UMAClient/Redis). Only what Swift cannot import (macros, the adapter's static
// functions taking a libevent type from another module) is wrapped here, each prefixed CHiredis_.
#ifndef CHIREDIS_SHIM_H
#define CHIREDIS_SHIM_H
#include "../CSystemHeaders/shim.h"
#include <hiredis/hiredis.h>
#include <hiredis/async.h>
#include <hiredis/adapters/libevent.h>

static inline int CHiredis_REDIS_OK(void) { return REDIS_OK; }
static inline int CHiredis_REPLY_STRING(void) { return REDIS_REPLY_STRING; }
static inline int CHiredis_REPLY_NIL(void) { return REDIS_REPLY_NIL; }
static inline int CHiredis_REPLY_STATUS(void) { return REDIS_REPLY_STATUS; }
static inline int CHiredis_REPLY_ERROR(void) { return REDIS_REPLY_ERROR; }
static inline int CHiredis_REPLY_INTEGER(void) { return REDIS_REPLY_INTEGER; }

/// Attaches `context` to the libevent `event_base` `base` (hiredis/adapters/libevent.h); REDIS_OK or REDIS_ERR.
/// `base` is a `struct event_base *` passed untyped: CLibevent owns that type in Swift.
static inline int CHiredis_attach(redisAsyncContext *context, void *base) {
    return redisLibeventAttach(context, (struct event_base *)base);
}
#endif
