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
    /* a partition's copy of its parent's foreign key comes with the parent's */
    " AND NOT (k.contype = 'f' AND k.conparentid <> 0)"
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

/* A routine is named by its argument types, as pg_dump names it (the
 * argument names are in its definition). pg_get_functiondef refuses aggregates: theirs is put together from
 * pg_aggregate (the support functions as regprocedure, so qualified). */
static const char q_routines[] =
    "SELECT CASE p.prokind WHEN 'p' THEN 'procedure' WHEN 'a' THEN 'aggregate'"
    "  ELSE 'function' END, n.nspname,"
    " p.proname || '(' || oidvectortypes(p.proargtypes) || ')', NULL, 0,"
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
    " WHERE NOT g.tgisinternal AND {NS} AND" NOT_MEMBER("pg_trigger", "g.oid")
    /* a partition's copy of its parent's trigger comes with the parent's,
     * unless it was enabled or disabled on its own */
    " AND (g.tgparentid = 0 OR g.tgenabled <> (SELECT p.tgenabled FROM pg_trigger p"
    "  WHERE p.oid = g.tgparentid))";

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

/* The kinds not modelled, counted per schema in scope: a row per schema
 * (its name first), a column per kind, each catalog aggregated once over
 * the schemas in scope (a correlated count per schema would scan it once
 * per schema: there is no index on the namespace columns). */
#define COUNT_BY_NS(alias, catalog, nsfield, cond)                                                 \
	" LEFT JOIN (SELECT o." nsfield " AS ns, count(*) AS c FROM " catalog " o"                  \
	" JOIN pg_namespace n ON n.oid = o." nsfield " WHERE {NS} AND " cond                       \
	" AND" NOT_MEMBER(catalog, "o.oid") "GROUP BY 1) " alias " ON " alias ".ns = n.oid"
#define COUNT_USER(catalog) "(SELECT count(*) FROM " catalog " o WHERE o.oid >= 16384 AND" NOT_MEMBER(catalog, "o.oid") ")"

/* Without the privileges layer, privileges and ownership are listed as
 * switched off. */
static const char q_uncompared_privileges[] =
    "NULL::bigint AS privileges, NULL::bigint AS ownership, ";

static const char q_uncompared_schema[] =
    "coalesce(ft.c, 0) AS \"foreign tables\", coalesce(bt.c, 0) AS \"base types\","
    " coalesce(co.c, 0) AS collations, coalesce(op.c, 0) AS operators,"
    " coalesce(oc.c, 0) AS \"operator classes\", coalesce(ofa.c, 0) AS \"operator families\","
    " coalesce(cv.c, 0) AS conversions,"
    " coalesce(tc.c, 0) + coalesce(td.c, 0) AS \"text search objects\","
    " coalesce(st.c, 0) AS \"statistics objects\", coalesce(da.c, 0) AS \"default privileges\""
    " FROM pg_namespace n"
    COUNT_BY_NS("ft", "pg_class", "relnamespace", "o.relkind = 'f'")
    /* an array type made with its element type is the element type's
     * (looked up by the element's oid: there is no index on typarray) */
    COUNT_BY_NS("bt", "pg_type", "typnamespace", "o.typtype IN ('b', 'p')"
                " AND NOT EXISTS (SELECT FROM pg_type e WHERE e.oid = o.typelem"
                " AND e.typarray = o.oid)")
    COUNT_BY_NS("co", "pg_collation", "collnamespace", "true")
    COUNT_BY_NS("op", "pg_operator", "oprnamespace", "true")
    COUNT_BY_NS("oc", "pg_opclass", "opcnamespace", "true")
    COUNT_BY_NS("ofa", "pg_opfamily", "opfnamespace", "true")
    COUNT_BY_NS("cv", "pg_conversion", "connamespace", "true")
    COUNT_BY_NS("tc", "pg_ts_config", "cfgnamespace", "true")
    COUNT_BY_NS("td", "pg_ts_dict", "dictnamespace", "true")
    COUNT_BY_NS("st", "pg_statistic_ext", "stxnamespace", "true")
    COUNT_BY_NS("da", "pg_default_acl", "defaclnamespace", "true")
    " WHERE {NS}";

