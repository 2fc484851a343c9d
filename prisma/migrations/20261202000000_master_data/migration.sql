-- Master data administration (issue 15): compounds get an address and can be deactivated like buildings, units and
-- households; residents get their relation, move-in/move-out, who recorded the face consent (and the paper form's
-- reference) and when their personal data was anonymised; grids (网格) with their workers and escalation contacts
-- stored in the database. Columns are added in place (no table rebuild): the AuditLog triggers and every existing
-- row stay as they are.

-- AlterTable
ALTER TABLE "Community" ADD COLUMN "address" TEXT NOT NULL DEFAULT '';
ALTER TABLE "Community" ADD COLUMN "active" BOOLEAN NOT NULL DEFAULT true;
ALTER TABLE "Building" ADD COLUMN "active" BOOLEAN NOT NULL DEFAULT true;
ALTER TABLE "Unit" ADD COLUMN "active" BOOLEAN NOT NULL DEFAULT true;
ALTER TABLE "Resident" ADD COLUMN "anonymisedAt" DATETIME;
ALTER TABLE "Resident" ADD COLUMN "faceConsentBy" TEXT;
ALTER TABLE "Resident" ADD COLUMN "faceConsentRef" TEXT;
ALTER TABLE "Resident" ADD COLUMN "moveInAt" DATETIME;
ALTER TABLE "Resident" ADD COLUMN "moveOutAt" DATETIME;
ALTER TABLE "Resident" ADD COLUMN "relation" TEXT;

-- CreateTable
CREATE TABLE "Grid" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "communityId" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "active" BOOLEAN NOT NULL DEFAULT true,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "Grid_communityId_fkey" FOREIGN KEY ("communityId") REFERENCES "Community" ("id") ON DELETE RESTRICT ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "EscalationContact" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "name" TEXT NOT NULL,
    "level" INTEGER NOT NULL,
    "gridId" TEXT,
    "phone" TEXT,
    "webhookUrl" TEXT,
    "active" BOOLEAN NOT NULL DEFAULT true,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "EscalationContact_gridId_fkey" FOREIGN KEY ("gridId") REFERENCES "Grid" ("id") ON DELETE SET NULL ON UPDATE CASCADE
);

-- AlterTable (after Grid exists: the column references it)
ALTER TABLE "Household" ADD COLUMN "gridId" TEXT REFERENCES "Grid" ("id") ON DELETE SET NULL ON UPDATE CASCADE;
ALTER TABLE "Household" ADD COLUMN "active" BOOLEAN NOT NULL DEFAULT true;

-- CreateIndex
CREATE UNIQUE INDEX "Grid_communityId_name_key" ON "Grid"("communityId", "name");

-- CreateIndex
CREATE INDEX "EscalationContact_gridId_idx" ON "EscalationContact"("gridId");

-- CreateIndex
CREATE INDEX "AuditLog_at_idx" ON "AuditLog"("at");
