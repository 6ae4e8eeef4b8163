/* snapshot_read: the catalog queries behind a schema snapshot (see
 * snapshot_read.h), one per object kind, sent as one message.
 *
 * Every query returns the same first six columns (kind, schema, name,
 * parent, position, definition); the columns after them are the object's
 * attributes, named by their column alias ("NOT NULL", "default", ...), a
 * NULL value meaning "absent". So a kind gains an attribute by gaining a
 * column, and the reader below needs no per-kind code. Flags are NULL or
 * 't' (NULLIF(x, false)), so "NOT NULL added" reads naturally.
 *
 * {NS} stands for the scope's condition on the namespace alias n, {EXT}
 * for which extensions are in scope (pg_namespace n joined too), and
 * {PRIV OWNER ACL} for the owner and privileges columns when that layer is
 * switched on ("-": the kind has none), nothing when it is off. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pgstep/session.h"
#include "pgstep/snapshot_read.h"
#include "pgstep/strbuf.h"
#include "pgstep/tenant.h"
#include "pgstep/xalloc.h"

/* An object created by CREATE EXTENSION is the extension's, not the
 * tenant's: pg_dump leaves it out, and so do we. */
#define NOT_MEMBER(catalog, oid)                                                                   \
	" NOT EXISTS (SELECT FROM pg_depend x WHERE x.classid = '" catalog                         \
	"'::regclass AND x.objid = " oid " AND x.deptype = 'e') "

/* The collation of an attribute when it is not its type's (pg_dump's test). */
#define COLLATION_OF(coll, type_coll)                                                              \
	"CASE WHEN " coll " <> 0 AND " coll " <> " type_coll " THEN " coll                         \
	"::regcollation::text END"

/* The SQL reads better as written than as clang-format would wrap it. */
/* clang-format off */
static const char q_schemas[] =
    "SELECT 'schema', NULL, n.nspname, NULL, 0, NULL,"
    " obj_description(n.oid, 'pg_namespace') AS comment{PRIV n.nspowner n.nspacl}"
    " FROM pg_namespace n WHERE {NS} AND" NOT_MEMBER("pg_namespace", "n.oid");

static const char q_extensions[] =
    "SELECT 'extension', NULL, e.extname, NULL, 0, NULL,"
    " e.extversion AS version, n.nspname AS schema,"
    " obj_description(e.oid, 'pg_extension') AS comment{PRIV e.extowner -}"
    " FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE {EXT}";

static const char q_enums[] =
    "SELECT 'enum', n.nspname, t.typname, NULL, 0, NULL,"
    " (SELECT string_agg(quote_literal(e.enumlabel), ', ' ORDER BY e.enumsortorder)"
    "  FROM pg_enum e WHERE e.enumtypid = t.oid) AS labels,"
    " obj_description(t.oid, 'pg_type') AS comment{PRIV t.typowner t.typacl}"
    " FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace"
    " WHERE t.typtype = 'e' AND {NS} AND" NOT_MEMBER("pg_type", "t.oid");

static const char q_domains[] =
    "SELECT 'domain', n.nspname, t.typname, NULL, 0, NULL,"
    " format_type(t.typbasetype, t.typtypmod) AS type,"
    " " COLLATION_OF("t.typcollation", "b.typcollation") " AS collation,"
    " pg_get_expr(t.typdefaultbin, 0) AS default,"
    " NULLIF(t.typnotnull, false) AS \"NOT NULL\","
    " obj_description(t.oid, 'pg_type') AS comment{PRIV t.typowner t.typacl}"
    " FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace"
    " JOIN pg_type b ON b.oid = t.typbasetype"
    " WHERE t.typtype = 'd' AND {NS} AND" NOT_MEMBER("pg_type", "t.oid");

