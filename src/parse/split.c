/* split: SQL text to statements with libpg_query, and the comment tokens the
 * migration reader needs for markers and directives.
 *
 * The statement boundaries are the RawStmt locations of PostgreSQL's own raw
 * parser, so dollar quotes, nested comments, quoted identifiers and
 * CREATE RULE bodies holding ';' all split the way the server would. We parse
 * the whole text once (pbtree_parse) rather than calling
 * pg_query_split_with_parser and then parsing each statement again: the
 * split function is a thin wrapper over the same raw parse and reports the
 * same locations, so one parse gives the boundaries and every tree at half the
 * cost. The scanner's tokens then trim each statement to its first and last
 * real token, so leading comments and blank lines never shift its line. */
#include "config.h"

#include <ctype.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <pg_query.h>
#include <pg_query/pg_query.pb-c.h>

#include "pgstep/arena.h"
#include "pgstep/pbtree.h"
#include "pgstep/split.h"
#include "pgstep/xalloc.h"

void statement_list_init(struct statement_list *l)
{
	l->items = NULL;
	l->n = l->cap = 0;
}

void statement_list_clear(struct statement_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->items[i].sql);
		free(l->items[i].kind);
	}
	free(l->items);
	statement_list_init(l);
}

/* What libpg_query was handed (sql_feed_stats). */
static _Atomic size_t longest_input, n_parses;

static void fed(const char *text)
{
	size_t n = strlen(text), seen = atomic_load_explicit(&longest_input, memory_order_relaxed);
	while (n > seen &&
	       !atomic_compare_exchange_weak_explicit(&longest_input, &seen, n,
	                                              memory_order_relaxed, memory_order_relaxed))
		;
}

void sql_feed_stats(struct sql_feed_stats *out, bool reset)
{
	out->longest = reset ? atomic_exchange(&longest_input, 0) : atomic_load(&longest_input);
	out->parses = reset ? atomic_exchange(&n_parses, 0) : atomic_load(&n_parses);
}

/* libpg_query reports an error position as a 1-based character (not byte)
 * offset in its input; convert it to a byte offset within text. */
static size_t char_pos_to_byte(const char *text, int cursorpos)
{
	size_t i = 0;
	int chars = 0;
	while (text[i] && chars < cursorpos - 1) {
		i++;
		while (((unsigned char)text[i] & 0xC0) == 0x80)
			i++;
		chars++;
	}
	return i;
}

static void set_parse_error(struct pgstep_error *err, const char *text, struct text_pos base,
                            const char *message, int cursorpos)
{
	if (cursorpos <= 0) {
		/* A few grammar checks carry no position: name the text's first line. */
		error_set(err, PGSTEP_EXIT_USAGE, "line %d: %s", base.line, message);
		return;
	}
	struct text_pos p = {0, base.line, base.col};
	text_pos_advance(text, &p, char_pos_to_byte(text, cursorpos));
	error_set(err, PGSTEP_EXIT_USAGE, "line %d, column %d: %s", p.line, p.col, message);
}

static bool token_is_comment(const PgQuery__ScanToken *t)
{
	return t->token == PG_QUERY__TOKEN__SQL_COMMENT || t->token == PG_QUERY__TOKEN__C_COMMENT;
}

bool sql_scan(const char *text, PgQuery__ScanResult **out, struct pgstep_error *err)
{
	fed(text);
	PgQueryScanResult r = pg_query_scan(text);
	if (r.error) {
		set_parse_error(err, text, TEXT_POS_START, r.error->message, r.error->cursorpos);
		pg_query_free_scan_result(r);
		return false;
	}
	*out = pg_query__scan_result__unpack(NULL, r.pbuf.len, (const uint8_t *)r.pbuf.data);
	pg_query_free_scan_result(r);
	if (!*out) {
		error_set(err, PGSTEP_EXIT_USAGE, "cannot decode the SQL scanner's output");
		return false;
	}
	return true;
}

/* ---- classification ----------------------------------------------------- */

/* The value of a boolean option as PostgreSQL's defGetBoolean reads it: no
 * argument means true; numbers, strings and bare words (parsed as type
 * names, e.g. "off") are accepted. */
