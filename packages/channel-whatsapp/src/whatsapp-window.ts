import type { Conversation, Reachability } from '@omnidealer/core';
import type { ReachContext } from '@omnidealer/core/provider-utils';

/** The customer-service window: 24 h from the contact's last inbound message. */
export const WHATSAPP_WINDOW_MS = 24 * 60 * 60 * 1000;

/** Where a conversation's customer-service window stands at a moment. */
export interface WhatsAppWindowState {
  open: boolean;
  /** When the contact last wrote to us. */
  lastInboundAt?: number | undefined;
  /** When the window closes (or closed). */
  closesAt?: number | undefined;
}

/**
 * The state of the 24 h customer-service window at `now`, from `conversation.lastInboundAt` (the hub stores it on
 * every inbound message). No inbound message yet means no window.
 * @see https://developers.facebook.com/docs/whatsapp/cloud-api/guides/send-messages#customer-service-windows
 */
export function whatsAppWindow(
  conversation: Pick<Conversation, 'lastInboundAt'> | undefined,
  now: number,
  windowMs = WHATSAPP_WINDOW_MS,
): WhatsAppWindowState {
  const lastInboundAt = conversation?.lastInboundAt;
  if (lastInboundAt === undefined) return { open: false };
  const closesAt = lastInboundAt + windowMs;
  return { open: now < closesAt, lastInboundAt, closesAt };
}

/**
 * Whether WhatsApp can reach the contact with this content now. The address is the stored `wa_id` (or the
 * business-scoped user id of a user known without a number), else the phone. Opted-out contacts are refused; a template is always allowed; free-form content only while the window is
 * open, otherwise `template_required`. Never calls the network.
 */
export function canReachOnWhatsApp(context: ReachContext, windowMs = WHATSAPP_WINDOW_MS): Reachability {
  const { contact, content, conversation, now } = context;
  if (content.type === 'email') return { reachable: false, reason: 'unsupported_content', detail: 'e-mail content on WhatsApp' };
  const identity = contact.identities?.whatsapp;
  const address = typeof identity === 'string' ? identity : contact.phone;
  if (!address) return { reachable: false, reason: 'no_identity', detail: 'contact has no phone number or WhatsApp id' };
  if (contact.consent?.whatsapp === 'opted_out')
    return { reachable: false, reason: 'opted_out', detail: 'contact opted out of WhatsApp' };
  if (content.type === 'template') return { reachable: true, address };
  const window = whatsAppWindow(conversation, now, windowMs);
  if (window.open) return { reachable: true, address };
  const hours = window.lastInboundAt === undefined ? undefined : Math.floor((now - window.lastInboundAt) / 3_600_000);
  return {
    reachable: false,
    reason: 'template_required',
    detail:
      hours === undefined
        ? 'the contact has not written on WhatsApp yet: only an approved template can start the conversation'
        : `customer-service window closed (last inbound message ${hours} h ago): send an approved template`,
  };
}
