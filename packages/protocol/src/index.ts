/**
 * @orrery/protocol — what server and client share: close codes, the error class, and (with
 * the typed layer) protocol definitions, the wire envelope and the codec. Browser-safe: it
 * imports nothing from Node.
 */
export {
  CloseCode,
  REJECTION_CLOSE_BASE,
  ORRERY_SUBPROTOCOL,
  MAX_CLOSE_REASON_BYTES,
  rejectionCloseCode,
  rejectionStatus,
  closeDisposition,
  isSendableCloseCode,
} from './close-codes.js';
export type { CloseDisposition } from './close-codes.js';
export { OrreryError, isOrreryError, ORRERY_ERROR_CODES } from './errors.js';
export type { OrreryErrorCode, OrreryErrorOptions } from './errors.js';
export { utf8ByteLength } from './utf8.js';
