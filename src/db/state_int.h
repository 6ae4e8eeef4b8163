/* state_int: what state.c shares with state_verify.c (not for other
 * modules): the exact texts that are hashed and the queries that read them. */
#ifndef PGSTEP_STATE_INT_H
#define PGSTEP_STATE_INT_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stdint.h>
#include "pgstep/sha256.h"
#include "pgstep/state.h"

/* Timestamps travel as text in one exact format so that what was hashed on
 * the client is what verify reads back. */
#define STATE_TS(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"

/* A keyed event's hash is stored with this prefix, so verify knows which
 * function to recompute (and that it needs the key). */
#define STATE_HMAC_PREFIX "hmac:"
#define STATE_HASH_MAX    (sizeof STATE_HMAC_PREFIX + SHA256_HEX_LEN)

/* The prev_hash of every chain's first event. */
extern const char state_zero_hash[SHA256_HEX_LEN + 1];

/* The columns state_row_canon reads, in the order state_canon_parse takes
 * them, for the table aliased m. The texts travel as digests computed by
 * the server: binding a row never sends a migration's SQL back. A column
 * added to pgstep.migrations goes here, in state_canon_parse and in
 * state_row_canon. */
/* clang-format off */
#define STATE_CANON_COLS                                                       \
	"m.tenant, m.version, m.version_text, m.name, m.phase, m.checksum,"    \
	" m.state, m.statements_total, m.statements_done, m.db_user,"          \
	" m.os_user, m.client_addr, " STATE_TS("m.started_at") ", "            \
	STATE_TS("m.finished_at") ", m.duration_ms, m.sqlstate,"               \
	" m.error_message, m.error_statement,"                                 \
	" encode(sha256(convert_to(m.up_sql, 'UTF8')), 'hex'),"                \
	" encode(sha256(convert_to(m.down_sql, 'UTF8')), 'hex')"
#define STATE_CANON_NCOLS 20
/* clang-format on */

/* The schema's version, 0 when it does not exist yet. */
bool state_version(struct session *s, int *version, struct pgstep_error *err);
char *state_dup(const PGresult *res, int row, int col);
int64_t state_int(const PGresult *res, int row, int col);
/* A row from STATE_CANON_COLS at column 0 of res's row i. */
void state_canon_parse(const PGresult *res, int i, struct state_row *r);
/* SHA-256 (hex) of state_row_canon(r). */
void state_row_hash(const struct state_row *r, char out[SHA256_HEX_LEN + 1]);
bool state_hash_keyed(const char *hash);
/* The event's hash as stored: keyed ("hmac:...") when keyed and the key is
 * loaded, plain SHA-256 otherwise. */
void state_event_hash(const struct event_row *e, bool keyed, char out[STATE_HASH_MAX]);
/* A hashed field holds a separator byte (the canonical text would be
 * ambiguous). */
bool state_event_ambiguous(const struct event_row *e);

#endif
