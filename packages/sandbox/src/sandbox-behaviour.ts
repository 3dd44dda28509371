import { z } from 'zod';

const probability = z.number().min(0).max(1);
const delayRange = z.tuple([z.number().nonnegative(), z.number().nonnegative()]);

/** The simulated providers. `smtp` is the in-process mail server. */
export const sandboxProviderSchema = z.enum(['whatsapp', 'avito', 'smsRu', 'smsc', 'twilio', 'max', 'telegram', 'vk', 'smtp']);
/** One of the simulated providers. */
export type SandboxProvider = z.infer<typeof sandboxProviderSchema>;

/**
 * What a scripted WhatsApp recipient does, overriding the probabilities:
 * `read` (sent → delivered → read), `delivered` (never read), `sent` (never delivered), `silent` (no status at all),
 * `failed` (sent, then failed 131049), `not_on_whatsapp` (failed 131026).
 */
export const whatsAppOutcomeSchema = z.enum(['read', 'delivered', 'sent', 'silent', 'failed', 'not_on_whatsapp']);
/** Scripted WhatsApp outcome: `read`, `delivered`, `sent`, `silent`, `failed` (131049/131000) or `not_on_whatsapp` (131026). */
export type WhatsAppOutcome = z.infer<typeof whatsAppOutcomeSchema>;

/** A template the WhatsApp sandbox knows (see `behaviour.whatsapp.templates`). */
export const whatsAppTemplateSchema = z
  .object({
    name: z.string().min(1),
    /** @default 'ru' */
    language: z.string().min(2).default('ru'),
    /** @default 'marketing' */
    category: z.enum(['marketing', 'utility', 'authentication']).default('marketing'),
    /** Body text with `{{1}}` / `{{name}}` placeholders. @default no parameters */
    body: z.string().max(1024).optional(),
    /** @default 'APPROVED' */
    status: z.enum(['APPROVED', 'PENDING', 'REJECTED', 'PAUSED', 'DISABLED']).default('APPROVED'),
  })
  .strict();
/** A template definition as users write it. */
export type WhatsAppTemplateInput = z.input<typeof whatsAppTemplateSchema>;

/** WhatsApp behaviour model. Probabilities are decided per recipient (registration) or per message (the rest). */
export const whatsAppBehaviourSchema = z
  .object({
    /** Share of numbers that are not on WhatsApp: the send is accepted, then a `failed` status with 131026 arrives. */
    notOnWhatsApp: probability.default(0.1),
    /** Share of messages that fail after `sent` (131049, the per-user marketing cap; 131000 for non-marketing). */
    failed: probability.default(0.02),
    /** Share of messages that never get any status (a lost webhook). */
    silent: probability.default(0.01),
    /** Probability that a sent message is delivered. */
    delivered: probability.default(0.93),
    /** Probability that a delivered message is read. */
    read: probability.default(0.6),
    /** Probability that `read` arrives before `delivered` (Meta does not guarantee order). */
    outOfOrder: probability.default(0),
    /** Probability that a status webhook is delivered twice. */
    duplicate: probability.default(0),
    /** Simulated delay ranges in ms: accepted → sent, sent → delivered, delivered → read. */
    delays: z
      .object({
        sentMs: delayRange.default([200, 2_000]),
        deliveredMs: delayRange.default([1_000, 30_000]),
        readMs: delayRange.default([60_000, 6 * 3_600_000]),
      })
      .strict()
      .default({ sentMs: [200, 2_000], deliveredMs: [1_000, 30_000], readMs: [60_000, 6 * 3_600_000] }),
    /** Refuse free-form messages outside the 24 h window (failed status 131047), as Meta does. */
    enforceWindow: z.boolean().default(true),
    /**
     * Templates of the WABA: names, or definitions with category, language, body text (`{{1}}` or `{{name}}`
     * placeholders) and status. When set, an unknown name is refused with 132001, a non-approved one with
     * 132015/132016/132001, a wrong body parameter count with 132000, and `GET /{waba-id}/message_templates` lists
     * them. When unset, every name is accepted.
     */
    templates: z.array(z.union([z.string().min(1), whatsAppTemplateSchema])).optional(),
    /** Template categories for pricing; unknown templates count as `marketing`. */
    templateCategories: z.record(z.string(), z.enum(['marketing', 'utility', 'authentication'])).default({}),
    /** `PMP` (per-message pricing, since 2025-07) or the legacy `CBP` with a `conversation` object. */
    pricingModel: z.enum(['PMP', 'CBP']).default('PMP'),
    /** Scripted outcomes by recipient (E.164 or digits), for tests that need one exact path. */
    outcomes: z.record(z.string(), whatsAppOutcomeSchema).default({}),
  })
  .strict();

