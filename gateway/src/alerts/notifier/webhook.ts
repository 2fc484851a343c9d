// The signed webhook lives in the HTTP kit (api/webhook.ts) since the hub notifies through it too; the cell's
// alerts keep importing it from here.
export { DELIVERY_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, sign, verify, webhookNotifier } from '../../api/webhook';
