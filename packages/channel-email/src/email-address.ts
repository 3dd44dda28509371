import { ValidationError } from '@omnidealer/core';
import { z } from 'zod';

/** A mailbox: the address and an optional display name (`"Автосалон Север" <sales@dealer.ru>`). */
export interface EmailAddress {
  address: string;
  name?: string | undefined;
}

/** A mailbox as users pass it: `sales@dealer.ru`, `Автосалон Север <sales@dealer.ru>` or `{ name, address }`. */
export type EmailAddressInput = string | EmailAddress;

const addressSchema = z.email({ error: 'not a valid e-mail address' });

/** CR, LF, NUL and the Unicode line/paragraph separators: anything that could end a header line. */
const lineBreakPattern = /[\r\n\0\u2028\u2029\u0085]/;

/**
 * Throws a {@link ValidationError} when a value that becomes part of a mail header contains a line break.
 * A CR/LF in a subject or display name would let the text after it become a header of its own
 * (`Bcc: everyone@…`): header injection. Checked before any connection is opened.
 * @throws ValidationError naming `field`.
 */
export function assertHeaderSafe(value: string, field: string): void {
  if (lineBreakPattern.test(value)) {
    throw new ValidationError({
      channel: 'email',
      field,
      message: `${field} must not contain line breaks (CR/LF): they would inject mail headers`,
    });
  }
}

/**
 * Validates one e-mail address (syntax only; no DNS look-up).
 * @throws ValidationError naming `field` when the address is malformed or contains line breaks.
 */
export function validateEmailAddress(address: string, field: string): string {
  assertHeaderSafe(address, field);
  const trimmed = address.trim();
  if (!addressSchema.safeParse(trimmed).success) {
    throw new ValidationError({ channel: 'email', field, message: `${field}: not a valid e-mail address` });
  }
  return trimmed;
}

const nameAndAddressPattern = /^\s*(?:"((?:[^"\\]|\\.)*)"|([^<]*?))\s*<([^<>]+)>\s*$/;

/**
 * Parses and validates a mailbox given as a string (`Name <address>` or a bare address) or an object.
 * @throws ValidationError when the address is malformed or the name or address contains line breaks.
 * @example
 * parseEmailAddress('Автосалон Север <sales@dealer.ru>', 'from');
 * // → { name: 'Автосалон Север', address: 'sales@dealer.ru' }
 */
export function parseEmailAddress(input: EmailAddressInput, field: string): EmailAddress {
  if (typeof input !== 'string') {
    if (input.name !== undefined) assertHeaderSafe(input.name, `${field}.name`);
    const address = validateEmailAddress(input.address, `${field}.address`);
    return input.name ? { name: input.name, address } : { address };
  }
  assertHeaderSafe(input, field);
  const match = nameAndAddressPattern.exec(input);
  if (!match) return { address: validateEmailAddress(input, field) };
  const name = (match[1]?.replace(/\\(.)/g, '$1') ?? match[2] ?? '').trim();
  const address = validateEmailAddress(match[3] ?? '', field);
  return name ? { name, address } : { address };
}

/** The domain part of an address (`dealer.ru`). */
export function emailDomain(address: string): string {
  return address.slice(address.lastIndexOf('@') + 1).toLowerCase();
}
