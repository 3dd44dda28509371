import { parseArgs } from 'node:util';

/** What the demo runs with: `pnpm demo --contacts 3000 --seed 7 …`. */
export interface DemoOptions {
  /** Seeded contacts in the spring-sale campaign. @default 3000 */
  contacts: number;
  /** Every id, outcome and contact derives from it: same seed, same run. @default 42 */
  seed: number;
  /** Price of one WhatsApp marketing template message, in kopecks. @default 1200 (12 ₽) */
  priceWhatsAppMinor: number;
  /** Price of one SMS segment, in kopecks. @default 300 (3 ₽) */
  priceSmsSegmentMinor: number;
  /** Where the HTML report goes. @default examples/demo/report */
  outDir: string;
  /** Use real providers with credentials from the environment instead of the sandbox. */
  real: boolean;
  /** Seconds to wait for statuses in `--real` mode. @default 120 */
  waitSeconds: number;
  /** Where the SQLite file goes. @default a fresh temporary directory */
  storePath?: string | undefined;
  /** When WhatsApp falls back to SMS: not delivered (default) or not read within 24 h; a failure always falls back. */
  whatsAppFallback: 'not_read' | 'not_delivered';
}

/** The environment `--real` needs (names match the channel packages' own env fallbacks). */
export const requiredRealEnv = [
  'WHATSAPP_PHONE_NUMBER_ID',
  'WHATSAPP_ACCESS_TOKEN',
  'WHATSAPP_APP_SECRET',
  'WHATSAPP_VERIFY_TOKEN',
  'SMSRU_API_ID',
  'SMSRU_WEBHOOK_TOKEN',
  'OMNIDEALER_DEMO_CONTACTS',
] as const;

/** Optional environment of `--real`: each group adds a channel when complete. */
export const optionalRealEnv = {
  email: ['OMNIDEALER_SMTP_URL', 'OMNIDEALER_EMAIL_FROM'],
  avito: ['AVITO_CLIENT_ID', 'AVITO_CLIENT_SECRET', 'AVITO_USER_ID', 'AVITO_WEBHOOK_SECRET'],
} as const;

export const helpText = `pnpm demo — a spring-sale campaign and a few customer dialogs, on local sandbox providers

Usage: pnpm demo [options]

  --contacts N            seeded contacts in the campaign (default 3000)
  --seed N                same seed, same run (default 42)
  --price-whatsapp RUB    price of one WhatsApp marketing template (default 12)
  --price-sms-segment RUB price of one SMS segment (default 3)
  --out DIR               where report/index.html is written (default examples/demo/report)
  --store FILE            SQLite file (default: a fresh temporary directory)
  --whatsapp-fallback T   SMS when the WhatsApp template is not_delivered (default) or not_read within 24 h
  --real                  use real providers, credentials from the environment (see below)
  --wait SECONDS          --real only: how long to wait for delivery statuses (default 120)
  --help                  this text

No accounts, no internet: WhatsApp Cloud API, Avito, SMS.ru and an SMTP server run on 127.0.0.1
(@omnidealer/sandbox), and 24 simulated hours pass in seconds.

--real needs these environment variables (the channel packages read the same names):
  ${requiredRealEnv.join('\n  ')}
  optional, e-mail:  ${optionalRealEnv.email.join(', ')}
  optional, Avito:   ${optionalRealEnv.avito.join(', ')}
OMNIDEALER_DEMO_CONTACTS is a JSON file with YOUR OWN test contacts ([{ "id", "phone", "email"?, "consent"? }]):
--real never messages seeded numbers, because they may belong to real people. Webhooks are served on
OMNIDEALER_DEMO_PORT (default 3000): expose it publicly and register /hooks/whatsapp, /hooks/sms?token=…
and /hooks/avito/<secret> with the providers.`;

const roublesToMinor = (value: string, flag: string): number => {
  const number = Number(value.replace(',', '.'));
  if (!Number.isFinite(number) || number < 0) throw new RangeError(`${flag}: expected a price in roubles, got "${value}"`);
  return Math.round(number * 100);
};

const integerOf = (value: string, flag: string, min: number): number => {
  const number = Number(value);
  if (!Number.isInteger(number) || number < min) throw new RangeError(`${flag}: expected an integer ≥ ${min}, got "${value}"`);
  return number;
};

/**
 * Parses the command line. Returns `'help'` for `--help`.
 * @throws RangeError naming the flag when a value is malformed, TypeError for an unknown flag.
 */
export function parseDemoOptions(argv: readonly string[], defaultOutDir: string): DemoOptions | 'help' {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: false,
    options: {
      contacts: { type: 'string' },
      seed: { type: 'string' },
      'price-whatsapp': { type: 'string' },
      'price-sms-segment': { type: 'string' },
      out: { type: 'string' },
      store: { type: 'string' },
      real: { type: 'boolean' },
      wait: { type: 'string' },
      'whatsapp-fallback': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return 'help';
  const fallback = values['whatsapp-fallback'] ?? 'not_delivered';
  if (fallback !== 'not_read' && fallback !== 'not_delivered')
    throw new RangeError(`--whatsapp-fallback: expected not_read or not_delivered, got "${fallback}"`);
  return {
    contacts: values.contacts === undefined ? 3000 : integerOf(values.contacts, '--contacts', 1),
    seed: values.seed === undefined ? 42 : integerOf(values.seed, '--seed', 0),
    priceWhatsAppMinor:
      values['price-whatsapp'] === undefined ? 1200 : roublesToMinor(values['price-whatsapp'], '--price-whatsapp'),
    priceSmsSegmentMinor:
      values['price-sms-segment'] === undefined ? 300 : roublesToMinor(values['price-sms-segment'], '--price-sms-segment'),
    outDir: values.out ?? defaultOutDir,
    real: values.real ?? false,
    waitSeconds: values.wait === undefined ? 120 : integerOf(values.wait, '--wait', 0),
    storePath: values.store,
    whatsAppFallback: fallback,
  };
}

/** Names of required `--real` variables that are missing or empty. */
export function missingRealEnv(env: Record<string, string | undefined>): string[] {
  return requiredRealEnv.filter((name) => !env[name]);
}
