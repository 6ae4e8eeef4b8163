/* lint: `pgstep lint [FILE|DIR...]`, the risk engine over migration files
 * without a database. Directories are walked for *.sql (archive/ skipped);
 * the migration formats decide which sections are analysed and whether a
 * migration has a down: dbmate markers, NNN.up.sql / NNN.down.sql pairs,
 * diesel up.sql / down.sql, Flyway V / U files. Output is one line per
 * finding (file:line:col: severity rule: message) or the JSON of doc/pgstep.1.
 * Exit: 2 when a file cannot be read or has a directive the loader refuses
 * (`up` would not run it either) that the risk engine does not report as a
 * problem itself, 1 when a finding reaches --fail-on (error by default), a
 * file does not parse or has a problem, else 0.
 *
 * Files are analysed on --jobs threads (libpg_query keeps its memory per
 * thread; the risk engine has no shared state) while the main thread prints
 * each file as soon as it and every file before it are done, then frees its
 * report: the output is the serial run's, byte for byte. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "pgstep/conf.h"
#include "pgstep/json.h"
#include "pgstep/migfile.h"
#include "pgstep/migset.h"
#include "pgstep/pool.h"
#include "pgstep/risk.h"
#include "pgstep/section.h"
#include "pgstep/settings.h"
#include "pgstep/strbuf.h"
#include "pgstep/strvec.h"
#include "pgstep/text.h"
#include "pgstep/xalloc.h"

#define LINT_USAGE                                                                                 \
	"lint [FILE|DIR...] [--fail-on error|warn|info] [--verbose] [--jobs N]\n"                  \
	"       [--assume-in-transaction] [--assume-no-timeouts] [--explain [RULE]]"

/* Threads by default: the online CPUs, at most this many. */
#define LINT_DEFAULT_JOBS_MAX 8
#define LINT_JOBS_MAX         64

struct lint_opts {
	enum risk_severity fail_on;
	bool verbose;
	bool in_txn;
	bool no_timeouts;
	const char *explain;
	bool explain_all;
	int jobs; /* 0: the default */
};

/* One analysed file. */
struct lint_file {
	char *path;
	bool unreadable;
	char *read_error;
	struct risk_file_report rep; /* freed once out is rendered */
	/* The migration reader's view of the file's directives (lint_directives);
	 * freed with rep. */
	struct migration *dirs;
	struct diag_list refusals; /* directives the loader refuses */
	struct settings set;       /* what applies when it runs */
	struct strbuf out;         /* what it prints */
	bool failed;               /* a finding reaches --fail-on */
	bool refused;              /* the loader refuses a directive */
	size_t shown[3];           /* findings printed, by risk_severity */
	size_t hidden_info;        /* info findings left out (no --verbose) */
};

/* ---- collecting files -------------------------------------------------------- */

static bool has_suffix(const char *s, const char *suffix)
{
	return text_ends_with(s, suffix);
}

struct dir_entry {
	char *name;
	bool regular; /* readdir says so: no stat needed */
};

static int entry_cmp(const void *a, const void *b)
{
	return text_natural_cmp(((const struct dir_entry *)a)->name,
	                        ((const struct dir_entry *)b)->name);
}

/* Add every *.sql under dir (archive/ holds retired migrations: skipped). */
static void walk_dir(const char *dir, struct strvec *out)
{
	DIR *d = opendir(dir);
	if (!d) {
		strvec_push(out, dir); /* reported as unreadable */
		return;
	}
	struct dirent *e;
	struct dir_entry *ents = NULL;
	size_t n = 0, cap = 0;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		XGROW(ents, cap, n + 1);
		ents[n].name = xstrdup(e->d_name);
		ents[n].regular = e->d_type == DT_REG;
		n++;
	}
	closedir(d);
	if (n > 1)
		qsort(ents, n, sizeof *ents, entry_cmp);
	for (size_t i = 0; i < n; i++) {
		/* "migrations/" given: no "migrations//phase-0" in every line. */
		size_t dl = strlen(dir);
		while (dl > 1 && dir[dl - 1] == '/')
			dl--;
		char *p = xasprintf("%.*s/%s", (int)dl, dir, ents[i].name);
		struct stat st;
		/* Symbolic links and file systems without d_type need stat. */
		if (!ents[i].regular && stat(p, &st) == 0 && S_ISDIR(st.st_mode)) {
			if (strcmp(ents[i].name, "archive") != 0)
				walk_dir(p, out);
			free(p);
		} else if (has_suffix(ents[i].name, ".sql")) {
			strvec_push_owned(out, p);
		} else {
			free(p);
		}
		free(ents[i].name);
	}
	free(ents);
}

