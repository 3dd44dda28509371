// The load both WhatsApp send benchmarks post: one template per recipient, and the Cloud API body the channel builds
// for it, which the raw baselines post themselves.

/** The template every send carries. */
export const benchTemplate = {
  type: 'template' as const,
  name: 'spring_sale',
  language: 'ru',
  params: ['Иван', 'Kia Rio'],
};

/** A distinct Russian mobile number per index, in E.164. */
export function benchPhone(index: number): string {
  return `+7916${String(1_000_000 + index).slice(-7)}`;
}

/** The Cloud API body the WhatsApp channel posts for {@link benchTemplate} to {@link benchPhone}`(index)`. */
export function cloudTemplateBody(index: number): string {
  return JSON.stringify({
    messaging_product: 'whatsapp',
    recipient_type: 'individual',
    to: benchPhone(index).slice(1),
    type: 'template',
    template: {
      name: benchTemplate.name,
      language: { code: benchTemplate.language },
      components: [{ type: 'body', parameters: benchTemplate.params.map((text) => ({ type: 'text', text })) }],
    },
    // The channel sends its message id here (reconciling lost answers): a placeholder of the same length.
    biz_opaque_callback_data: `omnidealer:msg_${'0'.repeat(32)}`,
  });
}

/** A posted body with its message id replaced by the placeholder {@link cloudTemplateBody} carries. */
export function withPlaceholderMessageId(body: string): string {
  return body.replace(/"omnidealer:msg_[0-9a-f]{32}"/, `"omnidealer:msg_${'0'.repeat(32)}"`);
}

/** A contact as a CRM passes it to `hub.send`: a name, a phone number and the time zone used for quiet hours. */
export function benchContact(id: string, index: number): { id: string; name: string; phone: string; timeZone: string } {
  return { id, name: 'Иван Петров', phone: benchPhone(index), timeZone: 'Europe/Moscow' };
}
