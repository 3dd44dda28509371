import { randomFillSync } from 'node:crypto';

// Random bytes are drawn in bulk and handed out 16 at a time: one `randomUUID()` plus `replaceAll` per id cost about
// three times as much CPU and allocation, and an inbound webhook event alone creates three ids.
const idBytes = 16;
const pool = Buffer.alloc(idBytes * 256);
let offset = pool.length;

/** A new unique id with a readable prefix (`msg_…`, `conv_…`): 128 random bits as 32 hex digits. */
export function createId(prefix: string): string {
  if (offset === pool.length) {
    randomFillSync(pool);
    offset = 0;
  }
  const id = `${prefix}_${pool.toString('hex', offset, offset + idBytes)}`;
  offset += idBytes;
  return id;
}
