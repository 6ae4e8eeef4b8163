/* settings: what applies when a migration runs, and why (see settings.h).
 * The order of precedence is the product's: a migration's own directive
 * over pgstep.conf over the built-in default. */
#include "config.h"

#include <string.h>

#include "pgstep/conf.h"
#include "pgstep/migration.h"
#include "pgstep/settings.h"

static struct setting_origin from_config(const struct config *cfg, int line)
{
	if (!cfg || line <= 0)
		return (struct setting_origin){.source = SETTING_DEFAULT};
	return (struct setting_origin){.source = SETTING_CONFIG, .path = cfg->path, .line = line};
}

static struct setting_origin from_file(const char *what, const char *path, int line)
{
	return (struct setting_origin){
	    .source = SETTING_DIRECTIVE, .what = what, .path = path, .line = line};
}

/* The section's mode, in the precedence plan and the runner have always
 * shown: a no-transaction setting of the migration, then a statement that
 * cannot run in a transaction, then the file's own BEGIN blocks. */
static void txn_of(const struct migration *m, const struct migration_section *sec,
                   struct settings *out)
{
	out->txn = SETTINGS_TXN_SINGLE;
	out->txn_from = (struct setting_origin){.source = SETTING_DEFAULT};
	if (m->no_transaction_line > 0 && (sec->no_transaction || sec == &m->up)) {
		out->txn = SETTINGS_TXN_NONE;
		out->txn_from =
		    from_file("pgstep:no-transaction", m->up.path, m->no_transaction_line);
		return;
	}
	if (sec->no_transaction || (sec == &m->up && m->no_transaction)) {
		out->txn = SETTINGS_TXN_NONE;
		if (m->format == FORMAT_DIESEL)
			out->txn_from = from_file("run_in_transaction = false", "metadata.toml", 0);
		else /* dbmate's marker option: the line before the section */
			out->txn_from = from_file("transaction:false", sec->path,
			                          sec->first_line > 1 ? sec->first_line - 1 : 0);
		return;
	}
	const struct statement *begin = NULL;
	for (size_t i = 0; i < sec->stmts.n; i++) {
		const struct statement *st = &sec->stmts.items[i];
		if (st->txn == STMT_TXN_FORBIDDEN) {
			out->txn = SETTINGS_TXN_NONE;
			out->txn_from =
			    (struct setting_origin){.source = SETTING_STATEMENT,
			                            .what = "cannot run in a transaction",
			                            .path = sec->path,
			                            .line = st->line};
			return;
		}
		if (st->txn == STMT_TXN_BEGIN && !begin)
			begin = st;
	}
	if (begin) {
		out->txn = SETTINGS_TXN_FILE;
		out->txn_from = (struct setting_origin){.source = SETTING_STATEMENT,
		                                        .what = "BEGIN",
		                                        .path = sec->path,
		                                        .line = begin->line};
	}
}

void settings_of(const struct config *cfg, const struct migration *m, bool down,
                 struct settings *out)
{
	memset(out, 0, sizeof *out);
	out->lock_timeout_ms = cfg ? cfg->lock_timeout_ms : SETTINGS_DEFAULT_LOCK_TIMEOUT_MS;
	out->lock_timeout_from = from_config(cfg, cfg ? cfg->lock_timeout_line : 0);
	out->statement_timeout_ms =
	    cfg ? cfg->statement_timeout_ms : SETTINGS_DEFAULT_STATEMENT_TIMEOUT_MS;
	out->statement_timeout_from = from_config(cfg, cfg ? cfg->statement_timeout_line : 0);
	out->lock_retries = cfg ? cfg->lock_retries : SETTINGS_DEFAULT_LOCK_RETRIES;
	out->lock_retries_from = from_config(cfg, cfg ? cfg->lock_retries_line : 0);
	out->retry_backoff_ms = cfg ? cfg->retry_backoff_ms : SETTINGS_DEFAULT_RETRY_BACKOFF_MS;
	if (!m)
		return;
	/* The loader refuses a lock-timeout directive of 0, so a value here is
	 * always one to set; -1 means the migration has none. */
	if (m->lock_timeout_ms > 0) {
		out->lock_timeout_ms = m->lock_timeout_ms;
		out->lock_timeout_from =
		    from_file("pgstep:lock-timeout", m->up.path, m->lock_timeout_line);
	}
	txn_of(m, down ? &m->down : &m->up, out);
}

