// The paths the send-path benchmark compares, each a task `(index) => Promise` that sends one WhatsApp template
// to recipient `index`. Each is measured in a process of its own (see send-path-worker.ts).
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createWhatsAppChannel, type WhatsAppChannel } from '../packages/channel-whatsapp/src/index.js';
import { createMemoryStore, createOmnidealer, type Store } from '../packages/core/src/index.js';
import { createPostgresStore } from '../packages/store-postgres/src/index.js';
import { createSqliteStore } from '../packages/store-sqlite/src/index.js';
import {
  benchContact,
  cloudTemplateBody as body,
  benchPhone as phoneOf,
  benchTemplate as template,
} from './whatsapp-template-load.js';

/** In-flight sends in every path. */
export const concurrency = 32;

const accessToken = 'EAAbenchmarktoken';

/** Names of the paths, in table order. */
export const sendPathNames = [
  'rawFetch',
  'rawFetchDefault',
  'rawHttp',
  'doSend',
  'hubInstant',
  'hubRawTransport',
  'hub',
  'hubSqlite',
  'hubPostgres',
  'postgresCommitLoop',
] as const;

/** Environment variable carrying the connection string of the bench's PostgreSQL cluster to the path processes. */
export const postgresUrlVariable = 'OMNIDEALER_BENCH_POSTGRES_URL';
export type SendPathName = (typeof sendPathNames)[number];

