import type { Clock, Store } from '@omnidealer/core';
import { createId } from '@omnidealer/core/provider-utils';

/** Store namespace of the start claims: one record per cascade key while a process starts that cascade. */
export const startClaimNamespace = 'cascade.start';

/** Who is starting a cascade, and until when the claim holds if that process dies. */
interface StartClaim {
  token: string;
  /** By the cascade's clock; past it, another process may take the start over. */
  until: number;
}

/** A start claim this process holds: `release()` gives it back once the cascade's first step is recorded. */
export interface HeldStartClaim {
  release(): Promise<void>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Claims the start of the cascade stored under `key`, atomically in the store (`updateRecord`), so that of several
 * processes sharing the store and sending the same cascade (the same campaign run on two machines, a retried request
 * landing elsewhere) exactly one plans and sends its first step. Resolves with the held claim, or `undefined` once
 * another process that held it has finished (released it) or died (its claim expired) — the caller then reads the
 * stored state again, and claims again if there is none. While another live process holds it, this waits, polling the
 * record with a growing pause (10 ms up to 200 ms): contention exists only when the same cascade starts at once twice.
 */
export async function claimStart(store: Store, clock: Clock, key: string, leaseMs: number): Promise<HeldStartClaim | undefined> {
  const token = createId('start');
  const held = await store.updateRecord<StartClaim>(startClaimNamespace, key, (current) => {
    const now = clock.now();
    return current && current.until > now ? current : { token, until: now + leaseMs };
  });
  if (held?.token === token) {
    return {
      async release() {
        await store.updateRecord<StartClaim>(startClaimNamespace, key, (current) =>
          current?.token === token ? undefined : current,
        );
      },
    };
  }
  let pause = 10;
  for (;;) {
    await sleep(pause);
    pause = Math.min(200, pause * 2);
    const current = await store.getRecord<StartClaim>(startClaimNamespace, key);
    if (current === undefined || current.token !== held?.token || current.until <= clock.now()) return undefined;
  }
}
