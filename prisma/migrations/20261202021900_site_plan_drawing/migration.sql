-- A compound's site plan from a drawing (an uploaded PNG or SVG) and where buildings and devices sit on it (#15 item 5).
-- Written by `prisma migrate diff` (schema of the previous migration → this schema): additive only.
-- CreateTable
CREATE TABLE "SitePlanDrawing" (
    "communityId" TEXT NOT NULL PRIMARY KEY,
    "contentType" TEXT NOT NULL,
    "bytes" BLOB NOT NULL,
    "width" REAL NOT NULL,
    "height" REAL NOT NULL,
    "sha256" TEXT NOT NULL,
    "uploadedBy" TEXT NOT NULL,
    "uploadedAt" DATETIME NOT NULL
);

-- CreateTable
CREATE TABLE "SitePlacement" (
    "itemKind" TEXT NOT NULL,
    "itemId" TEXT NOT NULL,
    "communityId" TEXT NOT NULL,
    "x" REAL NOT NULL,
    "y" REAL NOT NULL,
    "updatedBy" TEXT NOT NULL,
    "updatedAt" DATETIME NOT NULL,

    PRIMARY KEY ("itemKind", "itemId")
);

-- CreateIndex
CREATE INDEX "SitePlacement_communityId_idx" ON "SitePlacement"("communityId");

