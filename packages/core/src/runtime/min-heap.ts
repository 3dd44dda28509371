/** A binary min-heap: `pop` and `peek` give the smallest item by `compare`. */
export interface MinHeap<T> {
  readonly size: number;
  push(item: T): void;
  /** The smallest item, left in the heap; `undefined` when empty. */
  peek(): T | undefined;
  /** Removes and returns the smallest item; `undefined` when empty. */
  pop(): T | undefined;
  /** Removes every item and returns them in no particular order. */
  drain(): T[];
}

/**
 * Creates a binary min-heap: `push` and `pop` in O(log n), `peek` in O(1). Items that compare equal come out in
 * no particular order; put a sequence number in `compare` where order matters.
 * @example
 * const heap = createMinHeap<{ readyAt: number }>((a, b) => a.readyAt - b.readyAt);
 * heap.push({ readyAt: 20 });
 * heap.push({ readyAt: 10 });
 * heap.pop(); // { readyAt: 10 }
 */
export function createMinHeap<T>(compare: (a: T, b: T) => number): MinHeap<T> {
  let items: T[] = [];

  function siftUp(index: number): void {
    const item = items[index] as T;
    while (index > 0) {
      const parentIndex = (index - 1) >> 1;
      const parent = items[parentIndex] as T;
      if (compare(item, parent) >= 0) break;
      items[index] = parent;
      index = parentIndex;
    }
    items[index] = item;
  }

  function siftDown(index: number): void {
    const item = items[index] as T;
    const length = items.length;
    for (;;) {
      const left = 2 * index + 1;
      if (left >= length) break;
      const right = left + 1;
      const child = right < length && compare(items[right] as T, items[left] as T) < 0 ? right : left;
      if (compare(items[child] as T, item) >= 0) break;
      items[index] = items[child] as T;
      index = child;
    }
    items[index] = item;
  }

  return {
    get size() {
      return items.length;
    },
    push(item) {
      items.push(item);
      siftUp(items.length - 1);
    },
    peek() {
      return items[0];
    },
    pop() {
      const top = items[0];
      const last = items.pop();
      if (items.length > 0 && last !== undefined) {
        items[0] = last;
        siftDown(0);
      }
      return top;
    },
    drain() {
      const all = items;
      items = [];
      return all;
    },
  };
}
