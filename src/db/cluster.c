/* cluster: a throwaway PostgreSQL server for `pgstep demo`. It owns the
 * temporary directory (data/, the server log, the unix socket), the child
 * processes that create, start and stop the server, and their output, which
 * goes to a file in that directory and never to the terminal. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <glob.h>
#include <netinet/in.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pgstep/cluster.h"
#include "pgstep/tenant.h"
#include "pgstep/strbuf.h"
#include "pgstep/strvec.h"
#include "pgstep/text.h"
#include "pgstep/xalloc.h"

#define CLUSTER_OWNER    "postgres"
#define CLUSTER_LOG_TAIL 8

struct cluster_progress {
	void (*fn)(void *ctx, const char *line);
	void *ctx;
};

__attribute__((format(printf, 2, 3))) static void cluster_say(const struct cluster_progress *p,
                                                              const char *fmt, ...)
{
	if (!p->fn)
		return;
	va_list ap;
	va_start(ap, fmt);
	char *line = xvasprintf(fmt, ap);
	va_end(ap);
	p->fn(p->ctx, line);
	free(line);
}

static bool cluster_has_server(const char *dir)
{
	char *initdb = xasprintf("%s/initdb", dir);
	char *postgres = xasprintf("%s/postgres", dir);
	bool ok = access(initdb, X_OK) == 0 && access(postgres, X_OK) == 0;
	free(initdb);
	free(postgres);
	return ok;
}

/* Run argv with stdout read back into out (stderr discarded); the exit
 * status, or -1 when it could not run. */