/* ---- formats ------------------------------------------------------------------- */

/* Names come from the loader's grammar (pgstep/migfile.h); lint only looks
 * for a file's partner on disk. */

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');
	return s ? s + 1 : path;
}

/* path with its base name replaced. */
static char *sibling(const char *path, const char *name)
{
	const char *b = base_name(path);
	return xasprintf("%.*s%s", (int)(b - path), path, name);
}

static bool file_exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* The migration files of the directories lint reads, by version and role,
 * listed once before the files are analysed (a directory read per file
 * made 5,000 files cost 25 million name parses). Read-only afterwards. */
struct partner_entry {
	const char *dir; /* borrowed from the index's dirs */
	char *key;       /* version key */
	enum migfile_role role;
	char *name;
};
struct partner_index {
	struct strvec dirs;
	struct partner_entry *e;
	size_t n, cap;
};

static char *dir_of(const char *path)
{
	const char *b = base_name(path);
	return xasprintf("%.*s", b == path ? 1 : (int)(b - path - 1), b == path ? "." : path);
}

static int partner_cmp(const void *a, const void *b)
{
	const struct partner_entry *x = a, *y = b;
	int c = strcmp(x->dir, y->dir);
	if (!c)
		c = strcmp(x->key, y->key);
	if (!c)
		c = (int)x->role - (int)y->role;
	return c ? c : strcmp(x->name, y->name);
}

static void partner_index_build(struct partner_index *ix, const struct strvec *paths)
{
	memset(ix, 0, sizeof *ix);
	strvec_init(&ix->dirs);
	for (size_t i = 0; i < paths->n; i++) {
		char *dir = dir_of(paths->items[i]);
		if (strvec_find(&ix->dirs, dir) < 0)
			strvec_push(&ix->dirs, dir);
		free(dir);
	}
	for (size_t k = 0; k < ix->dirs.n; k++) {
		DIR *d = opendir(ix->dirs.items[k]);
		struct dirent *e;
		while (d && (e = readdir(d)) != NULL) {
			struct migfile_name o;
			if (migfile_parse(e->d_name, &o) == MIGFILE_OK &&
			    text_ends_with(e->d_name, ".sql")) {
				XGROW(ix->e, ix->cap, ix->n + 1);
				ix->e[ix->n++] = (struct partner_entry){ix->dirs.items[k],
				                                        xstrdup(o.version.key),
				                                        o.role, xstrdup(e->d_name)};
			}
			migfile_name_release(&o);
		}
		if (d)
			closedir(d);
	}
	if (ix->n)
		qsort(ix->e, ix->n, sizeof *ix->e, partner_cmp);
}

static void partner_index_free(struct partner_index *ix)
{
	for (size_t i = 0; i < ix->n; i++) {
		free(ix->e[i].key);
		free(ix->e[i].name);
	}
	free(ix->e);
	strvec_clear(&ix->dirs);
}

/* The file of the other role and the same version in path's directory, if
 * any: the loader pairs an up and a down by version, whatever their names
 * (001_add_users.up.sql with 001_users.down.sql). */