static const char q_composites[] =
    "SELECT 'composite type', n.nspname, t.typname, NULL, 0, NULL,"
    " (SELECT string_agg(format('%I %s', a.attname, format_type(a.atttypid, a.atttypmod))"
    "    || coalesce(' COLLATE ' || " COLLATION_OF("a.attcollation", "at.typcollation") ", ''),"
    "    ', ' ORDER BY a.attnum)"
    "  FROM pg_attribute a JOIN pg_type at ON at.oid = a.atttypid"
    "  WHERE a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped) AS attributes,"
    " obj_description(t.oid, 'pg_type') AS comment{PRIV t.typowner t.typacl}"
    " FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace"
    " JOIN pg_class c ON c.oid = t.typrelid"
    " WHERE t.typtype = 'c' AND c.relkind = 'c' AND {NS} AND" NOT_MEMBER("pg_type", "t.oid");

static const char q_ranges[] =
    "SELECT 'range type', n.nspname, t.typname, NULL, 0, NULL,"
    " format_type(r.rngsubtype, NULL) AS subtype,"
    " CASE WHEN r.rngcollation <> 0 THEN r.rngcollation::regcollation::text END AS collation,"
    " (SELECT format('%I.%I', ocn.nspname, oc.opcname) FROM pg_opclass oc"
    "  JOIN pg_namespace ocn ON ocn.oid = oc.opcnamespace"
    "  WHERE oc.oid = r.rngsubopc AND NOT oc.opcdefault) AS \"operator class\","
    " CASE WHEN r.rngcanonical::oid <> 0 THEN r.rngcanonical::regprocedure::text END"
    "  AS canonical,"
    " CASE WHEN r.rngsubdiff::oid <> 0 THEN r.rngsubdiff::regprocedure::text END"
    "  AS subtype_diff,"
    " obj_description(t.oid, 'pg_type') AS comment{PRIV t.typowner t.typacl}"
    " FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace"
    " JOIN pg_range r ON r.rngtypid = t.oid"
    " WHERE t.typtype = 'r' AND {NS} AND" NOT_MEMBER("pg_type", "t.oid");

static const char q_sequences[] =
    "SELECT 'sequence', n.nspname, c.relname, NULL, 0, NULL,"
    " format_type(s.seqtypid, NULL) AS type, s.seqstart::text AS start,"
    " s.seqincrement::text AS increment, s.seqmin::text AS minvalue,"
    " s.seqmax::text AS maxvalue, s.seqcache::text AS cache,"
    " NULLIF(s.seqcycle, false) AS cycle,"
    " NULLIF(c.relpersistence = 'u', false) AS unlogged,"
    " (SELECT format('%I.%I.%I', tn.nspname, tc.relname, a.attname) FROM pg_depend d"
    "  JOIN pg_class tc ON tc.oid = d.refobjid JOIN pg_namespace tn ON tn.oid = tc.relnamespace"
    "  JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid"
    "  WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid"
    "  AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')"
    "  ORDER BY d.deptype LIMIT 1) AS \"owned by\","
    " (SELECT 't' FROM pg_depend d WHERE d.classid = 'pg_class'::regclass"
    "  AND d.objid = c.oid AND d.deptype = 'i' LIMIT 1) AS identity,"
    " obj_description(c.oid, 'pg_class') AS comment{PRIV c.relowner c.relacl}"
    " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
    " JOIN pg_sequence s ON s.seqrelid = c.oid"
    " WHERE c.relkind = 'S' AND {NS} AND" NOT_MEMBER("pg_class", "c.oid");

