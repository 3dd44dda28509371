import { describe, expect, it } from 'vitest';
import { createVkReadTracker } from './vk-read-tracker.js';

describe('createVkReadTracker', () => {
  it('names the sends to a dialog below the read id, oldest first, and keeps them for a redelivery', () => {
    const tracker = createVkReadTracker();
    for (const id of [3791, 3785, 3795]) tracker.sent('310550771', id);
    tracker.sent('310550772', 3790);
    expect(tracker.sentBefore('310550771', 3795)).toEqual(['3785', '3791']);
    expect(tracker.sentBefore('310550771', 3795)).toEqual(['3785', '3791']);
    expect(tracker.sentBefore('310550771', 3785)).toEqual([]);
    expect(tracker.sentBefore('999', 5000)).toEqual([]);
  });

  it('is bounded: the last sends per dialog, the dialogs sent to most recently', () => {
    const tracker = createVkReadTracker({ perDialog: 2, dialogs: 2 });
    for (const id of [1, 2, 3]) tracker.sent('a', id);
    expect(tracker.sentBefore('a', 10)).toEqual(['2', '3']);
    tracker.sent('b', 4);
    tracker.sent('a', 5);
    tracker.sent('c', 6);
    expect(tracker.sentBefore('b', 10)).toEqual([]);
    expect(tracker.sentBefore('a', 10)).toEqual(['3', '5']);
    expect(tracker.sentBefore('c', 10)).toEqual(['6']);
  });
});
