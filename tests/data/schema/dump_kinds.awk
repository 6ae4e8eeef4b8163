# dump_kinds.awk: pg_dump's "TYPE|schema|name" header fields to the snapshot's
# "kind|schema|name" (schema.sh). Entries that are attributes of another
# object are dropped; kinds the snapshot does not model print as "?TYPE|..".
BEGIN { FS = OFS = "|" }
{
	t = $1; s = $2; n = $3
	if (t ~ /^(COMMENT|DEFAULT|SEQUENCE OWNED BY|ROW SECURITY|TABLE ATTACH|INDEX ATTACH|PUBLICATION TABLE|ACL|SEQUENCE SET|TABLE DATA)$/) next
	if (s == "pgstep" || (t == "SCHEMA" && n == "pgstep")) next
	k = ""
	if (t == "TABLE") k = "table"
	else if (t == "VIEW") k = "view"
	else if (t == "MATERIALIZED VIEW") k = "materialized view"
	else if (t == "SEQUENCE") k = "sequence"
	else if (t == "TYPE") k = "type"
	else if (t == "DOMAIN") k = "domain"
	else if (t == "FUNCTION") k = "function"
	else if (t == "PROCEDURE") k = "procedure"
	else if (t == "AGGREGATE") k = "aggregate"
	else if (t == "INDEX") k = "index"
	else if (t ~ /CONSTRAINT$/) k = "constraint"
	else if (t == "TRIGGER") k = "trigger"
	else if (t == "RULE") k = "rule"
	else if (t == "POLICY") k = "policy"
	else if (t == "EXTENSION") k = "extension"
	else if (t == "SCHEMA") k = "schema"
	if (k == "") { print "?" t, s, n; next }
	if (k ~ /^(constraint|trigger|rule|policy)$/) sub(/ /, ".", n)
	print k, s, n
}