static bool defelem_bool(const PgQuery__DefElem *d)
{
	const PgQuery__Node *a = d->arg;
	if (!a)
		return true;
	const char *word = NULL;
	switch (a->node_case) {
	case PG_QUERY__NODE__NODE_INTEGER: return a->integer->ival != 0;
	case PG_QUERY__NODE__NODE_BOOLEAN: return a->boolean->boolval;
	case PG_QUERY__NODE__NODE_STRING: word = a->string->sval; break;
	case PG_QUERY__NODE__NODE_A_CONST:
		if (a->a_const->val_case == PG_QUERY__A__CONST__VAL_IVAL)
			return a->a_const->ival->ival != 0;
		if (a->a_const->val_case == PG_QUERY__A__CONST__VAL_BOOLVAL)
			return a->a_const->boolval->boolval;
		if (a->a_const->val_case == PG_QUERY__A__CONST__VAL_SVAL)
			word = a->a_const->sval->sval;
		break;
	case PG_QUERY__NODE__NODE_TYPE_NAME: {
		const PgQuery__TypeName *tn = a->type_name;
		if (tn->n_names > 0 &&
		    tn->names[tn->n_names - 1]->node_case == PG_QUERY__NODE__NODE_STRING)
			word = tn->names[tn->n_names - 1]->string->sval;
		break;
	}
	default: break;
	}
	if (!word)
		return true;
	return !(strcasecmp(word, "false") == 0 || strcasecmp(word, "off") == 0 ||
	         strcasecmp(word, "no") == 0 || strcmp(word, "0") == 0 ||
	         strcasecmp(word, "f") == 0 || strcasecmp(word, "n") == 0);
}

/* Look for option name in a DefElem list: 1 true, 0 false, -1 absent. */
static int option_bool(PgQuery__Node **opts, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++) {
		if (opts[i]->node_case != PG_QUERY__NODE__NODE_DEF_ELEM)
			continue;
		const PgQuery__DefElem *d = opts[i]->def_elem;
		if (d->defname && strcmp(d->defname, name) == 0)
			return defelem_bool(d);
	}
	return -1;
}

static bool option_present(PgQuery__Node **opts, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++) {
		if (opts[i]->node_case == PG_QUERY__NODE__NODE_DEF_ELEM &&
		    opts[i]->def_elem->defname && strcmp(opts[i]->def_elem->defname, name) == 0)
			return true;
	}
	return false;
}

static enum stmt_txn classify_transaction(const PgQuery__TransactionStmt *t)
{
	switch (t->kind) {
	case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_BEGIN:
	case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_START: return STMT_TXN_BEGIN;
	case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_COMMIT: return STMT_TXN_COMMIT;
	case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_ROLLBACK: return STMT_TXN_ROLLBACK;
	case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_COMMIT_PREPARED:
	case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_ROLLBACK_PREPARED:
		return STMT_TXN_FORBIDDEN;
	default:
		/* SAVEPOINT, RELEASE, ROLLBACK TO stay inside the transaction. */
		return STMT_TXN_NORMAL;
	}
}

static bool alter_table_detach_concurrently(const PgQuery__AlterTableStmt *a)
{
	for (size_t i = 0; i < a->n_cmds; i++) {
		if (a->cmds[i]->node_case != PG_QUERY__NODE__NODE_ALTER_TABLE_CMD)
			continue;
		const PgQuery__AlterTableCmd *c = a->cmds[i]->alter_table_cmd;
		if (c->subtype == PG_QUERY__ALTER_TABLE_TYPE__AT_DetachPartition && c->def &&
		    c->def->node_case == PG_QUERY__NODE__NODE_PARTITION_CMD &&
		    c->def->partition_cmd->concurrent)
			return true;
	}
	return false;
}

static bool alter_subscription_forbidden(const PgQuery__AlterSubscriptionStmt *s)
{
	switch (s->kind) {
	case PG_QUERY__ALTER_SUBSCRIPTION_TYPE__ALTER_SUBSCRIPTION_REFRESH: return true;
	case PG_QUERY__ALTER_SUBSCRIPTION_TYPE__ALTER_SUBSCRIPTION_SET_PUBLICATION:
	case PG_QUERY__ALTER_SUBSCRIPTION_TYPE__ALTER_SUBSCRIPTION_ADD_PUBLICATION:
	case PG_QUERY__ALTER_SUBSCRIPTION_TYPE__ALTER_SUBSCRIPTION_DROP_PUBLICATION:
		/* refresh defaults to true, and refreshing refuses a transaction */
		return option_bool(s->options, s->n_options, "refresh") != 0;
	default: return false;
	}
}

