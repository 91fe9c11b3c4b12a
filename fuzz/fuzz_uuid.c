/* Fuzz target: UUID parsing (ps_uuid_parse, src/core/ids.h), which validates ids taken from
 * requests. A parse that succeeds must format back to the input, lower-cased. */
#include <ctype.h>
#include <string.h>

#include "core/ids.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ps_uuid u;
    if (!ps_uuid_parse((struct ps_str){(const char *)data, size}, &u))
        return 0;
    FUZZ_CHECK(size == 36);
    char text[37];
    ps_uuid_fmt(&u, text);
    for (size_t i = 0; i < 36; i++)
        FUZZ_CHECK(text[i] == (char)tolower(data[i]));
    FUZZ_CHECK(text[36] == '\0');
    return 0;
}
