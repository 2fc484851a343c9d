-- AlterTable
ALTER TABLE "Device" ADD COLUMN "authMemo" TEXT;