/* The statements PostgreSQL 15 rejects with "cannot run inside a transaction
 * block" (PreventInTransactionBlock), decided from the parse tree alone.
 * Where the tree cannot tell (DROP SUBSCRIPTION: only a subscription with a
 * slot is refused) we answer forbidden, because running a statement outside a
 * transaction is always possible while the opposite fails. */
static enum stmt_txn classify(const PgQuery__Node *n)
{
	switch (n->node_case) {
	case PG_QUERY__NODE__NODE_TRANSACTION_STMT:
		return classify_transaction(n->transaction_stmt);
	case PG_QUERY__NODE__NODE_INDEX_STMT:
		return n->index_stmt->concurrent ? STMT_TXN_FORBIDDEN : STMT_TXN_NORMAL;
	case PG_QUERY__NODE__NODE_REINDEX_STMT: {
		const PgQuery__ReindexStmt *r = n->reindex_stmt;
		bool many = r->kind == PG_QUERY__REINDEX_OBJECT_TYPE__REINDEX_OBJECT_SCHEMA ||
		            r->kind == PG_QUERY__REINDEX_OBJECT_TYPE__REINDEX_OBJECT_SYSTEM ||
		            r->kind == PG_QUERY__REINDEX_OBJECT_TYPE__REINDEX_OBJECT_DATABASE;
		bool conc = option_bool(r->params, r->n_params, "concurrently") == 1;
		return many || conc ? STMT_TXN_FORBIDDEN : STMT_TXN_NORMAL;
	}
	case PG_QUERY__NODE__NODE_DROP_STMT:
		return n->drop_stmt->concurrent ? STMT_TXN_FORBIDDEN : STMT_TXN_NORMAL;
	case PG_QUERY__NODE__NODE_ALTER_TABLE_STMT:
		return alter_table_detach_concurrently(n->alter_table_stmt) ? STMT_TXN_FORBIDDEN
		                                                            : STMT_TXN_NORMAL;
	case PG_QUERY__NODE__NODE_VACUUM_STMT:
		/* ANALYZE alone may run in a transaction; VACUUM may not */
		return n->vacuum_stmt->is_vacuumcmd ? STMT_TXN_FORBIDDEN : STMT_TXN_NORMAL;
	case PG_QUERY__NODE__NODE_CLUSTER_STMT:
		/* CLUSTER without a table walks every clustered table in its own
		 * transactions */
		return n->cluster_stmt->relation ? STMT_TXN_NORMAL : STMT_TXN_FORBIDDEN;
	case PG_QUERY__NODE__NODE_ALTER_DATABASE_STMT:
		return option_present(n->alter_database_stmt->options,
		                      n->alter_database_stmt->n_options, "tablespace")
		           ? STMT_TXN_FORBIDDEN
		           : STMT_TXN_NORMAL;
	case PG_QUERY__NODE__NODE_DISCARD_STMT:
		return n->discard_stmt->target == PG_QUERY__DISCARD_MODE__DISCARD_ALL
		           ? STMT_TXN_FORBIDDEN
		           : STMT_TXN_NORMAL;
	case PG_QUERY__NODE__NODE_CREATE_SUBSCRIPTION_STMT: {
		const PgQuery__CreateSubscriptionStmt *s = n->create_subscription_stmt;
		/* create_slot defaults to true, or to false with connect = false */
		int slot = option_bool(s->options, s->n_options, "create_slot");
		if (slot < 0)
			slot = option_bool(s->options, s->n_options, "connect") != 0;
		return slot ? STMT_TXN_FORBIDDEN : STMT_TXN_NORMAL;
	}
	case PG_QUERY__NODE__NODE_ALTER_SUBSCRIPTION_STMT:
		return alter_subscription_forbidden(n->alter_subscription_stmt) ? STMT_TXN_FORBIDDEN
		                                                                : STMT_TXN_NORMAL;
	case PG_QUERY__NODE__NODE_DROP_SUBSCRIPTION_STMT:
	case PG_QUERY__NODE__NODE_ALTER_SYSTEM_STMT:
	case PG_QUERY__NODE__NODE_CREATEDB_STMT:
	case PG_QUERY__NODE__NODE_DROPDB_STMT:
	case PG_QUERY__NODE__NODE_CREATE_TABLE_SPACE_STMT:
	case PG_QUERY__NODE__NODE_DROP_TABLE_SPACE_STMT: return STMT_TXN_FORBIDDEN;
	default: return STMT_TXN_NORMAL;
	}
}

