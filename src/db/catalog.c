/* catalog: the risk engine's and preflight's questions about existing
 * objects, answered over one session and cached. It owns the cache and the
 * catalog queries; the session stays the caller's. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "pgstep/catalog.h"
#include "pgstep/session.h"
#include "pgstep/xalloc.h"

/* What a cache entry answers. */
enum cat_kind {
	CAT_REL,    /* relation: oid, kind, size */
	CAT_COL,    /* column facts */
	CAT_DOMAIN, /* domain with a CHECK */
	CAT_INDEX,  /* an index's table */
	CAT_ENUM,   /* enum labels */
	CAT_PK,     /* primary key columns */
	CAT_CONDEF, /* constraint definition */
	CAT_CONREF, /* the table a foreign key references */
};

struct cat_entry {
	enum cat_kind kind;
	char *key;  /* the name(s) asked about */
	bool ok;    /* the question could be answered */
	bool found; /* the object exists */
	/* CAT_REL */
	uint32_t oid;
	char *resolved; /* "schema.name" it resolved to */
	struct risk_rel_facts rel;
	/* CAT_COL */
	struct risk_col_facts col;
	/* CAT_DOMAIN */
	bool flag;
	/* CAT_INDEX, CAT_CONDEF, CAT_CONREF */
	char *text;
	/* CAT_ENUM, CAT_PK */
	struct strvec list;
};

struct catalog {
	struct session *s;
	char *default_schema;
	struct risk_catalog view;
	/* Entries are allocated one by one: a lookup may add entries (a
	 * column's asks for its relation) while the caller holds another. */
	struct cat_entry **items;
	size_t n, cap;
	char *error;
};

/* ---- cache ------------------------------------------------------------------ */

static struct cat_entry *catalog_cached(struct catalog *c, enum cat_kind kind, const char *key)
{
	for (size_t i = 0; i < c->n; i++)
		if (c->items[i]->kind == kind && strcmp(c->items[i]->key, key) == 0)
			return c->items[i];
	return NULL;
}

static struct cat_entry *catalog_add(struct catalog *c, enum cat_kind kind, const char *key)
{
	XGROW(c->items, c->cap, c->n + 1);
	struct cat_entry *e = xcalloc(1, sizeof *e);
	c->items[c->n++] = e;
	e->kind = kind;
	e->key = xstrdup(key);
	e->rel.rows = e->rel.bytes = -1;
	strvec_init(&e->list);
	return e;
}

static void catalog_note_error(struct catalog *c, const struct pgstep_error *err)
{
	if (!c->error)
		c->error = xstrdup(err->msg ? err->msg : "catalog query failed");
}

/* Run a catalog query; NULL (and the error remembered) when it fails. */
static PGresult *catalog_query(struct catalog *c, const char *sql, int n, const char *const *params)
{
	struct pgstep_error err = {0};
	PGresult *res = session_query(c->s, sql, n, params, &err);
	if (!res)
		catalog_note_error(c, &err);
	error_clear(&err);
	return res;
}

/* ---- names ------------------------------------------------------------------ */

/* Split "schema.name": the schema is NULL when the name was unqualified in
 * the SQL (no dot, or the default schema), so that the server resolves it
 * through search_path. Splits at the first dot: schema names with dots
 * are rarer than such table names. */
static void catalog_split(const struct catalog *c, const char *rel, char **schema, char **name)
{
	const char *dot = strchr(rel, '.');
	*schema = NULL;
	if (!dot) {
		*name = xstrdup(rel);
		return;
	}
	*name = xstrdup(dot + 1);
	if ((size_t)(dot - rel) != strlen(c->default_schema) ||
	    strncmp(rel, c->default_schema, (size_t)(dot - rel)) != 0)
		*schema = xstrndup(rel, (size_t)(dot - rel));
}

