-- Data migrations that need the credential key run in the gateway at start (db/data-migrations.ts); each records
-- its completion here. The first: access requests' credential values replaced by their keyed hash.
-- CreateTable
CREATE TABLE "DataMigration" (
    "name" TEXT NOT NULL PRIMARY KEY,
    "appliedAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