/* The parse-tree node name ("AlterTableStmt"): the message type of the
 * Node oneof member that is set, so no table of names can drift. */
static const char *node_kind(const PgQuery__Node *n)
{
	const ProtobufCFieldDescriptor *f =
	    protobuf_c_message_descriptor_get_field(&pg_query__node__descriptor, n->node_case);
	if (!f || !f->descriptor)
		return "Unknown";
	return ((const ProtobufCMessageDescriptor *)f->descriptor)->short_name;
}

/* ---- splitting ---------------------------------------------------------- */

/* ---- nesting depth ----------------------------------------------------- */

/* An upper bound of the parse tree's depth from the tokens alone, so that a
 * statement too deep for the recursive code after the parser is refused
 * before any of it runs. Parentheses, brackets and CASE ... END open a level;
 * within a level every operator may add one (a chain "1+1+...+1" is a tree
 * as deep as it is long); a comma, AND or OR starts a new list element
 * (PostgreSQL keeps AND and OR chains as flat lists). */
struct depth_level {
	int base, ops;
	bool is_case;
};

static bool token_is_operator(int t)
{
	switch (t) {
	case '+':
	case '-':
	case '*':
	case '/':
	case '%':
	case '^':
	case '<':
	case '>':
	case '=':
	case PG_QUERY__TOKEN__Op:
	case PG_QUERY__TOKEN__TYPECAST:
	case PG_QUERY__TOKEN__LESS_EQUALS:
	case PG_QUERY__TOKEN__GREATER_EQUALS:
	case PG_QUERY__TOKEN__NOT_EQUALS:
	case PG_QUERY__TOKEN__NOT:
	case PG_QUERY__TOKEN__IS:
	case PG_QUERY__TOKEN__COLLATE:
	case PG_QUERY__TOKEN__AT: return true;
	default: return false;
	}
}

/* Index of the first token deeper than SQL_MAX_DEPTH, or n. */
static size_t too_deep_token(const PgQuery__ScanResult *scan)
{
	struct depth_level *lv = xmalloc(sizeof *lv);
	size_t n_lv = 1, cap = 1, i;
	lv[0] = (struct depth_level){0, 0, false};
	for (i = 0; i < scan->n_tokens; i++) {
		int t = scan->tokens[i]->token;
		struct depth_level *top = &lv[n_lv - 1];
		if (t == '(' || t == '[' || t == PG_QUERY__TOKEN__CASE) {
			int base = top->base + top->ops + 1;
			XGROW(lv, cap, n_lv + 1);
			lv[n_lv++] = (struct depth_level){base, 0, t == PG_QUERY__TOKEN__CASE};
		} else if (t == ')' || t == ']') {
			if (n_lv > 1 && !top->is_case)
				n_lv--;
		} else if (t == PG_QUERY__TOKEN__END_P) {
			if (n_lv > 1 && top->is_case)
				n_lv--;
		} else if (t == ';') {
			n_lv = 1;
			lv[0].ops = 0;
		} else if (t == ',' || t == PG_QUERY__TOKEN__AND || t == PG_QUERY__TOKEN__OR) {
			top->ops = 0;
		} else if (token_is_operator(t)) {
			top->ops++;
		}
		top = &lv[n_lv - 1];
		if (top->base + top->ops > SQL_MAX_DEPTH)
			break;
	}
	free(lv);
	return i;
}

