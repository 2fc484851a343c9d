-- Administration (issue 15): users get a forced password change and a compound scope (property managers); devices
-- get a criticality, firmware and clock drift from heartbeats, a grace period for a rotated secret, and decommissioning.
-- Device.supervisionSec becomes optional: the stored values were never read (every device was supervised with its
-- kind's SUPERVISION_SEC_<KIND>), so existing rows get NULL, which keeps exactly that behaviour.
-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_User" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "username" TEXT NOT NULL,
    "passwordHash" TEXT NOT NULL,
    "role" TEXT NOT NULL,
    "displayName" TEXT NOT NULL,
    "residentId" TEXT,
    "disabled" BOOLEAN NOT NULL DEFAULT false,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "mustChangePassword" BOOLEAN NOT NULL DEFAULT false,
    "passwordChangedAt" DATETIME,
    "communityId" TEXT,
    CONSTRAINT "User_residentId_fkey" FOREIGN KEY ("residentId") REFERENCES "Resident" ("id") ON DELETE SET NULL ON UPDATE CASCADE
);
INSERT INTO "new_User" ("createdAt", "disabled", "displayName", "id", "passwordHash", "residentId", "role", "username") SELECT "createdAt", "disabled", "displayName", "id", "passwordHash", "residentId", "role", "username" FROM "User";
DROP TABLE "User";
ALTER TABLE "new_User" RENAME TO "User";
CREATE UNIQUE INDEX "User_username_key" ON "User"("username");
CREATE UNIQUE INDEX "User_residentId_key" ON "User"("residentId");
CREATE TABLE "new_Device" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "kind" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "communityId" TEXT NOT NULL,
    "placeKind" TEXT NOT NULL,
    "buildingId" TEXT,
    "unitId" TEXT,
    "householdId" TEXT,
    "x" REAL NOT NULL,
    "y" REAL NOT NULL,
    "secretHash" TEXT NOT NULL,
    "authMemo" TEXT,
    "enabled" BOOLEAN NOT NULL DEFAULT true,
    "supervisionSec" INTEGER,
    "criticality" TEXT,
    "firmware" TEXT,
    "clockDriftSec" REAL,
    "prevSecretHash" TEXT,
    "prevSecretUntil" DATETIME,
    "decommissionedAt" DATETIME,
    "online" BOOLEAN NOT NULL DEFAULT false,
    "lastSeenAt" DATETIME,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "Device_communityId_fkey" FOREIGN KEY ("communityId") REFERENCES "Community" ("id") ON DELETE RESTRICT ON UPDATE CASCADE,
    CONSTRAINT "Device_buildingId_fkey" FOREIGN KEY ("buildingId") REFERENCES "Building" ("id") ON DELETE SET NULL ON UPDATE CASCADE,
    CONSTRAINT "Device_unitId_fkey" FOREIGN KEY ("unitId") REFERENCES "Unit" ("id") ON DELETE SET NULL ON UPDATE CASCADE,
    CONSTRAINT "Device_householdId_fkey" FOREIGN KEY ("householdId") REFERENCES "Household" ("id") ON DELETE SET NULL ON UPDATE CASCADE
);
INSERT INTO "new_Device" ("authMemo", "buildingId", "communityId", "createdAt", "enabled", "householdId", "id", "kind", "lastSeenAt", "name", "online", "placeKind", "secretHash", "supervisionSec", "unitId", "x", "y") SELECT "authMemo", "buildingId", "communityId", "createdAt", "enabled", "householdId", "id", "kind", "lastSeenAt", "name", "online", "placeKind", "secretHash", NULL, "unitId", "x", "y" FROM "Device";
DROP TABLE "Device";
ALTER TABLE "new_Device" RENAME TO "Device";
CREATE INDEX "Device_kind_idx" ON "Device"("kind");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;

