-- Hub → cell downlink (docs/scale-out.md "The downlink"): the commands from the hub this cell has handled, so a
-- redelivered one is answered again and never applied twice. Additive only.

-- CreateTable
CREATE TABLE "DownlinkApplied" (
    "commandId" TEXT NOT NULL PRIMARY KEY,
    "seq" INTEGER NOT NULL,
    "kind" TEXT NOT NULL,
    "outcome" TEXT NOT NULL,
    "entityId" TEXT,
    "errorCode" TEXT,
    "error" TEXT,
    "at" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- A downlink command's change is found by its actor (the command id is in it): the audit row its transaction wrote.
-- CreateIndex
CREATE INDEX "AuditLog_actor_idx" ON "AuditLog"("actor");
