import type { ContactInput, Omnidealer, SlaReport } from '@omnidealer/core';
import type { DemoSandbox } from './demo-sandbox.js';

/** One-line SLA summary. */
export function formatSla(sla: SlaReport): string {
  const seconds = (ms: number | undefined) => (ms === undefined ? '—' : `${Math.round(ms / 1000)} s`);
  const responders = Object.entries(sla.byResponder)
    .map(
      ([responder, figures]) =>
        `${responder}: ${figures.answered} answered (${figures.answeredLate} late), ${figures.waitingOverTarget} waiting`,
    )
    .join(' · ');
  return (
    `SLA (answer within ${Math.round(sla.targetMs / 1000)} s): ${sla.overall.answered} answered, median ${seconds(sla.overall.medianMs)}, ` +
    `${sla.overall.missed} missed · ${responders}`
  );
}

/** The scripted inbound dialogs: their result lines, the script's steps due by a time, and the work they started. */
export interface Dialogs {
  lines: string[];
  runDue(now: number): Promise<void>;
  drain(): Promise<void>;
}

/**
 * The inbound side of a dealer's day, scripted on the simulated clock from `campaignStart` (11:00):
 * - 11:05 a buyer asks on Avito about a listed car; operator Anna takes the chat and answers four minutes later;
 * - 11:10 a WhatsApp customer asks to book a test drive; the bot answers free-form a minute later (window open);
 * - 11:20 a campaign recipient taps «Позвать оператора» under the template; the chat goes to the operators' queue.
 */
export function createDialogs(
  hub: Omnidealer,
  sandbox: DemoSandbox,
  contacts: readonly ContactInput[],
  campaignStart: number,
): Dialogs {
  const lines: string[] = [];
  const pending = new Set<Promise<unknown>>();
  const track = (work: Promise<unknown>) => {
    const settled = work.catch((error: unknown) =>
      lines.push(`error: ${error instanceof Error ? error.message : String(error)}`),
    );
    pending.add(settled);
    void settled.finally(() => pending.delete(settled));
  };
  const avitoBuyer = contacts.find((contact) => (contact.identities?.avitoChatIds as string[] | undefined)?.length);
  const avitoChatId = (avitoBuyer?.identities?.avitoChatIds as string[] | undefined)?.[0];
  const bookingPhone = '+79031234567';
  const at = (minutes: number) => campaignStart + minutes * 60_000;
  let avitoConversation: string | undefined;
  let bookingConversation: string | undefined;

  hub.on('message.received', ({ message, conversation }) => {
    if (conversation.channel === 'avito') {
      avitoConversation = conversation.id;
      const subject = conversation.subject as { title?: string; price?: string } | undefined;
      lines.push(
        `Avito buyer asks about «${subject?.title ?? 'a listing'}» (${subject?.price ?? 'no price'}): "${textOf(message.content)}"`,
      );
      track(hub.assign(conversation.id, { assignee: 'anna', department: 'used-cars', by: 'router' }));
    } else if (conversation.channel === 'whatsapp' && message.metadata?.inboundKind === 'message') {
      bookingConversation = conversation.id;
      lines.push(`WhatsApp customer writes: "${textOf(message.content)}"`);
    }
  });
  hub.on('message.button', ({ conversation, payload }) => {
    if (payload !== 'CALL_OPERATOR') return;
    track(
      hub
        .assign(conversation.id, { department: 'sales', handler: 'operator', by: 'bot', note: 'tapped «Позвать оператора»' })
        .then((updated) => {
          lines.push(
            `A campaign recipient tapped «Позвать оператора»: chat queued for ${updated.department} (handler ${updated.handler})`,
          );
        }),
    );
  });

  const script: Array<{ at: number; run: () => Promise<unknown> }> = [
    {
      at: at(5),
      run: () =>
        sandbox.avitoInbound({
          ...(avitoChatId ? { chatId: avitoChatId } : {}),
          buyerName: avitoBuyer?.name ?? 'Покупатель',
          text: 'Здравствуйте! Ещё продаётся? Какой пробег и был ли в ДТП?',
        }),
    },
    {
      at: at(9),
      run: async () => {
        if (!avitoConversation) return;
        const conversation = await hub.store.getConversation(avitoConversation);
        if (!conversation) return;
        const reply = await hub.send({
          channel: 'avito',
          contact: { id: conversation.contactId },
          content: { type: 'text', text: 'Добрый день! Да, в продаже: пробег 48 000 км, без ДТП. Когда удобно посмотреть?' },
          sentBy: 'anna',
        });
        lines.push(`Operator anna answers on Avito after 4 min: ${reply.status}`);
      },
    },
    {
      at: at(10),
      run: () =>
        sandbox.whatsappInbound({
          from: bookingPhone,
          name: 'Игорь',
          text: 'Здравствуйте! Хочу записаться на тест-драйв Haval Jolion в субботу утром.',
        }),
    },
    {
      at: at(11),
      run: async () => {
        if (!bookingConversation) return;
        const conversation = await hub.store.getConversation(bookingConversation);
        if (!conversation) return;
        const reply = await hub.send({
          channel: 'whatsapp',
          contact: { id: conversation.contactId },
          content: { type: 'text', text: 'Записали вас на субботу, 7 марта, в 11:00. Адрес: Ленинградское ш., 16. До встречи!' },
          sentBy: 'bot',
        });
        lines.push(
          `Bot books the visit a minute later, inside the 24 h window (free-form, ${reply.cost?.amountMinor ?? 0} kopecks): ${reply.status}`,
        );
      },
    },
    {
      at: at(20),
      run: async () => {
        const read = (await sandbox.whatsappMessages()).find(
          (message) => message.type === 'template' && message.plannedOutcome === 'read',
        );
        if (!read) return;
        await sandbox.whatsappInbound({ from: read.to, button: { text: 'Позвать оператора', payload: 'CALL_OPERATOR' } });
      },
    },
  ];

  return {
    lines,
    async runDue(now) {
      while (script.length > 0 && (script[0]?.at ?? Number.POSITIVE_INFINITY) <= now) {
        const next = script.shift();
        if (next) await next.run();
        await this.drain();
      }
    },
    async drain() {
      while (pending.size > 0) await Promise.allSettled([...pending]);
    },
  };
}

function textOf(content: { type: string; text?: string }): string {
  return content.type === 'text' && content.text ? content.text : `[${content.type}]`;
}
