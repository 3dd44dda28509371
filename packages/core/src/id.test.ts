import { describe, expect, it } from 'vitest';
import { createId } from './id.js';

describe('createId', () => {
  it('gives a prefixed 32-hex-digit id, different every time, across refills of its random pool', () => {
    const ids = Array.from({ length: 2000 }, () => createId('msg'));
    for (const id of ids) expect(id).toMatch(/^msg_[0-9a-f]{32}$/);
    expect(new Set(ids).size).toBe(ids.length);
    // Every hex digit turns up in every position: the bytes are random, not a counter.
    for (let position = 4; position < 36; position++) expect(new Set(ids.map((id) => id[position])).size).toBe(16);
  });
});
