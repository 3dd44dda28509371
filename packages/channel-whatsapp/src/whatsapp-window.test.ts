import { type Contact, type Conversation, type MessageContent, messageContentSchema } from '@omnidealer/core';
import { parseInput } from '@omnidealer/core/provider-utils';
import { describe, expect, it } from 'vitest';
import { canReachOnWhatsApp, WHATSAPP_WINDOW_MS, whatsAppWindow } from './whatsapp-window.js';

const now = Date.parse('2026-11-25T12:00:00Z');
const hour = 3_600_000;
const contact: Contact = { id: 'c1', phone: '+79161234567' };
const text = parseInput(messageContentSchema, { type: 'text', text: 'Здравствуйте' }, 'content') as MessageContent;
const template = parseInput(
  messageContentSchema,
  { type: 'template', name: 'booking_reminder', language: 'ru' },
  'content',
) as MessageContent;
const conversation = (lastInboundAt?: number): Conversation => ({
  id: 'conv1',
  contactId: 'c1',
  channel: 'whatsapp',
  status: 'open',
  handler: 'bot',
  assignments: [],
  unreadCount: 0,
  createdAt: now - 48 * hour,
  updatedAt: now,
  ...(lastInboundAt === undefined ? {} : { lastInboundAt }),
});

describe('24 h customer-service window', () => {
  it('is open for 24 h after the last inbound message, closed at exactly 24 h', () => {
    expect(whatsAppWindow(conversation(now - 23 * hour), now)).toEqual({
      open: true,
      lastInboundAt: now - 23 * hour,
      closesAt: now + hour,
    });
    expect(whatsAppWindow(conversation(now - WHATSAPP_WINDOW_MS), now).open).toBe(false);
    expect(whatsAppWindow(conversation(), now)).toEqual({ open: false });
    expect(whatsAppWindow(undefined, now).open).toBe(false);
  });

  it('free-form is reachable only inside the window; a template always', () => {
    expect(canReachOnWhatsApp({ contact, content: text, now, conversation: conversation(now - hour) })).toEqual({
      reachable: true,
      address: '+79161234567',
    });
    const closed = canReachOnWhatsApp({ contact, content: text, now, conversation: conversation(now - 25 * hour) });
    expect(closed).toMatchObject({ reachable: false, reason: 'template_required' });
    expect(closed.reachable === false && closed.detail).toMatch(/25 h ago/);
    expect(canReachOnWhatsApp({ contact, content: text, now })).toMatchObject({ reachable: false, reason: 'template_required' });
    expect(canReachOnWhatsApp({ contact, content: template, now, conversation: conversation(now - 25 * hour) })).toEqual({
      reachable: true,
      address: '+79161234567',
    });
  });

  it('prefers the stored wa_id, refuses contacts without a phone and opted-out contacts', () => {
    expect(
      canReachOnWhatsApp({ contact: { ...contact, identities: { whatsapp: '79161234567' } }, content: template, now }),
    ).toEqual({
      reachable: true,
      address: '79161234567',
    });
    expect(canReachOnWhatsApp({ contact: { id: 'c2', email: 'a@b.ru' }, content: template, now })).toMatchObject({
      reachable: false,
      reason: 'no_identity',
    });
    expect(
      canReachOnWhatsApp({ contact: { ...contact, consent: { whatsapp: 'opted_out' } }, content: template, now }),
    ).toMatchObject({
      reachable: false,
      reason: 'opted_out',
    });
    const email = parseInput(messageContentSchema, { type: 'email', subject: 's', text: 't' }, 'content') as MessageContent;
    expect(canReachOnWhatsApp({ contact, content: email, now })).toMatchObject({
      reachable: false,
      reason: 'unsupported_content',
    });
  });
});
