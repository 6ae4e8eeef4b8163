-- expect: rename-column
-- Straße und Größe
ALTER TABLE "Größe" RENAME COLUMN "straße" TO street;
