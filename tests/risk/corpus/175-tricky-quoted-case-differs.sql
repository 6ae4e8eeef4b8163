-- expect: add-column-required
CREATE TABLE "Orders" (id int);
ALTER TABLE orders ADD COLUMN total int NOT NULL;
