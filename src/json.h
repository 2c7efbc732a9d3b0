/* json.h - the checks cJSON does not do, shared by every JSON reader.
 *
 * Internal to the core (it exposes cJSON types, which the public headers
 * never do). pd_json_parse refuses, with a line:column, what cJSON 1.7.15
 * would accept or mangle: invalid UTF-8, "\u0000" (cJSON cuts the string
 * there), nesting deeper than the caller allows (checked before parsing, so
 * a deep file costs no memory), trailing bytes, and duplicate keys (cJSON
 * keeps both and lets the first win).
 */
#ifndef PD_JSON_H
#define PD_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cJSON.h>

/* Parse buf[0..len) (NUL-terminated at len). On failure returns
 * PD_EINVALID and sets the error message "FILE:LINE:COL: what". */
int pd_json_parse(cJSON **out, const char *buf, size_t len, const char *file, int max_depth);

/* A JSON number that is an integer in [min, max] (checked on valuedouble:
 * valueint saturates and 1e400 is infinity). */
bool pd_json_int(const cJSON *item, int64_t min, int64_t max, int64_t *out);

/* A copy of a string member, or NULL when absent, not a string, or out
 * of memory. */
char *pd_json_strdup(const cJSON *object, const char *key);

/* The name of a JSON value's type, for messages ("string", "number", ...). */
const char *pd_json_type(const cJSON *item);

/* An object member by exact name, or NULL. */
const cJSON *pd_json_get(const cJSON *object, const char *key);

/* A string member: 1 and *out set if present and a string, 0 if absent,
 * -1 if present with another type. */
int pd_json_string(const cJSON *object, const char *key, const char **out);

#endif
