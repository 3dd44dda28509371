import type { IncomingMessage, ServerResponse } from 'node:http';
import { type Conversation, type Message, type Omnidealer, OmnidealerError, ValidationError } from '@omnidealer/core';
import { z } from 'zod';
import { type Viewer, viewerFor, viewerOf } from './inbox-access.js';
import { demoCustomers, departments, operators, whatsAppTemplates } from './inbox-config.js';
import type { InboxViews } from './inbox-views.js';
import type { LiveUpdates } from './live-updates.js';

/** What the JSON API needs. */
export interface InboxApiOptions {
  hub: Omnidealer;
  views: InboxViews;
  live: LiveUpdates;
  targetMs: number;
  /** Writes as a customer through the sandbox (`POST /api/simulate`); the endpoint is off without it. */
  simulate?: (input: SimulateInput) => Promise<void>;
}

/** What `POST /api/simulate` takes: a demo customer writes a text or presses "call an operator". */
export interface SimulateInput {
  customer: string;
  text?: string | undefined;
  callOperator?: boolean | undefined;
}

const simulateSchema = z
  .object({
    customer: z.string().min(1),
    text: z.string().trim().min(1).max(1000).optional(),
    callOperator: z.boolean().optional(),
  })
  .strict()
  .refine((body) => body.text !== undefined || body.callOperator === true, 'give a text or callOperator: true');

/** `sentBy` and `by` may be left out (the operator making the request); given, they must name that operator. */
const sendSchema = z
  .object({
    sentBy: z.string().min(1).optional(),
    text: z.string().trim().min(1).max(4000).optional(),
    template: z.string().min(1).optional(),
  })
  .strict()
  .refine((body) => (body.text === undefined) !== (body.template === undefined), 'give exactly one of text or template');

const assignSchema = z
  .object({
    by: z.string().min(1).optional(),
    assignee: z.string().min(1).optional(),
    department: z.string().min(1).optional(),
    note: z.string().max(500).optional(),
  })
  .strict()
  .refine((body) => body.assignee !== undefined || body.department !== undefined, 'give an assignee or a department');

const handOffSchema = z
  .object({
    branchId: z.string().min(1),
    operatorId: z.string().min(1).optional(),
    by: z.string().min(1).optional(),
    note: z.string().trim().max(500).optional(),
  })
  .strict();

class HttpProblem extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

function json(response: ServerResponse, status: number, body: unknown): void {
  const payload = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  response.end(payload);
}

async function readJson(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > 64 * 1024) throw new HttpProblem(413, 'too_large', 'request body over 64 KiB');
    chunks.push(chunk as Buffer);
  }
  if (size === 0) return {};
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new HttpProblem(400, 'invalid_json', 'request body is not JSON');
  }
}

function parse<T>(schema: z.ZodType<T>, value: unknown): T {
  const result = schema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new HttpProblem(400, 'validation', `${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'invalid'}`);
  }
  return result.data;
}

function knownOperator(id: string): void {
  if (!operators.some((operator) => operator.id === id)) throw new HttpProblem(400, 'validation', `unknown operator "${id}"`);
}

/** The operator acting: the viewer; a `sentBy`/`by` naming somebody else is refused (nobody writes as a colleague). */
function actingAs(viewer: Viewer, named: string | undefined): string {
  if (named !== undefined) knownOperator(named);
  if (named !== undefined && named !== viewer.operator.id)
    throw new HttpProblem(403, 'forbidden', `you are "${viewer.operator.id}": you cannot act as "${named}"`);
  return viewer.operator.id;
}

/**
 * The inbox's JSON API and SSE endpoint. Every request but `state` and `simulate` names its operator (`x-operator`
 * header, `?operator=` for the SSE stream): an operator of a branch sees and touches only that branch's chats, a
 * group supervisor all of them.
 *
 * - `GET /api/state` branches, operators, departments, target · `GET /api/conversations?queue=all|operators|bot&branch=`
 * - `GET /api/conversations/:id` the thread · `POST …/:id/messages` `{ text | template }`
 * - `POST …/:id/assign` `{ assignee?, department?, note? }` · `POST …/:id/handoff` `{ branchId, operatorId?, note? }`
 * - `POST …/:id/read` · `GET /api/sla?branch=` · `GET /api/events?operator=`
 */
