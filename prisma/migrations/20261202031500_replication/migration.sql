-- Cell → hub replication (gateway/src/replication/, docs/scale-out.md): per replicated stream (one per table), the
-- sequence number the hub has reported committed in PostgreSQL. The cell resends everything after it after any outage;
-- it moves only when the hub's committed watermark moves (a JetStream ack alone never moves it).

-- CreateTable
CREATE TABLE "ReplicationCursor" (
    "stream" TEXT NOT NULL PRIMARY KEY,
    "confirmedSeq" INTEGER NOT NULL DEFAULT 0,
    "confirmedAt" DATETIME
);
