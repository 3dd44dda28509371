/**
 * The store record namespaces the hub writes (see `Store.putRecord`), named once. Their values are part of the stored
 * data: changing one orphans what earlier versions wrote.
 */
export const storeNamespaces = {
  /** Statuses that arrived before their message's provider id was known, keyed `<channel>:<provider id>`. */
  parkedStatus: 'parked-status',
  /**
   * For a parked status that carried our message id (see `StatusEvent.messageId`), keyed `<channel>:<message id>`:
   * the provider id it was parked under, so a send recorded unconfirmed later finds and applies it.
   */
  parkedForMessage: 'parked-for-message',
  /**
   * Another id a provider reports a message's statuses under (`SendResult.alternateProviderMessageIds`), keyed
   * `<channel>:<alternate id>` → the message's `providerMessageId`.
   */
  providerAlias: 'provider-alias',
  /** Delivery outcomes per contact and channel ({@link ReachStats}), keyed `<contact>:<channel>`. */
  reach: 'reach',
  /** One record per reply to a waiting customer (the SLA report), keyed `<time key>:<message id>`. */
  slaResponse: 'sla-response',
  /** Claims on a new sender while its contact is being created, keyed `<channel kind>:<sender>`. */
  senderClaim: 'sender-claim',
  /**
   * Per contact, the mailings it got (kind, campaign, claim), for frequency caps. The value dates from when the
   * cascade kept it; core owns it since `hub.send` counts too.
   */
  mailingHistory: 'cascade.history',
  /** One record per consent change (who, when, from what to what, why), keyed `<contact>:<time key>:<random id>`. */
  consentAudit: 'consent-audit',
  /** A contact id merged into another (see mergeContacts) → the id it now leads to. */
  contactAlias: 'contact-alias',
  /** When a contact's number on a phone channel last changed (an identity change), keyed `<contact>:<channel kind>`. */
  numberChange: 'number-change',
  /** Deep-link invite tokens → the contact and channel they link, keyed by the token. */
  invite: 'invite',
  /** A process's claim (token and lease end) on a queued message it resumes (`resumeOutbox`), keyed by message id. */
  outboxClaim: 'outbox-claim',
} as const;
