/* The libFuzzer entry points, declared once so that targets and the corpus replayer agree
 * (and -Wmissing-prototypes is satisfied). A target returns 0 and aborts on a broken
 * invariant (FUZZ_CHECK), so a crash is a finding in both libFuzzer and the replayer. */
#ifndef PS_FUZZ_FUZZ_H
#define PS_FUZZ_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#define FUZZ_CHECK(cond)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: fuzz invariant failed: %s\n", __FILE__, __LINE__, #cond);      \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

#endif