export function createInboxApi(options: InboxApiOptions) {
  const { hub, views, live, targetMs } = options;

  /** The conversation if the viewer may see it; another branch's chat is as absent as a missing one (404). */
  async function requireConversation(viewer: Viewer, id: string): Promise<Conversation> {
    const conversation = await hub.store.getConversation(id);
    if (!conversation || !viewer.sees(conversation.branchId)) throw new HttpProblem(404, 'not_found', `no conversation "${id}"`);
    return conversation;
  }

  function requireViewer(request: IncomingMessage, url: URL): Viewer {
    const viewer = viewerOf(request, url);
    if (!viewer) throw new HttpProblem(401, 'unknown_operator', 'name a known operator in the x-operator header');
    return viewer;
  }

  /** `?branch=`: a known branch the viewer sees; an operator asking for another branch is refused (403). */
  function branchFilter(viewer: Viewer, url: URL): string | undefined {
    const branchId = url.searchParams.get('branch') || undefined;
    if (branchId === undefined) return undefined;
    if (!hub.branches.has(branchId)) throw new HttpProblem(400, 'validation', `unknown branch "${branchId}"`);
    if (!viewer.sees(branchId)) throw new HttpProblem(403, 'forbidden', `branch "${branchId}" is not yours`);
    return branchId;
  }

  /** Tells the pages of the chat's branch what changed: the message (if any), then the list row. */
  async function pushConversation(id: string, message?: Message): Promise<void> {
    const conversation = await hub.store.getConversation(id);
    if (!conversation) return;
    const audience = [conversation.branchId];
    if (message) live.broadcast('message', { conversationId: id, message: views.message(message) }, audience);
    live.broadcast('conversation', await views.conversation(conversation), audience);
  }

  async function route(request: IncomingMessage, response: ServerResponse, url: URL): Promise<void> {
    const method = request.method ?? 'GET';
    const parts = url.pathname.split('/').filter(Boolean).slice(1);
    const [resource, id, action] = parts;

    if (method === 'GET' && resource === 'state' && parts.length === 1) {
      json(response, 200, {
        now: hub.clock.now(),
        targetMs,
        branches: [...hub.branches.values()].map((branch) => ({ id: branch.id, name: branch.name })),
        operators,
        departments,
        simulator: options.simulate ? demoCustomers : [],
      });
      return;
    }
    if (method === 'POST' && resource === 'simulate' && parts.length === 1 && options.simulate) {
      const body = parse(simulateSchema, await readJson(request));
      const customer = demoCustomers.find((item) => item.id === body.customer);
      if (!customer) throw new HttpProblem(400, 'validation', `unknown customer "${body.customer}"`);
      if (body.callOperator && customer.channel !== 'whatsapp')
        throw new HttpProblem(400, 'validation', 'only WhatsApp customers have a "call an operator" button');
      await options.simulate(body);
      json(response, 202, { ok: true });
      return;
    }
    if (resource !== 'events' && resource !== 'sla' && resource !== 'conversations')
      throw new HttpProblem(404, 'not_found', `no API at ${url.pathname}`);

    const viewer = requireViewer(request, url);
    if (method === 'GET' && resource === 'events' && parts.length === 1) {
      live.attach(response, viewer.sees);
      return;
    }
    if (method === 'GET' && resource === 'sla' && parts.length === 1) {
      // An operator gets their branch's report; a supervisor the group's (a row per branch) or one branch's.
      const branchId = branchFilter(viewer, url) ?? viewer.operator.branchId;
      json(response, 200, await hub.slaReport({ targetMs, ...(branchId ? { branchId } : {}) }));
      return;
    }
    if (resource !== 'conversations') throw new HttpProblem(404, 'not_found', `no API at ${url.pathname}`);

    if (method === 'GET' && id === undefined) {
      const queue = url.searchParams.get('queue') ?? 'all';
      if (queue !== 'all' && queue !== 'operators' && queue !== 'bot')
        throw new HttpProblem(400, 'validation', 'queue must be all, operators or bot');
      // An operator's list is their branch's; a supervisor's the whole group's, or the branch picked in the filter.
      const branchId = branchFilter(viewer, url) ?? viewer.operator.branchId;
      json(response, 200, { now: hub.clock.now(), conversations: await views.list({ queue, branchId }) });
      return;
    }
    if (id === undefined) throw new HttpProblem(405, 'method_not_allowed', `${method} ${url.pathname}`);

    if (method === 'GET' && action === undefined) {
      await requireConversation(viewer, id);
      const thread = await views.thread(id);
      if (!thread) throw new HttpProblem(404, 'not_found', `no conversation "${id}"`);
      json(response, 200, thread);
      return;
    }

    if (method === 'POST' && action === 'messages') {
      const body = parse(sendSchema, await readJson(request));
      const sentBy = actingAs(viewer, body.sentBy);
      const conversation = await requireConversation(viewer, id);
      let content: Parameters<Omnidealer['send']>[0]['content'];
      if (body.template !== undefined) {
        const thread = await views.thread(id);
        const offer = thread?.templates.find((template) => template.name === body.template);
        if (!offer) {
          const known = whatsAppTemplates.some((template) => template.name === body.template);
          throw new HttpProblem(
            known ? 409 : 400,
            known ? 'template_not_needed' : 'validation',
            known ? 'the reply window is open: answer in free text' : `unknown template "${body.template}"`,
          );
        }
        content = {
          type: 'template',
          name: offer.name,
          language: offer.language,
          params: offer.params,
          fallbackText: offer.preview,
        };
      } else {
        content = { type: 'text', text: body.text as string };
      }
      const message = await hub.send({
        channel: conversation.channel,
        contact: { id: conversation.contactId },
        conversationId: conversation.id,
        content,
        sentBy,
      });
      json(response, message.status === 'failed' ? 502 : 201, views.message(message));
      return;
    }

    if (method === 'POST' && action === 'assign') {
      const body = parse(assignSchema, await readJson(request));
      const by = actingAs(viewer, body.by);
      const operator = body.assignee === undefined ? undefined : operators.find((item) => item.id === body.assignee);
      if (body.assignee !== undefined && !operator)
        throw new HttpProblem(400, 'validation', `unknown operator "${body.assignee}"`);
      const department = body.department ?? operator?.department;
      if (department !== undefined && !departments.some((item) => item.id === department))
        throw new HttpProblem(400, 'validation', `unknown department "${department}"`);
      const conversation = await requireConversation(viewer, id);
      if (operator && !viewerFor(operator.id)?.sees(conversation.branchId))
        throw new HttpProblem(400, 'other_branch', `"${operator.id}" works in another branch: hand the chat off instead`);
      // hub.assign appends to the history: the hand-off never loses who had the chat before.
      const updated = await hub.assign(id, {
        handler: 'operator',
        by,
        ...(operator ? { assignee: operator.id } : {}),
        ...(department ? { department } : {}),
        ...(body.note ? { note: body.note } : {}),
      });
      json(response, 200, await views.conversation(updated));
      return;
    }

    if (method === 'POST' && action === 'handoff') {
      const body = parse(handOffSchema, await readJson(request));
      const by = actingAs(viewer, body.by);
      await requireConversation(viewer, id);
      if (!hub.branches.has(body.branchId)) throw new HttpProblem(400, 'validation', `unknown branch "${body.branchId}"`);
      if (body.operatorId !== undefined) {
        const operator = operators.find((item) => item.id === body.operatorId);
        if (operator?.branchId !== body.branchId)
          throw new HttpProblem(400, 'validation', `"${body.operatorId}" is not an operator of branch "${body.branchId}"`);
      }
      // hub.handOff keeps the conversation and its messages; the move joins the history and `handOffs`.
      const updated = await hub.handOff(id, {
        branchId: body.branchId,
        by,
        ...(body.operatorId ? { operatorId: body.operatorId } : {}),
        ...(body.note ? { note: body.note } : {}),
      });
      json(response, 200, await views.conversation(updated));
      return;
    }

    if (method === 'POST' && action === 'read') {
      await requireConversation(viewer, id);
      const updated = await hub.markRead(id);
      await pushConversation(id);
      json(response, 200, await views.conversation(updated));
      return;
    }
    throw new HttpProblem(404, 'not_found', `no API at ${method} ${url.pathname}`);
  }

  return {
    pushConversation,
    async handle(request: IncomingMessage, response: ServerResponse, url: URL): Promise<void> {
      try {
        await route(request, response, url);
      } catch (error) {
        if (error instanceof HttpProblem) {
          json(response, error.status, { error: { code: error.code, message: error.message, ...error.details } });
        } else if (ValidationError.isInstance(error)) {
          json(response, 400, { error: { code: error.code, message: error.message } });
        } else if (OmnidealerError.isInstance(error)) {
          // WindowClosedError, UnreachableRecipientError: the reply cannot go out; the page explains why.
          json(response, 409, { error: { code: error.code, message: error.message } });
        } else {
          json(response, 500, { error: { code: 'internal', message: 'internal error' } });
        }
      }
    },
  };
}

/** The API object {@link createInboxApi} returns. */
export type InboxApi = ReturnType<typeof createInboxApi>;
