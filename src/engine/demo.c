/* demo: a throwaway cluster set up to show pgstep's states: a control
 * database whose tenants table lists two schema tenants, one database tenant
 * from the config, rows in the tables, and three different states: acme up
 * to date, globex a phase behind, initech dirty from an interrupted
 * non-transactional migration. Everything is made with the engine itself. */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "pgstep/demo.h"
#include "pgstep/ops.h"
#include "pgstep/session.h"
#include "pgstep/strbuf.h"
#include "pgstep/xalloc.h"

/* Where each demo tenant stops: globex before the last phase; initech stops
 * after the first statement of the non-transactional index migration. */
#define DEMO_GLOBEX_TO     "019"
#define DEMO_INITECH_TO    "023"
#define DEMO_INITECH_DIRTY "024"

static void demo_log(void (*log_fn)(void *, const char *), void *ctx, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void demo_log(void (*log_fn)(void *, const char *), void *ctx, const char *fmt, ...)
{
	if (!log_fn)
		return;
	va_list ap;
	va_start(ap, fmt);
	char *line = xvasprintf(fmt, ap);
	va_end(ap);
	log_fn(ctx, line);
	free(line);
}

static bool demo_mkdirs(const char *path, struct pgstep_error *err)
{
	char *p = xstrdup(path);
	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0755) != 0 && errno != EEXIST) {
			error_set(err, PGSTEP_EXIT_FAILED, "mkdir %s: %s", p, strerror(errno));
			free(p);
			return false;
		}
		*s = '/';
	}
	free(p);
	return true;
}

static bool demo_write(const char *path, const char *data, size_t len, struct pgstep_error *err)
{
	if (!demo_mkdirs(path, err))
		return false;
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(data, 1, len, f) != len || fclose(f) != 0) {
		error_set(err, PGSTEP_EXIT_FAILED, "cannot write %s: %s", path, strerror(errno));
		return false;
	}
	return true;
}

static bool demo_sql(const char *conninfo, const char *sql, struct pgstep_error *err)
{
	struct session *s = session_connect(conninfo, "demo", err);
	if (!s)
		return false;
	bool ok = session_exec(s, sql, err);
	session_close(&s);
	return ok;
}

static bool demo_rows(struct tenant *t, const struct embedded_file *f, struct pgstep_error *err)
{
	struct session *s = session_connect(t->conninfo, t->name, err);
	if (!s)
		return false;
	char *sql = xstrndup(f->data, f->len);
	bool ok = (!t->schema || session_use_schema(s, t->schema, false, err)) &&
	          session_exec(s, sql, err) && session_exec(s, "ANALYZE", err);
	free(sql);
	session_close(&s);
	if (!ok)
		error_prefix(err, "demo rows %s for tenant %s", f->path, t->name);
	return ok;
}

static bool demo_up(struct engine *e, const char *tenant, const char *to, size_t interrupt_after,
                    struct pgstep_error *err)
{
	if (e->interrupted && *e->interrupted) {
		error_set(err, PGSTEP_EXIT_FAILED, "interrupted: nothing is kept");
		return false;
	}
	struct tenant *t = tenant_list_find(&e->tenants, tenant);
	if (!t) {
		error_set(err, PGSTEP_EXIT_FAILED, "demo: tenant %s missing", tenant);
		return false;
	}
	struct up_options uo = {.to = to};
	e->interrupt_after = interrupt_after;
	enum pgstep_exit rc = ops_up(e, t, &uo, err);
	e->interrupt_after = 0;
	/* The interrupted migration is expected to end as a failure (unless
	 * a real signal interrupted it). */
	if (interrupt_after && rc == PGSTEP_EXIT_FAILED && !*e->interrupted) {
		error_clear(err);
		return true;
	}
	return rc == PGSTEP_EXIT_OK;
}