static const char q_tables[] =
    "SELECT 'table', n.nspname, c.relname, NULL, 0, NULL,"
    " NULLIF(c.relpersistence = 'u', false) AS unlogged,"
    " CASE WHEN c.relkind = 'p' THEN pg_get_partkeydef(c.oid) END AS \"partitioned by\","
    " (SELECT string_agg(format('%I.%I', pn.nspname, pc.relname), ', ' ORDER BY i.inhseqno)"
    "  FROM pg_inherits i JOIN pg_class pc ON pc.oid = i.inhparent"
    "  JOIN pg_namespace pn ON pn.oid = pc.relnamespace"
    "  WHERE i.inhrelid = c.oid AND c.relispartition) AS \"partition of\","
    " (SELECT string_agg(format('%I.%I', pn.nspname, pc.relname), ', ' ORDER BY i.inhseqno)"
    "  FROM pg_inherits i JOIN pg_class pc ON pc.oid = i.inhparent"
    "  JOIN pg_namespace pn ON pn.oid = pc.relnamespace"
    "  WHERE i.inhrelid = c.oid AND NOT c.relispartition) AS inherits,"
    " CASE WHEN c.relispartition THEN pg_get_expr(c.relpartbound, c.oid) END"
    "  AS \"partition bound\","
    " NULLIF(c.relrowsecurity, false) AS \"RLS enabled\","
    " NULLIF(c.relforcerowsecurity, false) AS \"RLS forced\","
    " array_to_string(c.reloptions, ', ') AS options,"
    " CASE c.relreplident WHEN 'n' THEN 'nothing' WHEN 'f' THEN 'full'"
    "  WHEN 'i' THEN 'index' END AS \"replica identity\","
    " (SELECT amname FROM pg_am WHERE oid = c.relam AND amname <> 'heap')"
    "  AS \"access method\","
    " obj_description(c.oid, 'pg_class') AS comment{PRIV c.relowner c.relacl}"
    " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
    " WHERE c.relkind IN ('r', 'p') AND c.relpersistence <> 't' AND {NS} AND"
    NOT_MEMBER("pg_class", "c.oid");

/* Columns of tables, views and materialized views (a view's columns carry
 * their own comments and defaults). */
static const char q_columns[] =
    "SELECT 'column', n.nspname, c.relname || '.' || a.attname,"
    " format('%s %I.%I', CASE c.relkind WHEN 'v' THEN 'view' WHEN 'm' THEN"
    "  'materialized view' ELSE 'table' END, n.nspname, c.relname),"
    " row_number() OVER (PARTITION BY c.oid ORDER BY a.attnum), NULL,"
    " format_type(a.atttypid, a.atttypmod) AS type,"
    " " COLLATION_OF("a.attcollation", "t.typcollation") " AS collation,"
    " CASE WHEN a.attgenerated = '' THEN pg_get_expr(ad.adbin, ad.adrelid) END AS default,"
    " CASE WHEN a.attgenerated = 's' THEN pg_get_expr(ad.adbin, ad.adrelid) END"
    "  AS generated,"
    " NULLIF(a.attnotnull, false) AS \"NOT NULL\","
    " CASE a.attidentity WHEN 'a' THEN 'always' WHEN 'd' THEN 'by default' END AS identity,"
    " CASE WHEN NOT a.attislocal THEN 't' END AS inherited,"
    " CASE WHEN a.attstorage <> t.typstorage THEN CASE a.attstorage WHEN 'p' THEN 'plain'"
    "  WHEN 'e' THEN 'external' WHEN 'm' THEN 'main' WHEN 'x' THEN 'extended' END END"
    "  AS storage,"
    " CASE a.attcompression WHEN 'p' THEN 'pglz' WHEN 'l' THEN 'lz4' END AS compression,"
    " CASE WHEN a.attstattarget >= 0 THEN a.attstattarget::text END AS statistics,"
    " col_description(c.oid, a.attnum) AS comment{PRIV - a.attacl}"
    " FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid"
    " JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_type t ON t.oid = a.atttypid"
    " LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum"
    " WHERE c.relkind IN ('r', 'p', 'v', 'm') AND c.relpersistence <> 't'"
    " AND a.attnum > 0 AND NOT a.attisdropped AND {NS} AND" NOT_MEMBER("pg_class", "c.oid");

/* NOT VALID is an attribute, not part of the definition: validating a
 * constraint then reads "NOT VALID removed" alone. */
