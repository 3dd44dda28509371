/**
 * The `Message-ID` the channel gives an outgoing e-mail: our message id at the sender's domain. A retry of the
 * same message carries the same `Message-ID`, so receivers that de-duplicate by it show the e-mail once.
 * @example
 * createMessageId('msg_0f3a', 'dealer.ru'); // → '<msg_0f3a@dealer.ru>'
 */
export function createMessageId(id: string, domain: string): string {
  const local = id.replace(/[^A-Za-z0-9._-]/g, '_');
  return `<${local}@${domain}>`;
}

/**
 * A `Message-ID` without angle brackets and whitespace, the form used as `providerMessageId` so that the id from
 * the SMTP send and the one in a later bounce notification compare equal.
 * @example
 * normalizeMessageId(' <msg_0f3a@dealer.ru> '); // → 'msg_0f3a@dealer.ru'
 */
export function normalizeMessageId(value: string): string {
  return value.trim().replace(/^<+/, '').replace(/>+$/, '');
}
