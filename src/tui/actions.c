/* actions: the table of actions.def as a lookup by key and by command
 * name, and the names of keys as the help and hint bar print them. */
#include "config.h"

#include <stdio.h>
#include <string.h>

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