static const char q_constraints[] =
    "SELECT 'constraint', n.nspname, coalesce(c.relname, t.typname) || '.' || k.conname,"
    " CASE WHEN k.conrelid <> 0 THEN format('table %I.%I', n.nspname, c.relname)"
    "  ELSE format('domain %I.%I', n.nspname, t.typname) END, 0,"
    " regexp_replace(pg_get_constraintdef(k.oid), ' NOT VALID$', ''),"
    " CASE WHEN NOT k.convalidated THEN 't' END AS \"NOT VALID\","
    " CASE WHEN NOT k.conislocal THEN 't' END AS inherited,"
    " obj_description(k.oid, 'pg_constraint') AS comment"
    " FROM pg_constraint k JOIN pg_namespace n ON n.oid = k.connamespace"
    " LEFT JOIN pg_class c ON c.oid = k.conrelid LEFT JOIN pg_type t ON t.oid = k.contypid"
    " WHERE k.contype IN ('p', 'u', 'c', 'f', 'x') AND {NS}"
    " AND coalesce(c.relpersistence, 'p') <> 't' AND" NOT_MEMBER("pg_constraint", "k.oid");

/* The index of a primary key, unique or exclusion constraint is the
 * constraint's: listed once, as the constraint (as pg_dump does). */
static const char q_indexes[] =
    "SELECT 'index', n.nspname, ci.relname, format('%s %I.%I', CASE c.relkind WHEN 'm' THEN"
    "  'materialized view' ELSE 'table' END, n.nspname, c.relname), 0,"
    " pg_get_indexdef(i.indexrelid),"
    " CASE WHEN NOT i.indisvalid THEN 't' END AS invalid,"
    " NULLIF(i.indisclustered, false) AS clustered,"
    " NULLIF(i.indisreplident, false) AS \"replica identity\","
    " obj_description(ci.oid, 'pg_class') AS comment"
    " FROM pg_index i JOIN pg_class ci ON ci.oid = i.indexrelid"
    " JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = ci.relnamespace"
    " WHERE {NS} AND c.relpersistence <> 't' AND NOT EXISTS (SELECT FROM pg_constraint k"
    "  WHERE k.conindid = i.indexrelid AND k.conrelid = i.indrelid"
    "  AND k.contype IN ('p', 'u', 'x')) AND" NOT_MEMBER("pg_class", "ci.oid");

static const char q_views[] =
    "SELECT CASE c.relkind WHEN 'v' THEN 'view' ELSE 'materialized view' END, n.nspname,"
    " c.relname, NULL, 0, pg_get_viewdef(c.oid),"
    " array_to_string(c.reloptions, ', ') AS options,"
    " CASE WHEN c.relkind = 'm' AND NOT c.relispopulated THEN 't' END AS \"not populated\","
    " obj_description(c.oid, 'pg_class') AS comment{PRIV c.relowner c.relacl}"
    " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
    " WHERE c.relkind IN ('v', 'm') AND c.relpersistence <> 't' AND {NS} AND"
    NOT_MEMBER("pg_class", "c.oid");

/* pg_get_functiondef refuses aggregates: theirs is put together from
 * pg_aggregate (the support functions as regprocedure, so qualified). */
static const char q_routines[] =
    "SELECT CASE p.prokind WHEN 'p' THEN 'procedure' WHEN 'a' THEN 'aggregate'"
    "  ELSE 'function' END, n.nspname,"
    " p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')', NULL, 0,"
    " CASE WHEN p.prokind <> 'a' THEN pg_get_functiondef(p.oid) ELSE"
    "  concat('(', pg_get_function_arguments(p.oid), ') SFUNC = ',"
    "   g.aggtransfn::regprocedure, ', STYPE = ', format_type(g.aggtranstype, NULL),"
    "   ', KIND = ', g.aggkind,"
    "   CASE WHEN g.aggfinalfn::oid <> 0 THEN ', FINALFUNC = '"
    "    || g.aggfinalfn::regprocedure::text END,"
    "   CASE WHEN g.aggcombinefn::oid <> 0 THEN ', COMBINEFUNC = '"
    "    || g.aggcombinefn::regprocedure::text END,"
    "   CASE WHEN g.aggmtransfn::oid <> 0 THEN ', MSFUNC = '"
    "    || g.aggmtransfn::regprocedure::text END,"
    "   CASE WHEN g.agginitval IS NOT NULL THEN ', INITCOND = ' || quote_literal(g.agginitval)"
    "    END,"
    "   CASE WHEN g.aggsortop <> 0 THEN ', SORTOP = ' || g.aggsortop::regoperator::text END)"
    " END,"
    " obj_description(p.oid, 'pg_proc') AS comment{PRIV p.proowner p.proacl}"
    " FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace"
    " LEFT JOIN pg_aggregate g ON g.aggfnoid = p.oid"
    " WHERE {NS} AND" NOT_MEMBER("pg_proc", "p.oid")
    /* a range type's constructors come with the type */
    " AND NOT EXISTS (SELECT FROM pg_depend x WHERE x.classid = 'pg_proc'::regclass"
    "  AND x.objid = p.oid AND x.deptype = 'i')";

