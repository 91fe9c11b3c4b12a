/* Criterion's logging header, for the ThreadSanitizer build: cr_log_* are in the stand-in
 * criterion.h (see there why it exists). */
#include <criterion/criterion.h>