/* The server-side expression naming $1 (schema, may be NULL) and $2. */
#define CAT_QUALIFIED                                                                              \
	"CASE WHEN $1::text IS NULL THEN quote_ident($2::text) "                                   \
	"ELSE quote_ident($1::text) || '.' || quote_ident($2::text) END"

/* ---- relations -------------------------------------------------------------- */

static const char rel_sql[] =
    "SELECT c.oid, c.relkind, n.nspname || '.' || c.relname, c.reltuples::float8, c.relpages "
    "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
    "WHERE c.oid = to_regclass(" CAT_QUALIFIED ")";

/* Sizes take an ACCESS SHARE lock on each relation (pg_relation_size opens
 * it); the caller's lock_timeout bounds the wait behind an ACCESS EXCLUSIVE.
 * Rows: reltuples per page times the pages there are now, as the planner
 * estimates; a heap with no pages holds no rows whatever the statistics say. */
static const char size_sql[] =
    "SELECT coalesce(sum(pg_total_relation_size(l.oid)), 0)::bigint, "
    "       CASE WHEN count(*) = 0 THEN 0 "
    "            WHEN bool_and(l.est IS NOT NULL) THEN round(sum(l.est)) END::bigint "
    "FROM (SELECT c.oid, CASE WHEN pg_relation_size(c.oid) = 0 THEN 0 "
    "                         WHEN c.reltuples >= 0 AND c.relpages > 0 "
    "                         THEN c.reltuples / c.relpages * "
    "                              (pg_relation_size(c.oid) / current_setting('block_size')::int) "
    "                    END AS est "
    "        FROM pg_class c "
    "       WHERE (c.oid = $1::oid AND c.relkind NOT IN ('p', 'I')) "
    "          OR c.oid IN (SELECT relid FROM pg_partition_tree($1::oid::regclass) "
    "                        WHERE isleaf)) l";

static bool lock_or_timeout(const struct pgstep_error *err)
{
	return strcmp(err->sqlstate, "55P03") == 0 || strcmp(err->sqlstate, "57014") == 0;
}

static struct cat_entry *catalog_rel_entry(struct catalog *c, const char *rel)
{
	struct cat_entry *e = catalog_cached(c, CAT_REL, rel);
	if (e)
		return e;
	e = catalog_add(c, CAT_REL, rel);
	char *schema, *name;
	catalog_split(c, rel, &schema, &name);
	const char *p[2] = {schema, name};
	PGresult *res = catalog_query(c, rel_sql, 2, p);
	free(schema);
	free(name);
	if (!res)
		return e;
	e->ok = true;
	if (PQntuples(res) == 1) {
		e->found = true;
		e->oid = (uint32_t)strtoul(PQgetvalue(res, 0, 0), NULL, 10);
		e->rel.exists = true;
		e->rel.relkind = PQgetvalue(res, 0, 1)[0];
		e->resolved = xstrdup(PQgetvalue(res, 0, 2));
		double tuples = strtod(PQgetvalue(res, 0, 3), NULL);
		e->rel.rows = tuples >= 0 ? (int64_t)tuples : -1;
	}
	PQclear(res);
	if (!e->found || e->rel.relkind == 'v' || e->rel.relkind == 'f' || e->rel.relkind == 'c') {
		e->rel.rows = -1;
		return e;
	}
	char oid[16];
	snprintf(oid, sizeof oid, "%u", e->oid);
	const char *q[1] = {oid};
	struct pgstep_error err = {0};
	res = session_query(c->s, size_sql, 1, q, &err);
	if (res) {
		e->rel.bytes = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
		e->rel.rows =
		    PQgetisnull(res, 0, 1) ? -1 : strtoll(PQgetvalue(res, 0, 1), NULL, 10);
		PQclear(res);
	} else if (!lock_or_timeout(&err)) {
		/* Locked out: the statistics' figure stays, the size is unknown. */
		catalog_note_error(c, &err);
	}
	error_clear(&err);
	return e;
}

