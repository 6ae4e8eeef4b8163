/* test_diff: unified line diffs (src/util/diff.c). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "pgstep/diff.h"
#include "tap.h"

static char *udiff(const char *a, const char *b, int ctx, bool *changed)
{
	struct strbuf sb;
	strbuf_init(&sb);
	*changed = diff_unified(a, b, "stored", "file", ctx, &sb);
	return strbuf_detach(&sb);
}

int main(void)
{
	bool ch;
	char *d = udiff("a\nb\nc\n", "a\nb\nc\n", 3, &ch);
	ok(!ch && *d == '\0', "equal texts: no diff");
	free(d);
	d = udiff("a\nb\nc", "a\nb\nc\n", 3, &ch);
	ok(!ch, "a missing final newline is not a difference");
	free(d);
	d = udiff("a\nb\nc\n", "a\nB\nc\n", 3, &ch);
	is_str(d, "--- stored\n+++ file\n@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n", "one changed line");
	ok(ch, "changed is reported");
	free(d);
	d = udiff("", "x\ny\n", 3, &ch);
	is_str(d, "--- stored\n+++ file\n@@ -0,0 +1,2 @@\n+x\n+y\n", "everything added");
	free(d);
	d = udiff("x\ny\n", "", 3, &ch);
	is_str(d, "--- stored\n+++ file\n@@ -1,2 +0,0 @@\n-x\n-y\n", "everything removed");
	free(d);
	d = udiff("1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n",
	          "1\nX\n3\n4\n5\n6\n7\n8\n9\n10\nY\n12\n", 1, &ch);
	is_str(d,
	       "--- stored\n+++ file\n@@ -1,3 +1,3 @@\n 1\n-2\n+X\n 3\n@@ -10,3 +10,3 @@\n "
	       "10\n-11\n+Y\n 12\n",
	       "two far changes make two hunks with one line of context");
	free(d);
	d = udiff("1\n2\n3\n4\n", "1\nX\n3\nY\n", 1, &ch);
	is_str(d, "--- stored\n+++ file\n@@ -1,4 +1,4 @@\n 1\n-2\n+X\n 3\n-4\n+Y\n",
	       "close changes share a hunk");
	free(d);
	d = udiff("a\nb\nc\nd\n", "a\nc\nd\ne\n", 0, &ch);
	is_str(d, "--- stored\n+++ file\n@@ -2,1 +1,0 @@\n-b\n@@ -4,0 +4,1 @@\n+e\n",
	       "no context: a deletion and an insertion");
	free(d);
	/* A longer edit: the script must turn a into b exactly. */
	d = udiff("CREATE TABLE t (\n  id int,\n  name text\n);\nCREATE INDEX i ON t (id);\n",
	          "CREATE TABLE t (\n  id bigint,\n  name text,\n  note text\n);\n", 3, &ch);
	ok(strstr(d, "-  id int,\n") && strstr(d, "+  id bigint,\n") &&
	       strstr(d, "+  note text\n") && strstr(d, "-CREATE INDEX i ON t (id);\n") &&
	       strstr(d, " CREATE TABLE t (\n"),
	   "a migration edit shows removed, added and kept lines");
	free(d);
	return done_testing();
}
