/* json_out.h — the one JSON string writer of the language reports. */
#ifndef GROVE_LANG_JSON_OUT_H
#define GROVE_LANG_JSON_OUT_H

#include <stdio.h>

/* Write s (NUL-terminated UTF-8) to f as a JSON string literal, quotes
 * included: " and \ escaped, \n \r \t short, other controls as \u00XX. */
void lang_json_str(FILE *f, const char *s);

#endif
