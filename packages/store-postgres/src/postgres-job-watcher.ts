import { createHash } from 'node:crypto';
import type pg from 'pg';
import { z } from 'zod';
import { quoteIdentifier } from './postgres-migrations.js';

/** Receives the run time and kind of a scheduled job (see `Store.watchJobs`). */
export type JobWatchListener = (runAt: number, kind: string) => void;

/** Options of {@link createPostgresJobWatcher}. */
export interface PostgresJobWatcherOptions {
  /** The notification channel `scheduleJob` notifies (see {@link jobChannelName}). */
  channel: string;
  /** A new client of its own (not from the pool: it stays connected while anyone watches). */
  createClient: () => pg.Client;
  /** Jobs already pending, earliest first: told after each (re)connection, since notifications sent meanwhile are lost. */
  pendingJobs: () => Promise<Array<{ runAt: number; kind: string }>>;
  /** First wait before reconnecting; it doubles up to `maxBackoffMs`. @default 100 ms */
  minBackoffMs?: number;
  /** @default 10 000 ms */
  maxBackoffMs?: number;
  /** How often the connection is checked with `SELECT 1` (a silent network loss sends no error). @default 30 000 ms */
  heartbeatMs?: number;
}

/** The LISTEN side of `watchJobs`: one connection shared by all of a store's watchers, opened by the first. */
export interface PostgresJobWatcher {
  watch(listener: JobWatchListener): () => void;
  /** Ends the connection; later watches do nothing. */
  close(): Promise<void>;
}

const notificationSchema = z.object({ runAt: z.number(), kind: z.string() });

/**
 * The channel name `scheduleJob` notifies for a schema: `<schema>.jobs`, or a hash of the schema when that would pass
 * PostgreSQL's 63-byte identifier limit (LISTEN would silently cut it, pg_notify would refuse it).
 */
export function jobChannelName(schema: string): string {
  const name = `${schema}.jobs`;
  return Buffer.byteLength(name) <= 63 ? name : `jobs_${createHash('sha256').update(schema).digest('hex').slice(0, 40)}`;
}

/**
 * Listens on the jobs channel with one dedicated connection while anyone watches. A lost connection (the server
 * restarted, `pg_terminate_backend`, a failed heartbeat) is reopened with exponential backoff; after each connection
 * the pending jobs are read and told, as the notifications sent meanwhile are lost.
 */
export function createPostgresJobWatcher(options: PostgresJobWatcherOptions): PostgresJobWatcher {
  const minBackoffMs = options.minBackoffMs ?? 100;
  const maxBackoffMs = options.maxBackoffMs ?? 10_000;
  const heartbeatMs = options.heartbeatMs ?? 30_000;
  const listeners = new Set<JobWatchListener>();
  let closed = false;
  /** The connection of the current generation; a generation ends when the connection is lost or watching stops. */
  let client: pg.Client | undefined;
  let generation = 0;
  let failures = 0;
  let reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  let heartbeat: ReturnType<typeof setInterval> | undefined;

  const tell = (runAt: number, kind: string) => {
    for (const listener of [...listeners]) {
      try {
        listener(runAt, kind);
      } catch {
        // A listener's failure is its own.
      }
    }
  };

  const active = (current: number) => !closed && listeners.size > 0 && current === generation;

  function drop(current: number): void {
    if (current !== generation) return;
    generation++;
    if (heartbeat) clearInterval(heartbeat);
    heartbeat = undefined;
    const lost = client;
    client = undefined;
    void lost?.end().catch(() => undefined);
  }

  function lose(current: number): void {
    if (current !== generation) return;
    drop(current);
    if (closed || listeners.size === 0) return;
    const delay = Math.min(maxBackoffMs, minBackoffMs * 2 ** failures);
    failures++;
    // Jitter, so the workers of a restarted server do not all come back in the same millisecond.
    reconnectTimer = setTimeout(connect, delay / 2 + Math.random() * (delay / 2));
  }

  async function connect(): Promise<void> {
    reconnectTimer = undefined;
    if (closed || listeners.size === 0 || client) return;
    const current = ++generation;
    const connection = options.createClient();
    client = connection;
    connection.on('error', () => lose(current));
    connection.on('end', () => lose(current));
    connection.on('notification', (notification) => {
      if (notification.channel !== options.channel || notification.payload === undefined) return;
      let parsed: unknown;
      try {
        parsed = JSON.parse(notification.payload);
      } catch {
        return;
      }
      const job = notificationSchema.safeParse(parsed);
      if (job.success) tell(job.data.runAt, job.data.kind);
    });
    try {
      await connection.connect();
      await connection.query(`LISTEN ${quoteIdentifier(options.channel)}`);
      if (!active(current)) return;
      heartbeat = setInterval(() => {
        connection.query('SELECT 1').catch(() => lose(current));
      }, heartbeatMs);
      heartbeat.unref?.();
      // Listening first, then reading: a job scheduled in between is told twice, never missed.
      const pending = await options.pendingJobs();
      if (!active(current)) return;
      failures = 0;
      for (const job of pending) tell(job.runAt, job.kind);
    } catch {
      lose(current);
    }
  }

  function stop(): void {
    if (reconnectTimer) clearTimeout(reconnectTimer);
    reconnectTimer = undefined;
    drop(generation);
  }

  return {
    watch(listener) {
      const watcher: JobWatchListener = (runAt, kind) => listener(runAt, kind);
      listeners.add(watcher);
      if (!closed && listeners.size === 1 && !client && !reconnectTimer) void connect();
      return () => {
        listeners.delete(watcher);
        if (listeners.size === 0) stop();
      };
    },
    async close() {
      closed = true;
      const last = client;
      stop();
      await last?.end().catch(() => undefined);
    },
  };
}

/** Pending jobs told after a (re)connection at most: the runners' safety poll finds the rest. */
const catchUpLimit = 1000;

/** The statement reading the pending jobs to tell after a (re)connection, earliest first, for a quoted schema. */
export function pendingJobsStatement(quotedSchema: string): string {
  return `SELECT kind, run_at FROM ${quotedSchema}.jobs WHERE status = 'pending' ORDER BY run_at, seq LIMIT ${catchUpLimit}`;
}

/** The rows of {@link pendingJobsStatement} as run times and kinds. */
export function readPendingJobs(rows: Array<{ kind: string; run_at: string }>): Array<{ runAt: number; kind: string }> {
  return rows.map((row) => ({ runAt: Number(row.run_at), kind: row.kind }));
}