static int cluster_capture(const char *const *argv, struct strbuf *out)
{
	int fds[2];
	if (pipe(fds) != 0)
		return -1;
	pid_t pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	if (pid == 0) {
		int devnull = open("/dev/null", O_RDWR);
		dup2(devnull, 0);
		dup2(devnull, 2);
		dup2(fds[1], 1);
		close(fds[0]);
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(fds[1]);
	char buf[512];
	ssize_t n;
	while ((n = read(fds[0], buf, sizeof buf)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		strbuf_add(out, buf, (size_t)n);
	}
	close(fds[0]);
	int status;
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			return -1;
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* The "N" of /usr/lib/postgresql/N/bin, for picking the newest. */
static long cluster_dir_version(const char *dir)
{
	const char *p = dir + strlen("/usr/lib/postgresql/");
	return strtol(p, NULL, 10);
}

/* pg_config's bindir when it holds a server (Debian's pg_config comes with
 * libpq-dev and points at client tools only), else the newest installed. */
static char *cluster_find_bindir(void)
{
	struct strbuf out;
	strbuf_init(&out);
	const char *argv[] = {"pg_config", "--bindir", NULL};
	if (cluster_capture(argv, &out) == 0) {
		text_trim(out.buf);
		if (*out.buf && cluster_has_server(out.buf)) {
			char *dir = xstrdup(out.buf);
			strbuf_release(&out);
			return dir;
		}
	}
	strbuf_release(&out);

	glob_t g;
	char *best = NULL;
	long best_v = -1;
	if (glob("/usr/lib/postgresql/*/bin", GLOB_ONLYDIR, NULL, &g) == 0) {
		for (size_t i = 0; i < g.gl_pathc; i++) {
			long v = cluster_dir_version(g.gl_pathv[i]);
			if (v > best_v && cluster_has_server(g.gl_pathv[i])) {
				free(best);
				best = xstrdup(g.gl_pathv[i]);
				best_v = v;
			}
		}
		globfree(&g);
	}
	return best;
}

static const char *cluster_find_runuser(void)
{
	static const char *const candidates[] = {"/usr/sbin/runuser", "/sbin/runuser",
	                                         "/usr/bin/runuser", "/bin/runuser"};
	for (size_t i = 0; i < sizeof candidates / sizeof candidates[0]; i++) {
		if (access(candidates[i], X_OK) == 0)
			return candidates[i];
	}
	return NULL;
}

/* The last lines of a log, indented, for an error message. */
static void cluster_add_tail(struct strbuf *sb, const char *path)
{
	struct strbuf log;
	strbuf_init(&log);
	if (strbuf_read_file(&log, path) != 0 || log.len == 0) {
		strbuf_release(&log);
		return;
	}
	while (log.len && (log.buf[log.len - 1] == '\n' || log.buf[log.len - 1] == ' '))
		log.buf[--log.len] = '\0';
	const char *start = log.buf + log.len;
	int lines = 0;
	while (start > log.buf && lines < CLUSTER_LOG_TAIL) {
		start--;
		if (*start == '\n')
			lines++;
	}
	if (*start == '\n')
		start++;
	strbuf_addf(sb, "; last lines of %s:", path);
	for (const char *p = start; *p;) {
		size_t len = strcspn(p, "\n");
		strbuf_adds(sb, "\n  ");
		strbuf_add(sb, p, len);
		p += len;
		if (*p)
			p++;
	}
	strbuf_release(&log);
}

static char *cluster_setup_log(const struct cluster *c)
{
	return xasprintf("%s/setup.log", c->dir);
}

/* Run a server program as the cluster's owner (through runuser when we are
 * root: initdb refuses root), with its output appended to setup.log. On
 * failure err names the command and shows the end of log_path. */
static bool cluster_run(const struct cluster *c, const char *const *args, const char *log_path,
                        struct pgstep_error *err)
{
	struct strvec argv;
	strvec_init(&argv);
	if (c->run_as) {
		strvec_push(&argv, cluster_find_runuser());
		strvec_push(&argv, "-u");
		strvec_push(&argv, c->run_as);
		strvec_push(&argv, "--");
	}
	for (size_t i = 0; args[i]; i++)
		strvec_push(&argv, args[i]);

	char *setup_log = cluster_setup_log(c);
	int status = -1;
	pid_t pid = fork();
	if (pid == 0) {
		int devnull = open("/dev/null", O_RDONLY);
		int out = open(setup_log, O_WRONLY | O_CREAT | O_APPEND, 0644);
		if (devnull < 0 || out < 0)
			_exit(126);
		dup2(devnull, 0);
		dup2(out, 1);
		dup2(out, 2);
		/* The owner must be able to read the working directory, or
		 * the server programs complain about it. */
		if (chdir(c->dir) != 0)
			_exit(126);
		execvp(argv.items[0], argv.items);
		_exit(127);
	}
	if (pid > 0) {
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
	}
	bool ok = pid > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0;
	if (!ok && err) {
		struct strbuf sb;
		strbuf_init(&sb);
		for (size_t i = 0; i < argv.n; i++)
			strbuf_addf(&sb, "%s%s", i ? " " : "", argv.items[i]);
		if (pid < 0)
			strbuf_adds(&sb, ": cannot fork");
		else if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
			strbuf_adds(&sb, ": cannot run it");
		else if (WIFEXITED(status))
			strbuf_addf(&sb, " failed (exit status %d)", WEXITSTATUS(status));
		else
			strbuf_adds(&sb, " was killed");
		cluster_add_tail(&sb, setup_log);
		if (log_path)
			cluster_add_tail(&sb, log_path);
		error_set(err, PGSTEP_EXIT_USAGE, "%s", sb.buf);
		strbuf_release(&sb);
	}
	free(setup_log);
	strvec_clear(&argv);
	return ok;
}

/* A port nobody listens on right now. The server listens only on its unix
 * socket, whose name carries the port, so a later clash is harmless. */
static int cluster_free_port(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		return -1;
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t len = sizeof a;
	int port = -1;
	if (bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
	    getsockname(fd, (struct sockaddr *)&a, &len) == 0)
		port = ntohs(a.sin_port);
	close(fd);
	return port;
}

/* Settings go into postgresql.conf rather than through pg_ctl -o, which
 * hands them to a shell: a directory name needs no quoting there. */
static bool cluster_configure(const struct cluster *c, struct pgstep_error *err)
{
	char *conf = xasprintf("%s/postgresql.conf", c->datadir);
	FILE *f = fopen(conf, "a");
	if (!f) {
		error_set(err, PGSTEP_EXIT_USAGE, "cannot open %s: %s", conf, strerror(errno));
		free(conf);
		return false;
	}
	/* Inside the setting's single quotes the directory is double-quoted
	 * (the value is a list); neither quote can occur in it (checked). */
	fprintf(f,
	        "\n# pgstep demo\n"
	        "port = %d\n"
	        "unix_socket_directories = '\"%s\"'\n"
	        "listen_addresses = ''\n"
	        "fsync = off\n"
	        "synchronous_commit = off\n"
	        "full_page_writes = off\n",
	        c->port, c->socket_dir);
	bool ok = fclose(f) == 0;
	if (!ok)
		error_set(err, PGSTEP_EXIT_USAGE, "cannot write %s: %s", conf, strerror(errno));
	free(conf);
	return ok;
}

/* mkdtemp under base, made reachable by the server's owner. */
static char *cluster_make_dir(const char *base, const struct passwd *owner,
                              struct pgstep_error *err)
{
	char *tmpl = xasprintf("%s/pgstep-demo-XXXXXX", base);
	if (!mkdtemp(tmpl)) {
		error_set(err, PGSTEP_EXIT_USAGE, "cannot create a directory in %s: %s", base,
		          strerror(errno));
		free(tmpl);
		return NULL;
	}
	/* 0755: clients of another user (root) reach the socket. */
	bool ok = chmod(tmpl, 0755) == 0;
	if (ok && owner)
		ok = chown(tmpl, owner->pw_uid, owner->pw_gid) == 0;
	if (!ok) {
		error_set(err, PGSTEP_EXIT_USAGE, "cannot prepare %s: %s", tmpl, strerror(errno));
		rmdir(tmpl);
		free(tmpl);
		return NULL;
	}
	return tmpl;
}

static int cluster_rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	remove(path);
	return 0;
}

static void cluster_remove_dir(const char *dir)
{
	nftw(dir, cluster_rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* A server that failed to come up in time may still be starting. */
static void cluster_kill(const struct cluster *c)
{
	char *pidfile = xasprintf("%s/postmaster.pid", c->datadir);
	if (access(pidfile, F_OK) == 0) {
		char *pg_ctl = xasprintf("%s/pg_ctl", c->bindir);
		const char *argv[] = {pg_ctl,      "-D", c->datadir, "-m",
		                      "immediate", "-w", "stop",     NULL};
		cluster_run(c, argv, NULL, NULL);
		free(pg_ctl);
	}
	free(pidfile);
}

static void cluster_free(struct cluster *c)
{
	free(c->bindir);
	free(c->dir);
	free(c->datadir);
	free(c->socket_dir);
	free(c->log_path);
	free(c->run_as);
	free(c);
}

/* Where the directory goes: the socket path must fit sun_path, and a
 * private TMPDIR of root's may be closed to postgres. */
static const char *cluster_base_dir(bool as_root)
{
	const char *tmp = getenv("TMPDIR");
	struct sockaddr_un un;
	size_t room = sizeof un.sun_path - sizeof "/pgstep-demo-XXXXXX/.s.PGSQL.65535";
	if (as_root || !tmp || !*tmp || strlen(tmp) > room || strpbrk(tmp, "'\"\\"))
		return "/tmp";
	return tmp;
}

struct cluster *cluster_start(void (*log_fn)(void *ctx, const char *line), void *ctx,
                              struct pgstep_error *err)
{
	struct cluster_progress p = {log_fn, ctx};
	struct cluster *c = xcalloc(1, sizeof *c);

	c->bindir = cluster_find_bindir();
	if (!c->bindir) {
		error_set(
		    err, PGSTEP_EXIT_USAGE,
		    "no PostgreSQL server found (pg_config --bindir, /usr/lib/postgresql/*/bin): "
		    "apt-get install postgresql");
		cluster_free(c);
		return NULL;
	}

	struct passwd *owner = NULL;
	if (geteuid() == 0) {
		owner = getpwnam(CLUSTER_OWNER);
		if (!owner) {
			error_set(err, PGSTEP_EXIT_USAGE,
			          "running as root: the server must run as the user " CLUSTER_OWNER
			          ", which does not exist");
			cluster_free(c);
			return NULL;
		}
		if (!cluster_find_runuser()) {
			error_set(err, PGSTEP_EXIT_USAGE,
			          "running as root: runuser (util-linux) is needed to start the "
			          "server as " CLUSTER_OWNER);
			cluster_free(c);
			return NULL;
		}
		c->run_as = xstrdup(CLUSTER_OWNER);
	}

	c->dir = cluster_make_dir(cluster_base_dir(owner != NULL), owner, err);
	if (!c->dir) {
		cluster_free(c);
		return NULL;
	}
	c->datadir = xasprintf("%s/data", c->dir);
	c->socket_dir = xstrdup(c->dir);
	c->log_path = xasprintf("%s/log", c->dir);
	c->port = cluster_free_port();
	if (c->port <= 0) {
		error_set(err, PGSTEP_EXIT_USAGE, "cannot find a free port: %s", strerror(errno));
		goto fail;
	}

	cluster_say(&p, "initdb %s (server binaries in %s)", c->datadir, c->bindir);
	char *initdb = xasprintf("%s/initdb", c->bindir);
	const char *initdb_argv[] = {initdb, "-D",   c->datadir,   "-U", "postgres", "--auth=trust",
	                             "-E",   "UTF8", "--locale=C", "-N", NULL};
	bool ok = cluster_run(c, initdb_argv, NULL, err);
	free(initdb);
	if (!ok || !cluster_configure(c, err))
		goto fail;

	cluster_say(&p, "starting the server: port %d, socket in %s", c->port, c->socket_dir);
	char *pg_ctl = xasprintf("%s/pg_ctl", c->bindir);
	const char *start_argv[] = {pg_ctl, "-D", c->datadir, "-l",    c->log_path,
	                            "-w",   "-t", "60",       "start", NULL};
	ok = cluster_run(c, start_argv, c->log_path, err);
	free(pg_ctl);
	if (!ok)
		goto fail;
	c->running = true;
	return c;

fail:
	cluster_kill(c);
	cluster_remove_dir(c->dir);
	cluster_free(c);
	return NULL;
}

char *cluster_conninfo(const struct cluster *c, const char *dbname)
{
	struct strbuf sb;
	strbuf_init(&sb);
	strbuf_adds(&sb, "host=");
	conninfo_append_value(&sb, c->socket_dir);
	strbuf_addf(&sb, " port=%d dbname=", c->port);
	conninfo_append_value(&sb, dbname);
	strbuf_adds(&sb, " user=postgres");
	char *result = strbuf_detach(&sb);
	strbuf_release(&sb); /* detach leaves a fresh buffer */
	return result;
}

void cluster_stop(struct cluster **cp, bool keep)
{
	if (!cp || !*cp)
		return;
	struct cluster *c = *cp;
	if (c->running) {
		char *pg_ctl = xasprintf("%s/pg_ctl", c->bindir);
		const char *argv[] = {pg_ctl, "-D", c->datadir, "-m", "fast", "-w", "stop", NULL};
		/* Nothing to report to; a server that does not stop fast is
		 * stopped immediately (it is throwaway). */
		if (!cluster_run(c, argv, NULL, NULL))
			cluster_kill(c);
		free(pg_ctl);
		c->running = false;
	}
	if (!keep)
		cluster_remove_dir(c->dir);
	cluster_free(c);
	*cp = NULL;
}
