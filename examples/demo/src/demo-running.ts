import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Cascade } from '@omnidealer/cascade';
import type { EmailChannel } from '@omnidealer/channel-email';
import type { Clock, Omnidealer, Store, WebhookServer } from '@omnidealer/core';
import { createSqliteStore } from '@omnidealer/store-sqlite';
import type { DemoOptions } from './demo-options.js';
import type { DemoSandbox } from './demo-sandbox.js';
import type { LoopbackFetch } from './loopback-fetch.js';

/** What a demo run opened, to be closed at its end whatever happened. */
export interface Running {
  hub: Omnidealer;
  cascade: Cascade;
  store: Store;
  server: WebhookServer;
  email?: EmailChannel | undefined;
  sandbox?: DemoSandbox | undefined;
  loopback?: LoopbackFetch | undefined;
  tmp?: string | undefined;
}

/** Closes whatever the run opened, in reverse order, and removes the temporary directory. */
export async function stopAll(running: Partial<Running>): Promise<void> {
  running.cascade?.close();
  await running.hub?.shutdown();
  running.email?.close();
  await running.sandbox?.stop();
  await running.server?.close();
  running.loopback?.close();
  await running.store?.close?.();
  if (running.tmp) await rm(running.tmp, { recursive: true, force: true });
}

/** The SQLite store: at `--store FILE`, else in a temporary directory removed at the end. */
export async function openStore(options: DemoOptions, clock: Clock): Promise<{ store: Store; tmp?: string }> {
  if (options.storePath) return { store: createSqliteStore({ path: options.storePath, clock, synchronous: 'normal' }) };
  const tmp = await mkdtemp(join(tmpdir(), 'omnidealer-demo-'));
  return { store: createSqliteStore({ path: join(tmp, 'demo.db'), clock, synchronous: 'normal' }), tmp };
}
