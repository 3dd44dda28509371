import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createMinHeap } from './min-heap.js';

describe('createMinHeap', () => {
  it('gives items back smallest first, with peek showing the next one', () => {
    const heap = createMinHeap<number>((a, b) => a - b);
    expect(heap.pop()).toBeUndefined();
    expect(heap.peek()).toBeUndefined();
    for (const value of [5, 1, 4, 1, 3]) heap.push(value);
    expect(heap.size).toBe(5);
    expect(heap.peek()).toBe(1);
    expect([heap.pop(), heap.pop(), heap.pop(), heap.pop(), heap.pop()]).toEqual([1, 1, 3, 4, 5]);
    expect(heap.size).toBe(0);
  });

  it('breaks ties by whatever the comparison adds (here a sequence number)', () => {
    const heap = createMinHeap<{ at: number; sequence: number }>((a, b) => a.at - b.at || a.sequence - b.sequence);
    heap.push({ at: 10, sequence: 2 });
    heap.push({ at: 10, sequence: 0 });
    heap.push({ at: 5, sequence: 3 });
    heap.push({ at: 10, sequence: 1 });
    expect(Array.from({ length: 4 }, () => heap.pop()?.sequence)).toEqual([3, 0, 1, 2]);
  });

  it('drains everything', () => {
    const heap = createMinHeap<number>((a, b) => a - b);
    for (const value of [3, 2, 1]) heap.push(value);
    expect(heap.drain().sort()).toEqual([1, 2, 3]);
    expect(heap.size).toBe(0);
  });

  it('matches a sort for any interleaving of pushes and pops', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.integer({ min: -1000, max: 1000 }), fc.constant(null)), { maxLength: 200 }), (steps) => {
        const heap = createMinHeap<number>((a, b) => a - b);
        const model: number[] = [];
        for (const step of steps) {
          if (step === null) {
            model.sort((a, b) => a - b);
            expect(heap.pop()).toBe(model.shift());
          } else {
            heap.push(step);
            model.push(step);
          }
          expect(heap.size).toBe(model.length);
          expect(heap.peek()).toBe(model.length ? Math.min(...model) : undefined);
        }
      }),
    );
  });
});