#define ENABLED_STATE(col)                                                                         \
	"CASE " col " WHEN 'O' THEN 'yes' WHEN 'D' THEN 'no' WHEN 'R' THEN 'replica only'"       \
	" WHEN 'A' THEN 'always' END"

static const char q_triggers[] =
    "SELECT 'trigger', n.nspname, c.relname || '.' || g.tgname,"
    " format('table %I.%I', n.nspname, c.relname), 0, pg_get_triggerdef(g.oid),"
    " " ENABLED_STATE("g.tgenabled") " AS enabled,"
    " CASE WHEN g.tgparentid <> 0 THEN 't' END AS inherited,"
    " obj_description(g.oid, 'pg_trigger') AS comment"
    " FROM pg_trigger g JOIN pg_class c ON c.oid = g.tgrelid"
    " JOIN pg_namespace n ON n.oid = c.relnamespace"
    " WHERE NOT g.tgisinternal AND {NS} AND" NOT_MEMBER("pg_trigger", "g.oid");

static const char q_rules[] =
    "SELECT 'rule', n.nspname, c.relname || '.' || r.rulename,"
    " format('%s %I.%I', CASE c.relkind WHEN 'v' THEN 'view' ELSE 'table' END,"
    "  n.nspname, c.relname), 0, pg_get_ruledef(r.oid),"
    " " ENABLED_STATE("r.ev_enabled") " AS enabled,"
    " obj_description(r.oid, 'pg_rewrite') AS comment"
    " FROM pg_rewrite r JOIN pg_class c ON c.oid = r.ev_class"
    " JOIN pg_namespace n ON n.oid = c.relnamespace"
    " WHERE r.rulename <> '_RETURN' AND {NS} AND" NOT_MEMBER("pg_rewrite", "r.oid");

/* A policy as CREATE POLICY would say it after its name; roles sorted. */
static const char q_policies[] =
    "SELECT 'policy', n.nspname, c.relname || '.' || p.polname,"
    " format('table %I.%I', n.nspname, c.relname), 0,"
    " concat_ws(' ', 'AS', CASE WHEN p.polpermissive THEN 'PERMISSIVE' ELSE 'RESTRICTIVE' END,"
    "  'FOR', CASE p.polcmd WHEN 'r' THEN 'SELECT' WHEN 'a' THEN 'INSERT' WHEN 'w' THEN"
    "  'UPDATE' WHEN 'd' THEN 'DELETE' ELSE 'ALL' END,"
    "  'TO', (SELECT string_agg(r.name, ', ' ORDER BY r.name) FROM (SELECT CASE WHEN ro = 0"
    "   THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(ro)) END AS name"
    "   FROM unnest(p.polroles) ro) r),"
    "  'USING (' || pg_get_expr(p.polqual, p.polrelid) || ')',"
    "  'WITH CHECK (' || pg_get_expr(p.polwithcheck, p.polrelid) || ')'),"
    " obj_description(p.oid, 'pg_policy') AS comment"
    " FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid"
    " JOIN pg_namespace n ON n.oid = c.relnamespace WHERE {NS}";

