import type { SandboxProvider } from './sandbox-behaviour.js';

/** One HTTP request a simulated provider answered. */
export interface RequestEvent {
  provider: SandboxProvider;
  method: string;
  path: string;
  status: number;
  /** The injected fault, when one hit this request. */
  fault?: string | undefined;
  at: number;
}

/** A message the sandbox accepted for (simulated) delivery. */
export interface MessageAcceptedEvent {
  provider: SandboxProvider;
  /** Provider message id (wamid, SMS.ru `sms_id`, Avito message id, SMTP queue id). */
  id: string;
  /** Recipient (digits, chat id or e-mail). */
  to: string;
  /** Provider message type (`text`, `template`, `sms`, `email`). */
  type: string;
  at: number;
  /** Billed price in kopecks when the provider bills at acceptance (SMS.ru). */
  costMinor?: number | undefined;
  /** What the behaviour model decided will happen (`read`, `delivered`, `not_on_whatsapp`, `failed`, …). */
  plannedOutcome?: string | undefined;
}

/** A simulated status change, emitted when it happens on the sandbox clock (just before its webhook). */
export interface MessageStatusEvent {
  provider: SandboxProvider;
  id: string;
  to: string;
  /** Provider vocabulary mapped to `sent` / `delivered` / `read` / `failed`. */
  status: 'sent' | 'delivered' | 'read' | 'failed';
  at: number;
  /** Provider error code for failures (131026, SMS.ru 106, …). */
  errorCode?: number | undefined;
}

/** An inbound message or event the sandbox sent to a webhook target. */
export interface InboundSentEvent {
  provider: SandboxProvider;
  id: string;
  /** Sender (WhatsApp digits or Avito chat id). */
  from: string;
  at: number;
}

/** One webhook POST attempt. */
export interface WebhookDeliveryEvent {
  provider: SandboxProvider;
  url: string;
  attempt: number;
  /** HTTP status of the target's answer; `0` for a network error. */
  status: number;
  /** The exact bytes sent, as text. */
  body: string;
  headers: Record<string, string>;
  at: number;
  /** Error text when the attempt failed at the network level. */
  error?: string | undefined;
}

/** A mail accepted by the SMTP server. */
export interface MailReceivedEvent {
  id: string;
  from: string;
  to: string[];
  subject: string;
  /** The `Message-ID` header, as sent (mail systems drop a repeat of one they already have). */
  messageId?: string | undefined;
  /** The whole RFC 5322 message. */
  raw: string;
  at: number;
}

/** A recipient rejected by the SMTP server (`behaviour.smtp.bounce`). */
export interface MailBouncedEvent {
  from: string;
  to: string;
  code: number;
  at: number;
}

/** Events of a running sandbox, for progress bars, logs and assertions. */
export interface SandboxEvents {
  request: RequestEvent;
  'message.accepted': MessageAcceptedEvent;
  'message.status': MessageStatusEvent;
  'inbound.sent': InboundSentEvent;
  'webhook.delivered': WebhookDeliveryEvent;
  'webhook.failed': WebhookDeliveryEvent;
  'mail.received': MailReceivedEvent;
  'mail.bounced': MailBouncedEvent;
}

/** Name of a {@link SandboxEvents} event. */
export type SandboxEventName = keyof SandboxEvents;

/** Minimal typed event emitter owned by one sandbox instance. */
export interface SandboxEmitter {
  on<E extends SandboxEventName>(event: E, listener: (payload: SandboxEvents[E]) => void): () => void;
  emit<E extends SandboxEventName>(event: E, payload: SandboxEvents[E]): void;
}

/** Creates a {@link SandboxEmitter}. A throwing listener never breaks the sandbox. */
export function createSandboxEmitter(): SandboxEmitter {
  const listeners = new Map<SandboxEventName, Set<(payload: never) => void>>();
  return {
    on(event, listener) {
      const set = listeners.get(event) ?? new Set();
      set.add(listener as (payload: never) => void);
      listeners.set(event, set);
      return () => set.delete(listener as (payload: never) => void);
    },
    emit(event, payload) {
      for (const listener of listeners.get(event) ?? []) {
        try {
          (listener as (value: typeof payload) => void)(payload);
        } catch {
          // listeners are observers only
        }
      }
    },
  };
}
