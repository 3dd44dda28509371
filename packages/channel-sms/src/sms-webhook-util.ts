import { WebhookError } from '@omnidealer/core';

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
