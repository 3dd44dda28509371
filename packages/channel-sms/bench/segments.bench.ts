// Segment counting throughput: countSegments against the best-known JS calculators on the same corpus.
// Run alone: `npx tsx packages/channel-sms/bench/segments.bench.ts` (prints a table).
import { fileURLToPath } from 'node:url';
import { SegmentedMessage } from 'sms-segments-calculator';
import { split as splitSms } from 'split-sms';
import { countSegments } from '../src/sms-segments.js';

/** Same shape as the repository's bench kit result. */
export interface SegmentsBenchmarkResult {
  name: string;
  rows: Array<Record<string, string | number>>;
  summary: Record<string, number>;
  goals?: Array<{ figure: string; op: '>=' | '<='; target: number }>;
  notes?: string[];
}

interface Implementation {
  name: string;
  count: (text: string) => { segments: number; encoding: string };
}

const implementations: Implementation[] = [
  { name: 'countSegments', count: (text) => countSegments(text) },
  {
    // The same call reading the lazily computed code-point count too (what split-sms always computes).
    name: 'countSegments + characters',
    count: (text) => {
      const counts = countSegments(text);
      return { segments: counts.characters >= 0 ? counts.segments : -1, encoding: counts.encoding };
    },
  },
  {
    name: 'sms-segments-calculator',
    count: (text) => {
      const message = new SegmentedMessage(text);
      return { segments: message.segmentsCount, encoding: message.encodingName };
    },
  },
  {
    name: 'split-sms',
    count: (text) => {
      const result = splitSms(text, { summary: true });
      return { segments: result.parts.length, encoding: result.characterSet === 'GSM' ? 'GSM-7' : 'UCS-2' };
    },
  },
];

const cyrillicMailings = [
  'Иван Петрович, добрый день! Дилерский центр «Тойота Центр Север» приглашает вас на плановое ТО вашего Camry. Только до 31 марта — скидка 15% на работы и оригинальные запчасти, бесплатная мойка и диагностика ходовой. Запишитесь по телефону +7 495 123-45-67 или ответьте на это сообщение. Ждём вас!',
  'Ваш автомобиль KIA Rio готов к выдаче. Ждём вас до 20:00 по адресу: ул. Ленина, 10. Тел. +7 (812) 555-01-02',
  'Напоминаем: завтра в 11:00 тест-драйв Haval Jolion. Если планы изменились, ответьте на это SMS.',
  'Распродажа склада! Hyundai Creta 2024 от 2 199 000 ₽, выгода до 300 000 ₽ при трейд-ин. Кредит от 0,1% — только до конца месяца. Автосалон «Авангард», Московское ш., 45. Подробнее: avangard-auto.ru/sale',
  'Код подтверждения: 4821. Никому не сообщайте его.',
  'Уважаемый клиент! Срок действия полиса ОСАГО на автомобиль А123ВС77 истекает через 14 дней. Оформите продление у нас и получите скидку 10% на КАСКО. Звоните: 8 800 555-35-35',
];
const latinMessages = [
  'Your Toyota Camry is ready for pickup. We are open until 8pm today. Reply STOP to opt out.',
  'Reminder: test drive tomorrow at 11:00 at Avangard Motors, 45 Moskovskoe sh. Call +74951234567 to reschedule.',
  'Hi Anna, thanks for visiting us today! Rate your experience: https://example.com/r/abc123 - it takes 30 seconds. Your feedback helps us improve our service for every customer who comes to the showroom.',
  'Service offer: oil change + filter for 4990 RUB until March 31. Book online at example.com/service or reply YES and we will call you back within the hour.',
];
const emojiMessages = [
  'Ваш автомобиль готов! 🚗✨ Ждём вас 👋',
  'Congrats on your new car! 🎉🚙 Drive safe 🙏 and see you at the first service 🔧',
  'Спасибо за визит 😊 Оцените нас: ⭐⭐⭐⭐⭐ 👉 example.ru/r 👨‍👩‍👧 семейная программа 🇷🇺',
];
const extensionMessages = [
  'Price: €24,990 [incl. VAT] {limited offer} ~ call now | ref ^A12\\B',
  `${'Offer {A}[B] € '.repeat(12)}end`,
  `${'a'.repeat(152)}€${'b'.repeat(200)}`,
];

