import type { ChannelRateLimit, Money, StatusEvent, WebhookResult } from '@omnidealer/core';
import type { WebhookRequest } from '@omnidealer/core/provider-utils';

/** One SMS handed to a gateway. The channel has validated the number and counted the segments already. */
export interface SmsGatewaySendRequest {
  /** Recipient in E.164 (`+79161234567`). */
  to: string;
  /** The text exactly as it will be sent (after smart encoding / transliteration, when enabled). */
  text: string;
  /** Registered sender name ("альфа-имя") or from-number; the gateway's default when absent. */
  sender?: string | undefined;
  /** Where the gateway should post delivery reports for this message, where it takes one per message. */
  statusCallbackUrl?: string | undefined;
  /** Our message id, for gateways that accept a client reference. */
  clientReference?: string | undefined;
  /** Segments the channel counted for `text`. */
  segments: number;
}

/** What a gateway answered when it accepted one SMS. */
export interface SmsGatewaySendResult {
  /** The gateway's message id (SMS.ru `sms_id`, Twilio `SM…` sid, SMSC `<id>:<phone>`). */
  providerMessageId: string;
  /** Segments the gateway billed, when it says. */
  segments?: number | undefined;
  /** Price the gateway reported at send time, when it does. */
  cost?: Money | undefined;
}

/** A delivery status read by polling. `queued` while the gateway still holds the message. */
export interface SmsDeliveryStatus {
  /** The id that was polled. */
  providerMessageId: string;
  /** Our status; `queued` while the gateway still holds the message. */
  status: StatusEvent['status'] | 'queued';
  /** The gateway's own status (`103`, `delivered`). */
  providerStatus: string | number;
  /** Why it failed, when `status` is `failed`. */
  error?: StatusEvent['error'];
  /** The billed price, when the gateway reports it. */
  cost?: Money | undefined;
}

/** A price quote from the gateway itself (SMS.ru `/sms/cost`). */
export interface SmsCostQuote {
  /** What the gateway would charge for the whole message. */
  cost: Money;
  /** Segments the gateway would bill. */
  segments: number;
}

/**
 * What `createSmsChannel` needs from an SMS provider. One file per gateway implements it:
 * {@link createSmsRuGateway}, {@link createTwilioGateway}. Gateways only classify errors; the hub retries.
 */
export interface SmsGateway {
  /** Provider name (`smsru`, `twilio`). */
  readonly name: string;
  /** The account messages go out from (masked where it is a secret). */
  readonly accountId: string;
  /** Most segments one message may have at this gateway. */
  readonly maxSegments?: number | undefined;
  /** Limits the gateway documents, applied by the hub. */
  readonly rateLimit?: ChannelRateLimit | undefined;
  /** Sends one SMS. Throws typed errors (`UnreachableRecipientError`, `RateLimitError`, `ChannelApiError`…). */
  send(request: SmsGatewaySendRequest, options: { signal?: AbortSignal | undefined }): Promise<SmsGatewaySendResult>;
  /** Reads the delivery status by polling, where the gateway offers it. */
  getStatus?(providerMessageId: string, options?: { signal?: AbortSignal | undefined }): Promise<SmsDeliveryStatus>;
  /** Asks the gateway what a message would cost, where it offers that. */
  getCost?(
    request: { to: string; text: string; sender?: string | undefined },
    options?: { signal?: AbortSignal | undefined },
  ): Promise<SmsCostQuote>;
  /** Verifies and parses one delivery-report (or inbound) webhook. Throws `WebhookError`. */
  parseWebhook(request: WebhookRequest, now: number): Promise<WebhookResult>;
  /** The credentials this gateway holds (a `SecretRegistry`'s values); the SMS channel exposes them to the hub. */
  secrets?(): readonly string[];
}
