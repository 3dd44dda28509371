import { describe, expect, it } from 'vitest';
import { createIgnoredUpdatesCounter } from './ignored-updates.js';

describe('createIgnoredUpdatesCounter', () => {
  it('counts by type and by reason, and hands out copies', () => {
    const ignored = createIgnoredUpdatesCounter<'edit' | 'group'>();
    expect(ignored.snapshot()).toEqual({ total: 0, byType: {}, byReason: {} });
    const { record } = ignored;
    record('message_edited', 'edit');
    record('message_edited', 'edit');
    record('message_created', 'group');
    const snapshot = ignored.snapshot();
    expect(snapshot).toEqual({
      total: 3,
      byType: { message_edited: 2, message_created: 1 },
      byReason: { edit: 2, group: 1 },
    });
    snapshot.total = 0;
    expect(ignored.snapshot().total).toBe(3);
  });
});
