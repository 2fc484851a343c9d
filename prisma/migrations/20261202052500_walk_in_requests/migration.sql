-- Walk-in approval in the resident app (#16 item 3): the guard asks the host household, the household answers.
-- Only a new table (additive). Residents' personal QR credentials use the existing Credential table (type "qr").

-- CreateTable
CREATE TABLE "WalkInRequest" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "householdId" TEXT NOT NULL,
    "visitorName" TEXT NOT NULL,
    "phoneMasked" TEXT,
    "idLast4" TEXT,
    "reason" TEXT NOT NULL,
    "requestedBy" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'pending',
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "answerBy" DATETIME NOT NULL,
    "answeredAt" DATETIME,
    "answeredBy" TEXT,
    "passId" TEXT,
    CONSTRAINT "WalkInRequest_householdId_fkey" FOREIGN KEY ("householdId") REFERENCES "Household" ("id") ON DELETE RESTRICT ON UPDATE CASCADE
);

-- CreateIndex
CREATE INDEX "WalkInRequest_householdId_status_idx" ON "WalkInRequest"("householdId", "status");

-- CreateIndex
CREATE INDEX "WalkInRequest_createdAt_idx" ON "WalkInRequest"("createdAt");
