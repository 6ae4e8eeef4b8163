/* actions: the table of actions.def as a lookup by key and by command
 * name, and the names of keys as the help and hint bar print them. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "tui.h"
#include "tui_int.h"

static const struct action_info actions[ACT_COUNT] = {
#define ACTION(id, cmd, hint_, help_, flags_, k1, k2, k3)                                          \
	[ACT_##id] = {                                                                             \
	    .command = cmd, .hint = hint_, .help = help_, .flags = flags_, .keys = {k1, k2, k3}},
#include "actions.def"
#undef ACTION
};

const struct action_info *action_info(enum action a)
{
	return a >= 0 && a < ACT_COUNT ? &actions[a] : NULL;
}

enum action action_for_key(int key)
{
	for (int a = 0; a < ACT_COUNT; a++)
		for (int k = 0; k < 3; k++)
			if (actions[a].keys[k] && actions[a].keys[k] == key)
				return (enum action)a;
	return ACT_NONE;
}

enum action action_for_command(const char *name)
{
	for (int a = 0; a < ACT_COUNT; a++)
		if (strcmp(actions[a].command, name) == 0)
			return (enum action)a;
	return ACT_NONE;
}

const char *action_key_name(int key)
{
	static char buf[16];
	switch (key) {
	case KEY_UP: return "Up";
	case KEY_DOWN: return "Down";
	case KEY_LEFT: return "Left";
	case KEY_RIGHT: return "Right";
	case KEY_PPAGE: return "PgUp";
	case KEY_NPAGE: return "PgDn";
	case KEY_HOME: return "Home";
	case KEY_END: return "End";
	case KEY_BTAB: return "S-Tab";
	case KEY_ENTER: return "Enter";
	case '\n': return "Enter";
	case '\r': return "Enter";
	case '\t': return "Tab";
	case ' ': return "Space";
	case KEY_F(1): return "F1";
	case 27: return "Esc";
	}
	if (key > 0 && key < 32) {
		snprintf(buf, sizeof buf, "C-%c", key + 'a' - 1);
		return buf;
	}
	if (key > 32 && key < 127) {
		snprintf(buf, sizeof buf, "%c", key);
		return buf;
	}
	return "?";
}

bool action_key_repeats(const struct action_info *ai, int k)
{
	if (k < 0 || k >= 3 || !ai->keys[k])
		return false;
	/* action_key_name's buffer is static: keep a copy to compare. */
	char name[16];
	snprintf(name, sizeof name, "%s", action_key_name(ai->keys[k]));
	for (int j = 0; j < k; j++)
		if (ai->keys[j] && strcmp(action_key_name(ai->keys[j]), name) == 0)
			return true;
	return false;
}

/* roff text with '-' and '\\' escaped, so keys and help read as typed. */
static void roff_text(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '-' || *s == '\\')
			fputc('\\', f);
		fputc(*s, f);
	}
}

void tui_keys_roff(FILE *f)
{
	/* .TP, then the tag: keys in bold, then the : command; then the help. */
	for (int a = 0; a < ACT_COUNT; a++) {
		const struct action_info *ai = &actions[a];
		fputs(".TP\n", f);
		bool any = false;
		for (int k = 0; k < 3; k++) {
			if (!ai->keys[k])
				continue;
			/* Enter is three codes ('\\n', '\\r', KEY_ENTER) with one name. */
			if (action_key_repeats(ai, k))
				continue;
			fputs(any ? ", \\fB" : "\\fB", f);
			roff_text(f, action_key_name(ai->keys[k]));
			fputs("\\fR", f);
			any = true;
		}
		fputs(any ? "   \\fB:" : "\\fB:", f);
		roff_text(f, ai->command);
		fputs(ai->flags & TAKES_ARG ? "\\fR \\fIARG\\fR\n"
		      : ai->flags & OPT_ARG ? "\\fR [\\fIARG\\fR]\n"
		                            : "\\fR\n",
		      f);
		roff_text(f, ai->help);
		fputs("\n", f);
	}
}
