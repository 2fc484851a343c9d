-- The alert engine's transactional outbox (docs/architecture.md, "Nothing accepted is lost").
CREATE TABLE "AlertOutbox" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "eventSeq" INTEGER NOT NULL,
    "deviceId" TEXT NOT NULL,
    "priority" INTEGER NOT NULL DEFAULT 0,
    "createdAt" DATETIME NOT NULL
);
CREATE UNIQUE INDEX "AlertOutbox_eventSeq_key" ON "AlertOutbox"("eventSeq");
CREATE INDEX "AlertOutbox_priority_id_idx" ON "AlertOutbox"("priority", "id");

-- The readiness probe's heartbeat write.
CREATE TABLE "DbHeartbeat" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "at" DATETIME NOT NULL
);

-- A reused event id with new content is stored under a derived id and flagged. ADD COLUMN, not Prisma's table
-- rebuild: DeviceEvent is the largest table and copying it would hold the write lock for the whole migration.
ALTER TABLE "DeviceEvent" ADD COLUMN "reusedEventId" BOOLEAN NOT NULL DEFAULT false;
