-- Field staff on the phone app (#16): grid workers' grids, devices in a grid's care, and patrol reports.
-- Only new tables (additive).

-- CreateTable
CREATE TABLE "GridWorker" (
    "gridId" TEXT NOT NULL,
    "userId" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,

    PRIMARY KEY ("gridId", "userId")
);

-- CreateTable
CREATE TABLE "GridDevice" (
    "deviceId" TEXT NOT NULL PRIMARY KEY,
    "gridId" TEXT NOT NULL
);

-- CreateTable
CREATE TABLE "PatrolReport" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "alertId" TEXT,
    "gridId" TEXT NOT NULL,
    "reportedBy" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "place" TEXT NOT NULL,
    "text" TEXT NOT NULL,
    "photo" BLOB,
    "photoType" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- CreateIndex
CREATE INDEX "GridWorker_userId_idx" ON "GridWorker"("userId");

-- CreateIndex
CREATE INDEX "GridDevice_gridId_idx" ON "GridDevice"("gridId");

-- CreateIndex
CREATE UNIQUE INDEX "PatrolReport_alertId_key" ON "PatrolReport"("alertId");

-- CreateIndex
CREATE INDEX "PatrolReport_gridId_createdAt_idx" ON "PatrolReport"("gridId", "createdAt");
