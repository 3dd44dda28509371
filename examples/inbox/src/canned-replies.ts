import type { Contact, Conversation } from '@omnidealer/core';
import type { CannedReply } from './inbox-config.js';

/** Values a canned reply may use. */
export interface ReplyVariables {
  model?: string | undefined;
  price?: string | undefined;
  name?: string | undefined;
}

/** A canned reply filled for one conversation. `missing` lists variables the conversation cannot fill. */
export interface FilledReply {
  id: string;
  title: string;
  text: string;
  missing: string[];
}

const text = (value: unknown): string | undefined =>
  typeof value === 'string' && value.trim() !== '' ? value.trim() : typeof value === 'number' ? String(value) : undefined;

/** `{model}` and `{price}` come from the listing (Avito `conversation.subject`), `{name}` from the contact. */
export function replyVariables(
  conversation: Pick<Conversation, 'subject'>,
  contact: Pick<Contact, 'name'> | undefined,
): ReplyVariables {
  return {
    model: text(conversation.subject?.title),
    price: text(conversation.subject?.price),
    name: text(contact?.name),
  };
}

/**
 * Fills `{variable}` placeholders. Unknown or empty variables stay as written and are reported in `missing`, so the
 * page can disable a reply that would go out with a hole in it.
 * @example
 * fillReply({ id: 'a', title: 'A', text: '{model} за {price}' }, { model: 'Kia Rio, 2020', price: '1 320 000 ₽' });
 * // → { text: 'Kia Rio, 2020 за 1 320 000 ₽', missing: [] }
 */
export function fillReply(reply: CannedReply, variables: ReplyVariables): FilledReply {
  const missing: string[] = [];
  const filled = reply.text.replace(/\{(\w+)\}/g, (placeholder, name: string) => {
    const value = variables[name as keyof ReplyVariables];
    if (value === undefined) {
      if (!missing.includes(name)) missing.push(name);
      return placeholder;
    }
    return value;
  });
  return { id: reply.id, title: reply.title, text: filled, missing };
}