static bool depth_ok(const char *text, struct text_pos base, const PgQuery__ScanResult *scan,
                     struct pgstep_error *err)
{
	size_t i = too_deep_token(scan);
	if (i == scan->n_tokens)
		return true;
	struct text_pos p = {0, base.line, base.col};
	text_pos_advance(text, &p, (size_t)scan->tokens[i]->start);
	error_set(err, PGSTEP_EXIT_USAGE,
	          "line %d, column %d: statement too deeply nested (more than %d levels of "
	          "parentheses and operators)",
	          p.line, p.col, SQL_MAX_DEPTH);
	return false;
}

bool sql_depth_check(const char *text, struct text_pos base, struct pgstep_error *err)
{
	PgQuery__ScanResult *scan;
	if (!sql_scan(text, &scan, err))
		return true; /* the parser reports the scanner's error itself */
	bool ok = depth_ok(text, base, scan, err);
	pg_query__scan_result__free_unpacked(scan, NULL);
	return ok;
}

/* ---- splitting ---------------------------------------------------------- */

/* A cheap bound of depth_ok's measure from the bytes alone: every level
 * needs an operator character, a bracket or one of the keywords below, so
 * a text with fewer of them than SQL_MAX_DEPTH cannot be too deep and is
 * not scanned for it. Quotes and comments are not told apart: that only
 * counts more. */
static bool surely_shallow(const char *text, size_t len)
{
	static const char *const words[] = {"not", "is", "case", "at", "collate"};
	/* one step for the bytes that can open a level or be an operator, one
	 * for a letter starting a word */
	static const char *const ops = "([+-*/%^<>=~!@#&|`?:";
	if (len <= SQL_MAX_DEPTH)
		return true; /* each level takes a byte at least */
	unsigned char kind[256] = {0};
	for (const char *o = ops; *o; o++)
		kind[(unsigned char)*o] = 1;
	size_t n = 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)text[i];
		if (kind[ch]) {
			n++;
		} else if (isalpha(ch) && (i == 0 || !isalnum((unsigned char)text[i - 1]))) {
			size_t w = i;
			while (w < len && (isalnum((unsigned char)text[w]) || text[w] == '_'))
				w++;
			if (w - i <= 7)
				for (size_t k = 0; k < sizeof words / sizeof words[0]; k++)
					if (w - i == strlen(words[k]) &&
					    strncasecmp(text + i, words[k], w - i) == 0)
						n++;
			i = w - 1;
		}
		if (n > SQL_MAX_DEPTH)
			return false;
	}
	return true;
}

/* The depth check, statement by statement: libpg_query's scanner-based
 * split finds where statements begin (strings and comments are its own),
 * and only a statement whose bytes may be too deep is scanned for tokens. A
 * ';' that ends a statement is never inside an expression, so no chain is
 * counted in two halves. */
static bool depth_check_statements(const char *text, struct text_pos base, struct pgstep_error *err)
{
	fed(text);
	PgQuerySplitResult sr = pg_query_split_with_scanner(text);
	if (sr.error) {
		pg_query_free_split_result(sr);
		return sql_depth_check(text, base, err);
	}
	size_t len = strlen(text);
	bool ok = true;
	struct text_pos pos = {0, base.line, base.col};
	for (int i = 0; ok && i < sr.n_stmts; i++) {
		size_t start = (size_t)sr.stmts[i]->stmt_location;
		size_t end = sr.stmts[i]->stmt_len ? start + (size_t)sr.stmts[i]->stmt_len : len;
		if (end > len)
			end = len;
		if (surely_shallow(text + start, end - start))
			continue;
		text_pos_advance(text, &pos, start);
		char *piece = xstrndup(text + start, end - start);
		ok = sql_depth_check(
		    piece, (struct text_pos){base.offset + start, pos.line, pos.col}, err);
		free(piece);
	}
	pg_query_free_split_result(sr);
	return ok;
}

/* First and last real token of the statement in text[start, end): after
 * the blanks and comments before it, before those after it. The parser
 * gives a statement from the end of the one before (comments included);
 * when a comment may begin or end the stretch, the scanner says where the
 * tokens are. */
