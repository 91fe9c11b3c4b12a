/* Criterion's parameterized-test header, for the ThreadSanitizer build: ParameterizedTest is
 * in the stand-in criterion.h (see there why it exists). */
#include <criterion/criterion.h>
