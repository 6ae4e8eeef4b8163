/* diff: a line diff of two texts (Myers' O(ND) algorithm) rendered as
 * unified hunks. The interface's Diff tab shows the SQL stored when a
 * migration was applied against the file as it is now. */
#ifndef PGSTEP_DIFF_H
#define PGSTEP_DIFF_H

#include <stdbool.h>
#include "pgstep/strbuf.h"

/* Append a unified diff of a against b ("--- name_a", "+++ name_b", then
 * "@@ -l,n +l,n @@" hunks with context lines around each change) to out.
 * Returns false (and appends nothing) when the texts have the same lines.
 * A missing final newline does not count as a difference. */
bool diff_unified(const char *a, const char *b, const char *name_a, const char *name_b, int context,
                  struct strbuf *out);

#endif