static void trim_statement(const char *text, size_t start, size_t end, size_t *first, size_t *last)
{
	size_t f = start, l = end;
	while (f < l && isspace((unsigned char)text[f]))
		f++;
	while (l > f && isspace((unsigned char)text[l - 1]))
		l--;
	bool comment = l - f >= 2 && ((text[f] == '-' && text[f + 1] == '-') ||
	                              (text[f] == '/' && text[f + 1] == '*') ||
	                              (text[l - 2] == '*' && text[l - 1] == '/'));
	size_t line = l;
	while (line > f && text[line - 1] != '\n' && text[line - 1] != '\r')
		line--;
	for (size_t i = line; i + 1 < l && !comment; i++)
		comment = text[i] == '-' && text[i + 1] == '-';
	if (comment) {
		char *piece = xstrndup(text + f, l - f);
		PgQuery__ScanResult *scan;
		struct pgstep_error err = {0};
		if (sql_scan(piece, &scan, &err)) {
			size_t i = 0, k = scan->n_tokens;
			while (i < k && token_is_comment(scan->tokens[i]))
				i++;
			while (k > i && token_is_comment(scan->tokens[k - 1]))
				k--;
			if (i < k) {
				l = f + (size_t)scan->tokens[k - 1]->end;
				f += (size_t)scan->tokens[i]->start;
			}
			pg_query__scan_result__free_unpacked(scan, NULL);
		}
		error_clear(&err);
		free(piece);
	}
	*first = f;
	*last = l;
}

/* Parse text (one chunk) into out; with keep, the tree stays in that arena
 * and *tree_out points at it. */
static bool split_text(const char *text, struct text_pos base, struct statement_list *out,
                       struct arena *keep, PgQuery__ParseResult **tree_out,
                       struct pgstep_error *err, size_t *err_at, bool depth_checked)
{
	if (err_at)
		*err_at = SIZE_MAX; /* not a parse error */
	size_t text_len = strlen(text);
	/* The tree's depth is bounded before the parser and its recursive
	 * output run. */
	if (!depth_checked && !surely_shallow(text, text_len) &&
	    !depth_check_statements(text, base, err))
		return false;

	fed(text);
	atomic_fetch_add_explicit(&n_parses, 1, memory_order_relaxed);
	struct arena local;
	struct arena *arena = keep ? keep : &local;
	if (!keep)
		arena_init(&local);
	struct pbtree_error pe = {0};
	PgQuery__ParseResult *tree = pbtree_parse(arena, text, &pe);
	if (!tree) {
		if (!keep)
			arena_release(&local);
		if (pe.cursorpos < 0) { /* not a parse error */
			error_set(err, PGSTEP_EXIT_USAGE, "%s", pe.message);
		} else {
			set_parse_error(err, text, base, pe.message, pe.cursorpos);
			if (err_at)
				*err_at =
				    pe.cursorpos > 0 ? char_pos_to_byte(text, pe.cursorpos) : 0;
		}
		free(pe.message);
		return false;
	}

	struct text_pos pos = {0, base.line, base.col};
	for (size_t i = 0; i < tree->n_stmts; i++) {
		const PgQuery__RawStmt *rs = tree->stmts[i];
		size_t start = (size_t)rs->stmt_location;
		/* stmt_len 0 means "to the end of the text" */
		size_t end = rs->stmt_len ? start + (size_t)rs->stmt_len : text_len;
		if (end > text_len)
			end = text_len;
		size_t first, last;
		trim_statement(text, start, end, &first, &last);
		text_pos_advance(text, &pos, first);

		XGROW(out->items, out->cap, out->n + 1);
		struct statement *s = &out->items[out->n++];
		s->sql = xstrndup(text + first, last - first);
		s->offset = base.offset + first;
		s->line = pos.line;
		s->col = pos.col;
		s->txn = classify(rs->stmt);
		s->kind = xstrdup(node_kind(rs->stmt));
	}
	if (tree_out)
		*tree_out = tree;
	if (!keep)
		arena_release(&local);
	return true;
}

/* ---- big texts, a chunk at a time ---------------------------------------- */