bool catalog_relation(struct catalog *c, const char *rel, struct risk_rel_facts *out)
{
	const struct cat_entry *e = catalog_rel_entry(c, rel);
	*out = e->rel;
	return e->ok;
}

bool catalog_oid(struct catalog *c, const char *rel, uint32_t *oid)
{
	const struct cat_entry *e = catalog_rel_entry(c, rel);
	*oid = e->found ? e->oid : 0;
	return e->ok;
}

/* ---- columns ---------------------------------------------------------------- */

/* Dependents are what makes DROP COLUMN fail without CASCADE: normal
 * dependencies (views, foreign keys of other tables, functions). The
 * table's own indexes and constraints on the column are auto dependencies
 * and go with it. Nothing here locks the table. */
static const char col_sql[] =
    "SELECT format_type(a.atttypid, a.atttypmod), a.attnotnull, a.atthasdef, "
    "       (SELECT count(DISTINCT (d.classid, d.objid)) FROM pg_depend d "
    "         WHERE d.refclassid = 'pg_class'::regclass AND d.refobjid = a.attrelid "
    "           AND d.refobjsubid = a.attnum AND d.deptype = 'n'), a.attnum, "
    "       EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = a.attrelid "
    "                 AND i.indisvalid AND i.indkey[0] = a.attnum) "
    "FROM pg_attribute a "
    "WHERE a.attrelid = $1::oid AND a.attname = $2 AND a.attnum > 0 AND NOT a.attisdropped";

/* A validated CHECK (col IS NOT NULL). pg_get_constraintdef of a CHECK
 * opens the table (ACCESS SHARE), so it is asked separately, only of the
 * column's own single-column CHECKs (the CASE keeps it from running on any
 * other), and a lock timeout just leaves the answer "no". */
static const char notnull_check_sql[] =
    "SELECT EXISTS (SELECT 1 FROM pg_constraint k "
    "                WHERE k.conrelid = $1::oid AND k.contype = 'c' AND k.convalidated "
    "                  AND CASE WHEN k.conkey = ARRAY[$2::int2] "
    "                           THEN pg_get_constraintdef(k.oid) = "
    "                                'CHECK ((' || quote_ident($3) || ' IS NOT NULL))' "
    "                      END)";

static void catalog_column_query(struct catalog *c, uint32_t oid, const char *col,
                                 struct cat_entry *e)
{
	char o[16];
	snprintf(o, sizeof o, "%u", oid);
	const char *p[3] = {o, col, NULL};
	PGresult *res = catalog_query(c, col_sql, 2, p);
	if (!res)
		return;
	e->ok = true;
	char attnum[16] = "";
	if (PQntuples(res) == 1) {
		struct risk_col_facts *f = &e->col;
		f->exists = true;
		snprintf(f->type, sizeof f->type, "%s", PQgetvalue(res, 0, 0));
		f->not_null = PQgetvalue(res, 0, 1)[0] == 't';
		f->has_default = PQgetvalue(res, 0, 2)[0] == 't';
		f->n_dependents = atoi(PQgetvalue(res, 0, 3));
		snprintf(attnum, sizeof attnum, "%s", PQgetvalue(res, 0, 4));
		f->leading_index = PQgetvalue(res, 0, 5)[0] == 't';
	}
	PQclear(res);
	if (!attnum[0] || e->col.not_null)
		return;
	p[1] = attnum;
	p[2] = col;
	struct pgstep_error err = {0};
	res = session_query(c->s, notnull_check_sql, 3, p, &err);
	if (res) {
		e->col.has_valid_not_null_check = PQgetvalue(res, 0, 0)[0] == 't';
		PQclear(res);
	} else if (!lock_or_timeout(&err)) {
		catalog_note_error(c, &err);
	}
	error_clear(&err);
}

