import { describe, expect, it } from 'vitest';
import { canTransition } from './message-status.js';

describe('canTransition', () => {
  it('moves forward through queued → sent → delivered → read', () => {
    expect(canTransition('queued', 'sent')).toBe(true);
    expect(canTransition('sent', 'delivered')).toBe(true);
    expect(canTransition('delivered', 'read')).toBe(true);
    expect(canTransition('sent', 'read')).toBe(true);
  });
  it('never downgrades: a late delivered after read is ignored', () => {
    expect(canTransition('read', 'delivered')).toBe(false);
    expect(canTransition('delivered', 'sent')).toBe(false);
    expect(canTransition('read', 'read')).toBe(false);
  });
  it('accepts failed only before delivery and nothing after failed', () => {
    expect(canTransition('sent', 'failed')).toBe(true);
    expect(canTransition('queued', 'failed')).toBe(true);
    expect(canTransition('delivered', 'failed')).toBe(false);
    expect(canTransition('failed', 'read')).toBe(false);
  });
});
