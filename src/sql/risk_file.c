/* risk_file: one migration file as the runner sees it. Its sections come
 * from the section reader (src/parse/section.c), as the loader's do: a
 * dbmate or goose file holds an up and a down section behind its markers
 * (a marker may say transaction:false); each section is its own unit of
 * execution and is analysed on its own, the down one knowing what the up
 * created. Other files are one up section. */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include "pgstep/migfile.h"
#include "pgstep/migration.h"
#include "pgstep/section.h"
#include "pgstep/settings.h"
#include "pgstep/strbuf.h"
#include "pgstep/xalloc.h"
#include "risk_int.h"

void risk_file_report_init(struct risk_file_report *r)
{
	risk_report_init(&r->up);
	risk_report_init(&r->down);
	r->has_down_section = false;
}

void risk_file_report_clear(struct risk_file_report *r)
{
	risk_report_clear(&r->up);
	risk_report_clear(&r->down);
	r->has_down_section = false;
}

/* Analyse range r of the file the reader read. */
static bool analyze_range(const struct sect_file *sf, const struct sect_range *r,
                          struct risk_options *o, struct risk_report *out)
{
	char *text = xstrndup(sf->text + r->start, r->end - r->start);
	o->base_offset = r->start;
	o->base_line = r->line;
	o->dirs = sf->dirs;
	o->n_dirs = sf->n_dirs;
	o->have_dirs = true;
	bool ok = risk_analyze(text, o, out);
	free(text);
	return ok;
}

/* Problems in the file's leading comment block are reported with the up
 * section; a down section of the same file drops its copies. */
static void drop_leading_problems(struct risk_report *r, int before_line)
{
	size_t k = 0;
	for (size_t i = 0; i < r->n_problems; i++) {
		if (r->problems[i].line < before_line && !r->parse_failed)
			free(r->problems[i].message);
		else
			r->problems[k++] = r->problems[i];
	}
	r->n_problems = k;
}

bool risk_analyze_text(const char *text, unsigned flags, const struct risk_options *base,
                       struct risk_file_report *out)
{
	struct sect_file sf;
	sect_read(text, strlen(text), &sf, flags);
	/* The markers' errors, as the loader reports them (a scanner error
	 * comes again from the parser, with its position). */
	for (size_t i = 0; i < sf.n_problems; i++)
		if (sf.problems[i].error && sf.problems[i].line > 0)
			risk_add_problem(&out->up, sf.problems[i].line, 1,
			                 xstrdup(sf.problems[i].msg));

	struct risk_options o = *base;
	bool has_down = sf.down.present && !sf.down.blank;
	if (sf.kind != SECT_PLAIN)
		o.no_down = !has_down;
	if (sf.up.no_txn)
		o.txn = RISK_TXN_NONE;
	/* A down file's leading directives are no settings: its up's are. */
	o.dirs_settings = base->up == NULL;
	bool ok = analyze_range(&sf, &sf.up, &o, &out->up);
	if (has_down) {
		out->has_down_section = true;
		struct risk_options d = *base;
		d.no_down = false;
		d.up = &out->up;
		if (sf.down.no_txn)
			d.txn = RISK_TXN_NONE;
		d.dirs_settings = true; /* the file's directives cover both sections */
		ok = analyze_range(&sf, &sf.down, &d, &out->down) && ok;
		drop_leading_problems(&out->down, sf.down.marker_line);
	}
	sect_file_clear(&sf);
	return ok;
}

bool risk_analyze_file(const char *text, const struct risk_options *base,
                       struct risk_file_report *out)
{
	return risk_analyze_text(text, SECT_MARKERS, base, out);
}