/* Database-wide kinds: for a database tenant only. */
static const char q_uncompared_database[] =
    "SELECT (SELECT count(*) FROM pg_event_trigger) AS \"event triggers\","
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
    " (SELECT count(*) FROM pg_default_acl WHERE defaclnamespace = 0)"
    "  AS \"global default privileges\","
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

/* The whole message: the transaction, an info row per schema, a query per
 * kind, the uncompared counts (per schema, then database-wide for a
 * database). n == 0: the database. */
static char *build_sql(PGconn *conn, const char *const *schemas, size_t n, bool privileges,
                       struct pgstep_error *err)
{
	struct strbuf sb, ns, ext, lits;
	strbuf_init(&sb);
	strbuf_init(&ns);
	strbuf_init(&ext);
	strbuf_init(&lits);
	for (size_t i = 0; i < n; i++) {
		char *lit = PQescapeLiteral(conn, schemas[i], strlen(schemas[i]));
		if (!lit) {
			error_set(err, PGSTEP_EXIT_FAILED, "schema snapshot: %s",
			          PQerrorMessage(conn));
			strbuf_release(&sb);
			strbuf_release(&ns);
			strbuf_release(&ext);
			strbuf_release(&lits);
			return NULL;
		}
		strbuf_addf(&lits, "%s%s", i ? ", " : "", lit);
		PQfreemem(lit);
	}
	if (n) {
		strbuf_addf(&ns, "n.nspname IN (%s)", lits.buf);
		strbuf_addf(&ext, "n.nspname IN (%s)", lits.buf);
	} else {
		strbuf_addf(&ns,
		            "n.nspname NOT IN ('pg_catalog', 'information_schema', '%s')"
		            " AND n.nspname !~ '^pg_(toast|temp_|toast_temp_)'",
		            TENANT_STATE_SCHEMA);
		strbuf_adds(&ext, "e.extname <> 'plpgsql'");
	}
	strbuf_adds(&sb, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY;\n"
	                 "SET LOCAL search_path = '';\n");
	if (n)
		strbuf_addf(&sb,
		            "SELECT current_setting('server_version_num'), s, quote_ident(s)"
		            " FROM unnest(ARRAY[%s]::text[]) s;\n",
		            lits.buf);
	else
		strbuf_adds(&sb, "SELECT current_setting('server_version_num'), NULL, NULL;\n");
	for (size_t i = 0; i < N_OBJECT_QUERIES; i++)
		add_query(&sb, object_queries[i], ns.buf, ext.buf, privileges);
	struct strbuf unc;
	strbuf_init(&unc);
	strbuf_adds(&unc, "SELECT n.nspname, ");
	if (!privileges)
		strbuf_adds(&unc, q_uncompared_privileges);
	strbuf_adds(&unc, q_uncompared_schema);
	add_query(&sb, unc.buf, ns.buf, ext.buf, false);
	if (!n)
		add_query(&sb, q_uncompared_database, ns.buf, ext.buf, false);
	strbuf_adds(&sb, "COMMIT;\n");
	strbuf_release(&unc);
	strbuf_release(&ns);
	strbuf_release(&ext);
	strbuf_release(&lits);
	return strbuf_detach(&sb);
}

/* One snapshot being read: a schema's (name and quoted set) or the
 * database's (both NULL). */
struct target {
	struct snapshot *snap;
	const char *schema; /* the real name */
	char *quoted;       /* quote_ident(schema), from the server */
};

struct reader {
	struct target *targets; /* sorted by schema for bisection */
	size_t n;
};

static int target_cmp(const void *a, const void *b)
{
	const struct target *x = a, *y = b;
	return strcmp(x->schema, y->schema);
}

/* The target of a row whose schema is name; the database's when reading a
 * database; NULL when not in scope. */