/** What an SMS recipient does: `delivered`, `failed` (status 106 or 107), `expired` (104), `silent` (no callback), `blocked` (207 at send). */
export const smsOutcomeSchema = z.enum(['delivered', 'failed', 'expired', 'silent', 'blocked']);
/** Scripted SMS outcome: `delivered` (103), `failed` (106–108), `expired` (104), `silent` or `blocked` (207 at send). */
export type SmsOutcome = z.infer<typeof smsOutcomeSchema>;

/** SMS gateway behaviour model (the same shape for SMS.ru, SMSC.ru and Twilio). */
export const smsBehaviourSchema = z
  .object({
    /** Probability that a message reaches the phone (status 103). */
    delivered: probability.default(0.97),
    /** Of the undelivered, the share that expires (104) rather than fails (106/107/108). */
    expired: probability.default(0.3),
    /** Probability that no status callback is ever sent. */
    silent: probability.default(0),
    /** Price of one segment in the gateway's currency (roubles; dollars for Twilio). */
    pricePerSegment: z.number().nonnegative().default(3),
    /** Starting balance; a send that would go below zero fails (SMS.ru 201, SMSC.ru 3). */
    balance: z.number().default(100_000),
    /** Simulated delay ranges in ms: accepted → sent to operator (102), sent → final status. */
    delays: z
      .object({ sentMs: delayRange.default([100, 1_000]), finalMs: delayRange.default([2_000, 60_000]) })
      .strict()
      .default({ sentMs: [100, 1_000], finalMs: [2_000, 60_000] }),
    /** Scripted outcomes by recipient (E.164 or digits). */
    outcomes: z.record(z.string(), smsOutcomeSchema).default({}),
  })
  .strict();

/** Twilio: the SMS model with a price in dollars per segment. */
export const twilioBehaviourSchema = smsBehaviourSchema.extend({
  /** Price of one segment in US dollars. */
  pricePerSegment: z.number().nonnegative().default(0.08),
});

/** Avito behaviour model. */
export const avitoBehaviourSchema = z
  .object({
    /** Lifetime of an access token in seconds (`expires_in`), measured on the sandbox clock. */
    tokenTtlSeconds: z.number().int().positive().default(86_400),
    /** Echo our own sent messages back as webhooks (`author_id == user_id`), as Avito does. */
    echo: z.boolean().default(true),
    /** Probability that the buyer reads our message, and the simulated delay range in ms. */
    read: probability.default(0.8),
    readDelayMs: delayRange.default([30_000, 2 * 3_600_000]),
    /** Longest text Avito accepts in one message. */
    maxTextLength: z.number().int().positive().default(1000),
    /** Create a chat on the fly when a message is sent to an unknown `u2i-…` id instead of answering 404. */
    autoCreateChats: z.boolean().default(false),
  })
  .strict();

/** SMTP behaviour: addresses (or `@domain` suffixes) rejected with 550 at `RCPT TO`. */
export const smtpBehaviourSchema = z
  .object({
    bounce: z.array(z.string().min(3)).default([]),
    /** Require `AUTH` with the sandbox credentials (PLAIN/LOGIN without TLS). */
    requireAuth: z.boolean().default(false),
  })
  .strict();

