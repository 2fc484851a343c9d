-- Cell → hub replication, second slice (docs/scale-out.md): the database's generation on each cursor row, and a
-- replication sequence for access decisions (AccessEvent has no ordered key of its own). Additive only.

-- AlterTable
ALTER TABLE "ReplicationCursor" ADD COLUMN "baseSeq" INTEGER;
ALTER TABLE "ReplicationCursor" ADD COLUMN "generation" TEXT;

-- CreateTable
CREATE TABLE "ReplicationLog" (
    "seq" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "stream" TEXT NOT NULL,
    "rowId" TEXT NOT NULL
);

-- CreateIndex
CREATE INDEX "ReplicationLog_stream_seq_idx" ON "ReplicationLog"("stream", "seq");

-- Each stored access decision gets its replication seq in the same transaction as its insert (an ignored duplicate
-- inserts nothing and fires nothing), but only on a cell that replicates: the relay creates the cursor row (and
-- enters the decisions stored before it) when it first starts. A cell without a hub writes nothing here.
CREATE TRIGGER "AccessEvent_replication_log" AFTER INSERT ON "AccessEvent"
WHEN EXISTS (SELECT 1 FROM "ReplicationCursor" WHERE "stream" = 'access_event')
BEGIN INSERT INTO "ReplicationLog" ("stream", "rowId") VALUES ('access_event', NEW."id"); END;
