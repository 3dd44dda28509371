/**
 * Locks keyed by string, in process: a held key maps to the wake-up calls of those waiting for it (null while none
 * waits), so taking and releasing a key nobody else wants allocates nothing. Waiters are handed the key in order.
 */
export type KeyLocks = Map<string, Array<() => void> | null>;

/** Takes the key; returns a promise to await first when another holder has it (it is handed over in order). */
export function takeKeyLock(locks: KeyLocks, key: string): Promise<void> | undefined {
  const waiters = locks.get(key);
  if (waiters === undefined) {
    locks.set(key, null);
    return undefined;
  }
  return new Promise<void>((resolve) => {
    if (waiters) waiters.push(resolve);
    else locks.set(key, [resolve]);
  });
}

/** Hands the key to the next waiter, or frees it. */
export function releaseKeyLock(locks: KeyLocks, key: string): void {
  const next = locks.get(key)?.shift();
  if (next) next();
  else locks.delete(key);
}

/**
 * Runs `work` holding `key`, after whoever holds or waits for it before. Written with `then` rather than as an async
 * function: a free key (nearly always) then costs one promise reaction instead of an async frame and two awaits.
 */
export function holding<T>(locks: KeyLocks, key: string, work: () => Promise<T>): Promise<T> {
  const held = takeKeyLock(locks, key);
  let running: Promise<T>;
  if (held) running = held.then(work);
  else {
    try {
      running = Promise.resolve(work());
    } catch (error) {
      running = Promise.reject(error);
    }
  }
  return running.then(
    (value) => {
      releaseKeyLock(locks, key);
      return value;
    },
    (error: unknown) => {
      releaseKeyLock(locks, key);
      throw error;
    },
  );
}
