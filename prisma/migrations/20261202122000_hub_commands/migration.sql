-- Commands from the district hub (docs/scale-out.md "Commands"): one row per command id, written before the cell acts,
-- so a replayed command is refused instead of acted on twice. Additive only.
-- CreateTable
CREATE TABLE "HubCommand" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "kind" TEXT NOT NULL,
    "target" TEXT NOT NULL,
    "actor" TEXT NOT NULL,
    "reason" TEXT NOT NULL,
    "receivedAt" DATETIME NOT NULL,
    "expiresAt" DATETIME NOT NULL,
    "outcome" TEXT,
    "detail" TEXT,
    "answeredAt" DATETIME
);

-- CreateIndex
CREATE INDEX "HubCommand_receivedAt_idx" ON "HubCommand"("receivedAt");

