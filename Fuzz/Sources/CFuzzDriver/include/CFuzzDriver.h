// libFuzzer's driver entry, for debug builds: SwiftPM links debug executables with `main=<module>_main`, so the
// harness defines that symbol and hands control to libFuzzer through it (release builds use libFuzzer's main).
#ifndef C_FUZZ_DRIVER_H
#define C_FUZZ_DRIVER_H
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));

#endif
