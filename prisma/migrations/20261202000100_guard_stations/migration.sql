-- Guard stations (a browser registered by an admin) and guards' PINs for signing in on one.
-- Written from `prisma migrate diff` (schema of the previous migration → this schema); the User columns are added
-- with ALTER TABLE instead of the generated table copy: same result, no rewrite of the table.

-- CreateTable
CREATE TABLE "GuardStation" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "name" TEXT NOT NULL,
    "tokenHash" TEXT NOT NULL,
    "createdBy" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expiresAt" DATETIME NOT NULL,
    "revokedAt" DATETIME,
    "lastSeenAt" DATETIME
);

-- AlterTable
ALTER TABLE "User" ADD COLUMN "pinHash" TEXT;
ALTER TABLE "User" ADD COLUMN "pinFailures" INTEGER NOT NULL DEFAULT 0;
ALTER TABLE "User" ADD COLUMN "pinLockedUntil" DATETIME;

-- CreateIndex
CREATE UNIQUE INDEX "GuardStation_tokenHash_key" ON "GuardStation"("tokenHash");
