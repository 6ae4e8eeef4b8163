/* migset: reads a migrations directory into a migration set. Loading runs
 * in three steps: every file and diesel directory becomes a "piece" (an up
 * migration, or a lone down file) read and checked on its own; pieces are
 * then sorted and grouped by version, which is where pairing, duplicates and
 * unpairable downs are decided; finally set-wide checks run (phase ranges,
 * requires, statement splitting, gaps). Every file that is not used says
 * why in a diagnostic. */
#include "config.h"

#include <unistd.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "pgstep/migfile.h"
#include "pgstep/migset.h"
#include "pgstep/pool.h"
#include "pgstep/sha256.h"
#include "pgstep/section.h"
#include "pgstep/strbuf.h"
#include "pgstep/text.h"
#include "pgstep/xalloc.h"

enum piece_role { PIECE_UP, PIECE_DOWN };

struct piece {
	enum piece_role role;
	struct version version;
	char *name;     /* description from the file name */
	char *path;     /* file, or diesel directory, for messages */
	bool from_root; /* directly in the set's directory: ranges give its phase */
	bool archived;
	bool bad; /* reported already; takes part in pairing only */
	bool directive_no_txn;
	struct migration *m;           /* PIECE_UP: owned until moved to the set */
	struct migration_section down; /* PIECE_DOWN: owned until moved */
};

/* A file (or diesel directory) to read. Directory walking is serial; the
 * files are read in parallel, each with a loader of its own, and merged in
 * walking order so that diagnostics come out the same with any number of
 * threads. */
enum job_kind { JOB_FILE, JOB_DIESEL, JOB_PRISMA };

struct file_job {
	enum job_kind kind;
	char *path, *fname, *phase;
	bool from_root, archived;
	struct diag_list diags;
	struct piece **pieces;
	size_t n;
};

struct loader {
	const struct migset_options *opts;
	struct diag_list *diags;
	struct piece **pieces;
	size_t n, cap;
	struct file_job *jobs; /* found by scan_dir, read by load_jobs */
	size_t n_jobs, cap_jobs;
	char *ranges_text; /* "foundation 001-099, ..." for messages */
	bool sqitch;       /* the root holds sqitch.plan: deploy/, revert/, verify/ are its */
};

static const struct migset_options no_options;

/* ---- small helpers ------------------------------------------------------ */

static char *path_join(const char *dir, const char *name)
{
	size_t n = strlen(dir);
	if (n > 0 && dir[n - 1] == '/')
		return xasprintf("%s%s", dir, name);
	return xasprintf("%s/%s", dir, name);
}

struct dir_entry {
	char *name;  /* owned */
	mode_t type; /* S_IFREG, S_IFDIR, or 0: not known from readdir */
};

struct dir_listing {
	struct dir_entry *items;
	size_t n, cap;
};

static int entry_cmp(const void *a, const void *b)
{
	const struct dir_entry *x = a, *y = b;
	return text_natural_cmp(x->name, y->name);
}

/* Entries of path except "." and "..", in natural order so that messages
 * and phases come out in the order a person reads the directory. */
static int dir_list(const char *path, struct dir_listing *out)
{
	DIR *d = opendir(path);
	if (!d)
		return errno;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		XGROW(out->items, out->cap, out->n + 1);
		struct dir_entry *de = &out->items[out->n++];
		de->name = xstrdup(e->d_name);
		de->type = 0;
#ifdef DT_UNKNOWN
		/* Most file systems say; a link or an unknown type is left to stat. */
		de->type = e->d_type == DT_REG ? S_IFREG : e->d_type == DT_DIR ? S_IFDIR : 0;
#endif
	}
	closedir(d);
	if (out->n > 1)
		qsort(out->items, out->n, sizeof *out->items, entry_cmp);
	return 0;
}

static void dir_listing_clear(struct dir_listing *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->items[i].name);
	free(l->items);
	*l = (struct dir_listing){0};
}

/* The entry's file type (S_IFMT bits), 0 when it cannot be had: readdir's
 * when it gave one, saving a stat per migration file, else stat's, which
 * follows links. */
static mode_t entry_type(const char *path, const struct dir_entry *e)
{
	struct stat st;
	if (e->type)
		return e->type;
	return stat(path, &st) == 0 ? st.st_mode & S_IFMT : 0;
}