bool catalog_column(struct catalog *c, const char *rel, const char *col, struct risk_col_facts *out)
{
	memset(out, 0, sizeof *out);
	char *key = xasprintf("%s\x1f%s", rel, col);
	struct cat_entry *e = catalog_cached(c, CAT_COL, key);
	if (!e) {
		uint32_t oid = 0;
		bool asked = catalog_oid(c, rel, &oid);
		e = catalog_add(c, CAT_COL, key);
		if (asked && oid == 0)
			e->ok = true; /* no such table: no such column */
		else if (oid)
			catalog_column_query(c, oid, col, e);
	}
	free(key);
	*out = e->col;
	return e->ok;
}

/* ---- types ------------------------------------------------------------------ */

/* A domain over a domain inherits its base's CHECKs. */
static const char domain_sql[] =
    "WITH RECURSIVE d(oid) AS ("
    "  SELECT t.oid FROM pg_type t WHERE t.oid = to_regtype(" CAT_QUALIFIED ") "
    "                                AND t.typtype = 'd' "
    "  UNION SELECT t.typbasetype FROM d JOIN pg_type t ON t.oid = d.oid "
    "         WHERE t.typtype = 'd') "
    "SELECT EXISTS (SELECT 1 FROM pg_constraint k JOIN d ON k.contypid = d.oid "
    "                WHERE k.contype = 'c'), EXISTS (SELECT 1 FROM d)";

static bool catalog_domain_has_check(struct catalog *c, const char *type, bool *out)
{
	struct cat_entry *e = catalog_cached(c, CAT_DOMAIN, type);
	if (!e) {
		e = catalog_add(c, CAT_DOMAIN, type);
		char *schema, *name;
		catalog_split(c, type, &schema, &name);
		const char *p[2] = {schema, name};
		PGresult *res = catalog_query(c, domain_sql, 2, p);
		if (res) {
			e->ok = PQgetvalue(res, 0, 1)[0] == 't'; /* only domains are answered */
			e->flag = PQgetvalue(res, 0, 0)[0] == 't';
			PQclear(res);
		}
		free(schema);
		free(name);
	}
	*out = e->flag;
	return e->ok;
}

static const char enum_sql[] =
    "SELECT e.enumlabel FROM pg_enum e "
    "WHERE e.enumtypid = to_regtype(" CAT_QUALIFIED ") ORDER BY e.enumsortorder";

bool catalog_enum_labels(struct catalog *c, const char *type, struct strvec *out)
{
	struct cat_entry *e = catalog_cached(c, CAT_ENUM, type);
	if (!e) {
		e = catalog_add(c, CAT_ENUM, type);
		char *schema, *name;
		catalog_split(c, type, &schema, &name);
		const char *p[2] = {schema, name};
		PGresult *res = catalog_query(c, enum_sql, 2, p);
		if (res) {
			/* An enum has at least one label in practice; a type with
			 * none here is not an enum (or does not exist). */
			e->ok = e->found = PQntuples(res) > 0;
			for (int i = 0; i < PQntuples(res); i++)
				strvec_push(&e->list, PQgetvalue(res, i, 0));
			PQclear(res);
		}
		free(schema);
		free(name);
	}
	for (size_t i = 0; i < e->list.n; i++)
		strvec_push(out, e->list.items[i]);
	return e->ok;
}

/* ---- indexes and constraints ---------------------------------------------- */

static const char index_table_sql[] =
    "SELECT n.nspname || '.' || c.relname FROM pg_index i "
    "JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
    "WHERE i.indexrelid = $1::oid";

static bool catalog_index_table(struct catalog *c, const char *index, char **table_out)
{
	*table_out = NULL;
	struct cat_entry *e = catalog_cached(c, CAT_INDEX, index);
	if (!e) {
		uint32_t oid = 0;
		bool asked = catalog_oid(c, index, &oid);
		e = catalog_add(c, CAT_INDEX, index);
		if (asked && oid) {
			char o[16];
			snprintf(o, sizeof o, "%u", oid);
			const char *p[1] = {o};
			PGresult *res = catalog_query(c, index_table_sql, 1, p);
			if (res && PQntuples(res) == 1) {
				e->ok = e->found = true;
				e->text = xstrdup(PQgetvalue(res, 0, 0));
			}
			PQclear(res);
		}
	}
	if (e->found)
		*table_out = xstrdup(e->text);
	return e->found;
}

