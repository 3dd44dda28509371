import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import {
  type Clock,
  createNodeWebhookRouter,
  createOmnidealer,
  type Logger,
  type Message,
  type Omnidealer,
  type ResponseTimer,
  type SlaReport,
  type Store,
} from '@omnidealer/core';
import { createRedactingLogger, systemClock } from '@omnidealer/core/provider-utils';
import type { Sandbox } from '@omnidealer/sandbox';
import { createSqliteStore } from '@omnidealer/store-sqlite';
import { startBranchAccounts } from './branch-accounts.js';
import { createInboxApi, type SimulateInput } from './inbox-api.js';
import { callOperatorPayloads, defaultDepartment, demoCustomers } from './inbox-config.js';
import { createInboxViews, type ReplyBlock } from './inbox-views.js';
import { type BranchAudience, createLiveUpdates } from './live-updates.js';

/** Options of {@link startInbox}. */
export interface StartInboxOptions {
  /** HTTP port on `host`. @default 0 (a free port) */
  port?: number;
  /** @default '127.0.0.1' */
  host?: string;
  /** Seed of the sandbox providers: same seed, same ids, listings and outcomes. @default 1 */
  seed?: number | string;
  /**
   * Time for the hub, the channels and the sandbox. A manual clock (one with `advance` and no `speed`) switches the
   * sandbox to manual timers: its scheduled events run on every tick. @default the system clock
   */
  clock?: Clock;
  /** SQLite file of the hub's store. @default ':memory:' (a throwaway store) */
  storePath?: string;
  /** Answer-within target: the timer turns red after it. @default 120000 (2 minutes) */
  targetMs?: number;
  /** How often timers and window states are pushed to the pages, in real ms. @default 1000 */
  tickMs?: number;
  /** Serve `POST /api/simulate` and the page's "simulate a customer" panel (sandbox inbound messages). @default true */
  simulator?: boolean;
  /** Receives the inbox's own failures (pino's `(fields, message)` order); the hub logs through it too. */
  logger?: Logger;
}

/** A running inbox. */
export interface Inbox {
  /** `http://127.0.0.1:<port>`: open it in a browser. */
  readonly url: string;
  readonly hub: Omnidealer;
  /** Each branch's sandbox by branch id (`north`: WhatsApp and Avito, `south`: WhatsApp): write as its customers. */
  readonly sandboxes: Readonly<Record<string, Sandbox>>;
  readonly store: Store;
  readonly clock: Clock;
  /** Runs one tick now: sandbox events due, then timers and window states pushed to the pages. */
  tick(): Promise<void>;
  close(): Promise<void>;
}

const publicDirectory = new URL('./public/', import.meta.url);
const staticFiles: Record<string, { file: string; type: string }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  // The page's ES modules: the entry and the parts it imports (no build step).
  ...Object.fromEntries(
    ['inbox.js', 'inbox-state.js', 'inbox-list.js', 'inbox-thread.js', 'inbox-actions.js'].map((file) => [
      `/${file}`,
      { file, type: 'text/javascript; charset=utf-8' },
    ]),
  ),
  '/inbox.css': { file: 'inbox.css', type: 'text/css; charset=utf-8' },
};

function isManualClock(clock: Clock): boolean {
  return typeof (clock as { advance?: unknown }).advance === 'function' && (clock as { speed?: unknown }).speed === undefined;
}

/** The SLA figures one page may see: its branch's row, or the group's with a row per branch for a supervisor. */
function slaFor(report: SlaReport, sees: BranchAudience): { overall: SlaReport['overall']; byBranch: SlaReport['byBranch'] } {
  const rows = Object.entries(report.byBranch).filter(([branchId]) => sees(branchId));
  if (sees(undefined)) return { overall: report.overall, byBranch: report.byBranch };
  const [own] = rows;
  return { overall: own ? own[1] : report.overall, byBranch: Object.fromEntries(rows) };
}

/**
 * Starts the operator inbox of a two-branch dealer group: a sandbox per branch (Север: WhatsApp and Avito, Юг:
 * WhatsApp), the hub with its branches on a SQLite store, the JSON API, the SSE stream and the page. Webhooks go
 * sandbox → `/hooks/whatsapp` (every branch's number) or `/hooks/<Avito channel id>/<secret>` → `hub.handleWebhook`.
 * @example
 * const inbox = await startInbox({ port: 3000, seed: 1 });
 * await inbox.sandboxes.north?.avito.inbound({ text: 'Ещё продаётся?' });
 * console.log(inbox.url);
 */
