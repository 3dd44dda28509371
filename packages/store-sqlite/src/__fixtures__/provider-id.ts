import { createHash } from 'node:crypto';

/** The id the crash tests' simulated provider gives a message: derived from ours, unknown to the hub until it answers. */
export const providerIdOf = (messageId: string): string =>
  `wamid.${createHash('sha256').update(messageId).digest('base64url').slice(0, 24)}`;
