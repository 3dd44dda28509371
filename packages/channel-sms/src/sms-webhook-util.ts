import { WebhookError } from '@omnidealer/core';

/** Constant-time comparison of two strings (signatures, tokens). */
export function timingSafeEqualStrings(left: string, right: string): boolean {
  let difference = left.length ^ right.length;
  const length = Math.max(left.length, right.length);
  for (let index = 0; index < length; index++) difference |= (left.charCodeAt(index) | 0) ^ (right.charCodeAt(index) | 0);
  return difference === 0;
}

/** Decodes a form-encoded webhook body, or throws a `WebhookError` (400). */
export function parseFormBody(body: Uint8Array, provider: string): URLSearchParams {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(body);
  } catch (error) {
    throw new WebhookError({
      channel: 'sms',
      kind: 'malformed',
      message: `${provider}: webhook body is not UTF-8`,
      cause: error,
    });
  }
  return new URLSearchParams(text);
}
