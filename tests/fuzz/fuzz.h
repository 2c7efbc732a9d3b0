/* fuzz.h - what every fuzz harness shares: the libFuzzer entry points, a
 * scratch dir on a memory file system made once, and writing an input
 * into a file of it. Harnesses link either libFuzzer (clang, PD_FUZZ) or
 * driver.c, which runs them over files (regression inputs, every build). */
#ifndef PD_FUZZ_H
#define PD_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The scratch dir (made at the first call, removed at exit). */
const char *fuzz_dir(void);

/* DIR/NAME := data (parents made); aborts on an I/O error, which is not
 * a finding. */
void fuzz_write(const char *name, const uint8_t *data, size_t size);

#endif
