/* adopt: another tool's history into pgstep's state (see adopt.h). */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ops_int.h"
#include "pgstep/adopt.h"
#include "pgstep/checksum.h"
#include "pgstep/json.h"
#include "pgstep/migfile.h"
#include "pgstep/sha256.h"
#include "pgstep/strbuf.h"
#include "pgstep/xalloc.h"

void adopt_report_release(struct adopt_report *r)
{
	foreign_history_clear(&r->hist);
	free(r->items);
	diag_list_clear(&r->lines);
	memset(r, 0, sizeof *r);
}

/* The migration a row names: sqitch by change name, Prisma by the
 * version of its "<timestamp>_<name>" directory, the others by version. */
static struct migration *adopt_find(const struct migset *set, enum foreign_tool tool,
                                    const char *key)
{
	if (tool == FOREIGN_SQITCH) {
		for (size_t i = 0; i < set->n; i++)
			if (strcmp(set->items[i]->name, key) == 0)
				return set->items[i];
		return NULL;
	}
	if (tool == FOREIGN_PRISMA) {
		struct migfile_name n;
		struct migration *m = NULL;
		if (migfile_parse_diesel(key, &n) == MIGFILE_OK)
			m = migset_find_key(set, n.version.key);
		migfile_name_release(&n);
		return m;
	}
	return migset_find(set, key);
}

static size_t adopt_index(const struct migset *set, const struct migration *m)
{
	for (size_t i = 0; i < set->n; i++)
		if (set->items[i] == m)
			return i;
	return set->n;
}

/* text with every "\r\n" made "\n" (to_crlf false) or every lone "\n" made
 * "\r\n": the other line-ending variant a checkout may have produced. */
static char *adopt_eol_variant(const char *text, size_t n, bool to_crlf, size_t *len)
{
	struct strbuf sb;
	strbuf_init(&sb);
	for (size_t i = 0; i < n; i++) {
		if (!to_crlf && text[i] == '\r' && i + 1 < n && text[i + 1] == '\n')
			continue;
		if (to_crlf && text[i] == '\n' && (i == 0 || text[i - 1] != '\r'))
			strbuf_addc(&sb, '\r');
		strbuf_addc(&sb, text[i]);
	}
	*len = sb.len;
	return strbuf_detach(&sb);
}

/* Compare the tool's recorded checksum with the file's. *computed gets the
 * file's value as the tool writes it (owned). True when they agree. */
static bool adopt_checksum_ok(enum foreign_tool tool, const char *recorded, const char *text,
                              size_t n, char **computed)
{
	if (tool == FOREIGN_FLYWAY) {
		*computed = xasprintf("%d", (int)checksum_flyway(text, n));
		return strcmp(*computed, recorded) == 0;
	}
	if (tool == FOREIGN_SQITCH) {
		char hex[SHA1_HEX_LEN + 1];
		checksum_sha1_hex(text, n, hex);
		*computed = xstrdup(hex);
		return strcmp(hex, recorded) == 0;
	}
	/* Prisma accepts a file whose line endings git changed: the digest of
	 * the CRLF or the LF variant. */
	char hex[SHA256_HEX_LEN + 1];
	sha256_hex(text, n, hex);
	*computed = xstrdup(hex);
	bool ok = strcmp(hex, recorded) == 0;
	for (int v = 0; v < 2 && !ok; v++) {
		size_t len;
		char *alt = adopt_eol_variant(text, n, v == 1, &len);
		sha256_hex(alt, len, hex);
		ok = strcmp(hex, recorded) == 0;
		free(alt);
	}
	return ok;
}

