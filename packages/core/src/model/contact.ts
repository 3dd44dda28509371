import { z } from 'zod';
import { normalizePhone } from './phone.js';

/** Consent state of a contact on one channel. `opted_out` always wins over anything else. */
export const consentSchema = z.enum(['granted', 'unknown', 'opted_out']);
export type Consent = z.infer<typeof consentSchema>;

/** Phone number that is normalised to E.164; anything libphonenumber cannot parse is rejected. */
export const phoneSchema = z.string().transform((value, context) => {
  const normalised = normalizePhone(value);
  if (!normalised) {
    context.addIssue({ code: 'custom', message: 'not a valid phone number' });
    return z.NEVER;
  }
  return normalised;
});

// Building an Intl.DateTimeFormat to test a zone costs ≈ 80 µs, more than the rest of a send: zones that passed are
// remembered (a dealer's contacts share a handful of zones; the bound keeps junk input from growing it).
const knownTimeZones = new Set<string>();
const knownTimeZoneLimit = 1000;

/** True when `zone` is an IANA time zone this runtime knows (`Europe/Moscow`). */
export function isTimeZone(zone: string): boolean {
  if (knownTimeZones.has(zone)) return true;
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
  } catch {
    return false;
  }
  if (knownTimeZones.size < knownTimeZoneLimit) knownTimeZones.add(zone);
  return true;
}

/**
 * A customer of the dealership. `identities` holds per-channel addresses the providers gave us (WhatsApp `wa_id`,
 * Avito chat ids); `consent` holds per-channel consent; `timeZone` is an IANA zone used for quiet hours;
 * `branchId` is the contact's home branch in a dealer group.
 */
export const contactSchema = z
  .object({
    id: z.string().min(1),
    name: z.string().max(200).optional(),
    phone: phoneSchema.optional(),
    email: z.email().optional(),
    identities: z
      .object({
        whatsapp: z.string().min(1).optional(),
        avitoChatIds: z.array(z.string().min(1)).optional(),
      })
      .catchall(z.union([z.string(), z.array(z.string())]))
      .optional(),
    consent: z.record(z.string(), consentSchema).optional(),
    timeZone: z.string().refine(isTimeZone, 'not an IANA time zone').optional(),
    tags: z.array(z.string()).optional(),
    /**
     * The contact's home branch (a branch id of the hub): the cascade picks its channels, quiet hours fall back to its
     * time zone. A contact stays one person across the group whatever its home branch.
     */
    branchId: z.string().min(1).optional(),
  })
  .strict();

/** A contact after validation (phone normalised to E.164). */
export type Contact = z.output<typeof contactSchema>;
/** What users pass in (phone in any common format). */
export type ContactInput = z.input<typeof contactSchema>;
