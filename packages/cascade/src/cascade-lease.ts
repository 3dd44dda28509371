import type { Clock, Store } from '@omnidealer/core';
import { createId } from '@omnidealer/core/provider-utils';

/** Store namespace of the cascade leases: one record per cascade key while a process works on that cascade. */
export const cascadeLeaseNamespace = 'cascade.lease';

/** Who works on a cascade, and until when the lease holds if that process dies. */
interface CascadeLease {
  token: string;
  /** By the cascade's clock; past it, another process may take the cascade over. */
  until: number;
}

/** A lease this process holds: `release()` gives it back once its work on the cascade is saved. */
export interface HeldLease {
  release(): Promise<void>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Takes the lease on the cascade stored under `key`, atomically in the store (`updateRecord`), so that of several
 * processes sharing the store only one at a time reads, changes and saves that cascade: a worker sending the next step
 * and a hub applying the previous step's delivery report on another machine would otherwise each save their own copy,
 * and the later save would undo the earlier one. Waits while another live process holds the lease, polling the record
 * with a growing pause (5 ms up to 100 ms); takes it over once that process's lease has expired (it died).
 * The holder must finish within `leaseMs` — the cascade's job lease, which already bounds a step's work.
 */
export async function takeCascadeLease(store: Store, clock: Clock, key: string, leaseMs: number): Promise<HeldLease> {
  const token = createId('lease');
  let pause = 5;
  for (;;) {
    const held = await store.updateRecord<CascadeLease>(cascadeLeaseNamespace, key, (current) => {
      const now = clock.now();
      return current && current.until > now ? current : { token, until: now + leaseMs };
    });
    if (held?.token === token) break;
    await sleep(pause);
    pause = Math.min(100, pause * 2);
  }
  return {
    async release() {
      await store.updateRecord<CascadeLease>(cascadeLeaseNamespace, key, (current) =>
        current?.token === token ? undefined : current,
      );
    },
  };
}
