-- expect: (none)
CREATE SEQUENCE invoice_no;
ALTER SEQUENCE invoice_no RESTART WITH 1000;
