/* roles: the interface's one table of semantic colour roles. Each role has a
 * colour pair for colour terminals and an attribute for monochrome ones
 * (NO_COLOR, --no-color, no colours); state and risk are always also said by
 * a glyph or word, never by colour alone. Glyphs have a UTF-8 and an ASCII
 * set, chosen by the locale. */
#include "config.h"

#include <langinfo.h>
#include <string.h>

#include "tui_int.h"

struct role_def {
	short fg, bg;
	attr_t color_attr; /* added to the pair in colour */
	attr_t mono;       /* used alone in monochrome */
};

static const struct role_def role_defs[ROLE_COUNT] = {
    [ROLE_NORMAL] = {-1, -1, 0, 0},
    [ROLE_TITLE] = {COLOR_BLACK, COLOR_CYAN, 0, A_REVERSE},
    [ROLE_BORDER] = {COLOR_BLUE, -1, 0, 0},
    [ROLE_BORDER_FOCUS] = {COLOR_CYAN, -1, A_BOLD, A_BOLD},
    [ROLE_SELECTED] = {COLOR_BLACK, COLOR_CYAN, 0, A_REVERSE},
    [ROLE_SELECTED_DIM] = {COLOR_BLACK, COLOR_WHITE, 0, A_UNDERLINE},
    [ROLE_DIM] = {COLOR_WHITE, -1, A_DIM, A_DIM},
    [ROLE_PHASE] = {COLOR_MAGENTA, -1, A_BOLD, A_BOLD},
    [ROLE_OK] = {COLOR_GREEN, -1, 0, 0},
    [ROLE_PENDING] = {COLOR_YELLOW, -1, 0, A_BOLD},
    [ROLE_FAILED] = {COLOR_RED, -1, A_BOLD, A_BOLD},
    [ROLE_DIRTY] = {COLOR_RED, -1, A_BOLD, A_BOLD | A_UNDERLINE},
    [ROLE_UNREACHABLE] = {COLOR_MAGENTA, -1, 0, A_UNDERLINE},
    [ROLE_LOADING] = {COLOR_WHITE, -1, A_DIM, A_DIM},
    [ROLE_RISK_LOW] = {COLOR_GREEN, -1, 0, 0},
    [ROLE_RISK_MEDIUM] = {COLOR_YELLOW, -1, 0, A_BOLD},
    [ROLE_RISK_HIGH] = {COLOR_RED, -1, A_BOLD, A_BOLD | A_UNDERLINE},
    [ROLE_SQL_KEYWORD] = {COLOR_BLUE, -1, A_BOLD, A_BOLD},
    [ROLE_SQL_IDENT] = {-1, -1, 0, 0},
    [ROLE_SQL_STRING] = {COLOR_GREEN, -1, 0, 0},
    [ROLE_SQL_NUMBER] = {COLOR_CYAN, -1, 0, 0},
    [ROLE_SQL_COMMENT] = {COLOR_WHITE, -1, A_DIM, A_DIM},
    [ROLE_SQL_OPERATOR] = {COLOR_YELLOW, -1, 0, 0},
    [ROLE_LINE_NUMBER] = {COLOR_WHITE, -1, A_DIM, A_DIM},
    [ROLE_DIFF_ADD] = {COLOR_GREEN, -1, 0, A_BOLD},
    [ROLE_DIFF_DEL] = {COLOR_RED, -1, 0, A_DIM},
    [ROLE_DIFF_HUNK] = {COLOR_CYAN, -1, 0, A_UNDERLINE},
    [ROLE_HEADING] = {-1, -1, A_BOLD, A_BOLD},
    [ROLE_TAB_ACTIVE] = {COLOR_BLACK, COLOR_CYAN, A_BOLD, A_REVERSE | A_BOLD},
    [ROLE_TAB] = {-1, -1, 0, 0},
    [ROLE_HINT_KEY] = {COLOR_BLACK, COLOR_CYAN, 0, A_REVERSE},
    [ROLE_HINT_LABEL] = {-1, -1, 0, 0},
    [ROLE_MSG_INFO] = {-1, -1, 0, 0},
    [ROLE_MSG_ERROR] = {COLOR_RED, -1, A_BOLD, A_BOLD},
    [ROLE_PROMPT] = {-1, -1, A_BOLD, A_BOLD},
};

static attr_t role_attrs[ROLE_COUNT];
static bool use_color;

void roles_init(bool color)
{
	use_color = color && has_colors();
	if (use_color) {
		start_color();
		use_default_colors();
	}
	for (int r = 0; r < ROLE_COUNT; r++) {
		const struct role_def *d = &role_defs[r];
		if (!use_color) {
			role_attrs[r] = d->mono;
			continue;
		}
		if (d->fg == -1 && d->bg == -1) {
			role_attrs[r] = d->color_attr;
			continue;
		}
		init_pair((short)(r + 1), d->fg, d->bg);
		role_attrs[r] = COLOR_PAIR(r + 1) | d->color_attr;
	}
}

attr_t role_attr(enum role r)
{
	return r < ROLE_COUNT ? role_attrs[r] : 0;
}

bool roles_color(void)
{
	return use_color;
}

static const struct glyphs glyphs_utf8 = {
    .ok = "✓",
    .pending = "●",
    .failed = "✗",
    .dirty = "⚠",
    .unreachable = "⊘",
    .loading = "…",
    .applied = "✓",
    .mpending = "·",
    .mfailed = "✗",
    .mdirty = "⚠",
    .rolled_back = "↶",
    .archived = "▪",
    .skipped = "↷",
    .missing = "?",
    .changed = "≠",
    .folded = "▸",
    .unfolded = "▾",
    .irreversible = "⊗",
    .baseline = "⊥",
    .ellipsis = "…",
    .more_left = "«",
    .more_right = "»",
};

static const struct glyphs glyphs_ascii = {
    .ok = "+",
    .pending = "*",
    .failed = "x",
    .dirty = "!",
    .unreachable = "#",
    .loading = ".",
    .applied = "+",
    .mpending = ".",
    .mfailed = "x",
    .mdirty = "!",
    .rolled_back = "<",
    .archived = "-",
    .skipped = "~",
    .missing = "?",
    .changed = "~",
    /* Not ">": that marks the selected row. A tree's + and - instead. */
    .folded = "+",
    .unfolded = "-",
    .irreversible = "I",
    .baseline = "B",
    .ellipsis = ".",
    .more_left = "<",
    .more_right = ">",
    .ascii = true,
};

const struct glyphs *glyph = &glyphs_ascii;

void glyphs_init(void)
{
	const char *cs = nl_langinfo(CODESET);
	glyph = cs && strcmp(cs, "UTF-8") == 0 ? &glyphs_utf8 : &glyphs_ascii;
}