static struct target *target_of(const struct reader *r, const char *name)
{
	if (!r->targets[0].schema)
		return &r->targets[0];
	if (!name)
		return NULL;
	struct target key = {.schema = name};
	return bsearch(&key, r->targets, r->n, sizeof key, target_cmp);
}

/* A text from the server with the tenant's schema abstracted. */
static char *abstracted(const struct target *t, const char *v)
{
	if (!v || !t->schema)
		return v ? xstrdup(v) : NULL;
	if (strcmp(v, t->schema) == 0)
		return xstrdup(SNAPSHOT_TENANT_SCHEMA);
	return snapshot_abstract(v, t->quoted);
}

static const char *value(const PGresult *res, int row, int col)
{
	return PQgetisnull(res, row, col) ? NULL : PQgetvalue(res, row, col);
}

static void read_info(struct reader *r, const PGresult *res)
{
	for (int i = 0; i < PQntuples(res); i++) {
		struct target *t = target_of(r, value(res, i, 1));
		if (!t)
			continue;
		t->snap->server_version = atoi(PQgetvalue(res, i, 0));
		if (t->schema && !t->quoted)
			t->quoted = xstrdup(PQgetvalue(res, i, 2));
	}
}

static void read_objects(struct reader *r, const PGresult *res)
{
	int nf = PQnfields(res);
	/* Rows name their schema, a schema names itself, an extension has its
	 * schema as an attribute. */
	int ext_schema = PQfnumber(res, "schema");
	for (int i = 0; i < PQntuples(res); i++) {
		const char *kind = value(res, i, 0);
		const char *where = value(res, i, 1);
		if (!where && strcmp(kind, "schema") == 0)
			where = value(res, i, 2);
		else if (!where && ext_schema >= 6)
			where = value(res, i, ext_schema);
		struct target *t = target_of(r, where);
		if (!t)
			continue;
		char *schema = abstracted(t, value(res, i, 1));
		char *name = abstracted(t, value(res, i, 2));
		char *parent = abstracted(t, value(res, i, 3));
		char *def = abstracted(t, value(res, i, 5));
		struct snapshot_object *o = snapshot_add(t->snap, kind, schema, name, parent, def);
		o->position = atoi(PQgetvalue(res, i, 4));
		for (int f = 6; f < nf; f++) {
			char *v = abstracted(t, value(res, i, f));
			snapshot_object_set(o, PQfname(res, f), v);
			free(v);
		}
		free(schema);
		free(name);
		free(parent);
		free(def);
	}
}

/* Counts: the first column, when named nspname, routes a row to its
 * schema; a database adds its schemas' rows together. A snapshot whose
 * schema has no row (it does not exist) still lists every kind, at 0. */
static void read_uncompared(struct reader *r, const PGresult *res)
{
	int first = strcmp(PQfname(res, 0), "nspname") == 0 ? 1 : 0;
	for (int i = 0; i < PQntuples(res); i++) {
		struct target *t = first ? target_of(r, value(res, i, 0)) : &r->targets[0];
		if (!t)
			continue;
		struct snapshot *snap = t->snap;
		size_t base = snap->n_uncompared;
		bool add = true;
		/* A database's later rows add to the entries its first one made. */
		for (size_t k = 0; k < snap->n_uncompared; k++)
			if (strcmp(snap->uncompared[k].kind, PQfname(res, first)) == 0) {
				base = k;
				add = false;
			}
		for (int f = first; f < PQnfields(res); f++) {
			const char *v = value(res, i, f);
			long c = v ? atol(v) : -1;
			if (add)
				snapshot_add_uncompared(snap, PQfname(res, f), c,
				                        v ? "not modelled" : "switched off");
			else if (c > 0)
				snap->uncompared[base + (size_t)(f - first)].count += c;
		}
	}
	if (!first)
		return;
	for (size_t k = 0; k < r->n; k++) {
		struct snapshot *snap = r->targets[k].snap;
		bool has = false;
		for (size_t u = 0; u < snap->n_uncompared && !has; u++)
			has = strcmp(snap->uncompared[u].kind, PQfname(res, first)) == 0;
		if (has)
			continue;
		for (int f = first; f < PQnfields(res); f++) {
			bool off = strcmp(PQfname(res, f), "privileges") == 0 ||
			           strcmp(PQfname(res, f), "ownership") == 0;
			snapshot_add_uncompared(snap, PQfname(res, f), off ? -1 : 0,
			                        off ? "switched off" : "not modelled");
		}
	}
}

