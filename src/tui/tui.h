/* tui: the interactive interface, as the command line sees it. Nothing here
 * needs curses: cli/ calls tui_run and gets an exit code. */
#ifndef PGSTEP_TUI_H
#define PGSTEP_TUI_H

#include <stdbool.h>
#include <stdio.h>

struct tui_options {
	const char *config_path; /* NULL: ./pgstep.conf */
	bool color;              /* false under NO_COLOR or --no-color */
	const char *title;       /* shown in the title bar ("demo"); may be NULL */
	/* What quitting also does, said in a quit dialog that q then always
	 * opens (the demo: its cluster is deleted); NULL: q quits at once when
	 * no migration is open. */
	const char *quit_note;
};

/* Open the project and run the interface until the user quits. Returns an
 * exit code (enum pgstep_exit); errors before the screen opens are printed
 * to stderr. */
int tui_run(const struct tui_options *o);
/* The key table of actions.def as roff, for the man page's INTERFACE
 * section (`pgstep --keys-roff`; tests compare it with doc/pgstep.1). */
void tui_keys_roff(FILE *f);

#endif