static char *version_partner(const struct partner_index *ix, const char *path,
                             const struct migfile_name *fn)
{
	char *dir = dir_of(path);
	int k = strvec_find(&ix->dirs, dir);
	free(dir);
	if (k < 0)
		return NULL;
	enum migfile_role want = fn->role == MIGFILE_UP ? MIGFILE_DOWN : MIGFILE_UP;
	/* the first entry of (dir, key, role): entries are sorted */
	size_t lo = 0, hi = ix->n;
	struct partner_entry probe = {ix->dirs.items[k], fn->version.key, want, ""};
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (partner_cmp(&ix->e[mid], &probe) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	const struct partner_entry *e = lo < ix->n ? &ix->e[lo] : NULL;
	if (!e || e->dir != probe.dir || strcmp(e->key, probe.key) != 0 || e->role != want)
		return NULL;
	return sibling(path, e->name);
}

/* A down file without SQL leaves its migration irreversible, as the loader
 * says ("empty down file"). */
static bool has_sql(const char *path)
{
	struct strbuf sb;
	strbuf_init(&sb);
	bool ok = strbuf_read_file(&sb, path) == 0;
	if (ok) {
		struct sect_file sf;
		sect_read(sb.buf, sb.len, &sf, SECT_BLANK);
		ok = !sf.up.blank;
		sect_file_clear(&sf);
	}
	strbuf_release(&sb);
	return ok;
}

/* The other file of path's migration (its down for an up, its up for a
 * down) when it exists and, for a down, holds SQL; else NULL. */
static char *find_partner(const struct partner_index *ix, const char *path,
                          const struct migfile_name *fn)
{
	char *p = fn->format == FORMAT_DIESEL
	              ? sibling(path, fn->role == MIGFILE_UP ? "down.sql" : "up.sql")
	              : version_partner(ix, path, fn);
	if (p && (!file_exists(p) || (fn->role == MIGFILE_UP && !has_sql(p)))) {
		free(p);
		return NULL;
	}
	return p;
}

/* What every file is analysed and shown with (read-only, shared by the
 * threads). */
struct lint_job {
	const struct cli_globals *g;
	const struct lint_opts *lo;
	const struct risk_options *base;
	const struct config *cfg; /* NULL: no pgstep.conf */
	struct lint_file *files;
	const struct partner_index *partners;
};

static bool read_text(const char *path, struct strbuf *sb, char **why)
{
	int rc = strbuf_read_file(sb, path);
	if (rc != 0) {
		char buf[256];
		/* strerror is not thread-safe; the GNU strerror_r returns the text. */
		*why = xasprintf("cannot read: %s", strerror_r(rc, buf, sizeof buf));
		return false;
	}
	size_t bad;
	if (!text_utf8_valid(sb->buf, sb->len, &bad)) {
		int line, col;
		text_line_col(sb->buf, bad, &line, &col);
		*why = xasprintf("line %d, column %d: not valid UTF-8", line, col);
		return false;
	}
	return true;
}

/* What applies when the file runs, read as the loader reads it: the
 * directives of its up file (for a down file, its partner's, in text) through
 * the migration reader, then settings_of(). The loader's refusals of the
 * file's own directives are the file's errors. */
static void lint_directives(struct lint_file *f, const struct lint_job *job, bool is_down,
                            const char *up_path, const char *text, struct risk_options *o,
                            struct strbuf *lt_from, struct strbuf *st_from)
{
	struct migration *m = f->dirs = xcalloc(1, sizeof *m);
	strvec_init(&m->requires);
	m->lock_timeout_ms = -1;
	if (!is_down) {
		m->up.path = xstrdup(f->path);
		migration_parse_directives(m, f->path, text, &f->refusals);
	} else if (up_path) {
		struct diag_list ignored; /* reported when the up file is linted */
		diag_list_init(&ignored);
		m->up.path = xstrdup(up_path);
		migration_parse_directives(m, up_path, text, &ignored);
		diag_list_clear(&ignored);
	}
	settings_of(job->cfg, m, is_down, &f->set);
	if (job->lo->no_timeouts) {
		static const struct setting_origin opt = {.source = SETTING_OPTION,
		                                          .what = "--assume-no-timeouts"};
		f->set.lock_timeout_ms = f->set.statement_timeout_ms = 0;
		f->set.lock_timeout_from = f->set.statement_timeout_from = opt;
	}
	o->lock_timeout_ms = f->set.lock_timeout_ms;
	o->statement_timeout_ms = f->set.statement_timeout_ms;
	settings_origin_text(lt_from, &f->set.lock_timeout_from);
	settings_origin_text(st_from, &f->set.statement_timeout_from);
	o->lock_timeout_from = lt_from->buf;
	o->statement_timeout_from = st_from->buf;
}

static void lint_one(struct lint_file *f, const struct lint_job *job)
{
	const struct risk_options *base = job->base;
	struct strbuf text;
	strbuf_init(&text);
	risk_file_report_init(&f->rep);
	diag_list_init(&f->refusals);
	if (!read_text(f->path, &text, &f->read_error)) {
		f->unreadable = true;
		strbuf_release(&text);
		return;
	}
	struct migfile_name fn;
	char *partner = NULL;
	bool is_down = false;
	if (migfile_parse_path(f->path, &fn) == MIGFILE_OK) {
		partner = find_partner(job->partners, f->path, &fn);
		is_down = fn.role == MIGFILE_DOWN;
	}
	migfile_name_release(&fn);
	/* A down is judged against its up: read it. */
	struct strbuf pt;
	strbuf_init(&pt);
	char *why = NULL;
	bool partner_read = is_down && partner && read_text(partner, &pt, &why);
	free(why);
	struct risk_options o = *base;
	struct strbuf lt_from, st_from;
	strbuf_init(&lt_from);
	strbuf_init(&st_from);
	lint_directives(f, job, is_down, partner_read ? partner : NULL, is_down ? pt.buf : text.buf,
	                &o, &lt_from, &st_from);
	risk_analyze_named(f->path, text.buf, partner != NULL, partner_read ? pt.buf : NULL, &o,
	                   &f->rep);
	strbuf_release(&pt);
	free(partner);
	strbuf_release(&text);
	strbuf_release(&lt_from);
	strbuf_release(&st_from);
}

/* ---- output ---------------------------------------------------------------------- */

/* Whether r has a problem on line (the loader's refusal of the same
 * directive is not said twice). */
static bool has_problem_on(const struct risk_report *r, int line)
{
	for (size_t i = 0; i < r->n_problems; i++)
		if (r->problems[i].line == line)
			return true;
	return false;
}

/* Whether the loader's diagnostic d is an error lint reports itself: the
 * risk engine's own problem on that line (e.g. an allow without a reason)
 * already says it, with lint's verdict. */
static bool refusal_shown(const struct lint_file *f, const struct diag *d)
{
	return d->level == DIAG_ERROR && !has_problem_on(&f->rep.up, d->line);
}

/* The loader's refusals, as errors of the file. */
static void report_refusals(struct strbuf *out, const struct cli_globals *g,
                            const struct lint_file *f)
{
	for (size_t i = 0; i < f->refusals.n; i++) {
		const struct diag *d = &f->refusals.items[i];
		if (!refusal_shown(f, d))
			continue;
		struct strbuf line;
		strbuf_init(&line);
		strbuf_addf(&line, "%s:%d:1: %serror%s: %s", f->path, d->line,
		            cli_severity_color(g, RISK_ERROR), cli_reset(g), d->msg);
		text_wrap(out, line.buf, g->width, "    ");
		strbuf_release(&line);
	}
}

/* --verbose: what applies when the file runs, and where it comes from. */
static void report_settings(struct strbuf *out, const struct cli_globals *g,
                            const struct lint_file *f)
{
	const struct setting_origin *o = &f->set.lock_timeout_from;
	struct strbuf line;
	strbuf_init(&line);
	strbuf_addf(&line, "%s:%d:1: %sinfo%s settings: ", f->path,
	            o->source == SETTING_DIRECTIVE && o->line > 0 ? o->line : 1,
	            cli_severity_color(g, RISK_INFO), cli_reset(g));
	cli_settings_text(&line, &f->set, false);
	text_wrap(out, line.buf, g->width, "    ");
	strbuf_release(&line);
}

static void report_text(struct strbuf *out, const struct cli_globals *g, const struct lint_opts *lo,
                        struct lint_file *lf, const struct risk_report *r)
{
	const char *path = lf->path;
	struct strbuf lead;
	strbuf_init(&lead);
	for (size_t i = 0; i < r->n_problems; i++) {
		strbuf_reset(&lead);
		strbuf_addf(&lead, "%s:%d:%d: ", path, r->problems[i].line, r->problems[i].col);
		cli_problem_format(out, g, lead.buf, &r->problems[i]);
		lf->shown[RISK_ERROR]++;
	}
	for (size_t i = 0; i < r->n_stmts; i++) {
		const struct risk_stmt *st = &r->stmts[i];
		for (size_t j = 0; j < st->n_findings; j++) {
			const struct risk_finding *f = &st->findings[j];
			if (f->allowed)
				continue;
			if (f->severity == RISK_INFO && !lo->verbose) {
				lf->hidden_info++;
				continue;
			}
			lf->shown[f->severity]++;
			strbuf_reset(&lead);
			strbuf_addf(&lead, "%s:%d:%d: ", path, f->line, f->col);
			cli_finding_format(out, g, lead.buf, f, lo->verbose ? "    " : NULL);
		}
	}
	strbuf_release(&lead);
}

static void json_report(struct json *j, const struct risk_report *r)
{
	for (size_t i = 0; i < r->n_stmts; i++)
		cli_stmt_json(j, &r->stmts[i], NULL, NULL);
}

/* One file's object of the "files" array; the caller prints the array
 * around it, so files can be printed one by one as they are done. */
static void report_json(struct strbuf *out, const struct lint_file *f, bool first)
{
	struct json j;
	json_init(&j, out);
	if (!first)
		strbuf_addc(out, ',');
	json_begin_object(&j);
	json_kv_string(&j, "file", f->path);
	json_key(&j, "statements");
	json_begin_array(&j);
	json_report(&j, &f->rep.up);
	json_report(&j, &f->rep.down);
	json_end_array(&j);
	json_key(&j, "errors");
	json_begin_array(&j);
	if (f->unreadable) {
		json_begin_object(&j);
		json_kv_int(&j, "line", 0);
		json_kv_int(&j, "column", 0);
		json_kv_string(&j, "message", f->read_error);
		json_end_object(&j);
	}
	for (size_t i = 0; i < f->refusals.n; i++) {
		const struct diag *d = &f->refusals.items[i];
		if (!refusal_shown(f, d))
			continue;
		json_begin_object(&j);
		json_kv_int(&j, "line", d->line);
		json_kv_int(&j, "column", 1);
		json_kv_string(&j, "message", d->msg);
		json_end_object(&j);
	}
	cli_problems_json(&j, &f->rep.up);
	cli_problems_json(&j, &f->rep.down);
	json_end_array(&j);
	if (f->dirs)
		cli_settings_json(&j, &f->set, false);
	json_end_object(&j);
}

static bool report_fails(const struct risk_report *r, enum risk_severity fail_on)
{
	int worst = risk_report_worst(r);
	return worst >= 0 && worst >= (int)fail_on;
}

/* Analyse file index i and render what it prints; the report is freed
 * right away, only the text is kept until the file's turn to be printed. */
static void lint_file_run(const struct lint_job *job, struct lint_file *f, size_t i)
{
	lint_one(f, job);
	strbuf_init(&f->out);
	if (job->g->json)
		report_json(&f->out, f, i == 0);
	if (!f->unreadable) {
		if (!job->g->json) {
			if (job->lo->verbose)
				report_settings(&f->out, job->g, f);
			report_refusals(&f->out, job->g, f);
			report_text(&f->out, job->g, job->lo, f, &f->rep.up);
			report_text(&f->out, job->g, job->lo, f, &f->rep.down);
		}
		for (size_t k = 0; k < f->refusals.n; k++)
			f->refused |= refusal_shown(f, &f->refusals.items[k]);
		f->failed = report_fails(&f->rep.up, job->lo->fail_on) ||
		            report_fails(&f->rep.down, job->lo->fail_on);
	}
	risk_file_report_clear(&f->rep);
	diag_list_clear(&f->refusals);
	migration_free(&f->dirs);
}

/* ---- analysing on several threads ----------------------------------------------- */

/* Worker threads take the next file to analyse; the main thread prints the
 * files in order, waiting for the next one when it is not done yet (and
 * analysing it itself when no worker has taken it). With one job there are
 * no threads: each file is analysed when its turn comes. */
static void lint_file_work(void *arg, size_t i)
{
	const struct lint_job *job = arg;
	lint_file_run(job, &job->files[i], i);
}

/* --jobs, or the online CPUs up to LINT_DEFAULT_JOBS_MAX; never more than
 * there are files. */
static int lint_jobs(const struct lint_opts *lo, size_t n_files)
{
	long jobs = lo->jobs;
	if (jobs == 0) {
		jobs = sysconf(_SC_NPROCESSORS_ONLN);
		if (jobs < 1)
			jobs = 1;
		if (jobs > LINT_DEFAULT_JOBS_MAX)
			jobs = LINT_DEFAULT_JOBS_MAX;
	}
	if ((size_t)jobs > n_files)
		jobs = n_files ? (long)n_files : 1;
	return (int)jobs;
}

/* ---- --explain ------------------------------------------------------------------- */

static int explain(const struct lint_opts *lo)
{
	if (lo->explain_all) {
		for (size_t i = 0; i < risk_rule_count(); i++) {
			const struct risk_rule *r = risk_rule_at(i);
			printf("%-36s %-5s %s\n", r->id, risk_severity_name(r->severity), r->title);
		}
		return PGSTEP_EXIT_OK;
	}
	const struct risk_rule *r = risk_rule_find(lo->explain);
	if (!r) {
		fprintf(stderr,
		        "pgstep lint: unknown rule \"%s\" (pgstep lint --explain lists them)\n",
		        lo->explain);
		return PGSTEP_EXIT_USAGE;
	}
	struct strbuf sb;
	strbuf_init(&sb);
	risk_rule_describe(r, &sb);
	fputs(sb.buf, stdout);
	strbuf_release(&sb);
	return PGSTEP_EXIT_OK;
}

/* ---- the command ------------------------------------------------------------------- */

static int parse_opts(int argc, char **argv, struct lint_opts *lo)
{
	static const struct option longopts[] = {
	    {"fail-on", required_argument, NULL, 'f'},
	    {"verbose", no_argument, NULL, 'v'},
	    {"assume-in-transaction", no_argument, NULL, 't'},
	    {"assume-no-timeouts", no_argument, NULL, 'T'},
	    {"explain", optional_argument, NULL, 'e'},
	    {"jobs", required_argument, NULL, 'j'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	memset(lo, 0, sizeof *lo);
	lo->fail_on = RISK_ERROR;
	optind = 1;
	opterr = 0;
	int ch;
	while ((ch = getopt_long(argc, argv, ":hvj:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'h': printf("usage: pgstep %s\n", LINT_USAGE); return PGSTEP_EXIT_OK;
		case 'f':
			if (!risk_severity_parse(optarg, &lo->fail_on)) {
				fprintf(stderr,
				        "pgstep lint: --fail-on takes error, warn or info, not "
				        "\"%s\"\n",
				        optarg);
				return PGSTEP_EXIT_USAGE;
			}
			break;
		case 'v': lo->verbose = true; break;
		case 'j': {
			char *end;
			long n = strtol(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || n < 1 || n > LINT_JOBS_MAX) {
				fprintf(stderr,
				        "pgstep lint: --jobs takes a number from 1 to %d, not "
				        "\"%s\"\n",
				        LINT_JOBS_MAX, optarg);
				return PGSTEP_EXIT_USAGE;
			}
			lo->jobs = (int)n;
			break;
		}
		case 't': lo->in_txn = true; break;
		case 'T': lo->no_timeouts = true; break;
		case 'e':
			/* --explain RULE or --explain=RULE; alone it lists the rules. */
			if (optarg)
				lo->explain = optarg;
			else if (optind < argc && argv[optind][0] != '-')
				lo->explain = argv[optind++];
			else
				lo->explain_all = true;
			break;
		case ':':
			fprintf(stderr, "pgstep lint: option %s needs a value\nusage: pgstep %s\n",
			        argv[optind - 1], LINT_USAGE);
			return PGSTEP_EXIT_USAGE;
		default:
			fprintf(stderr, "pgstep lint: unknown option %s\nusage: pgstep %s\n",
			        argv[optind - 1], LINT_USAGE);
			return PGSTEP_EXIT_USAGE;
		}
	}
	return -1;
}

static void count_word(struct strbuf *sb, size_t n, const char *one, const char *many)
{
	strbuf_addf(sb, "%s%zu %s", sb->len ? ", " : "", n, n == 1 ? one : many);
}

/* One line after the findings: how many of each, in how many files, so a
 * long report ends with its verdict. Nothing when nothing was printed. */
static void print_summary(const struct cli_globals *g, const struct lint_file *files, size_t n)
{
	size_t by[3] = {0}, hidden = 0, with = 0;
	for (size_t i = 0; i < n; i++) {
		size_t here = 0;
		for (int s = 0; s < 3; s++) {
			by[s] += files[i].shown[s];
			here += files[i].shown[s];
		}
		hidden += files[i].hidden_info;
		with += here > 0 || files[i].refused;
	}
	if (by[RISK_ERROR] + by[RISK_WARN] + by[RISK_INFO] == 0 && with == 0)
		return;
	struct strbuf sb;
	strbuf_init(&sb);
	count_word(&sb, by[RISK_ERROR], "error", "errors");
	count_word(&sb, by[RISK_WARN], "warning", "warnings");
	if (by[RISK_INFO] || !hidden)
		count_word(&sb, by[RISK_INFO], "info", "info");
	strbuf_addf(&sb, " in %zu of %zu file%s", with, n, n == 1 ? "" : "s");
	if (hidden)
		strbuf_addf(&sb, "; %zu info not shown (--verbose)", hidden);
	printf("\n");
	cli_print_wrapped(g, sb.buf, "    ");
	strbuf_release(&sb);
}

/* pgstep.conf (-c, else ./pgstep.conf when there is one): its settings are
 * what the runner would use. -1 when read or absent, else the exit code. */
static int lint_config(const struct cli_globals *g, struct config **cfg)
{
	if (!g->config_path && access("pgstep.conf", F_OK) != 0)
		return -1;
	struct pgstep_error err = {0};
	*cfg = config_load(g->config_path, &err);
	if (*cfg)
		return -1;
	int rc = cli_fail(&err);
	error_clear(&err);
	return rc;
}

/* The configured set: pgstep.conf's migrations directory, else
 * ./migrations. */
static int default_inputs(const struct cli_globals *g, struct strvec *inputs,
                          const struct config *cfg)
{
	if (cfg) {
		strvec_push(inputs, cfg->migrations_dir);
		return -1;
	}
	struct stat st;
	if (stat("migrations", &st) == 0 && S_ISDIR(st.st_mode)) {
		strvec_push(inputs, "migrations");
		return -1;
	}
	fprintf(
	    stderr,
	    "pgstep lint: no files given, no pgstep.conf and no ./migrations\nusage: pgstep %s\n",
	    LINT_USAGE);
	return PGSTEP_EXIT_USAGE;
}

int cli_lint(const struct cli_globals *g, int argc, char **argv)
{
	struct lint_opts lo;
	int rc = parse_opts(argc, argv, &lo);
	if (rc >= 0)
		return rc;
	if (lo.explain || lo.explain_all)
		return explain(&lo);

	struct config *cfg = NULL;
	if ((rc = lint_config(g, &cfg)) >= 0)
		return rc;
	struct strvec inputs;
	strvec_init(&inputs);
	for (int i = optind; i < argc; i++)
		strvec_push(&inputs, argv[i]);
	if (inputs.n == 0 && (rc = default_inputs(g, &inputs, cfg)) >= 0) {
		strvec_clear(&inputs);
		config_free(&cfg);
		return rc;
	}

	/* The timeouts pgstep's runner sets are each file's (lint_directives). */
	struct risk_options base;
	risk_options_init(&base);
	base.txn = lo.in_txn ? RISK_TXN_WRAPPED : RISK_TXN_AUTO;

	struct strvec paths;
	strvec_init(&paths);
	for (size_t i = 0; i < inputs.n; i++) {
		struct stat st;
		if (stat(inputs.items[i], &st) == 0 && S_ISDIR(st.st_mode))
			walk_dir(inputs.items[i], &paths);
		else
			strvec_push(&paths, inputs.items[i]);
	}

	struct lint_file *files = xcalloc(paths.n ? paths.n : 1, sizeof *files);
	for (size_t i = 0; i < paths.n; i++)
		files[i].path = paths.items[i];
	struct partner_index partners;
	partner_index_build(&partners, &paths);
	struct lint_job job = {
	    .g = g, .lo = &lo, .base = &base, .cfg = cfg, .files = files, .partners = &partners};
	int jobs = lint_jobs(&lo, paths.n);
	struct pool *pool = pool_start(paths.n, jobs < 2 ? 0 : jobs, lint_file_work, &job);

	rc = PGSTEP_EXIT_OK;
	bool unreadable = false, refused = false;
	if (g->json)
		fputs("{\"files\":[", stdout);
	for (size_t i = 0; i < paths.n; i++) {
		struct lint_file *f = &files[i];
		pool_wait(pool, i);
		fwrite(f->out.buf, 1, f->out.len, stdout);
		strbuf_release(&f->out);
		if (f->unreadable) {
			unreadable = true;
			fprintf(stderr, "pgstep lint: %s: %s\n", cli_safe(f->path),
			        cli_safe(f->read_error));
		}
		if (f->failed)
			rc = PGSTEP_EXIT_FAILED;
		refused |= f->refused;
	}
	if (g->json)
		fputs("]}\n", stdout);
	else
		print_summary(g, files, paths.n);
	pool_finish(&pool);
	if (unreadable || refused)
		rc = PGSTEP_EXIT_USAGE;

	for (size_t i = 0; i < paths.n; i++)
		free(files[i].read_error);
	free(files);
	partner_index_free(&partners);
	strvec_clear(&paths);
	strvec_clear(&inputs);
	config_free(&cfg);
	return rc;
}
