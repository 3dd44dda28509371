import {
  type Contact,
  type Conversation,
  type Message,
  type Omnidealer,
  type Reachability,
  type ResponseTimer,
  responseTimer,
} from '@omnidealer/core';
import { contentToPlainText, maskPhone, responderOf } from '@omnidealer/core/provider-utils';
import { type FilledReply, fillReply, replyVariables } from './canned-replies.js';
import { cannedReplies, whatsAppTemplates } from './inbox-config.js';

/** Why a free-form reply cannot go out now (from `hub.canReach`), or undefined when it can. */
export type ReplyBlock = { reason: string; detail: string } | undefined;

/** One row of the conversation list. */
export interface ConversationView {
  id: string;
  /** The channel's id (`whatsapp-north`): which branch's number or account the chat came in on. */
  channel: string;
  /** The channel's kind (`whatsapp`, `avito`): the badge the page shows. */
  channelKind: string;
  /** The branch the chat belongs to now (`conversation.branchId`); a hand-off changes it. */
  branchId: string | undefined;
  status: Conversation['status'];
  handler: Conversation['handler'];
  assignee: string | undefined;
  department: string | undefined;
  responder: string;
  unreadCount: number;
  contact: { id: string; name: string | undefined; phone: string | undefined };
  /** The Avito listing the chat is about (`conversation.subject`). */
  listing: { title?: string; price?: string; url?: string } | undefined;
  lastMessage: { direction: Message['direction']; text: string; at: number } | undefined;
  lastActivityAt: number;
  awaitingReplySince: number | undefined;
  /** The live first-response timer (core `responseTimer`); undefined when nobody waits. */
  timer: ResponseTimer | undefined;
  assignments: Conversation['assignments'];
  /** Moves between branches, oldest first (`hub.handOff`). */
  handOffs: NonNullable<Conversation['handOffs']>;
}

/** A message as the thread shows it. */
export interface MessageView {
  id: string;
  direction: Message['direction'];
  status: Message['status'];
  text: string;
  kind: string;
  sentBy: string | undefined;
  at: number;
  error: string | undefined;
}

/** An approved template offered when the window is closed, with its parameters already filled. */
export interface TemplateOffer {
  name: string;
  language: string;
  params: string[];
  preview: string;
}

/** The open thread: conversation, messages, what the reply box offers and why. */
export interface ThreadView {
  conversation: ConversationView;
  messages: MessageView[];
  replyBlocked: ReplyBlock;
  cannedReplies: FilledReply[];
  templates: TemplateOffer[];
}

const asText = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

/** Placeholder text used to ask whether free-form text would reach the contact now. */
const probe = { type: 'text', text: 'probe' } as const;

/** Builds list rows and threads from the hub's store. */
export interface InboxViews {
  conversation(conversation: Conversation): Promise<ConversationView>;
  /** Open chats, latest activity first: of one queue, of one branch (`store.listConversations({ branchId })`) or all. */
  list(filter?: { queue?: 'all' | 'operators' | 'bot'; branchId?: string | undefined }): Promise<ConversationView[]>;
  thread(conversationId: string): Promise<ThreadView | undefined>;
  replyBlock(conversation: Conversation): Promise<ReplyBlock>;
  /** The first-response timer in the working hours of the chat's branch. */
  timer(conversation: Conversation, now?: number): ResponseTimer | undefined;
  message(message: Message): MessageView;
}