static bool is_dir(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static bool is_file(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* Files that document a set rather than belong to it. */
static bool is_documentation(const char *name)
{
	return name[0] == '.' || text_ends_with(name, ".md") || text_ends_with(name, ".txt");
}

/* Read a migration file; reports unreadable and non-UTF-8 files. */
static char *read_sql(struct loader *ld, const char *path)
{
	struct strbuf sb;
	strbuf_init(&sb);
	int e = strbuf_read_file(&sb, path);
	if (e) {
		diag_add(ld->diags, DIAG_ERROR, path, 0, "cannot read: %s", strerror(e));
		strbuf_release(&sb);
		return NULL;
	}
	size_t bad;
	if (!text_utf8_valid(sb.buf, sb.len, &bad)) {
		int line, col;
		text_line_col(sb.buf, bad, &line, &col);
		diag_add(ld->diags, DIAG_ERROR, path, line,
		         "not valid UTF-8: byte 0x%02X at line %d, column %d",
		         (unsigned char)sb.buf[bad], line, col);
		strbuf_release(&sb);
		return NULL;
	}
	char *text = strbuf_detach(&sb);
	strbuf_release(&sb);
	return text;
}

/* The section reader's problems become the file's diagnostics. */
static bool report_problems(struct loader *ld, const char *path, const struct sect_file *sf)
{
	for (size_t i = 0; i < sf->n_problems; i++)
		diag_add(ld->diags, sf->problems[i].error ? DIAG_ERROR : DIAG_WARNING, path,
		         sf->problems[i].line, "%s", sf->problems[i].msg);
	return sf->ok;
}

/* Down files carry no settings; a directive there other than a
 * pgstep:allow (which the risk engine applies to the down) does nothing. */
static void warn_stray_directives(struct loader *ld, const char *path, const struct sect_file *sf)
{
	for (size_t i = 0; i < sf->n_dirs; i++)
		if (strcmp(sf->dirs[i].name, "allow") != 0)
			diag_add(ld->diags, DIAG_WARNING, path, sf->dirs[i].line,
			         "directive ignored: pgstep: directives belong in the up "
			         "migration");
}

/* ---- file names --------------------------------------------------------- */

/* ---- pieces ------------------------------------------------------------- */

static struct piece *piece_add(struct loader *ld, enum piece_role role, struct version *v,
                               const char *path, bool from_root, bool archived)
{
	struct piece *p = xcalloc(1, sizeof *p);
	p->role = role;
	p->version = *v; /* moved */
	p->path = xstrdup(path);
	p->from_root = from_root;
	p->archived = archived;
	statement_list_init(&p->down.stmts);
	XGROW(ld->pieces, ld->cap, ld->n + 1);
	ld->pieces[ld->n++] = p;
	return p;
}

static void piece_free(struct piece *p)
{
	version_release(&p->version);
	free(p->name);
	free(p->path);
	migration_free(&p->m);
	migration_section_release(&p->down);
	free(p);
}

static struct migration *migration_new(const struct version *v, const char *name, const char *phase,
                                       enum migration_format format, bool archived)
{
	struct migration *m = xcalloc(1, sizeof *m);
	version_copy(&m->version, v);
	m->name = xstrdup(name);
	m->phase = xstrdup(phase);
	m->format = format;
	m->archived = archived;
	statement_list_init(&m->up.stmts);
	statement_list_init(&m->down.stmts);
	strvec_init(&m->requires);
	m->lock_timeout_ms = -1;
	return m;
}

/* Give a section the range r of the file text, and the file's directives. */
static void section_set(struct migration_section *s, const char *path, const char *text,
                        const struct sect_range *r, const struct sect_file *sf)
{
	s->path = xstrdup(path);
	s->text = xstrndup(text + r->start, r->end - r->start);
	s->first_line = r->line;
	s->file_offset = r->start;
	s->no_transaction = r->no_txn;
	s->dirs = sect_directives_copy(sf->dirs, sf->n_dirs);
	s->n_dirs = sf->n_dirs;
}

/* ---- loading one migration ---------------------------------------------- */

/* Finish an up piece: directives (of the whole dbmate file, or the up
 * file), transaction flags and checksum. */
static void up_finish(struct loader *ld, struct piece *p, const char *path,
                      const struct sect_file *sf)
{
	struct migration *m = p->m;
	migration_apply_directives(m, path, sf, ld->diags);
	/* The directive describes the migration, so it covers both sections;
	 * dbmate's marker options cover their own section only. */
	p->directive_no_txn = m->no_transaction;
	m->up.no_transaction = m->up.no_transaction || m->no_transaction;
	if (m->down.text)
		m->down.no_transaction = m->down.no_transaction || m->no_transaction;
	m->no_transaction = m->up.no_transaction;
	sha256_hex(m->up.text, strlen(m->up.text), m->checksum);
}

static const char *up_marker_name(const struct sect_file *sf)
{
	return sf->kind == SECT_GOOSE ? "+goose Up" : "migrate:up";
}

static void load_up_file(struct loader *ld, struct piece *p, const char *path, const char *name,
                         const char *phase, enum migration_format format)
{
	char *text = read_sql(ld, path);
	if (!text) {
		p->bad = true;
		return;
	}
	struct sect_file sf;
	sect_read(text, strlen(text), &sf,
	          SECT_BLANK | (format == FORMAT_PLAIN ? SECT_MARKERS : 0));
	if (!report_problems(ld, path, &sf)) {
		p->bad = true;
		goto out;
	}
	if (sf.kind == SECT_DBMATE)
		format = FORMAT_DBMATE;
	else if (sf.kind == SECT_GOOSE)
		format = FORMAT_GOOSE;
	p->m = migration_new(&p->version, name, phase, format, p->archived);
	if (sf.kind != SECT_PLAIN) {
		if (sf.up.blank) {
			diag_add(ld->diags, DIAG_ERROR, path, sf.up.marker_line,
			         "empty up section: no SQL after the %s marker",
			         up_marker_name(&sf));
			p->bad = true;
			goto out;
		}
		section_set(&p->m->up, path, text, &sf.up, &sf);
		/* dbmate writes both markers into every new file; an empty down
		 * section is the common way of saying "irreversible". */
		if (sf.down.present && !sf.down.blank)
			section_set(&p->m->down, path, text, &sf.down, &sf);
	} else {
		if (sf.up.blank) {
			/* ";;;" holds no SQL either: it is refused like a comment. */
			diag_add(ld->diags, DIAG_ERROR, path, 0,
			         *text ? "empty migration: the file holds no SQL" : "empty file");
			p->bad = true;
			goto out;
		}
		section_set(&p->m->up, path, text, &sf.up, &sf);
	}
	up_finish(ld, p, path, &sf);
out:
	sect_file_clear(&sf);
	free(text);
}

/* A down file on its own; an empty one leaves the migration irreversible. */
static void load_down_file(struct loader *ld, struct piece *p, const char *path)
{
	char *text = read_sql(ld, path);
	if (!text) {
		p->bad = true;
		return;
	}
	struct sect_file sf;
	sect_read(text, strlen(text), &sf, SECT_BLANK);
	if (!report_problems(ld, path, &sf)) {
		p->bad = true;
	} else if (sf.up.blank) {
		diag_add(ld->diags, DIAG_WARNING, path, 0,
		         "empty down file: the migration is irreversible");
	} else {
		warn_stray_directives(ld, path, &sf);
		section_set(&p->down, path, text, &sf.up, &sf);
		p->down.no_transaction = false;
	}
	sect_file_clear(&sf);
	free(text);
}

static void load_sql_file(struct loader *ld, const char *path, const char *fname, const char *phase,
                          bool from_root, bool archived)
{
	struct migfile_name fn;
	enum migfile_status st = migfile_parse(fname, &fn);
	if (st != MIGFILE_OK) {
		diag_add(ld->diags, DIAG_ERROR, path, 0, "%s", migfile_status_message(st));
		migfile_name_release(&fn);
		return;
	}
	enum piece_role role = fn.role == MIGFILE_UP ? PIECE_UP : PIECE_DOWN;
	struct piece *p = piece_add(ld, role, &fn.version, path, from_root, archived);
	p->name = fn.name; /* moved, with the version */
	if (role == PIECE_UP)
		load_up_file(ld, p, path, p->name, phase, fn.format);
	else
		load_down_file(ld, p, path);
}

static void load_diesel(struct loader *ld, const char *dir, const char *dname, const char *phase,
                        bool from_root, bool archived)
{
	struct migfile_name fn;
	if (migfile_parse_diesel(dname, &fn) != MIGFILE_OK) {
		migfile_name_release(&fn);
		diag_add(ld->diags, DIAG_ERROR, dir, 0,
		         "no version in diesel directory name (expected "
		         "YYYY-MM-DD-HHMMSS_name or NNN_name)");
		return;
	}
	struct piece *p = piece_add(ld, PIECE_UP, &fn.version, dir, from_root, archived);
	p->name = fn.name; /* moved, with the version */
	const char *name = p->name;
	char *up_path = path_join(dir, "up.sql");
	load_up_file(ld, p, up_path, name, phase, FORMAT_DIESEL);
	free(up_path);

	struct dir_listing names = {0};
	dir_list(dir, &names);
	bool no_txn = false;
	for (size_t i = 0; i < names.n; i++) {
		const char *f = names.items[i].name;
		char *path = path_join(dir, f);
		if (strcmp(f, "up.sql") == 0 || is_documentation(f)) {
			/* read above, or documentation */
		} else if (strcmp(f, "down.sql") == 0) {
			struct piece tmp = {0};
			load_down_file(ld, &tmp, path);
			if (p->m && !p->bad && tmp.down.text) {
				p->m->down = tmp.down;
				p->m->down.no_transaction = p->directive_no_txn;
			} else {
				migration_section_release(&tmp.down);
			}
		} else if (strcmp(f, "metadata.toml") == 0) {
			no_txn = migfile_diesel_metadata(path, ld->diags);
		} else {
			diag_add(ld->diags, DIAG_WARNING, path, 0,
			         "ignored: not part of a diesel migration");
		}
		free(path);
	}
	dir_listing_clear(&names);
	if (no_txn && p->m) {
		p->m->no_transaction = p->m->up.no_transaction = true;
		p->m->down.no_transaction = p->m->down.text != NULL;
	}
}

/* Prisma: DIR/migration.sql, up only; the directory's name gives version
 * and name (migfile_parse_path). */
static void load_prisma(struct loader *ld, const char *dir, const char *phase, bool from_root,
                        bool archived)
{
	char *up_path = path_join(dir, "migration.sql");
	struct migfile_name fn;
	if (migfile_parse_path(up_path, &fn) != MIGFILE_OK) {
		migfile_name_release(&fn);
		diag_add(ld->diags, DIAG_ERROR, dir, 0,
		         "no version in Prisma migration directory name (expected "
		         "<timestamp>_name)");
		free(up_path);
		return;
	}
	struct piece *p = piece_add(ld, PIECE_UP, &fn.version, dir, from_root, archived);
	p->name = fn.name; /* moved, with the version */
	load_up_file(ld, p, up_path, p->name, phase, FORMAT_PRISMA);
	free(up_path);
	struct dir_listing names = {0};
	dir_list(dir, &names);
	for (size_t i = 0; i < names.n; i++) {
		const char *f = names.items[i].name;
		if (strcmp(f, "migration.sql") == 0 || is_documentation(f))
			continue;
		char *path = path_join(dir, f);
		diag_add(ld->diags, DIAG_WARNING, path, 0,
		         "ignored: not part of a Prisma migration");
		free(path);
	}
	dir_listing_clear(&names);
}

/* sqitch: the plan's changes, each deploy/NAME.sql with revert/NAME.sql as
 * its down; the change's place in the plan is its version, what it
 * requires its dependencies. verify/ scripts are not run. */
static void load_sqitch(struct loader *ld, const char *dir)
{
	char *plan_path = path_join(dir, "sqitch.plan");
	struct sqitch_plan plan;
	if (!migfile_sqitch_plan(plan_path, &plan, ld->diags)) {
		free(plan_path);
		return;
	}
	for (size_t i = 0; i < plan.n; i++) {
		const struct sqitch_change *c = &plan.items[i];
		char *num = xasprintf("%zu", i + 1);
		struct version v;
		bool ok = version_parse(num, &v);
		free(num);
		if (!ok)
			continue;
		char *deploy = xasprintf("%s/deploy/%s.sql", dir, c->name);
		char *revert = xasprintf("%s/revert/%s.sql", dir, c->name);
		struct piece *p = piece_add(ld, PIECE_UP, &v, deploy, true, false);
		p->name = xstrdup(c->name);
		if (!is_file(deploy)) {
			diag_add(ld->diags, DIAG_ERROR, plan_path, c->line,
			         "change %s: no deploy/%s.sql", c->name, c->name);
			p->bad = true;
		} else {
			load_up_file(ld, p, deploy, p->name, "", FORMAT_SQITCH);
		}
		if (p->m && !p->bad) {
			for (size_t k = 0; k < c->requires.n; k++) {
				ssize_t at = -1;
				for (size_t x = 0; x < i; x++)
					if (strcmp(plan.items[x].name, c->requires.items[k]) == 0)
						at = (ssize_t)x;
				if (at >= 0)
					strvec_push_owned(&p->m->requires,
					                  xasprintf("%zd", at + 1));
			}
		}
		if (p->m && !p->bad && is_file(revert)) {
			struct piece tmp = {0};
			load_down_file(ld, &tmp, revert);
			if (tmp.down.text) {
				p->m->down = tmp.down;
				p->m->down.no_transaction = p->directive_no_txn;
			} else {
				migration_section_release(&tmp.down);
			}
		}
		free(deploy);
		free(revert);
	}
	migfile_sqitch_plan_clear(&plan);
	free(plan_path);
}

static void file_job_add(struct loader *ld, enum job_kind kind, const char *path, const char *fname,
                         const char *phase, bool from_root, bool archived)
{
	XGROW(ld->jobs, ld->cap_jobs, ld->n_jobs + 1);
	struct file_job *j = &ld->jobs[ld->n_jobs++];
	memset(j, 0, sizeof *j);
	j->kind = kind;
	j->path = xstrdup(path);
	j->fname = xstrdup(fname);
	j->phase = xstrdup(phase);
	j->from_root = from_root;
	j->archived = archived;
	diag_list_init(&j->diags);
}

/* Read one directory: at depth 0 sub-directories are phases (or archive/),
 * at depth 1 only diesel migrations. */
static void scan_dir(struct loader *ld, const char *dir, const char *phase, int depth,
                     bool archived)
{
	struct dir_listing names = {0};
	int e = dir_list(dir, &names);
	if (e) {
		diag_add(ld->diags, DIAG_ERROR, dir, 0, "cannot read directory: %s", strerror(e));
		return;
	}
	for (size_t i = 0; i < names.n; i++) {
		const char *f = names.items[i].name;
		char *path = path_join(dir, f);
		mode_t type = f[0] == '.' ? 0 : entry_type(path, &names.items[i]);
		bool sqitch_own = ld->sqitch && depth == 0 && !archived &&
		                  (strcmp(f, "deploy") == 0 || strcmp(f, "revert") == 0 ||
		                   strcmp(f, "verify") == 0 || strcmp(f, "sqitch.plan") == 0 ||
		                   strcmp(f, "sqitch.conf") == 0);
		if (f[0] == '.' || sqitch_own) {
			/* dotfiles: editor and VCS droppings, never migrations; sqitch's
			 * files are read from its plan */
		} else if (S_ISDIR(type)) {
			char *up = path_join(path, "up.sql"), *down = path_join(path, "down.sql");
			char *prisma = path_join(path, "migration.sql");
			if (is_file(up)) {
				file_job_add(ld, JOB_DIESEL, path, f, phase, depth == 0, archived);
			} else if (is_file(prisma)) {
				file_job_add(ld, JOB_PRISMA, path, f, phase, depth == 0, archived);
			} else if (is_file(down)) {
				diag_add(ld->diags, archived ? DIAG_WARNING : DIAG_ERROR, path, 0,
				         "unpairable: down.sql without up.sql");
			} else if (depth == 0 && !archived && strcmp(f, "archive") == 0) {
				scan_dir(ld, path, "", 0, true);
			} else if (depth == 0) {
				size_t before = ld->n_jobs;
				scan_dir(ld, path, f, 1, archived);
				if (ld->n_jobs == before)
					diag_add(ld->diags, DIAG_WARNING, path, 0,
					         "phase directory holds no migrations");
			} else {
				diag_add(
				    ld->diags, DIAG_WARNING, path, 0,
				    "ignored: directory is not a diesel migration (no up.sql)");
			}
			free(up);
			free(down);
			free(prisma);
		} else if (!S_ISREG(type)) {
			diag_add(ld->diags, DIAG_WARNING, path, 0, "ignored: not a regular file");
		} else if (is_documentation(f) || strcmp(f, "migration_lock.toml") == 0) {
			/* README.md, notes.txt; Prisma's provider lock */
		} else if (text_ends_with(f, ".sql")) {
			file_job_add(ld, JOB_FILE, path, f, phase, depth == 0, archived);
		} else {
			diag_add(ld->diags, DIAG_WARNING, path, 0, "ignored: not a migration");
		}
		free(path);
	}
	dir_listing_clear(&names);
}

static void file_job_read(const struct loader *main, struct file_job *j)
{
	struct loader ld = {.opts = main->opts, .diags = &j->diags};
	if (j->kind == JOB_DIESEL)
		load_diesel(&ld, j->path, j->fname, j->phase, j->from_root, j->archived);
	else if (j->kind == JOB_PRISMA)
		load_prisma(&ld, j->path, j->phase, j->from_root, j->archived);
	else
		load_sql_file(&ld, j->path, j->fname, j->phase, j->from_root, j->archived);
	j->pieces = ld.pieces;
	j->n = ld.n;
}

static void file_job_work(void *arg, size_t i)
{
	const struct loader *ld = arg;
	file_job_read(ld, &ld->jobs[i]);
}

/* Reading and scanning is most of loading a large set (libpg_query's
 * scanner per file); files are independent, so every CPU takes a share. */
#define JOBS_PARALLEL_MIN 256
#define JOBS_MAX          8

static void load_jobs(struct loader *ld)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	int threads = ld->opts->jobs > 0                            ? ld->opts->jobs
	              : ld->n_jobs >= JOBS_PARALLEL_MIN && cpus > 1 ? (int)cpus
	                                                            : 1;
	if (threads > JOBS_MAX)
		threads = JOBS_MAX;
	if ((size_t)threads > ld->n_jobs)
		threads = ld->n_jobs ? (int)ld->n_jobs : 1;
	/* The caller is one of the threads (pool_finish). */
	struct pool *pool = pool_start(ld->n_jobs, threads - 1, file_job_work, ld);
	pool_finish(&pool);

	for (size_t i = 0; i < ld->n_jobs; i++) {
		struct file_job *j = &ld->jobs[i];
		for (size_t k = 0; k < j->diags.n; k++) {
			XGROW(ld->diags->items, ld->diags->cap, ld->diags->n + 1);
			ld->diags->items[ld->diags->n++] = j->diags.items[k];
		}
		free(j->diags.items);
		XGROW(ld->pieces, ld->cap, ld->n + j->n);
		for (size_t k = 0; k < j->n; k++)
			ld->pieces[ld->n++] = j->pieces[k];
		free(j->pieces);
		free(j->path);
		free(j->fname);
		free(j->phase);
	}
	free(ld->jobs);
	ld->jobs = NULL;
	ld->n_jobs = ld->cap_jobs = 0;
}

/* ---- grouping by version ------------------------------------------------ */

static int piece_cmp(const void *a, const void *b)
{
	const struct piece *p = *(struct piece *const *)a, *q = *(struct piece *const *)b;
	if (p->archived != q->archived)
		return p->archived ? 1 : -1;
	int c = version_cmp(&p->version, &q->version);
	if (c)
		return c;
	if (p->role != q->role)
		return p->role == PIECE_UP ? -1 : 1;
	return text_natural_cmp(p->path, q->path);
}

static size_t n_ranges(const struct migset_options *o)
{
	size_t n = 0;
	for (size_t i = 0; i < o->n_phases; i++)
		n += o->phases[i].lo.key && o->phases[i].hi.key;
	return n;
}

static const struct phase_range *range_of(const struct migset_options *o, const struct version *v)
{
	for (size_t i = 0; i < o->n_phases; i++) {
		const struct phase_range *r = &o->phases[i];
		if (r->lo.key && r->hi.key && version_cmp(&r->lo, v) <= 0 &&
		    version_cmp(v, &r->hi) <= 0)
			return r;
	}
	return NULL;
}

static void set_push(struct migset *set, struct migration *m)
{
	if (m->archived) {
		XGROW(set->archived, set->cap_archived, set->n_archived + 1);
		set->archived[set->n_archived++] = m;
	} else {
		XGROW(set->items, set->cap, set->n + 1);
		set->items[set->n++] = m;
	}
}

/* Decide one version: pieces g[0..n) share it (ups first). */
static void group_resolve(struct loader *ld, struct migset *set, struct piece **g, size_t n)
{
	size_t n_up = 0;
	while (n_up < n && g[n_up]->role == PIECE_UP)
		n_up++;
	struct piece *up = n_up ? g[0] : NULL;
	struct piece **downs = g + n_up;
	size_t n_down = n - n_up;
	/* Retired migrations are never applied: their clashes are worth a
	 * look but must not block the active set. */
	enum diag_level level = g[0]->archived ? DIAG_WARNING : DIAG_ERROR;
	const char *vt = g[0]->version.text;

	for (size_t i = 1; i < n_up; i++)
		diag_add(ld->diags, level, g[i]->path, 0, "duplicate version %s: %s and %s", vt,
		         g[0]->path, g[i]->path);
	for (size_t i = 1; i < n_down; i++)
		diag_add(ld->diags, level, downs[i]->path, 0,
		         "two down files for version %s: %s and %s", vt, downs[0]->path,
		         downs[i]->path);
	if (!up) {
		for (size_t i = 0; i < n_down; i++)
			diag_add(ld->diags, level, downs[i]->path, 0,
			         "unpairable: down file without an up migration of version %s", vt);
		return;
	}
	if (up->bad)
		return;
	struct migration *m = up->m;
	/* Among duplicates, a down goes only to the up it was written for. */
	bool pairs = n_up == 1 || (n_down > 0 && strcmp(downs[0]->name, m->name) == 0);
	if (n_down > 0 && downs[0]->down.text && pairs) {
		if (m->down.text) {
			diag_add(ld->diags, level, downs[0]->path, 0,
			         "two down migrations for version %s: %s and %s", vt, m->down.path,
			         downs[0]->path);
		} else {
			statement_list_clear(&m->down.stmts);
			m->down = downs[0]->down;
			downs[0]->down = (struct migration_section){0};
			m->down.no_transaction = up->directive_no_txn;
			if (m->format == FORMAT_PLAIN)
				m->format = FORMAT_PAIR;
		}
	}
	if (up->from_root && n_ranges(ld->opts) > 0) {
		const struct phase_range *r = range_of(ld->opts, &m->version);
		if (r) {
			free(m->phase);
			m->phase = xstrdup(r->name);
		} else if (!m->archived) {
			diag_add(ld->diags, DIAG_ERROR, up->path, 0,
			         "version %s is outside every configured phase range (%s)", vt,
			         ld->ranges_text);
		}
	}
	up->m = NULL;
	set_push(set, m);
}

/* ---- set-wide checks ---------------------------------------------------- */

/* Where the pgstep:requires directive naming key is, and how the version
 * was written there, so the message quotes the file: from the directives
 * the section reader found. */
static int requires_where(const struct migration *m, const char *key, char **written)
{
	*written = NULL;
	for (size_t i = 0; i < m->up.n_dirs && !*written; i++) {
		const struct sect_directive *d = &m->up.dirs[i];
		if (!d->leading || strcmp(d->name, "requires") != 0)
			continue;
		char *rest = xstrdup(d->arg);
		for (char *save = NULL, *tok = strtok_r(rest, ", \t\r", &save); tok && !*written;
		     tok = strtok_r(NULL, ", \t\r", &save)) {
			char *k = version_key_of(tok);
			if (k && strcmp(k, key) == 0)
				*written = xstrdup(tok);
			free(k);
		}
		free(rest);
		if (*written)
			return d->line;
	}
	*written = xstrdup(key);
	return 0;
}

static bool key_known(struct loader *ld, const char *key)
{
	for (size_t i = 0; i < ld->n; i++)
		if (ld->pieces[i]->role == PIECE_UP && strcmp(ld->pieces[i]->version.key, key) == 0)
			return true;
	return false;
}

static void check_requires(struct loader *ld, const struct piece *p)
{
	const struct migration *m = p->m;
	for (size_t i = 0; i < m->requires.n; i++) {
		const char *key = m->requires.items[i];
		char *written;
		int line = requires_where(m, key, &written);
		if (!key_known(ld, key))
			diag_add(ld->diags, DIAG_ERROR, m->up.path, line,
			         "pgstep:requires %s: no migration of that version in the set",
			         written);
		else if (version_key_cmp(key, m->version.key) >= 0)
			diag_add(ld->diags, DIAG_ERROR, m->up.path, line,
			         "pgstep:requires %s: it does not come before this migration (%s)",
			         written, m->version.text);
		free(written);
	}
}

/* One section's syntax error as a diagnostic naming its file and line. */
static void split_report(struct migration *m, struct migration_section *sec, enum diag_level level,
                         struct diag_list *diags)
{
	struct pgstep_error err = {0};
	if (migration_split_section(sec, &err))
		return;
	const char *msg = err.msg ? err.msg : "cannot be split";
	size_t pl = strlen(sec->path);
	if (strncmp(msg, sec->path, pl) == 0 && msg[pl] == ':')
		msg += pl + 2;
	int line = 0, used = 0;
	if (sscanf(msg, "line %d, %n", &line, &used) != 1)
		line = 0;
	if (sec == &m->down && level < DIAG_ERROR)
		diag_add(diags, level, sec->path, line,
		         "%s (in the down: only rolling %s back is blocked until it is fixed)",
		         msg + used, migration_label(m));
	else
		diag_add(diags, level, sec->path, line, "%s", msg);
	error_clear(&err);
}

void migset_split_all(struct migset *set, enum diag_level down_level, struct diag_list *diags,
                      size_t keep_trees)
{
	/* The newest migrations are the ones a plan runs: their trees are kept,
	 * up to keep_trees bytes of text, the older ones' dropped. */
	size_t keep_from = set->n, text = 0;
	while (keep_from > 0) {
		const struct migration *m = set->items[keep_from - 1];
		size_t n = (m->up.text ? strlen(m->up.text) : 0) +
		           (m->down.text ? strlen(m->down.text) : 0);
		if (n > keep_trees - text)
			break;
		text += n;
		keep_from--;
	}
	for (size_t i = 0; i < set->n; i++) {
		struct migration *m = set->items[i];
		bool fresh = !m->up.split_done && !m->down.split_done;
		split_report(m, &m->up, DIAG_ERROR, diags);
		split_report(m, &m->down, down_level, diags);
		if (fresh && i < keep_from)
			migration_drop_trees(m);
	}
}

/* Sequential numbering (001, 002, ...) makes a missing number visible and
 * worth a note; timestamps and Flyway versions have gaps by nature, and so
 * has a jump to the next phase's block of numbers. */
static void note_gaps(struct loader *ld, const struct migset *set)
{
	if (set->n < 2)
		return;
	for (size_t i = 0; i < set->n; i++) {
		const char *k = set->items[i]->version.key;
		if (strchr(k, '.') || strlen(k) > 4)
			return;
	}
	for (size_t i = 1; i < set->n; i++) {
		const struct migration *prev = set->items[i - 1], *m = set->items[i];
		long a = atol(prev->version.key), b = atol(m->version.key);
		if (b - a > 1 && strcmp(prev->phase, m->phase) == 0)
			diag_add(ld->diags, DIAG_NOTE, set->dir, 0,
			         "gap in versions: nothing between %s and %s", prev->version.text,
			         m->version.text);
	}
}

/* ---- public ------------------------------------------------------------- */

struct migset *migset_load(const char *dir, const struct migset_options *opts,
                           struct diag_list *diags, struct pgstep_error *err)
{
	if (!is_dir(dir)) {
		int e = errno;
		struct stat st;
		if (stat(dir, &st) == 0)
			e = ENOTDIR;
		error_set(err, PGSTEP_EXIT_USAGE, "%s: cannot read migrations directory: %s", dir,
		          strerror(e));
		return NULL;
	}
	struct loader ld = {.opts = opts ? opts : &no_options, .diags = diags};
	struct strbuf rt;
	strbuf_init(&rt);
	for (size_t i = 0; i < ld.opts->n_phases; i++) {
		const struct phase_range *r = &ld.opts->phases[i];
		if (r->lo.text && r->hi.text)
			strbuf_addf(&rt, "%s%s %s-%s", rt.len ? ", " : "", r->name, r->lo.text,
			            r->hi.text);
	}
	ld.ranges_text = strbuf_detach(&rt);
	strbuf_release(&rt);
	struct migset *set = xcalloc(1, sizeof *set);
	set->dir = xstrdup(dir);
	strvec_init(&set->phases);

	char *plan = path_join(dir, "sqitch.plan");
	ld.sqitch = is_file(plan);
	free(plan);
	scan_dir(&ld, dir, "", 0, false);
	load_jobs(&ld);
	if (ld.sqitch)
		load_sqitch(&ld, dir);
	if (ld.n > 1)
		qsort(ld.pieces, ld.n, sizeof *ld.pieces, piece_cmp);
	for (size_t i = 0; i < ld.n; i++)
		if (ld.pieces[i]->m && !ld.pieces[i]->bad && !ld.pieces[i]->archived)
			check_requires(&ld, ld.pieces[i]);
	for (size_t i = 0, j; i < ld.n; i = j) {
		for (j = i + 1; j < ld.n && ld.pieces[j]->archived == ld.pieces[i]->archived &&
		                version_cmp(&ld.pieces[j]->version, &ld.pieces[i]->version) == 0;
		     j++)
			;
		group_resolve(&ld, set, ld.pieces + i, j - i);
	}
	for (size_t i = 0; i < set->n_archived; i++) {
		const struct migration *a = set->archived[i];
		const struct migration *m = migset_find_key(set, a->version.key);
		if (m)
			diag_add(diags, DIAG_WARNING, a->up.path, 0,
			         "version %s is archived and also active in %s", a->version.text,
			         m->up.path);
	}
	for (size_t i = 0; i < ld.n; i++)
		piece_free(ld.pieces[i]);
	free(ld.pieces);
	free(ld.ranges_text);

	if (ld.opts->split_statements)
		migset_split_all(set, DIAG_ERROR, ld.diags, SIZE_MAX);
	for (size_t i = 0; i < set->n; i++) {
		const char *ph = set->items[i]->phase;
		if (*ph && strvec_find(&set->phases, ph) < 0)
			strvec_push(&set->phases, ph);
		set->has_baseline |= set->items[i]->baseline;
	}
	note_gaps(&ld, set);
	return set;
}

void migset_free(struct migset **setp)
{
	struct migset *set = *setp;
	if (!set)
		return;
	for (size_t i = 0; i < set->n; i++)
		migration_free(&set->items[i]);
	for (size_t i = 0; i < set->n_archived; i++)
		migration_free(&set->archived[i]);
	free(set->items);
	free(set->archived);
	strvec_clear(&set->phases);
	free(set->dir);
	free(set);
	*setp = NULL;
}

struct migration *migset_find_key(const struct migset *set, const char *key)
{
	size_t lo = 0, hi = set->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = version_key_cmp(set->items[mid]->version.key, key);
		if (c == 0)
			return set->items[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

struct migration *migset_find_key_from(const struct migset *set, const char *key, size_t *pos)
{
	/* Gallop from *pos to a bound, then search between the last two steps. */
	size_t lo = *pos, hi = *pos, step = 1;
	while (hi < set->n && version_key_cmp(set->items[hi]->version.key, key) < 0) {
		lo = hi + 1;
		hi += step;
		step *= 2;
	}
	if (hi > set->n)
		hi = set->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (version_key_cmp(set->items[mid]->version.key, key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*pos = lo;
	if (lo < set->n && version_key_cmp(set->items[lo]->version.key, key) == 0)
		return set->items[lo];
	return NULL;
}

struct migration *migset_find(const struct migset *set, const char *version_text)
{
	char *key = version_key_of(version_text);
	if (!key)
		return NULL;
	struct migration *m = migset_find_key(set, key);
	free(key);
	return m;
}

/* A spelling as a file or directory name: its base name without a known
 * suffix; a diesel or Prisma file names its directory (owned). */
static char *spelling_stem(const char *s)
{
	size_t len = strlen(s);
	while (len > 1 && s[len - 1] == '/')
		len--;
	const char *end = s + len, *base = end;
	while (base > s && base[-1] != '/')
		base--;
	size_t bl = (size_t)(end - base);
	if (base > s && ((bl == 6 && memcmp(base, "up.sql", 6) == 0) ||
	                 (bl == 8 && memcmp(base, "down.sql", 8) == 0) ||
	                 (bl == 13 && memcmp(base, "migration.sql", 13) == 0))) {
		end = base - 1;
		base = end;
		while (base > s && base[-1] != '/')
			base--;
	}
	char *stem = xstrndup(base, (size_t)(end - base));
	static const char *const suffixes[] = {".up.sql", ".down.sql", ".sql"};
	for (size_t i = 0; i < sizeof suffixes / sizeof *suffixes; i++)
		if (text_ends_with(stem, suffixes[i])) {
			stem[strlen(stem) - strlen(suffixes[i])] = '\0';
			break;
		}
	return stem;
}

struct migration *migset_resolve(const struct migset *set, const char *spelling)
{
	if (!spelling || !*spelling)
		return NULL;
	struct migration *m = migset_find(set, spelling);
	if (m)
		return m;
	char *stem = spelling_stem(spelling);
	/* What a file is named: the file-name parser reads it as it reads the set. */
	struct migfile_name fn;
	char *fname = xasprintf("%s.sql", stem);
	if (migfile_parse(fname, &fn) == MIGFILE_OK) {
		m = migset_find_key(set, fn.version.key);
		if (m && *fn.name && strcmp(fn.name, m->name) != 0)
			m = NULL; /* a version of the set, but another migration's name */
	} else if ((stem[0] == 'V' || stem[0] == 'U' || stem[0] == 'v' || stem[0] == 'u') &&
	           isdigit((unsigned char)stem[1])) {
		m = migset_find(set, stem + 1); /* Flyway's version alone: "V1_10" */
	}
	migfile_name_release(&fn);
	free(fname);
	/* A label as status and the interface print it, or a unique name. */
	for (size_t i = 0; i < set->n && !m; i++)
		if (strcmp(migration_label(set->items[i]), stem) == 0)
			m = set->items[i];
	size_t named = 0;
	for (size_t i = 0; i < set->n && !m; i++)
		if (*set->items[i]->name && strcmp(set->items[i]->name, stem) == 0 && named++ == 0)
			m = set->items[i];
	if (named > 1)
		m = NULL; /* the same name twice: a version must say which */
	free(stem);
	return m;
}
