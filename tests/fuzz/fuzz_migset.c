/* fuzz_migset: the migration-set loader (pgstep/migset.h) on a directory
 * holding one file. The first byte of the input picks the file's name:
 *   '0' 001_fuzz.sql (dbmate or plain)      '4' U1__fuzz.sql (flyway undo)
 *   '1' 001_fuzz.up.sql                     '5' 2019-01-01-000000_fuzz/up.sql (diesel)
 *   '2' 001_fuzz.down.sql                   '6' 20250120000000_fuzz.sql
 *   '3' V1_2__fuzz.sql (flyway)             '7' the next line is the path, up to two
 *                                               directories deep ("archive/001_x.sql")
 * (the byte modulo 8, so any byte picks one); the rest is the file's content,
 * which the loader checks itself (UTF-8, NUL bytes), so it is not filtered.
 * The statements are split while loading, as every command does. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"
#include "pgstep/error.h"
#include "pgstep/migration.h"
#include "pgstep/migset.h"

#define MAX_NAME  200
#define MAX_DEPTH 3 /* path components: phase/diesel-dir/up.sql */

static const char *const names[] = {
    "001_fuzz.sql",
    "001_fuzz.up.sql",
    "001_fuzz.down.sql",
    "V1_2__fuzz.sql",
    "U1__fuzz.sql",
    "2019-01-01-000000_fuzz/up.sql",
    "20250120000000_fuzz.sql",
};

static char dir[64];

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	if (ftw->level > 0)
		remove(path);
	return 0;
}

static void empty_dir(void)
{
	nftw(dir, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
}

static void remove_dir(void)
{
	empty_dir();
	rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *tmp = getenv("TMPDIR");
	snprintf(dir, sizeof dir, "%s/pgstep-fuzz-XXXXXX",
	         tmp && *tmp && strlen(tmp) < 40 ? tmp : "/tmp");
	if (!mkdtemp(dir)) {
		perror(dir);
		exit(1);
	}
	atexit(remove_dir);
	return 0;
}

/* The file's path relative to dir from the input, or NULL when it names
 * nothing a directory can hold. Creates the directories on the way. */
static char *make_path(const uint8_t *data, size_t size, size_t *used)
{
	const uint8_t *nl = memchr(data, '\n', size);
	size_t n = nl ? (size_t)(nl - data) : size;
	*used = nl ? n + 1 : n;
	if (n == 0 || n > MAX_NAME || memchr(data, '\0', n))
		return NULL;
	char *rel = xmalloc(n + 1);
	memcpy(rel, data, n);
	rel[n] = '\0';
	int depth = 1;
	for (char *p = rel;; p++) {
		char *slash = strchr(p, '/');
		size_t len = slash ? (size_t)(slash - p) : strlen(p);
		if (len == 0 || (len == 1 && p[0] == '.') ||
		    (len == 2 && p[0] == '.' && p[1] == '.') || (slash && ++depth > MAX_DEPTH)) {
			free(rel);
			return NULL;
		}
		if (!slash)
			break;
		*slash = '\0';
		char *sub = xasprintf("%s/%s", dir, rel);
		int rc = mkdir(sub, 0700);
		free(sub);
		*slash = '/';
		if (rc != 0 && errno != EEXIST) {
			free(rel);
			return NULL;
		}
		p = slash;
	}
	return rel;
}

static bool write_file(const char *path, const uint8_t *data, size_t size)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0)
		return false;
	while (size > 0) {
		ssize_t w = write(fd, data, size);
		if (w <= 0) {
			close(fd);
			return false;
		}
		data += w;
		size -= (size_t)w;
	}
	return close(fd) == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	unsigned pick = data[0] % 8;
	data++, size--;
	char *rel;
	if (pick < sizeof names / sizeof names[0]) {
		size_t used;
		rel = make_path((const uint8_t *)names[pick], strlen(names[pick]), &used);
	} else {
		size_t used;
		rel = make_path(data, size, &used);
		data += used, size -= used;
	}
	if (!rel) {
		empty_dir();
		return 0;
	}
	char *path = xasprintf("%s/%s", dir, rel);
	free(rel);
	if (write_file(path, data, size)) {
		struct migset_options opts = {.split_statements = true, .jobs = 1};
		struct diag_list diags;
		diag_list_init(&diags);
		struct pgstep_error err = {0};
		struct migset *set = migset_load(dir, &opts, &diags, &err);
		if (!set)
			abort(); /* the directory exists: the loader must read it */
		for (size_t i = 0; i < set->n; i++)
			if (!migration_label(set->items[i])[0])
				abort();
		for (size_t i = 0; i < diags.n; i++)
			if (!diags.items[i].msg)
				abort();
		migset_free(&set);
		diag_list_clear(&diags);
		error_clear(&err);
	}
	free(path);
	empty_dir();
	return 0;
}