static const char conref_sql[] =
    "SELECT n.nspname || '.' || c.relname FROM pg_constraint k "
    "JOIN pg_class c ON c.oid = k.confrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
    "WHERE k.conrelid = $1::oid AND k.conname = $2 AND k.contype = 'f'";

/* The table foreign key name on rel references: VALIDATE takes ROW SHARE on
 * it, which the DBA's confirmation must show. */
static bool catalog_constraint_ref(struct catalog *c, const char *rel, const char *name,
                                   char **ref_out)
{
	*ref_out = NULL;
	char *key = xasprintf("%s\x1f%s", rel, name);
	struct cat_entry *e = catalog_cached(c, CAT_CONREF, key);
	if (!e) {
		uint32_t oid = 0;
		bool asked = catalog_oid(c, rel, &oid);
		e = catalog_add(c, CAT_CONREF, key);
		if (asked && oid) {
			char o[16];
			snprintf(o, sizeof o, "%u", oid);
			const char *p[2] = {o, name};
			PGresult *res = catalog_query(c, conref_sql, 2, p);
			if (res && PQntuples(res) == 1) {
				e->ok = e->found = true;
				e->text = xstrdup(PQgetvalue(res, 0, 0));
			}
			PQclear(res);
		}
	}
	free(key);
	if (e->found)
		*ref_out = xstrdup(e->text);
	return e->found;
}

static const char pk_sql[] =
    "SELECT a.attname FROM pg_constraint k "
    "CROSS JOIN LATERAL unnest(k.conkey) WITH ORDINALITY AS u(attnum, ord) "
    "JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = u.attnum "
    "WHERE k.conrelid = $1::oid AND k.contype = 'p' ORDER BY u.ord";

bool catalog_primary_key(struct catalog *c, const char *rel, struct strvec *out)
{
	struct cat_entry *e = catalog_cached(c, CAT_PK, rel);
	if (!e) {
		uint32_t oid = 0;
		bool asked = catalog_oid(c, rel, &oid);
		e = catalog_add(c, CAT_PK, rel);
		if (asked && oid) {
			char o[16];
			snprintf(o, sizeof o, "%u", oid);
			const char *p[1] = {o};
			PGresult *res = catalog_query(c, pk_sql, 1, p);
			if (res) {
				e->ok = e->found = PQntuples(res) > 0;
				for (int i = 0; i < PQntuples(res); i++)
					strvec_push(&e->list, PQgetvalue(res, i, 0));
				PQclear(res);
			}
		}
	}
	for (size_t i = 0; i < e->list.n; i++)
		strvec_push(out, e->list.items[i]);
	return e->ok;
}

static const char condef_sql[] = "SELECT pg_get_constraintdef(k.oid) FROM pg_constraint k "
                                 "WHERE k.conrelid = $1::oid AND k.conname = $2";

char *catalog_constraint_def(struct catalog *c, const char *rel, const char *name)
{
	char *key = xasprintf("%s\x1f%s", rel, name);
	struct cat_entry *e = catalog_cached(c, CAT_CONDEF, key);
	if (!e) {
		uint32_t oid = 0;
		bool asked = catalog_oid(c, rel, &oid);
		e = catalog_add(c, CAT_CONDEF, key);
		if (asked && oid) {
			char o[16];
			snprintf(o, sizeof o, "%u", oid);
			const char *p[2] = {o, name};
			/* pg_get_constraintdef of a CHECK opens the table: a lock
			 * timeout means "not known", not a failure. */
			struct pgstep_error err = {0};
			PGresult *res = session_query(c->s, condef_sql, 2, p, &err);
			if (res && PQntuples(res) == 1) {
				e->ok = e->found = true;
				e->text = xstrdup(PQgetvalue(res, 0, 0));
			} else if (!res && !lock_or_timeout(&err)) {
				catalog_note_error(c, &err);
			}
			PQclear(res);
			error_clear(&err);
		}
	}
	free(key);
	return e->found ? xstrdup(e->text) : NULL;
}

