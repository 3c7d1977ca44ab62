/*
 * engine/numfmt.h — shortest round-trip decimal renderings of floats.
 *
 * "Shortest round trip" means the fewest significant digits that parse
 * back to the same value at the given width (and, among those, the one
 * closest to it): 0.1 is "0.1", the float32 0.1f widened to double is
 * "0.10000000149011612".  Two layouts:
 *
 *  - JSON (numfmt_json_f64): what serde_json/ryu print, so results read
 *    the same as OmniGraph's: 30.0, 0.001234, 1e-7, 1.5e300, -0.0.
 *    jansson cannot do this: json_dumps prints every real with %.17g
 *    (0.1 -> 0.10000000000000001) whatever JSON_REAL_PRECISION says.
 *  - plain (numfmt_plain_*): Rust's Display for floats: never an exponent,
 *    integral values without a fraction ("2", "340282350000000000000000
 *    000000000000000"), both zeros "0".  Used for key texts (spec §7.7)
 *    and numbers inside messages.
 *
 * Non-finite values are the caller's business; these functions assert.
 */
#ifndef GROVE_ENGINE_NUMFMT_H
#define GROVE_ENGINE_NUMFMT_H

#include <stddef.h>

#define NUMFMT_JSON_MAX  32    /* NUL included */
#define NUMFMT_PLAIN_MAX 344   /* "-0.000...5" of the smallest double */

/* Write the JSON rendering of finite x into out (NUMFMT_JSON_MAX bytes);
 * returns the length without the NUL. */
size_t numfmt_json_f64(char *out, double x);

/* Plain renderings of finite x at double / float32 width (out:
 * NUMFMT_PLAIN_MAX bytes); returns the length without the NUL. */
size_t numfmt_plain_f64(char *out, double x);
size_t numfmt_plain_f32(char *out, float x);

#endif /* GROVE_ENGINE_NUMFMT_H */
