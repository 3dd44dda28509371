/**
 * The store record namespaces the hub writes (see `Store.putRecord`), named once. Their values are part of the stored
 * data: changing one orphans what earlier versions wrote.
 */
export const storeNamespaces = {
  /** Statuses that arrived before their message's provider id was known, keyed `<channel>:<provider id>`. */
  parkedStatus: 'parked-status',
  /** Delivery outcomes per contact and channel ({@link ReachStats}), keyed `<contact>:<channel>`. */
  reach: 'reach',
  /** One record per reply to a waiting customer (the SLA report), keyed `<time key>:<message id>`. */
  slaResponse: 'sla-response',
  /** Claims on a new sender while its contact is being created, keyed `<channel kind>:<sender>`. */
  senderClaim: 'sender-claim',
} as const;