/** Creates the view builders over a hub; `targetMs` is the answer-within target (red timer). */
export function createInboxViews(hub: Omnidealer, targetMs: number): InboxViews {
  const { store } = hub;

  function message(stored: Message): MessageView {
    const sentBy = stored.metadata?.sentBy;
    const kind = stored.metadata?.inboundKind;
    return {
      id: stored.id,
      direction: stored.direction,
      status: stored.status,
      text:
        contentToPlainText(stored.content) ??
        (stored.content.type === 'template' ? `[template ${stored.content.name}]` : `[${stored.content.type}]`),
      kind: typeof kind === 'string' ? kind : stored.content.type,
      sentBy: typeof sentBy === 'string' ? sentBy : undefined,
      at: stored.createdAt,
      error: stored.error?.message,
    };
  }

  function listingOf(conversation: Conversation): ConversationView['listing'] {
    const subject = conversation.subject;
    if (!subject) return undefined;
    const title = asText(subject.title);
    const price = asText(subject.price) ?? (typeof subject.price === 'number' ? String(subject.price) : undefined);
    const url = asText(subject.url);
    if (title === undefined && price === undefined) return undefined;
    return { ...(title ? { title } : {}), ...(price ? { price } : {}), ...(url ? { url } : {}) };
  }

  /** The first-response timer, counting only the working hours of the chat's branch. */
  function timerOf(stored: Conversation, now = hub.clock.now()): ResponseTimer | undefined {
    return responseTimer(stored, now, targetMs, stored.branchId ? hub.branches.get(stored.branchId) : undefined);
  }

  async function conversation(stored: Conversation): Promise<ConversationView> {
    const contact: Contact | undefined = await store.getContact(stored.contactId);
    const last = (await store.listMessages(stored.id, { limit: 1 })).at(-1);
    const lastView = last ? message(last) : undefined;
    return {
      id: stored.id,
      channel: stored.channel,
      channelKind: hub.channels.get(stored.channel)?.kind ?? stored.channel,
      branchId: stored.branchId,
      status: stored.status,
      handler: stored.handler,
      assignee: stored.assignee,
      department: stored.department,
      responder: responderOf(stored),
      unreadCount: stored.unreadCount,
      contact: {
        id: stored.contactId,
        name: contact?.name,
        phone: contact?.phone ? maskPhone(contact.phone) : undefined,
      },
      listing: listingOf(stored),
      lastMessage: lastView ? { direction: lastView.direction, text: lastView.text, at: lastView.at } : undefined,
      lastActivityAt: Math.max(stored.lastInboundAt ?? 0, stored.lastOutboundAt ?? 0, stored.createdAt),
      awaitingReplySince: stored.awaitingReplySince,
      timer: timerOf(stored),
      assignments: stored.assignments,
      handOffs: stored.handOffs ?? [],
    };
  }

  async function replyBlock(stored: Conversation): Promise<ReplyBlock> {
    const reach: Reachability = await hub.canReach(stored.channel, { id: stored.contactId }, probe);
    return reach.reachable ? undefined : { reason: reach.reason, detail: reach.detail };
  }

  return {
    conversation,
    replyBlock,
    message,
    timer: timerOf,
    async list(filter = {}) {
      const queue = filter.queue ?? 'all';
      const stored = await store.listConversations({
        status: 'open',
        ...(filter.branchId === undefined ? {} : { branchId: filter.branchId }),
        ...(queue === 'operators' ? { handler: 'operator' as const } : queue === 'bot' ? { handler: 'bot' as const } : {}),
      });
      const views = await Promise.all(stored.map(conversation));
      return views.sort((a, b) => b.lastActivityAt - a.lastActivityAt);
    },
    async thread(conversationId) {
      const stored = await store.getConversation(conversationId);
      if (!stored) return undefined;
      const contact = await store.getContact(stored.contactId);
      const variables = replyVariables(stored, contact);
      const replyBlocked = await replyBlock(stored);
      const windowClosed = replyBlocked?.reason === 'template_required' || replyBlocked?.reason === 'window_closed';
      const isWhatsApp = hub.channels.get(stored.channel)?.kind === 'whatsapp';
      const templates: TemplateOffer[] =
        isWhatsApp && windowClosed
          ? whatsAppTemplates.map((template) => {
              const params = (template.bodyParams ?? []).map((name) =>
                name === 'name' ? (variables.name ?? 'Здравствуйте') : (variables[name as 'model' | 'price'] ?? '—'),
              );
              const preview = (template.body ?? template.name).replace(
                /\{\{(\d+)\}\}/g,
                (_, index: string) => params[Number(index) - 1] ?? '',
              );
              return { name: template.name, language: template.language, params, preview };
            })
          : [];
      return {
        conversation: await conversation(stored),
        messages: (await store.listMessages(stored.id, { limit: 200 })).map(message),
        replyBlocked,
        cannedReplies: cannedReplies.map((reply) => fillReply(reply, variables)),
        templates,
      };
    },
  };
}
