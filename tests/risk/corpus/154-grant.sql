-- expect: (none)
GRANT SELECT ON accounts TO reporting;