static void adopt_line(struct adopt_report *r, const struct tenant *t, const char *file,
                       const char *version, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static void adopt_line(struct adopt_report *r, const struct tenant *t, const char *file,
                       const char *version, const char *fmt, ...)
{
	struct strbuf sb;
	strbuf_init(&sb);
	va_list ap;
	va_start(ap, fmt);
	strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	diag_add(&r->lines, DIAG_ERROR, file, 0, "tenant %s: version %s: %s", t->name, version,
	         sb.buf);
	strbuf_release(&sb);
}

/* The file's bytes as the tool read them (the whole file: a dbmate or goose
 * file's down section counts too). */
static bool adopt_read_file(const struct migration *m, struct strbuf *sb, struct pgstep_error *err)
{
	strbuf_init(sb);
	int e = strbuf_read_file(sb, m->up.path);
	if (e) {
		error_set(err, PGSTEP_EXIT_FAILED, "%s: cannot read: %s", m->up.path, strerror(e));
		strbuf_release(sb);
		return false;
	}
	return true;
}

/* Map the tool's entries to the set; mismatches go to r->lines. */
static bool adopt_map(struct engine *e, const struct tenant *t, const struct state_rows *rows,
                      struct adopt_report *r, struct pgstep_error *err)
{
	const struct migset *set = e->set;
	const struct foreign_history *h = &r->hist;
	const char *tool = foreign_tool_name(h->tool);
	r->items = xcalloc(set->n + 1, sizeof *r->items);
	r->n = set->n;
	for (size_t i = 0; i < set->n; i++)
		r->items[i].m = set->items[i];

	for (size_t k = 0; k < h->n; k++) {
		const struct foreign_entry *x = &h->items[k];
		struct migration *m = adopt_find(set, h->tool, x->key);
		size_t idx = m ? adopt_index(set, m) : set->n;
		const char *label = x->key;
		switch (x->state) {
		case FOREIGN_UNDONE: continue;
		case FOREIGN_REPEATABLE:
			adopt_line(
			    r, t, NULL, "(none)",
			    "%s records a repeatable migration (%s): pgstep has none; move it "
			    "into a versioned file",
			    tool, x->description ? x->description : "?");
			continue;
		case FOREIGN_NOFILE:
			adopt_line(r, t, NULL, label,
			           "%s records it as applied by code (%s), not by a file: there is "
			           "nothing to adopt",
			           tool, x->kind ? x->kind : "?");
			continue;
		case FOREIGN_FAILED:
			adopt_line(r, t, m ? m->up.path : NULL, label,
			           "%s records a failed %s: resolve it with that tool first (or "
			           "drop its row) so that what is applied is known",
			           tool, h->tool == FOREIGN_SQITCH ? "deploy" : "migration");
			continue;
		case FOREIGN_DIRTY:
			adopt_line(r, t, m ? m->up.path : NULL, label,
			           "%s records it dirty: it failed part-way and may be partly "
			           "applied; find out what of it took effect, then `migrate force` "
			           "it",
			           tool);
			break;
		case FOREIGN_APPLIED:
		case FOREIGN_UPTO: break;
		}
		/* A Flyway baseline stands for versions that never had files. */
		bool baseline = h->tool == FOREIGN_FLYWAY && x->state == FOREIGN_UPTO;
		if (!m && !baseline && x->state != FOREIGN_DIRTY) {
			adopt_line(r, t, NULL, label,
			           "recorded as applied by %s, but no file in %s", tool, set->dir);
			continue;
		}
		struct version upto = {0};
		if (x->state == FOREIGN_UPTO || x->state == FOREIGN_DIRTY) {
			if (!version_parse(x->key, &upto)) {
				adopt_line(r, t, NULL, label, "%s recorded no version", tool);
				continue;
			}
			/* Every file below (and, unless dirty, at) the version counts. */
			for (size_t i = 0; i < set->n; i++) {
				int c = version_cmp(&set->items[i]->version, &upto);
				if (c < 0 || (c == 0 && x->state == FOREIGN_UPTO)) {
					r->items[i].src = x;
					r->items[i].covered = c < 0 || baseline;
				}
			}
			version_release(&upto);
			if (x->state == FOREIGN_DIRTY && idx < set->n)
				r->items[idx].src = NULL;
			continue;
		}
		r->items[idx].src = x;
		if (!x->checksum)
			continue;
		struct strbuf file;
		if (!adopt_read_file(m, &file, err))
			return false;
		char *computed = NULL;
		r->items[idx].verified =
		    adopt_checksum_ok(h->tool, x->checksum, file.buf, file.len, &computed);
		if (!r->items[idx].verified)
			adopt_line(
			    r, t, m->up.path, label,
			    "the file differs from what was applied: %s recorded checksum %s, "
			    "the file's is %s",
			    tool, x->checksum, computed);
		free(computed);
		strbuf_release(&file);
	}

	/* Order: walking the set in version order, what the tool applied must
	 * come first, in the same order. */
	const struct adopt_item *gap = NULL;
	size_t last_rank = 0;
	const struct adopt_item *last = NULL;
	for (size_t i = 0; i < r->n; i++) {
		struct adopt_item *it = &r->items[i];
		if (it->m->archived)
			continue;
		if (!it->src) {
			if (!gap)
				gap = it;
			continue;
		}
		if (gap) {
			adopt_line(
			    r, t, gap->m->up.path, gap->m->version.text,
			    "not applied by %s, but the later version %s is: the set's order "
			    "differs from the order applied",
			    tool, it->m->version.text);
			gap = NULL;
		}
		if (h->ordered && !it->covered && last && it->src->rank < last_rank)
			adopt_line(r, t, it->m->up.path, it->m->version.text,
			           "applied by %s before version %s: the set's order differs from "
			           "the order applied",
			           tool, last->m->version.text);
		if (!it->covered && it->src->rank >= last_rank) {
			last_rank = it->src->rank;
			last = it;
		}
	}

	/* What pgstep records already. */
	for (size_t i = 0; i < r->n; i++) {
		struct adopt_item *it = &r->items[i];
		if (!it->src)
			continue;
		const struct state_row *row = state_rows_find(rows, t->name, it->m->version.key);
		if (!row) {
			it->what = ADOPT_NEW;
			r->to_adopt++;
		} else if (row->state == ROW_APPLIED) {
			it->what = ADOPT_HAVE;
		} else {
			adopt_line(r, t, it->m->up.path, it->m->version.text,
			           "applied by %s, but pgstep records it %s", tool,
			           row_state_name(row->state));
		}
	}
	return true;
}

static char *adopt_detail(const struct adopt_report *r, const struct adopt_item *it)
{
	struct strbuf sb;
	struct json j;
	strbuf_init(&sb);
	json_init(&j, &sb);
	json_begin_object(&j);
	json_kv_string(&j, "source", foreign_tool_name(r->hist.tool));
	json_kv_string(&j, "table", r->hist.table);
	json_kv_string(&j, "checksum", it->m->checksum);
	json_kv_bool(&j, "verified", it->verified);
	if (it->covered)
		json_kv_string(&j, "covered_by", it->src->key);
	json_end_object(&j);
	/* The source rows go in as the server wrote them: json.c has no raw
	 * value, so they are added before the closing brace. */
	sb.len--;
	strbuf_adds(&sb, ",\"rows\":");
	strbuf_adds(&sb, it->src->rows_json);
	strbuf_addc(&sb, '}');
	return strbuf_detach(&sb);
}

static bool adopt_write(struct engine *e, struct session *s, const struct tenant *t,
                        struct adopt_report *r, struct pgstep_error *err)
{
	if (!session_exec(s, "BEGIN", err))
		return false;
	bool ok = true;
	for (size_t i = 0; ok && i < r->n; i++) {
		struct adopt_item *it = &r->items[i];
		if (it->what != ADOPT_NEW)
			continue;
		struct migration *m = it->m;
		if (!migration_split(m, err)) {
			ok = false;
			break;
		}
		migration_drop_trees(m);
		const struct foreign_entry *x = it->src;
		/* A covered version has no row of its own: no facts but the claim. */
		bool own = !it->covered;
		struct state_row row = {
		    .tenant = t->name,
		    .version = m->version.key,
		    .version_text = m->version.text,
		    .name = m->name,
		    .phase = m->phase,
		    .checksum = m->checksum,
		    .state = ROW_APPLIED,
		    .statements_total = (int)m->up.stmts.n,
		    .statements_done = (int)m->up.stmts.n,
		    .up_sql = m->up.text,
		    .down_sql = m->down.text,
		    .started_at = own ? x->started_at : NULL,
		    .finished_at = own ? x->finished_at : NULL,
		    .duration_ms = own && x->duration_ms > 0 ? x->duration_ms : 0,
		};
		/* Flyway's installed_by is a database role; sqitch's committer a
		 * person. */
		if (own && r->hist.tool == FOREIGN_FLYWAY)
			row.db_user = x->who;
		else if (own)
			row.os_user = x->who;
		char *detail = adopt_detail(r, it);
		ok = state_upsert(s, &e->actor, &row, "adopt", detail, err);
		free(detail);
	}
	if (ok)
		ok = session_exec(s, "COMMIT", err);
	if (!ok) {
		session_exec(s, "ROLLBACK", NULL);
		error_prefix(err, "tenant %s: adopting", t->name);
	}
	return ok;
}

enum pgstep_exit adopt_tenant(struct engine *e, struct tenant *t, const struct adopt_options *o,
                              struct adopt_report *r, struct pgstep_error *err)
{
	memset(r, 0, sizeof *r);
	diag_list_init(&r->lines);
	/* Adopting reads and writes under the tenant's lock; a dry run only
	 * reads. The pgstep schema is created only when there is something to
	 * write: a mismatch changes nothing in the database. */
	struct session *s = ops_open_tenant(e, t, false, err);
	if (!s)
		return err->code;
	if (!o->dry_run && !state_lock_tenant(s, t->name, err)) {
		session_close(&s);
		return err->code;
	}
	enum pgstep_exit rc = PGSTEP_EXIT_OK;
	struct state_rows rows = {0};
	enum foreign_tool tool = o->from;
	if (tool == FOREIGN_NONE) {
		if (!foreign_history_detect(s, &tool, err))
			goto fail;
		if (tool == FOREIGN_NONE) {
			error_set(err, PGSTEP_EXIT_USAGE,
			          "tenant %s: no history table of golang-migrate, dbmate, Flyway, "
			          "Prisma, sqitch or goose here (name one with --from)",
			          t->name);
			goto fail;
		}
	}
	const char *name = t->name;
	if (!foreign_history_read(s, tool, o->table, &r->hist, err) ||
	    !state_load(s, &name, 1, false, &rows, err) || !adopt_map(e, t, &rows, r, err))
		goto fail;
	if (r->lines.n > 0)
		rc = PGSTEP_EXIT_DRIFT;
	else if (!o->dry_run && r->to_adopt > 0) {
		if (!state_ensure(s, err) || !adopt_write(e, s, t, r, err))
			goto fail;
		r->written = true;
	}
	goto out;
fail:
	rc = err->code ? err->code : PGSTEP_EXIT_FAILED;
out:
	state_rows_clear(&rows);
	if (o->dry_run)
		session_close(&s);
	else
		ops_close_tenant(&s, t);
	return rc;
}
