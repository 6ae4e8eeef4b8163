-- expect: set-not-null-scan
CREATE TABLE "Users" ("Email" text);
ALTER TABLE "Users" ALTER COLUMN "Email" SET NOT NULL;
ALTER TABLE "Accounts" ALTER COLUMN "Email" SET NOT NULL;