/**
 * A fault injected into a provider's HTTP answers (or SMTP replies):
 * - `rate_limit`: 429 with `Retry-After` (WhatsApp code 130429, Avito 429, MAX 429, SMS.ru 429; SMTP 451 4.7.1);
 * - `server_error`: 500 (SMTP 451); `unavailable`: 503 (SMTP 421, closing the connection);
 * - `slow`: the answer is held `delayMs` real ms (client timeouts);
 * - `truncated`: a 200 whose body is cut mid-way and the connection dropped;
 * - `expired_token`: the provider's "token expired" answer (WhatsApp 401/190 subcode 463, Avito 401, MAX 401 `verify.token`,
 *   SMS.ru 300, SMTP 535).
 *
 * Without `rate` or `first`, the fault hits every matching request. `first: 3` hits the first 3 matching
 * requests (a 429-then-200 sequence); `rate: 0.1` hits a seeded 10 % of them.
 */
export const faultRuleSchema = z
  .object({
    provider: z.union([sandboxProviderSchema, z.literal('all')]),
    kind: z.enum(['rate_limit', 'server_error', 'unavailable', 'slow', 'truncated', 'expired_token']),
    rate: probability.optional(),
    first: z.number().int().nonnegative().optional(),
    /** Only requests whose path contains this text (e.g. `/messages`, `/sms/send`). */
    path: z.string().optional(),
    /** `Retry-After` seconds for `rate_limit`. */
    retryAfterSeconds: z.number().int().nonnegative().default(1),
    /** Hold time for `slow`, in real milliseconds. */
    delayMs: z.number().int().nonnegative().default(30_000),
  })
  .strict();
/** A fault rule as users write it (see `faultRuleSchema` for the kinds). */
export type FaultRule = z.input<typeof faultRuleSchema>;

/** The whole behaviour model. Every part is optional; defaults model a realistic Russian dealer's audience. */
export const sandboxBehaviourSchema = z
  .object({
    whatsapp: whatsAppBehaviourSchema.default(whatsAppBehaviourSchema.parse({})),
    smsRu: smsBehaviourSchema.default(smsBehaviourSchema.parse({})),
    smsc: smsBehaviourSchema.default(smsBehaviourSchema.parse({})),
    twilio: twilioBehaviourSchema.default(twilioBehaviourSchema.parse({})),
    avito: avitoBehaviourSchema.default(avitoBehaviourSchema.parse({})),
    smtp: smtpBehaviourSchema.default(smtpBehaviourSchema.parse({})),
    faults: z.array(faultRuleSchema).default([]),
    /** Webhook delivery: attempts per payload (non-2xx or network error) and simulated ms between attempts. */
    webhooks: z
      .object({ maxAttempts: z.number().int().min(1).default(3), retryDelayMs: z.number().nonnegative().default(5_000) })
      .strict()
      .default({ maxAttempts: 3, retryDelayMs: 5_000 }),
  })
  .strict();

/** Behaviour as users write it (everything optional). */
export type SandboxBehaviour = z.input<typeof sandboxBehaviourSchema>;
/** Behaviour after defaults were applied. */
export type ResolvedSandboxBehaviour = z.output<typeof sandboxBehaviourSchema>;
/** WhatsApp part of the resolved behaviour. */
export type WhatsAppBehaviour = z.output<typeof whatsAppBehaviourSchema>;
/** SMS gateway part of the resolved behaviour. */
export type SmsBehaviour = z.output<typeof smsBehaviourSchema>;
/** Avito part of the resolved behaviour. */
export type AvitoBehaviour = z.output<typeof avitoBehaviourSchema>;
/** SMTP part of the resolved behaviour. */
export type SmtpBehaviour = z.output<typeof smtpBehaviourSchema>;
/** A fault rule after defaults were applied. */
export type ResolvedFaultRule = z.output<typeof faultRuleSchema>;