/* Send sql and read its results into r's snapshots. */
static bool run(struct session *s, const char *sql, struct reader *r, struct pgstep_error *err)
{
	PGconn *conn = session_conn(s);
	if (PQsendQuery(conn, sql) != 1) {
		error_set(err, PGSTEP_EXIT_CONNECTION, "tenant %s: schema snapshot: %s",
		          session_label(s), PQerrorMessage(conn));
		return false;
	}
	/* Results: BEGIN, SET, the info rows, the objects, the counts (two
	 * sets for a database), COMMIT. */
	int want = (int)N_OBJECT_QUERIES + (r->targets[0].schema ? 2 : 3);
	int n_tuples = 0;
	bool failed = false;
	PGresult *res;
	while ((res = PQgetResult(conn))) {
		ExecStatusType st = PQresultStatus(res);
		if (st == PGRES_TUPLES_OK && !failed) {
			if (n_tuples == 0)
				read_info(r, res);
			else if (n_tuples <= (int)N_OBJECT_QUERIES)
				read_objects(r, res);
			else
				read_uncompared(r, res);
			n_tuples++;
		} else if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK && !failed) {
			session_error_from_result(err, res, "schema snapshot");
			error_prefix(err, "tenant %s", session_label(s));
			failed = true;
		}
		PQclear(res);
	}
	if (!failed && n_tuples != want) {
		error_set(err, PGSTEP_EXIT_FAILED,
		          "tenant %s: schema snapshot: %d result sets, expected %d",
		          session_label(s), n_tuples, want);
		failed = true;
	}
	if (failed) {
		/* The rest of the message was skipped; the transaction stays open. */
		struct pgstep_error ignore = {0};
		session_exec(s, "ROLLBACK", &ignore);
		error_clear(&ignore);
	}
	return !failed;
}

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

bool snapshot_read_schemas(struct session *s, const char *const *schemas, size_t n,
                           const struct snapshot_read_options *o, struct snapshot *outs,
                           struct pgstep_error *err)
{
	double t0 = now_ms();
	size_t nt = n ? n : 1;
	struct reader r = {.targets = xcalloc(nt, sizeof *r.targets), .n = nt};
	for (size_t i = 0; i < nt; i++) {
		snapshot_init(&outs[i]);
		outs[i].tenant_schema = n ? xstrdup(schemas[i]) : NULL;
		outs[i].round_trips = 1;
		r.targets[i] = (struct target){.snap = &outs[i], .schema = n ? schemas[i] : NULL};
	}
	if (n > 1)
		qsort(r.targets, n, sizeof *r.targets, target_cmp);
	char *sql = build_sql(session_conn(s), schemas, n, o && o->privileges, err);
	bool ok = sql && run(s, sql, &r, err);
	free(sql);
	double ms = now_ms() - t0;
	for (size_t i = 0; i < nt; i++) {
		free(r.targets[i].quoted);
		if (ok) {
			snapshot_sort(&outs[i]);
			outs[i].read_ms = ms;
		} else {
			snapshot_clear(&outs[i]);
		}
	}
	free(r.targets);
	return ok;
}

bool snapshot_read(struct session *s, const char *schema, const struct snapshot_read_options *o,
                   struct snapshot *out, struct pgstep_error *err)
{
	return snapshot_read_schemas(s, schema ? &schema : NULL, schema ? 1 : 0, o, out, err);
}