export async function startInbox(options: StartInboxOptions = {}): Promise<Inbox> {
  const clock = options.clock ?? systemClock;
  const targetMs = options.targetMs ?? 120_000;
  const host = options.host ?? '127.0.0.1';
  const manual = isManualClock(clock);
  const avitoWebhookSecret = randomBytes(16).toString('hex');

  let handle: ((request: IncomingMessage, response: ServerResponse) => Promise<void>) | undefined;
  const sockets = new Set<Socket>();
  const server = createServer((request, response) => {
    if (!handle) {
      response.writeHead(503).end('starting');
      return;
    }
    handle(request, response).catch(() => {
      if (!response.headersSent) response.writeHead(500);
      response.end();
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  const port = await new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve((server.address() as AddressInfo).port));
  });
  const url = `http://${host}:${port}`;

  const accounts = await startBranchAccounts({ url, seed: options.seed ?? 1, clock, manual, avitoWebhookSecret });
  const { sandboxes } = accounts;
  const store = createSqliteStore({ path: options.storePath ?? ':memory:', clock });
  const hub = createOmnidealer({
    channels: accounts.channels,
    branches: accounts.hubBranches,
    store,
    clock,
    ...(options.logger ? { logger: options.logger } : {}),
  });
  const views = createInboxViews(hub, targetMs);
  const live = createLiveUpdates();
  const simulate = async (input: SimulateInput): Promise<void> => {
    const customer = demoCustomers.find((item) => item.id === input.customer);
    const sandbox = customer && sandboxes[customer.branchId];
    if (!customer || !sandbox) return;
    if (customer.channel === 'whatsapp') {
      await sandbox.whatsapp.inbound({
        from: customer.phone ?? '',
        name: customer.name,
        ...(input.callOperator
          ? { button: { text: 'Позвать оператора', payload: 'CALL_OPERATOR' } }
          : { text: input.text ?? '' }),
      });
    } else {
      await sandbox.avito.inbound({
        chatId: customer.chatId ?? customer.id,
        buyerName: customer.name,
        text: input.text ?? '',
      });
    }
  };
  const api = createInboxApi({ hub, views, live, targetMs, ...(options.simulator === false ? {} : { simulate }) });
  const logger = options.logger && createRedactingLogger(options.logger);

  const push = (conversationId: string, message?: Message) =>
    void api
      .pushConversation(conversationId, message)
      .catch((error: unknown) => logger?.warn({ error: String(error) }, 'inbox: push failed'));

  // Hub events → SSE: the pages of the chat's branch see new chats, messages, statuses and hand-offs as they happen.
  hub.on('message.received', ({ message, conversation }) => push(conversation.id, message));
  const outbound = ({ message }: { message: Message }) => push(message.conversationId, message);
  hub.on('message.sent', outbound);
  hub.on('message.status', outbound);
  hub.on('message.failed', outbound);
  hub.on('conversation.assigned', ({ conversation }) => push(conversation.id));
  hub.on('conversation.closed', ({ conversation }) => push(conversation.id));
  // A hand-off: the pages of the branch it leaves drop the chat, the pages of the branch it joins get it.
  hub.on('conversation.handed_off', ({ conversation, from, to }) => {
    live.broadcast('handoff', { conversationId: conversation.id, from, to }, [from, to]);
    push(conversation.id);
  });

  // The bot→operator rule: only the "call an operator" button puts a chat in the operators' queue.
  hub.on('message.button', ({ conversation, payload }) => {
    if (!callOperatorPayloads.includes(payload) || conversation.handler === 'operator') return;
    void hub
      .assign(conversation.id, {
        handler: 'operator',
        department: defaultDepartment,
        by: 'bot',
        note: 'the customer pressed "call an operator"',
      })
      .catch((error: unknown) => logger?.error({ error: String(error) }, 'inbox: queueing for operators failed'));
  });

  let ticking: Promise<void> | undefined;
  async function runTick(): Promise<void> {
    if (manual) for (const sandbox of Object.values(sandboxes)) await sandbox.flush();
    const conversations = await hub.store.listConversations({ status: 'open' });
    const states: Array<{
      id: string;
      branchId: string | undefined;
      timer: ResponseTimer | undefined;
      replyBlocked: ReplyBlock;
    }> = [];
    for (const conversation of conversations.slice(0, 200)) {
      states.push({
        id: conversation.id,
        branchId: conversation.branchId,
        timer: views.timer(conversation, clock.now()),
        replyBlocked: await views.replyBlock(conversation),
      });
    }
    const sla = await hub.slaReport({ targetMs });
    const now = clock.now();
    // Each page gets the timers of the chats it sees and the SLA of its branch (every branch for a supervisor).
    live.broadcastEach('tick', (sees) => ({
      now,
      conversations: Object.fromEntries(
        states.filter((state) => sees(state.branchId)).map(({ id, timer, replyBlocked }) => [id, { timer, replyBlocked }]),
      ),
      sla: slaFor(sla, sees),
    }));
  }
  function tick(): Promise<void> {
    ticking ??= runTick().finally(() => {
      ticking = undefined;
    });
    return ticking;
  }
  const interval = setInterval(() => {
    if (live.size > 0) tick().catch((error: unknown) => logger?.warn({ error: String(error) }, 'inbox: tick failed'));
  }, options.tickMs ?? 1000);

  // Webhooks → hub.handleWebhook. `/hooks/whatsapp` is every branch's number: the hub hands each delivery to the number its
  // `phone_number_id` names, and refuses one for a number of no branch (404). `/hooks/<channel id>` is one Avito
  // account (its channel checks the secret in the path itself, timing-safe, and answers 401 on a wrong one).
  const webhooks = createNodeWebhookRouter(hub);
  handle = async (request, response) => {
    const requestUrl = new URL(request.url ?? '/', url);
    const path = requestUrl.pathname;
    if (path.startsWith('/hooks/')) {
      await webhooks(request, response);
      return;
    }
    if (path.startsWith('/api/')) {
      await api.handle(request, response, requestUrl);
      return;
    }
    const file = request.method === 'GET' ? staticFiles[path] : undefined;
    if (!file) {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    const body = await readFile(new URL(file.file, publicDirectory));
    response.writeHead(200, { 'content-type': file.type, 'cache-control': 'no-store' }).end(body);
  };

  return {
    url,
    hub,
    sandboxes,
    store,
    clock,
    tick,
    async close() {
      clearInterval(interval);
      await ticking?.catch(() => undefined);
      live.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
      await accounts.stop();
      await hub.shutdown();
      await store.close?.();
    },
  };
}
