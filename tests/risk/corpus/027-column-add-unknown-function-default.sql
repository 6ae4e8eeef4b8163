-- expect: add-column-volatile-default
ALTER TABLE accounts ADD COLUMN code text DEFAULT app.make_code();