/* The kinds not modelled, each counted in scope: one row, a column per
 * kind (NULL: not counted). Database-wide kinds only for a database. */
#define COUNT_IN_SCOPE(catalog, nsfield)                                                           \
	"(SELECT count(*) FROM " catalog " o JOIN pg_namespace n ON n.oid = o." nsfield           \
	" WHERE {NS} AND" NOT_MEMBER(catalog, "o.oid") ")"
#define COUNT_USER(catalog) "(SELECT count(*) FROM " catalog " o WHERE o.oid >= 16384 AND" NOT_MEMBER(catalog, "o.oid") ")"

/* Without the privileges layer, privileges and ownership are listed as
 * switched off. */
static const char q_uncompared_privileges[] =
    "NULL::bigint AS privileges, NULL::bigint AS ownership, ";

static const char q_uncompared_schema[] =
    "(SELECT count(*) FROM pg_class o JOIN pg_namespace n ON n.oid = o.relnamespace"
    "  WHERE o.relkind = 'f' AND {NS}) AS \"foreign tables\","
    " (SELECT count(*) FROM pg_type o JOIN pg_namespace n ON n.oid = o.typnamespace"
    "  WHERE o.typtype IN ('b', 'p') AND {NS} AND" NOT_MEMBER("pg_type", "o.oid")
    "  AND NOT EXISTS (SELECT FROM pg_type e WHERE e.typarray = o.oid)) AS \"base types\","
    " " COUNT_IN_SCOPE("pg_collation", "collnamespace") " AS collations,"
    " " COUNT_IN_SCOPE("pg_operator", "oprnamespace") " AS operators,"
    " " COUNT_IN_SCOPE("pg_opclass", "opcnamespace") " AS \"operator classes\","
    " " COUNT_IN_SCOPE("pg_opfamily", "opfnamespace") " AS \"operator families\","
    " " COUNT_IN_SCOPE("pg_conversion", "connamespace") " AS conversions,"
    " " COUNT_IN_SCOPE("pg_ts_config", "cfgnamespace") " + "
    COUNT_IN_SCOPE("pg_ts_dict", "dictnamespace") " AS \"text search objects\","
    " " COUNT_IN_SCOPE("pg_statistic_ext", "stxnamespace") " AS \"statistics objects\","
    " (SELECT count(*) FROM pg_default_acl o JOIN pg_namespace n"
    "  ON n.oid = o.defaclnamespace WHERE {NS}) AS \"default privileges\"";

static const char q_uncompared_database[] =
    ", (SELECT count(*) FROM pg_event_trigger) AS \"event triggers\","
    " (SELECT count(*) FROM pg_publication) AS publications,"
    " (SELECT count(*) FROM pg_subscription WHERE subdbid = (SELECT oid FROM pg_database"
    "  WHERE datname = current_database())) AS subscriptions,"
    " " COUNT_USER("pg_foreign_data_wrapper") " AS \"foreign data wrappers\","
    " " COUNT_USER("pg_foreign_server") " AS \"foreign servers\","
    " (SELECT count(*) FROM pg_user_mappings) AS \"user mappings\","
    " " COUNT_USER("pg_cast") " AS casts,"
    " " COUNT_USER("pg_language") " AS languages,"
    " " COUNT_USER("pg_am") " AS \"access methods\","
    " " COUNT_USER("pg_transform") " AS transforms,"
    " (SELECT count(*) FROM pg_seclabel) AS \"security labels\"";

/* clang-format on */

static const char *const object_queries[] = {
    q_schemas,   q_extensions, q_enums,   q_domains,     q_composites, q_ranges,
    q_sequences, q_tables,     q_columns, q_constraints, q_indexes,    q_views,
    q_routines,  q_triggers,   q_rules,   q_policies,
};
#define N_OBJECT_QUERIES (sizeof object_queries / sizeof *object_queries)