/* ---- the risk engine's callbacks ------------------------------------------- */

static bool cb_relation(void *ctx, const char *rel, struct risk_rel_facts *out)
{
	return catalog_relation(ctx, rel, out);
}

static bool cb_column(void *ctx, const char *rel, const char *col, struct risk_col_facts *out)
{
	return catalog_column(ctx, rel, col, out);
}

static bool cb_domain_has_check(void *ctx, const char *type, bool *out)
{
	return catalog_domain_has_check(ctx, type, out);
}

static bool cb_index_table(void *ctx, const char *index, char **table_out)
{
	return catalog_index_table(ctx, index, table_out);
}

static bool cb_constraint_ref(void *ctx, const char *rel, const char *name, char **ref_out)
{
	return catalog_constraint_ref(ctx, rel, name, ref_out);
}

struct catalog *catalog_new(struct session *s, const char *default_schema)
{
	struct catalog *c = xcalloc(1, sizeof *c);
	c->s = s;
	c->default_schema = xstrdup(default_schema ? default_schema : "public");
	c->view = (struct risk_catalog){
	    .ctx = c,
	    .relation = cb_relation,
	    .column = cb_column,
	    .domain_has_check = cb_domain_has_check,
	    .index_table = cb_index_table,
	    .constraint_ref = cb_constraint_ref,
	};
	return c;
}

const struct risk_catalog *catalog_risk(struct catalog *c)
{
	return &c->view;
}

const char *catalog_error(const struct catalog *c)
{
	return c->error;
}

void catalog_free(struct catalog **cp)
{
	if (!cp || !*cp)
		return;
	struct catalog *c = *cp;
	for (size_t i = 0; i < c->n; i++) {
		free(c->items[i]->key);
		free(c->items[i]->resolved);
		free(c->items[i]->text);
		strvec_clear(&c->items[i]->list);
		free(c->items[i]);
	}
	free(c->items);
	free(c->default_schema);
	free(c->error);
	free(c);
	*cp = NULL;
}

/* --- index validity ----------------------------------------------------- */

const char *index_validity_name(enum index_validity v)
{
	return v == INDEX_VALID ? "valid" : v == INDEX_INVALID ? "INVALID" : "absent";
}

bool catalog_index_validity(struct session *s, const struct rel_name *index,
                            const struct rel_name *table, enum index_validity *out,
                            struct pgstep_error *err)
{
	const char *params[] = {index->schema, index->name, table ? table->name : NULL,
	                        table ? table->schema : NULL};
	PGresult *res = session_query(
	    s,
	    "SELECT i.indisvalid FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid"
	    " WHERE CASE WHEN $3::text IS NOT NULL"
	    " THEN i.indrelid = to_regclass(CASE WHEN $4::text IS NULL THEN quote_ident($3)"
	    " ELSE quote_ident($4) || '.' || quote_ident($3) END) AND ic.relname = $2"
	    " ELSE i.indexrelid = to_regclass(CASE WHEN $1::text IS NULL THEN quote_ident($2)"
	    " ELSE quote_ident($1) || '.' || quote_ident($2) END) END",
	    4, params, err);
	if (!res)
		return false;
	*out = PQntuples(res) == 0                       ? INDEX_ABSENT
	       : strcmp(PQgetvalue(res, 0, 0), "t") == 0 ? INDEX_VALID
	                                                 : INDEX_INVALID;
	PQclear(res);
	return true;
}