bool risk_analyze_named(const char *path, const char *text, bool has_partner,
                        const char *partner_text, const struct risk_options *base,
                        struct risk_file_report *out)
{
	/* A file whose name has no version is still analysed, as a plain file. */
	struct migfile_name fn;
	bool named = migfile_parse_path(path, &fn) == MIGFILE_OK;
	unsigned flags = named ? migfile_sect_flags(&fn) : SECT_MARKERS;
	bool down = named && fn.role == MIGFILE_DOWN;
	struct risk_options o = *base, ub = *base;
	if (named && fn.format == FORMAT_DIESEL) {
		/* diesel's metadata.toml covers both files, as in the loader */
		const char *slash = strrchr(path, '/');
		char *meta =
		    xasprintf("%.*smetadata.toml", slash ? (int)(slash - path + 1) : 0, path);
		if (migfile_diesel_metadata(meta, NULL))
			o.txn = ub.txn = RISK_TXN_NONE;
		free(meta);
	}
	migfile_name_release(&fn);
	if (!down) {
		o.no_down = !has_partner; /* unless the file has its own down section */
		return risk_analyze_text(text, flags, &o, out);
	}
	/* The down is judged against what its up created. */
	struct risk_file_report up;
	risk_file_report_init(&up);
	if (partner_text)
		risk_analyze_text(partner_text, 0, &ub, &up);
	o.up = &up.up;
	bool ok = risk_analyze_text(text, 0, &o, out);
	risk_file_report_clear(&up);
	return ok;
}

/* base with what applies to one section of m (settings_of), the origins
 * rendered into lt and st, and the section's directives for pgstep:allow. */
static void section_options(const struct migration *m, bool down, const struct risk_options *base,
                            struct risk_options *o, struct strbuf *lt, struct strbuf *st)
{
	const struct migration_section *sec = down ? &m->down : &m->up;
	struct settings s;
	settings_of(base->config, m, down, &s);
	*o = *base;
	o->lock_timeout_ms = s.lock_timeout_ms;
	o->statement_timeout_ms = s.statement_timeout_ms;
	strbuf_reset(lt);
	strbuf_reset(st);
	settings_origin_text(lt, &s.lock_timeout_from);
	settings_origin_text(st, &s.statement_timeout_from);
	o->lock_timeout_from = lt->buf;
	o->statement_timeout_from = st->buf;
	o->have_dirs = true;
	o->dirs_settings = false; /* the loader read them: m's no_transaction */
	o->dirs = sec->dirs;
	o->n_dirs = sec->n_dirs;
	o->base_line = sec->first_line;
	o->base_offset = sec->file_offset;
	if (sec->no_transaction || (!down && m->no_transaction))
		o->txn = RISK_TXN_NONE;
}

/* The section's statements and trees from its split (the one parse), for
 * risk_analyze to walk rather than parse the text again; none when the
 * section does not parse (the engine reports where) or its trees are gone. */
static void section_trees(struct migration_section *sec, struct risk_options *o)
{
	if (!sec->split_done)
		return;
	o->trees = migration_take_trees(sec, &o->tree);
	o->stmts = o->trees ? &sec->stmts : NULL;
}

bool risk_analyze_migration(struct migration *m, const struct risk_options *base,
                            struct risk_file_report *out)
{
	struct strbuf lt, st;
	strbuf_init(&lt);
	strbuf_init(&st);
	struct pgstep_error err = {0};
	migration_split(m, &err); /* an error is the engine's to report, in place */
	error_clear(&err);
	bool ok = true;
	if (m->up.text) {
		struct risk_options o;
		section_options(m, false, base, &o, &lt, &st);
		o.no_down = m->down.text == NULL;
		section_trees(&m->up, &o);
		ok = risk_analyze(m->up.text, &o, &out->up);
	}
	if (m->down.text) {
		struct risk_options d;
		section_options(m, true, base, &d, &lt, &st);
		section_trees(&m->down, &d);
		d.no_down = false;
		d.up = &out->up;
		out->has_down_section = true;
		ok = risk_analyze(m->down.text, &d, &out->down) && ok;
		if (m->up.path && m->down.path && strcmp(m->up.path, m->down.path) == 0)
			drop_leading_problems(&out->down, m->down.first_line - 1);
	}
	strbuf_release(&lt);
	strbuf_release(&st);
	return ok;
}