static bool demo_populate(struct demo *d, void (*log_fn)(void *, const char *), void *ctx,
                          volatile sig_atomic_t *interrupted, struct pgstep_error *err)
{
	static volatile sig_atomic_t never;
	struct engine e;
	memset(&e, 0, sizeof e);
	if (!engine_open(&e, d->config_path, err))
		goto fail;
	e.interrupted = interrupted ? interrupted : &never;
	if (engine_set_has_errors(&e)) {
		error_set(err, PGSTEP_EXIT_FAILED,
		          "demo: the embedded migration set has errors: %s", e.diags.items[0].msg);
		goto fail;
	}
	static const char *const names[] = {"acme", "globex", "initech"};
	for (size_t r = 0; r < demo_rows_n_files; r++) {
		char *to = xstrndup(demo_rows_files[r].path, strcspn(demo_rows_files[r].path, "."));
		for (size_t i = 0; i < 3; i++) {
			demo_log(log_fn, ctx, "tenant %s: applying up to %s, then adding rows",
			         names[i], to);
			if (!demo_up(&e, names[i], to, 0, err) ||
			    !demo_rows(tenant_list_find(&e.tenants, names[i]), &demo_rows_files[r],
			               err)) {
				free(to);
				goto fail;
			}
		}
		free(to);
	}
	demo_log(log_fn, ctx, "tenant acme: applying everything");
	if (!demo_up(&e, "acme", NULL, 0, err))
		goto fail;
	demo_log(log_fn, ctx, "tenant globex: applying up to %s (a phase behind)", DEMO_GLOBEX_TO);
	if (!demo_up(&e, "globex", DEMO_GLOBEX_TO, 0, err))
		goto fail;
	demo_log(log_fn, ctx, "tenant initech: applying up to %s, then interrupting %s",
	         DEMO_INITECH_TO, DEMO_INITECH_DIRTY);
	if (!demo_up(&e, "initech", DEMO_INITECH_TO, 0, err) ||
	    !demo_up(&e, "initech", DEMO_INITECH_DIRTY, 1, err))
		goto fail;
	engine_close(&e);
	return true;
fail:
	error_prefix(err, "demo");
	engine_close(&e);
	return false;
}

struct demo *demo_start(void (*log_fn)(void *ctx, const char *line), void *ctx,
                        volatile sig_atomic_t *interrupted, struct pgstep_error *err)
{
	struct demo *d = xcalloc(1, sizeof *d);
	d->cluster = cluster_start(log_fn, ctx, err);
	if (!d->cluster) {
		free(d);
		return NULL;
	}
	d->migrations_dir = xasprintf("%s/migrations", d->cluster->dir);
	d->config_path = xasprintf("%s/pgstep.conf", d->cluster->dir);
	for (size_t i = 0; i < demo_n_files; i++) {
		char *path = xasprintf("%s/%s", d->migrations_dir, demo_files[i].path);
		bool ok = demo_write(path, demo_files[i].data, demo_files[i].len, err);
		free(path);
		if (!ok)
			goto fail;
	}
	char *postgres = cluster_conninfo(d->cluster, "postgres");
	char *app = cluster_conninfo(d->cluster, "app");
	char *initech = cluster_conninfo(d->cluster, "initech");
	demo_log(log_fn, ctx, "creating databases app (control + schema tenants) and initech");
	bool ok = demo_sql(postgres, "CREATE DATABASE app", err) &&
	          demo_sql(postgres, "CREATE DATABASE initech", err) &&
	          demo_sql(app,
	                   "CREATE TABLE public.tenants (slug text PRIMARY KEY, schema_name text, "
	                   "region text NOT NULL, tier text NOT NULL);"
	                   "INSERT INTO public.tenants VALUES ('acme', 'acme', 'eu', 'gold'),"
	                   " ('globex', 'globex', 'us', 'silver')",
	                   err);
	if (ok) {
		char *conf = xasprintf(
		    "; Generated by `pgstep demo`: a throwaway cluster in %s\n"
		    "[migrations]\ndir = migrations\n\n"
		    "[defaults]\nlock_timeout = 3s\nlock_retries = 5\nstatement_timeout = 0\n\n"
		    "; Schema tenants listed by the control database.\n"
		    "[tenants]\ncontrol = %s\n"
		    "query = SELECT slug, schema_name, region, tier FROM public.tenants ORDER BY "
		    "slug\n\n"
		    "; A tenant with its own database.\n"
		    "[tenant initech]\nconninfo = %s\nlabels = region=us tier=bronze\n",
		    d->cluster->dir, app, initech);
		ok = demo_write(d->config_path, conf, strlen(conf), err);
		free(conf);
	}
	free(postgres);
	free(app);
	free(initech);
	if (!ok || !demo_populate(d, log_fn, ctx, interrupted, err))
		goto fail;
	return d;
fail:
	demo_stop(&d, false);
	return NULL;
}

void demo_stop(struct demo **dp, bool keep)
{
	struct demo *d = *dp;
	if (!d)
		return;
	cluster_stop(&d->cluster, keep);
	free(d->config_path);
	free(d->migrations_dir);
	free(d);
	*dp = NULL;
}
