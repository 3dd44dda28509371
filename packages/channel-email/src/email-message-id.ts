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

/**
 * Amazon SES's own message id from its SMTP reply to DATA, `250 Ok <id>`: SES gives the e-mail a new `Message-ID`
 * and its bounce, complaint and delivery notifications carry this id (`mail.messageId`), and our original
 * `Message-ID` only when "include original headers" is on. Undefined for other servers' replies (Postfix's
 * `250 2.0.0 Ok: queued as 4Xk2`).
 * @example
 * sesMessageIdOf('250 Ok 01010160d7de98d8-21e57d9a-JZho-416c-bbe1-8ebaAexample-000000'); // → '01010160d7de98d8-…-000000'
 * @see https://docs.aws.amazon.com/ses/latest/dg/send-email-smtp-client-command-line.html — "The string of numbers
 * and text that follows `250 Ok` is the message ID of the email."
 */
export function sesMessageIdOf(response: string | undefined): string | undefined {
  const match = /^250[ -](?:\d\.\d\.\d+ )?Ok <?([A-Za-z0-9]+(?:-[A-Za-z0-9]+){2,})>?\s*$/i.exec(response?.trim() ?? '');
  return match?.[1];
}
