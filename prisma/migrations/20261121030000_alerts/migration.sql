-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_Alert" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "type" TEXT NOT NULL,
    "severity" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "latched" BOOLEAN NOT NULL DEFAULT false,
    "priority" INTEGER NOT NULL DEFAULT 0,
    "deviceId" TEXT,
    "householdId" TEXT,
    "place" TEXT NOT NULL,
    "tags" TEXT NOT NULL DEFAULT '[]',
    "detail" TEXT NOT NULL DEFAULT '{}',
    "dedupKey" TEXT NOT NULL,
    "count" INTEGER NOT NULL DEFAULT 1,
    "firstAt" DATETIME NOT NULL,
    "lastAt" DATETIME NOT NULL,
    "cancelRequestedAt" DATETIME,
    "ackedBy" TEXT,
    "ackedAt" DATETIME,
    "ackNote" TEXT,
    "onSiteBy" TEXT,
    "onSiteAt" DATETIME,
    "clearedBy" TEXT,
    "clearedAt" DATETIME,
    "clearNote" TEXT,
    "assignedTo" TEXT,
    "escalationLevel" INTEGER NOT NULL DEFAULT 0,
    "nextDeadlineAt" DATETIME,
    "deadlineKind" TEXT
);
INSERT INTO "new_Alert" ("ackedAt", "ackedBy", "assignedTo", "clearedAt", "clearedBy", "count", "dedupKey", "deviceId", "escalationLevel", "firstAt", "householdId", "id", "lastAt", "latched", "nextDeadlineAt", "place", "severity", "status", "tags", "type") SELECT "ackedAt", "ackedBy", "assignedTo", "clearedAt", "clearedBy", "count", "dedupKey", "deviceId", "escalationLevel", "firstAt", "householdId", "id", "lastAt", "latched", "nextDeadlineAt", "place", "severity", "status", "tags", "type" FROM "Alert";
DROP TABLE "Alert";
ALTER TABLE "new_Alert" RENAME TO "Alert";
CREATE INDEX "Alert_status_severity_idx" ON "Alert"("status", "severity");
CREATE INDEX "Alert_dedupKey_status_idx" ON "Alert"("dedupKey", "status");
CREATE INDEX "Alert_nextDeadlineAt_idx" ON "Alert"("nextDeadlineAt");
CREATE INDEX "Alert_firstAt_idx" ON "Alert"("firstAt");
CREATE TABLE "new_AlertHistory" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "alertId" TEXT NOT NULL,
    "at" DATETIME NOT NULL,
    "action" TEXT NOT NULL,
    "actor" TEXT NOT NULL,
    "note" TEXT,
    "detail" TEXT,
    "snapshot" TEXT NOT NULL DEFAULT '{}',
    "source" TEXT,
    CONSTRAINT "AlertHistory_alertId_fkey" FOREIGN KEY ("alertId") REFERENCES "Alert" ("id") ON DELETE RESTRICT ON UPDATE CASCADE
);
INSERT INTO "new_AlertHistory" ("action", "actor", "alertId", "at", "id", "note") SELECT "action", "actor", "alertId", "at", "id", "note" FROM "AlertHistory";
DROP TABLE "AlertHistory";
ALTER TABLE "new_AlertHistory" RENAME TO "AlertHistory";
CREATE INDEX "AlertHistory_alertId_idx" ON "AlertHistory"("alertId");
CREATE INDEX "AlertHistory_source_idx" ON "AlertHistory"("source");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;


-- At most one alert per condition is not cleared: repeated occurrences update it (alerts/ serialises writes; this
-- is the database's guarantee of the same rule).
CREATE UNIQUE INDEX "Alert_one_open_per_condition" ON "Alert"("dedupKey") WHERE "status" != 'cleared';

-- An alert's history is its record (件件有登记): rows are added, never rewritten or erased.
CREATE TRIGGER "AlertHistory_no_update" BEFORE UPDATE ON "AlertHistory"
BEGIN SELECT RAISE(ABORT, 'AlertHistory is append-only'); END;
CREATE TRIGGER "AlertHistory_no_delete" BEFORE DELETE ON "AlertHistory"
BEGIN SELECT RAISE(ABORT, 'AlertHistory is append-only'); END;
