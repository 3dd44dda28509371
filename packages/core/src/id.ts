import { randomUUID } from 'node:crypto';

/** A new unique id with a readable prefix (`msg_…`, `conv_…`). */
export function createId(prefix: string): string {
  return `${prefix}_${randomUUID().replaceAll('-', '')}`;
}