/* A big text is scanned and parsed a chunk of about SQL_CHUNK_BYTES at a
 * time, so memory holds one chunk's tokens and trees, never the whole
 * text's. A chunk ends where libpg_query's scanner-based splitter sees a
 * statement begin, found in a window of the text after the chunk's start:
 * the window may end inside a token, but tokens before its last ';' are
 * the text's own (a string, quoted name, dollar quote or block comment cut
 * by the window's end is unterminated: the scanner says where it starts,
 * and the window is cut again before it). A statement longer than the
 * window doubles it, so a chunk holds at least one whole statement. */

/* The start of the last statement in text[0, w) after the first, or 0. */
static size_t last_cut_in(const char *text, size_t w)
{
	char *win = xstrndup(text, w);
	size_t cut = 0;
	for (;;) {
		fed(win);
		PgQuerySplitResult sr = pg_query_split_with_scanner(win);
		if (!sr.error) {
			if (sr.n_stmts > 1)
				cut = (size_t)sr.stmts[sr.n_stmts - 1]->stmt_location;
			pg_query_free_split_result(sr);
			break;
		}
		size_t at =
		    sr.error->cursorpos > 0 ? char_pos_to_byte(win, sr.error->cursorpos) : 0;
		pg_query_free_split_result(sr);
		if (at == 0 || at >= strlen(win))
			break;
		win[at] = '\0'; /* what the window's end cut, or a real error: before it */
	}
	free(win);
	return cut;
}

/* The end of the chunk that starts at cs. */
static size_t chunk_end(const char *text, size_t len, size_t cs)
{
	for (size_t w = SQL_CHUNK_BYTES; len - cs > w; w *= 2) {
		size_t cut = last_cut_in(text + cs, w);
		if (cut)
			return cs + cut;
	}
	return len;
}

bool sql_scan_each(const char *text, sql_token_fn fn, void *arg, struct pgstep_error *err)
{
	size_t len = strlen(text), cs = 0;
	struct text_pos pos = TEXT_POS_START;
	bool ok = true;
	do {
		size_t ce = chunk_end(text, len, cs);
		char *own = cs || ce < len ? xstrndup(text + cs, ce - cs) : NULL;
		const char *chunk = own ? own : text;
		fed(chunk);
		PgQueryScanResult r = pg_query_scan(chunk);
		if (r.error) {
			text_pos_advance(text, &pos, cs);
			set_parse_error(err, chunk, (struct text_pos){cs, pos.line, pos.col},
			                r.error->message, r.error->cursorpos);
			ok = false;
		}
		PgQuery__ScanResult *sc = ok ? pg_query__scan_result__unpack(
		                                   NULL, r.pbuf.len, (const uint8_t *)r.pbuf.data)
		                             : NULL;
		pg_query_free_scan_result(r);
		free(own);
		if (ok && !sc) {
			error_set(err, PGSTEP_EXIT_USAGE, "cannot decode the SQL scanner's output");
			ok = false;
		}
		for (size_t i = 0; ok && i < sc->n_tokens; i++) {
			const PgQuery__ScanToken *t = sc->tokens[i];
			ok = fn(t->token, cs + (size_t)t->start, cs + (size_t)t->end, arg);
		}
		if (sc)
			pg_query__scan_result__free_unpacked(sc, NULL);
		cs = ce;
	} while (ok && cs < len);
	return ok;
}

/* Where the scanner's split is wrong (a BEGIN ATOMIC body holding ';'), a
 * chunk ends inside a statement and its parse fails in its last statement:
 * the chunk then grows by the next chunk and is parsed again, unless the
 * error stays put. */
static bool split_chunks(const char *text, struct text_pos base, sql_stmt_fn fn, void *arg,
                         struct pgstep_error *err)
{
	size_t len = strlen(text), cs = 0, prev_err = SIZE_MAX;
	struct text_pos pos = {0, base.line, base.col};
	bool ok = true;
	do {
		size_t ce = chunk_end(text, len, cs);
		text_pos_advance(text, &pos, cs);
		struct text_pos at = {base.offset + cs, pos.line, cs ? pos.col : base.col};
		for (;;) {
			char *chunk = xstrndup(text + cs, ce - cs);
			struct statement_list l;
			statement_list_init(&l);
			struct arena arena;
			arena_init(&arena);
			PgQuery__ParseResult *tree = NULL;
			struct pgstep_error e = {0};
			size_t err_at;
			bool parsed = split_text(chunk, at, &l, &arena, &tree, &e, &err_at, false);
			if (!parsed && ce < len && err_at != SIZE_MAX && cs + err_at != prev_err &&
			    err_at >= last_cut_in(chunk, ce - cs)) {
				prev_err = cs + err_at;
				error_clear(&e);
				free(chunk);
				statement_list_clear(&l);
				arena_release(&arena);
				ce = chunk_end(text, len, ce);
				continue;
			}
			free(chunk);
			if (!parsed) {
				*err = e;
				ok = false;
			}
			for (size_t i = 0; ok && i < l.n; i++)
				ok = fn(&l.items[i], tree->stmts[i], arg);
			statement_list_clear(&l);
			arena_release(&arena);
			break;
		}
		cs = ce;
	} while (ok && cs < len);
	return ok;
}

