import type { Message } from '@omnidealer/core';
import type { Sandbox, SandboxProvider } from '@omnidealer/sandbox';
import type { ChannelId, contacts } from './harness.js';

/** The sandbox provider behind each hub channel, and the path fragment of its send call. */
export const providerOf: Record<ChannelId, { provider: SandboxProvider; sendPath: string }> = {
  whatsapp: { provider: 'whatsapp', sendPath: '/messages' },
  avito: { provider: 'avito', sendPath: '/messages' },
  sms: { provider: 'smsRu', sendPath: '/sms/send' },
  twilio: { provider: 'twilio', sendPath: '/Messages.json' },
  email: { provider: 'smtp', sendPath: 'MAIL' },
};

/** Records the HTTP send attempts each provider saw, with real timestamps (for backoff checks). */
export function recordAttempts(sandbox: Sandbox): {
  count(channel: ChannelId): number;
  times(channel: ChannelId): number[];
} {
  const seen: Array<{ provider: string; path: string; at: number }> = [];
  sandbox.on('request', (event) => seen.push({ provider: event.provider, path: event.path, at: performance.now() }));
  const matching = (channel: ChannelId) =>
    seen.filter((event) => event.provider === providerOf[channel].provider && event.path.includes(providerOf[channel].sendPath));
  return {
    count(channel) {
      if (channel === 'email') {
        const smtp = sandbox.stats().smtp;
        return smtp.faults + smtp.received + smtp.bounced;
      }
      return matching(channel).length;
    },
    times: (channel) => matching(channel).map((event) => event.at),
  };
}

/** Provider-side receipts: how many copies of our messages each provider actually accepted. */
export function receipts(sandbox: Sandbox, channel: ChannelId): number {
  switch (channel) {
    case 'whatsapp':
      return sandbox.whatsapp.messages().length;
    case 'avito':
      return [...sandbox.avito.chats().values()].flatMap((chat) => chat.messages).filter((message) => message.direction === 'out')
        .length;
    case 'sms':
      return sandbox.smsRu.messages().length;
    case 'twilio':
      return sandbox.twilio.messages().length;
    case 'email':
      return sandbox.smtp.messages().length;
  }
}

/** Receipts per recipient address at the provider (digits, e-mail or chat id). */
export function receiptsFor(sandbox: Sandbox, channel: ChannelId, contact: (typeof contacts)[keyof typeof contacts]): number {
  const digits = contact.phone.replace(/\D/g, '');
  switch (channel) {
    case 'whatsapp':
      return sandbox.whatsapp.messages().filter((message) => message.to === digits).length;
    case 'avito':
      return (sandbox.avito.chats().get(contact.identities.avitoChatIds[0] as string)?.messages ?? []).filter(
        (message) => message.direction === 'out',
      ).length;
    case 'sms':
      return sandbox.smsRu.messages().filter((message) => message.to === digits).length;
    case 'twilio':
      return sandbox.twilio.messages().filter((message) => message.to === contact.phone).length;
    case 'email':
      return sandbox.smtp.messages().filter((mail) => mail.to.includes(contact.email)).length;
  }
}

/** The three states a message accepted by `hub.send` may end in: nothing else counts as "not lost". */
export function isAccountedFor(message: Message | undefined): boolean {
  if (!message) return false;
  if (message.status === 'failed') return typeof message.error?.code === 'string' && message.error.code.length > 0;
  return ['queued', 'sent', 'delivered', 'read'].includes(message.status);
}