const char *settings_lock_timeout_refusal(int64_t ms)
{
	/* lock_timeout 0 means "wait forever" to PostgreSQL: exactly the stall
	 * behind a lock queue that pgstep exists to prevent. */
	if (ms <= 0)
		return "lock_timeout must be > 0: pgstep always sets one";
	return NULL;
}

void settings_duration_text(struct strbuf *sb, int64_t ms)
{
	if (ms == 0)
		strbuf_adds(sb, "off");
	else if (ms % 60000 == 0)
		strbuf_addf(sb, "%lldmin", (long long)(ms / 60000));
	else if (ms % 1000 == 0)
		strbuf_addf(sb, "%llds", (long long)(ms / 1000));
	else if (ms > 1000 && ms % 100 == 0)
		strbuf_addf(sb, "%lld.%llds", (long long)(ms / 1000), (long long)(ms % 1000 / 100));
	else
		strbuf_addf(sb, "%lldms", (long long)ms);
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');
	return s ? s + 1 : path;
}

static void add_place(struct strbuf *sb, const struct setting_origin *o)
{
	if (!o->path)
		return;
	strbuf_adds(sb, base_name(o->path));
	if (o->line > 0)
		strbuf_addf(sb, ":%d", o->line);
}

void settings_origin_text(struct strbuf *sb, const struct setting_origin *o)
{
	switch (o->source) {
	case SETTING_DEFAULT: strbuf_adds(sb, "built-in default"); return;
	case SETTING_CONFIG:
		strbuf_adds(sb, "from ");
		add_place(sb, o);
		return;
	case SETTING_DIRECTIVE:
	case SETTING_STATEMENT:
	case SETTING_OPTION:
		strbuf_adds(sb, o->what ? o->what : "?");
		if (o->path) {
			strbuf_adds(sb, ", ");
			add_place(sb, o);
		}
		return;
	}
}

static void add_origin(struct strbuf *sb, const struct setting_origin *o)
{
	strbuf_adds(sb, " (");
	settings_origin_text(sb, o);
	strbuf_addc(sb, ')');
}

void settings_lock_timeout_text(struct strbuf *sb, const struct settings *s)
{
	strbuf_adds(sb, "lock_timeout ");
	settings_duration_text(sb, s->lock_timeout_ms);
	add_origin(sb, &s->lock_timeout_from);
}

void settings_statement_timeout_text(struct strbuf *sb, const struct settings *s)
{
	strbuf_adds(sb, "statement_timeout ");
	settings_duration_text(sb, s->statement_timeout_ms);
	add_origin(sb, &s->statement_timeout_from);
}

void settings_lock_retries_text(struct strbuf *sb, const struct settings *s)
{
	strbuf_addf(sb, "lock_retries %d", s->lock_retries);
	add_origin(sb, &s->lock_retries_from);
}

void settings_txn_text(struct strbuf *sb, const struct settings *s)
{
	switch (s->txn) {
	case SETTINGS_TXN_SINGLE: strbuf_adds(sb, "one transaction"); break;
	case SETTINGS_TXN_NONE: strbuf_adds(sb, "no transaction"); break;
	case SETTINGS_TXN_FILE: strbuf_adds(sb, "the file's BEGIN/COMMIT blocks"); break;
	}
	add_origin(sb, &s->txn_from);
}

const char *settings_txn_name(enum settings_txn t)
{
	switch (t) {
	case SETTINGS_TXN_SINGLE: return "single";
	case SETTINGS_TXN_NONE: return "none";
	case SETTINGS_TXN_FILE: return "file";
	}
	return "?";
}

const char *settings_source_name(enum setting_source s)
{
	switch (s) {
	case SETTING_DEFAULT: return "default";
	case SETTING_CONFIG: return "config";
	case SETTING_DIRECTIVE: return "directive";
	case SETTING_STATEMENT: return "statement";
	case SETTING_OPTION: return "option";
	}
	return "?";
}

bool settings_declared_no_transaction(const struct settings *s)
{
	return s->txn == SETTINGS_TXN_NONE && s->txn_from.source == SETTING_DIRECTIVE;
}