/** The corpus by category; every text is counted by every implementation. */
export const segmentsCorpus: Record<string, string[]> = {
  cyrillic: cyrillicMailings,
  latin: latinMessages,
  emoji: emojiMessages,
  extension: extensionMessages,
};

function calibrate(implementation: Implementation, texts: string[], minRunMs: number): number {
  // The iteration count that makes one run last at least `minRunMs`.
  let iterations = 1;
  for (;;) {
    const start = performance.now();
    for (let round = 0; round < iterations; round++) for (const text of texts) implementation.count(text);
    if (performance.now() - start >= minRunMs) return iterations;
    iterations *= 2;
  }
}

let sink = 0;

/**
 * Texts per second of every implementation, median of `runs` runs. Runs are interleaved (A, B, C, A, B, C…) so a
 * load spike on a shared machine hits every implementation alike instead of skewing one ratio.
 */
function measure(texts: string[], runs: number, minRunMs: number): number[] {
  const iterations = implementations.map((implementation) => calibrate(implementation, texts, minRunMs));
  const rates: number[][] = implementations.map(() => []);
  for (let run = 0; run < runs; run++) {
    implementations.forEach((implementation, index) => {
      const count = iterations[index] as number;
      const start = performance.now();
      for (let round = 0; round < count; round++) for (const text of texts) sink += implementation.count(text).segments;
      const seconds = (performance.now() - start) / 1000;
      rates[index]?.push((count * texts.length) / seconds);
    });
  }
  return rates.map(median);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

const round = (value: number, digits = 2) => Math.round(value * 10 ** digits) / 10 ** digits;

/**
 * Measures throughput (texts counted per second, median of `runs` runs) of `countSegments` and each peer on the
 * same corpus, per category and overall, plus how often each peer gives the same segment count and encoding.
 */
export async function runSegmentsBenchmark(options: { runs?: number; minRunMs?: number } = {}): Promise<SegmentsBenchmarkResult> {
  const runs = Math.max(5, options.runs ?? 7);
  const minRunMs = options.minRunMs ?? 50;
  const all = Object.values(segmentsCorpus).flat();
  const rows: Array<Record<string, string | number>> = [];
  const summary: Record<string, number> = {};
  const ours = implementations[0] as Implementation;
  const categories: Array<[string, string[]]> = [...Object.entries(segmentsCorpus), ['all', all]];
  for (const [category, texts] of categories) {
    const rates = measure(texts, runs, minRunMs);
    const baseline = rates[0] as number;
    implementations.forEach((implementation, index) => {
      const rate = rates[index] as number;
      const agreeing = texts.filter((text) => {
        const mine = ours.count(text);
        const theirs = implementation.count(text);
        return mine.segments === theirs.segments && mine.encoding === theirs.encoding;
      }).length;
      rows.push({
        corpus: category,
        implementation: implementation.name,
        'texts/s': Math.round(rate),
        'countSegments ×': round(baseline / rate),
        'agreement %': round((agreeing / texts.length) * 100, 1),
      });
      if (!implementation.name.startsWith('countSegments') && category === 'all') {
        summary[`speedup vs ${implementation.name}`] = round(baseline / rate);
        summary[`agreement % vs ${implementation.name}`] = round((agreeing / texts.length) * 100, 1);
      }
    });
    if (category === 'all') summary['countSegments texts/s'] = Math.round(baseline);
  }
  if (sink < 0) console.log(sink); // Keeps the counted work observable to the optimiser.
  return {
    name: 'sms-segments',
    rows,
    summary,
    goals: implementations
      .filter((implementation) => !implementation.name.startsWith('countSegments'))
      .map((implementation) => ({ figure: `speedup vs ${implementation.name}`, op: '>=' as const, target: 3 })),
    notes: [
      'texts/s = texts counted per second, median of the runs; split-sms runs in its cheaper summary mode (no part texts).',
      'countSegments counts code points (`characters`) only when read; the "+ characters" row reads them, for a like-for-like comparison.',
      'Disagreements are by design: sms-segments-calculator never splits a grapheme cluster (👨‍👩‍👧, flags) while the standard only keeps a surrogate pair together.',
    ],
  };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const result = await runSegmentsBenchmark();
  console.log(`\n## ${result.name}`);
  console.table(result.rows);
  console.table(result.summary);
  for (const note of result.notes ?? []) console.log(`note: ${note}`);
}
