/* Fuzz target: the tlog-tiles request-path parser and the entry-bundle parser
 * (src/tlog/tiles.h), which read URLs from the network and bundles fetched from logs. A path
 * that parses must be the canonical spelling (it writes back byte for byte); a bundle that
 * parses must rebuild to the same bytes. */
#include <string.h>

#include "core/buf.h"
#include "fuzz.h"
#include "tlog/tiles.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ps_str in = {(const char *)data, size};
    struct ps_tile t;
    if (ps_tile_parse(in, &t, NULL) == PS_OK) {
        char path[PS_TILE_PATH_MAX];
        size_t len = 0;
        FUZZ_CHECK(ps_tile_path(&t, path, &len) == PS_OK);
        FUZZ_CHECK(len == size && memcmp(path, data, size) == 0);
        (void)ps_tile_exists(&t, (uint64_t)size * 1000003u);
    }
    static struct ps_str entries[PS_TILE_WIDTH];
    size_t n = 0;
    if (ps_bundle_parse(in, entries, PS_TILE_WIDTH, &n, NULL) == PS_OK) {
        struct ps_buf b;
        ps_buf_init(&b, size + 1);
        for (size_t i = 0; i < n; i++)
            FUZZ_CHECK(ps_bundle_append(&b, entries[i]) == PS_OK);
        FUZZ_CHECK(b.len == size && (size == 0 || memcmp(b.p, data, size) == 0));
        ps_buf_reset(&b);
    }
    return 0;
}
