// CSystemHeaders: the libc headers that libevent, libcurl and OpenSSL all include, owned by one clang module.
// Each C shim includes this first, so <sys/select.h> and friends are imported from here instead of being
// copied textually into every C module (two copies of `fd_set` do not merge: "'fds_bits' … is not present in
// definition of 'fd_set' in module …").
#ifndef CSYSTEMHEADERS_SHIM_H
#define CSYSTEMHEADERS_SHIM_H
#include <sys/types.h>
#include <sys/select.h>
#include <sys/time.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <pthread.h>
#include <limits.h>
#include <stdarg.h>
#include <unistd.h>
#include <sys/syscall.h>
#endif