/* {PRIV OWNER ACL} at p: the columns, or nothing. Returns past it. */
static const char *add_priv(struct strbuf *sb, const char *p, bool privileges)
{
	const char *owner = p + 6, *sp = strchr(owner, ' '), *end = strchr(owner, '}');
	if (privileges && sp[-1] != '-')
		strbuf_addf(sb, ", pg_get_userbyid(%.*s) AS owner", (int)(sp - owner), owner);
	if (privileges && end[-1] != '-')
		strbuf_addf(sb, ", %.*s::text AS privileges", (int)(end - sp - 1), sp + 1);
	return end + 1;
}

/* sql with {NS}, {EXT} and {PRIV ..} replaced. */
static void add_query(struct strbuf *sb, const char *sql, const char *ns, const char *ext,
                      bool privileges)
{
	for (const char *p = sql; *p;) {
		if (strncmp(p, "{PRIV ", 6) == 0) {
			p = add_priv(sb, p, privileges);
		} else if (strncmp(p, "{NS}", 4) == 0) {
			strbuf_addf(sb, "(%s)", ns);
			p += 4;
		} else if (strncmp(p, "{EXT}", 5) == 0) {
			strbuf_addf(sb, "(%s)", ext);
			p += 5;
		} else {
			strbuf_addc(sb, *p++);
		}
	}
	strbuf_adds(sb, ";\n");
}

/* The whole message: the transaction, an info row, a query per kind, the
 * uncompared counts. */
static char *build_sql(PGconn *conn, const char *schema, bool privileges, struct pgstep_error *err)
{
	struct strbuf sb, ns, ext;
	strbuf_init(&sb);
	strbuf_init(&ns);
	strbuf_init(&ext);
	char *lit = NULL;
	if (schema) {
		lit = PQescapeLiteral(conn, schema, strlen(schema));
		if (!lit) {
			error_set(err, PGSTEP_EXIT_FAILED, "schema snapshot: %s",
			          PQerrorMessage(conn));
			strbuf_release(&sb);
			strbuf_release(&ns);
			strbuf_release(&ext);
			return NULL;
		}
		strbuf_addf(&ns, "n.nspname = %s", lit);
		strbuf_addf(&ext, "n.nspname = %s", lit);
	} else {
		strbuf_addf(&ns,
		            "n.nspname NOT IN ('pg_catalog', 'information_schema', '%s')"
		            " AND n.nspname !~ '^pg_(toast|temp_|toast_temp_)'",
		            TENANT_STATE_SCHEMA);
		strbuf_adds(&ext, "e.extname <> 'plpgsql'");
	}
	strbuf_adds(&sb, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY;\n"
	                 "SET LOCAL search_path = '';\n");
	strbuf_addf(&sb, "SELECT current_setting('server_version_num'), quote_ident(%s);\n",
	            lit ? lit : "NULL");
	for (size_t i = 0; i < N_OBJECT_QUERIES; i++)
		add_query(&sb, object_queries[i], ns.buf, ext.buf, privileges);
	struct strbuf unc;
	strbuf_init(&unc);
	strbuf_adds(&unc, "SELECT ");
	if (!privileges)
		strbuf_adds(&unc, q_uncompared_privileges);
	strbuf_adds(&unc, q_uncompared_schema);
	if (!schema)
		strbuf_adds(&unc, q_uncompared_database);
	add_query(&sb, unc.buf, ns.buf, ext.buf, false);
	strbuf_adds(&sb, "COMMIT;\n");
	strbuf_release(&unc);
	strbuf_release(&ns);
	strbuf_release(&ext);
	PQfreemem(lit);
	return strbuf_detach(&sb);
}

struct reader {
	struct snapshot *snap;
	const char *schema; /* the real name, NULL for a database */
	char *quoted;       /* quote_ident(schema) */
};

/* A text from the server with the tenant's schema abstracted. */
static char *abstracted(const struct reader *r, const char *v)
{
	if (!v || !r->schema)
		return v ? xstrdup(v) : NULL;
	if (strcmp(v, r->schema) == 0)
		return xstrdup(SNAPSHOT_TENANT_SCHEMA);
	return snapshot_abstract(v, r->quoted);
}

