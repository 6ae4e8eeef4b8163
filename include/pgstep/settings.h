/* settings: the one rule for what applies when a migration runs
 * (lock_timeout, statement_timeout, transaction mode, lock retries) and where
 * each value came from: a directive of the file (file:line), pgstep.conf
 * (file:line) or the built-in default. The runner's options, the plan, lint
 * and the interface's dialogs all ask settings_of(); none decides itself.
 * The built-in defaults live here and nowhere else. */
#ifndef PGSTEP_SETTINGS_H
#define PGSTEP_SETTINGS_H

#include <stdbool.h>
#include <stdint.h>
#include "pgstep/strbuf.h"

struct config;
struct migration;

#define SETTINGS_DEFAULT_LOCK_TIMEOUT_MS      3000
#define SETTINGS_DEFAULT_LOCK_RETRIES         5
#define SETTINGS_DEFAULT_STATEMENT_TIMEOUT_MS 0 /* none */
#define SETTINGS_DEFAULT_RETRY_BACKOFF_MS     500
/* Step mode: past this, a run holding a lock stronger than ROW EXCLUSIVE
 * says so loudly and offers to roll back ([defaults] hold_limit; 0: off). */
#define SETTINGS_DEFAULT_HOLD_LIMIT_MS 5000

enum setting_source {
	SETTING_DEFAULT,   /* built into pgstep */
	SETTING_CONFIG,    /* pgstep.conf */
	SETTING_DIRECTIVE, /* the migration's own files: directive, marker, metadata */
	SETTING_STATEMENT, /* what the migration's statements need */
	SETTING_OPTION,    /* a command-line option (lint --assume-no-timeouts) */
};

/* Where one value came from. Strings are borrowed from the config, the
 * migration or static text: valid while those live. */
struct setting_origin {
	enum setting_source source;
	const char *what; /* "pgstep:lock-timeout", ...; NULL: config or default */
	const char *path; /* file, or NULL */
	int line;         /* 0: not known */
};

enum settings_txn {
	SETTINGS_TXN_SINGLE, /* the whole section in one transaction */
	SETTINGS_TXN_NONE,   /* statement by statement (directive, marker, or a statement
	                        that cannot run in a transaction) */
	SETTINGS_TXN_FILE,   /* the file's own BEGIN ... COMMIT blocks */
};

struct settings {
	int64_t lock_timeout_ms; /* always > 0 */
	struct setting_origin lock_timeout_from;
	int64_t statement_timeout_ms; /* 0: none */
	struct setting_origin statement_timeout_from;
	int lock_retries;
	struct setting_origin lock_retries_from;
	int64_t retry_backoff_ms;
	enum settings_txn txn;
	struct setting_origin txn_from;
};

/* What applies to m's up (down = false) or down section under cfg (NULL: no
 * pgstep.conf, the built-in defaults). The transaction mode reads the
 * section's statements as the loader split them; an unsplit section is
 * judged by its directives and markers only. */
void settings_of(const struct config *cfg, const struct migration *m, bool down,
                 struct settings *out);

/* NULL when ms is an acceptable lock_timeout, else why not. pgstep.conf and
 * pgstep:lock-timeout share this rule. */
const char *settings_lock_timeout_refusal(int64_t ms);

/* "3s", "500ms", "1min", "1.5s"; 0 is "off". */
void settings_duration_text(struct strbuf *sb, int64_t ms);
/* "from pgstep.conf:4", "pgstep:lock-timeout, 012_x.sql:3", "built-in
 * default": the words inside the parentheses of the short forms. File
 * names are shown without their directory. */
void settings_origin_text(struct strbuf *sb, const struct setting_origin *o);
/* Short forms: "lock_timeout 3s (from pgstep.conf:4)",
 * "statement_timeout off (built-in default)", "lock_retries 5 (...)",
 * "one transaction (built-in default)". */
void settings_lock_timeout_text(struct strbuf *sb, const struct settings *s);
void settings_statement_timeout_text(struct strbuf *sb, const struct settings *s);
void settings_lock_retries_text(struct strbuf *sb, const struct settings *s);
void settings_txn_text(struct strbuf *sb, const struct settings *s);
/* "single", "none" or "file": plan's transaction column and JSON. */
const char *settings_txn_name(enum settings_txn t);
/* Statement by statement because the file says so (a directive or a
 * marker), not only because a statement cannot run in a transaction. */
bool settings_declared_no_transaction(const struct settings *s);
/* "default", "config", "directive", "statement", "option" (JSON). */
const char *settings_source_name(enum setting_source s);

#endif