bool sql_split_around_errors(const char *text, struct text_pos base, struct statement_list *list,
                             struct arena *arena, const PgQuery__Node ***nodes, size_t *n_nodes,
                             sql_error_fn on_error, void *arg)
{
	fed(text);
	PgQuerySplitResult sr = pg_query_split_with_scanner(text);
	if (sr.error) {
		pg_query_free_split_result(sr);
		return false;
	}
	size_t len = strlen(text), cap = 0;
	struct text_pos pos = {0, base.line, base.col};
	for (int i = 0; i < sr.n_stmts;) {
		size_t start = (size_t)sr.stmts[i]->stmt_location;
		text_pos_advance(text, &pos, start);
		struct text_pos at = {base.offset + start, pos.line, pos.col};
		char *first_error = NULL;
		bool ok = false;
		int j = i;
		for (;;) {
			size_t end = sr.stmts[j]->stmt_len ? (size_t)sr.stmts[j]->stmt_location +
			                                         (size_t)sr.stmts[j]->stmt_len
			                                   : len;
			char *piece = xstrndup(text + start, (end < len ? end : len) - start);
			PgQuery__ParseResult *tree = NULL;
			struct pgstep_error err = {0};
			ok = sql_split_tree(piece, at, list, arena, &tree, &err);
			free(piece);
			if (ok) {
				XGROW(*nodes, cap, *n_nodes + tree->n_stmts + 1);
				for (size_t k = 0; k < tree->n_stmts; k++)
					(*nodes)[(*n_nodes)++] = tree->stmts[k]->stmt;
				break;
			}
			bool at_end = err.msg && strstr(err.msg, "at end of input");
			if (!first_error)
				first_error = xstrdup(err.msg ? err.msg : "syntax error");
			error_clear(&err);
			if (!at_end || j + 1 >= sr.n_stmts || j - i >= 16)
				break;
			j++;
		}
		if (!ok) {
			on_error(first_error, arg);
			j = i;
		}
		free(first_error);
		i = j + 1;
	}
	pg_query_free_split_result(sr);
	return true;
}

bool sql_split_each(const char *text, struct text_pos base, sql_stmt_fn fn, void *arg,
                    struct pgstep_error *err)
{
	return split_chunks(text, base, fn, arg, err);
}

static bool collect(struct statement *s, const PgQuery__RawStmt *raw, void *arg)
{
	(void)raw;
	struct statement_list *out = arg;
	XGROW(out->items, out->cap, out->n + 1);
	out->items[out->n++] = *s; /* moved */
	s->sql = s->kind = NULL;
	return true;
}

bool sql_split(const char *text, struct text_pos base, struct statement_list *out,
               struct pgstep_error *err)
{
	if (strlen(text) <= SQL_CHUNK_BYTES)
		return split_text(text, base, out, NULL, NULL, err, NULL, false);
	size_t n0 = out->n;
	if (split_chunks(text, base, collect, out, err))
		return true;
	while (out->n > n0) { /* nothing appended on error */
		out->n--;
		free(out->items[out->n].sql);
		free(out->items[out->n].kind);
	}
	return false;
}

bool sql_split_tree(const char *text, struct text_pos base, struct statement_list *out,
                    struct arena *arena, struct PgQuery__ParseResult **tree,
                    struct pgstep_error *err)
{
	return split_text(text, base, out, arena, tree, err, NULL, false);
}
