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

/// hiredis 0.14 aborts (an assert in redisProcessCallbacks) when a reply arrives that no command is waiting for,
/// outside pub/sub: a broken or hostile server could kill the process. These reply-object functions refuse such a
/// reply while it is being parsed (a top-level object with no callback pending): the reader reports an error and
/// hiredis disconnects, which the client handles like any lost connection (backoff, requests go to the
/// authorization server).
static const redisReplyObjectFunctions *CHiredis_defaultFunctions = NULL;

static inline int CHiredis_isUnsolicited(const redisReadTask *task) {
    if (task->parent != NULL) return 0;
    const redisAsyncContext *context = (const redisAsyncContext *)task->privdata;
    return context != NULL && context->replies.head == NULL;
}
static void *CHiredis_createString(const redisReadTask *task, char *text, size_t length) {
    return CHiredis_isUnsolicited(task) ? NULL : CHiredis_defaultFunctions->createString(task, text, length);
}
static void *CHiredis_createArray(const redisReadTask *task, int elements) {
    return CHiredis_isUnsolicited(task) ? NULL : CHiredis_defaultFunctions->createArray(task, elements);
}
static void *CHiredis_createInteger(const redisReadTask *task, long long value) {
    return CHiredis_isUnsolicited(task) ? NULL : CHiredis_defaultFunctions->createInteger(task, value);
}
static void *CHiredis_createNil(const redisReadTask *task) {
    return CHiredis_isUnsolicited(task) ? NULL : CHiredis_defaultFunctions->createNil(task);
}
static void CHiredis_freeObject(void *reply) { CHiredis_defaultFunctions->freeObject(reply); }
static redisReplyObjectFunctions CHiredis_guardedFunctions = {
    CHiredis_createString, CHiredis_createArray, CHiredis_createInteger, CHiredis_createNil, CHiredis_freeObject};

/// Makes `context` refuse unsolicited replies (above). Call once, right after `redisAsyncConnect`.
static inline void CHiredis_guardReplies(redisAsyncContext *context) {
    if (context->c.reader == NULL) return;
    if (CHiredis_defaultFunctions == NULL) CHiredis_defaultFunctions = context->c.reader->fn;
    if (CHiredis_defaultFunctions == NULL || context->c.reader->fn == &CHiredis_guardedFunctions) return;
    context->c.reader->fn = &CHiredis_guardedFunctions;
    context->c.reader->privdata = context;
}

/// The context's last error text (`errstr` is a `char *` in hiredis 0.14's async context), or "".
static inline const char *CHiredis_errorText(const redisAsyncContext *context) {
    return context->errstr != NULL ? context->errstr : "";
}

/// Attaches `context` to the libevent `event_base` `base` (hiredis/adapters/libevent.h); REDIS_OK or REDIS_ERR.
/// `base` is a `struct event_base *` passed untyped: CLibevent owns that type in Swift.
static inline int CHiredis_attach(redisAsyncContext *context, void *base) {
    return redisLibeventAttach(context, (struct event_base *)base);
}
#endif
