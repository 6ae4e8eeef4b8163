/* ini: reads pgstep.conf's INI dialect: [section] and [kind name] headers,
 * key = value lines, ';' or '#' comments at line start and ' ;' inline.
 * Unlike a general INI library it keeps every line number and never
 * truncates a long line, so configuration errors can name file and line. */
#ifndef PGSTEP_INI_H
#define PGSTEP_INI_H

#include <stdbool.h>
#include "pgstep/error.h"

/* Called for each key; section is the whole header text ("tenant acme").
 * Return false after setting err to stop reading. */
typedef bool (*ini_handler)(void *ctx, const char *section, const char *key, const char *value,
                            int line, struct pgstep_error *err);
/* Called for each section header (before its keys). */
typedef bool (*ini_section_handler)(void *ctx, const char *section, int line,
                                    struct pgstep_error *err);

/* Parse text; syntax errors are reported as "PATH:LINE: message". */
bool ini_parse(const char *path, const char *text, ini_section_handler on_section,
               ini_handler on_key, void *ctx, struct pgstep_error *err);

#endif