/** Builds the task of one path against the Cloud API stub at `stubUrl`. */
export function createSendPath(name: SendPathName, stubUrl: string): (index: number) => Promise<unknown> {
  const baseUrl = `${stubUrl}/v23.0/106540352242922`;
  const headers = { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json' };
  switch (name) {
    // The baseline, with the request option the channel also uses (`redirect: 'error'`, which spares undici
    // a copy of every body).
    case 'rawFetch':
      return async (index) => {
        const response = await fetch(`${baseUrl}/messages`, { method: 'POST', redirect: 'error', headers, body: body(index) });
        await response.json();
      };
    case 'rawFetchDefault':
      return async (index) => {
        const response = await fetch(`${baseUrl}/messages`, { method: 'POST', headers, body: body(index) });
        await response.json();
      };
    // The SDK's own transport (node:http keep-alive), hand-written: what the SDK's overhead is taken against.
    case 'rawHttp':
      return rawHttpPost(baseUrl, headers);
    // The channel's own call alone (payload conversion, the HTTP helper's headers, deadline, error mapping, response
    // check) on the same transport.
    case 'doSend': {
      const channel = createWhatsAppChannel({ baseURL: baseUrl, accessToken, appSecret: 'bench', verifyToken: 'bench' });
      return (index) =>
        channel.doSend(
          {
            id: `m${index}`,
            to: phoneOf(index).slice(1),
            contact: { id: `c${index}`, phone: phoneOf(index) },
            content: template,
            conversation: { id: `conv${index}` } as never,
          },
          {},
        );
    }
    // The hub around a channel that answers at once (validation, store writes, limiter, retry, events), no HTTP.
    case 'hubInstant': {
      let ids = 0;
      const instant = unlimitedWhatsApp(baseUrl, {
        doSend: async () => ({ status: 'sent' as const, providerMessageId: `wamid.instant${ids++}` }),
      });
      return sendThroughHub(instant, createMemoryStore());
    }
    // The hub around a channel whose call is the raw loop above: the hub's own cost when sends wait on real sockets,
    // without the channel's payload conversion, HTTP helper or response check.
    case 'hubRawTransport': {
      const post = rawHttpPost(baseUrl, headers);
      const raw = unlimitedWhatsApp(baseUrl, {
        // Contact ids are `c<index>` (see sendThroughHub): the raw loop posts that recipient's body.
        doSend: async (message) => ({
          status: 'sent' as const,
          providerMessageId: await post(Number(message.contact.id.slice(1))),
        }),
      });
      return sendThroughHub(raw, createMemoryStore());
    }
    // The whole SDK, the provider's cap lifted (see unlimitedWhatsApp); the limit's fidelity is the rate-limit bench.
    case 'hub':
      return sendThroughHub(unlimitedWhatsApp(baseUrl), createMemoryStore());
    // The same on the durable store a server runs with: SQLite, its default `synchronous: 'full'`, a fresh file.
    case 'hubSqlite': {
      const folder = mkdtempSync(join(tmpdir(), 'omnidealer-bench-'));
      process.once('exit', () => rmSync(folder, { recursive: true, force: true }));
      return sendThroughHub(unlimitedWhatsApp(baseUrl), createSqliteStore({ path: join(folder, 'bench.db') }));
    }
    // The same on PostgreSQL (a cluster with its default durability, over a Unix socket), a fresh schema per process:
    // what several application servers sharing one database run.
    case 'hubPostgres': {
      const connectionString = process.env[postgresUrlVariable];
      if (!connectionString) throw new Error(`${postgresUrlVariable} is not set`);
      const store = createPostgresStore({ connectionString, schema: `bench_send_${process.pid}`, poolSize: 16 });
      return sendThroughHub(unlimitedWhatsApp(baseUrl), store);
    }
    // The ceiling of the PostgreSQL row on the same cluster: a one-row upsert, each its own commit (a WAL flush) — the
    // store with its group commit off — on a pool of the same size at the same concurrency. A send waits for several
    // commits in sequence, so it runs below this.
    case 'postgresCommitLoop': {
      const connectionString = process.env[postgresUrlVariable];
      if (!connectionString) throw new Error(`${postgresUrlVariable} is not set`);
      const store = createPostgresStore({
        connectionString,
        schema: `bench_commit_${process.pid}`,
        poolSize: 16,
        groupCommit: false,
      });
      const value = { body: body(0) };
      return (index) => store.putRecord('bench', String(index), value);
    }
  }
}

/**
 * Posts the Cloud API body for recipient `index` over `node:http` keep-alive, by hand, and resolves with the provider's
 * message id: the transport the SDK uses, with nothing of the SDK around it.
 */
function rawHttpPost(baseUrl: string, headers: Record<string, string>): (index: number) => Promise<string> {
  const agent = new http.Agent({ keepAlive: true, scheduling: 'lifo' });
  return (index) =>
    new Promise<string>((resolve, reject) => {
      const payload = body(index);
      const request = http.request(
        `${baseUrl}/messages`,
        { method: 'POST', agent, headers: { ...headers, 'content-length': String(Buffer.byteLength(payload)) } },
        (response) => {
          let text = '';
          response.setEncoding('utf8');
          response.on('data', (chunk: string) => {
            text += chunk;
          });
          response.on('end', () => resolve((JSON.parse(text) as { messages: Array<{ id: string }> }).messages[0]?.id ?? ''));
          response.on('error', reject);
        },
      );
      request.on('error', reject);
      request.end(payload);
    });
}

/**
 * The WhatsApp channel on the stub, its provider cap (80/s by default) lifted so the figure is the SDK's, not the
 * limit's; the limiter still runs (maxConcurrent). `overrides` replace channel members (an instant `doSend`).
 */
function unlimitedWhatsApp(baseUrl: string, overrides: Partial<WhatsAppChannel> = {}): WhatsAppChannel {
  const whatsapp = createWhatsAppChannel({ baseURL: baseUrl, accessToken, appSecret: 'bench', verifyToken: 'bench' });
  return Object.assign(Object.create(null), whatsapp, { rateLimit: { maxConcurrent: concurrency }, ...overrides });
}

/** `hub.send` of the bench template to contact `c<index>`, through a hub on `channel` and `store`. */
function sendThroughHub(channel: WhatsAppChannel, store: Store): (index: number) => Promise<unknown> {
  const hub = createOmnidealer({ channels: [channel], store });
  return async (index) => {
    const message = await hub.send({ channel: 'whatsapp', contact: benchContact(`c${index}`, index), content: template });
    if (message.status !== 'sent') throw new Error(`send failed: ${message.error?.code}`);
  };
}