static const char *value(const PGresult *res, int row, int col)
{
	return PQgetisnull(res, row, col) ? NULL : PQgetvalue(res, row, col);
}

static void read_objects(struct reader *r, const PGresult *res)
{
	int nf = PQnfields(res);
	for (int i = 0; i < PQntuples(res); i++) {
		char *schema = abstracted(r, value(res, i, 1));
		char *name = abstracted(r, value(res, i, 2));
		char *parent = abstracted(r, value(res, i, 3));
		char *def = abstracted(r, value(res, i, 5));
		struct snapshot_object *o =
		    snapshot_add(r->snap, value(res, i, 0), schema, name, parent, def);
		o->position = atoi(PQgetvalue(res, i, 4));
		for (int f = 6; f < nf; f++) {
			char *v = abstracted(r, value(res, i, f));
			snapshot_object_set(o, PQfname(res, f), v);
			free(v);
		}
		free(schema);
		free(name);
		free(parent);
		free(def);
	}
}

static void read_uncompared(struct reader *r, const PGresult *res)
{
	if (PQntuples(res) != 1)
		return;
	for (int f = 0; f < PQnfields(res); f++) {
		const char *v = value(res, 0, f);
		snapshot_add_uncompared(r->snap, PQfname(res, f), v ? atol(v) : -1,
		                        v ? "not modelled" : "switched off");
	}
}

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

bool snapshot_read(struct session *s, const char *schema, const struct snapshot_read_options *o,
                   struct snapshot *out, struct pgstep_error *err)
{
	snapshot_init(out);
	PGconn *conn = session_conn(s);
	double t0 = now_ms();
	char *sql = build_sql(conn, schema, o && o->privileges, err);
	if (!sql)
		return false;
	struct reader r = {.snap = out, .schema = schema};
	out->tenant_schema = schema ? xstrdup(schema) : NULL;
	bool ok = PQsendQuery(conn, sql) == 1;
	free(sql);
	if (!ok) {
		error_set(err, PGSTEP_EXIT_CONNECTION, "tenant %s: schema snapshot: %s",
		          session_label(s), PQerrorMessage(conn));
		snapshot_clear(out);
		return false;
	}
	out->round_trips = 1;
	/* Results: BEGIN, SET, the info row, the objects, the counts, COMMIT. */
	int n_tuples = 0;
	bool failed = false;
	PGresult *res;
	while ((res = PQgetResult(conn))) {
		ExecStatusType st = PQresultStatus(res);
		if (st == PGRES_TUPLES_OK) {
			if (n_tuples == 0 && PQntuples(res) == 1) {
				out->server_version = atoi(PQgetvalue(res, 0, 0));
				if (schema)
					r.quoted = xstrdup(PQgetvalue(res, 0, 1));
			} else if (n_tuples <= (int)N_OBJECT_QUERIES) {
				read_objects(&r, res);
			} else {
				read_uncompared(&r, res);
			}
			n_tuples++;
		} else if (st != PGRES_COMMAND_OK && !failed) {
			session_error_from_result(err, res, "schema snapshot");
			error_prefix(err, "tenant %s", session_label(s));
			failed = true;
		}
		PQclear(res);
	}
	free(r.quoted);
	if (!failed && n_tuples != (int)N_OBJECT_QUERIES + 2) {
		error_set(err, PGSTEP_EXIT_FAILED,
		          "tenant %s: schema snapshot: %d result sets, expected %d",
		          session_label(s), n_tuples, (int)N_OBJECT_QUERIES + 2);
		failed = true;
	}
	if (failed) {
		/* The rest of the message was skipped; the transaction stays open. */
		struct pgstep_error ignore = {0};
		session_exec(s, "ROLLBACK", &ignore);
		error_clear(&ignore);
		snapshot_clear(out);
		return false;
	}
	snapshot_sort(out);
	out->read_ms = now_ms() - t0;
	return true;
}
