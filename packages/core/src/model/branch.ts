import { z } from 'zod';
import { ValidationError } from '../errors/validation-error.js';
import { parseInput } from '../validation.js';
import { isTimeZone } from './contact.js';

/** The weekdays of {@link WorkingHours}, in the order `Date.getUTCDay()` numbers them (Sunday first). */
export const weekdays = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;

const clockTime = /^(?:[01]\d|2[0-3]):[0-5]\d$/;

/** `HH:MM` as minutes of the day; `24:00` (allowed as an interval's end) is 1440. */
export function minuteOfDay(time: string): number {
  return Number(time.slice(0, 2)) * 60 + Number(time.slice(3, 5));
}

const intervalSchema = z
  .object({
    from: z.string().regex(clockTime, 'expected HH:MM (00:00…23:59)'),
    to: z.string().refine((value) => value === '24:00' || clockTime.test(value), 'expected HH:MM (00:01…24:00)'),
  })
  .strict()
  .refine((interval) => minuteOfDay(interval.from) < minuteOfDay(interval.to), {
    message: '`from` must be earlier than `to` (an interval cannot cross midnight: split it in two days)',
  });

const dayIntervalsSchema = z
  .array(intervalSchema)
  .superRefine((intervals, context) => {
    const sorted = [...intervals].sort((a, b) => minuteOfDay(a.from) - minuteOfDay(b.from));
    for (let index = 1; index < sorted.length; index++)
      if (minuteOfDay(sorted[index]?.from ?? '') < minuteOfDay(sorted[index - 1]?.to ?? ''))
        context.addIssue({ code: 'custom', message: 'intervals of one day overlap' });
  })
  .optional();

/**
 * A branch's working hours: per weekday the intervals it works, in the branch's time zone (a day left out is closed),
 * and the dates it is closed anyway. SLA timers count only this time.
 */
export const workingHoursSchema = z
  .object({
    mon: dayIntervalsSchema,
    tue: dayIntervalsSchema,
    wed: dayIntervalsSchema,
    thu: dayIntervalsSchema,
    fri: dayIntervalsSchema,
    sat: dayIntervalsSchema,
    sun: dayIntervalsSchema,
    /** Dates the branch is closed, ISO `YYYY-MM-DD` in its time zone. */
    holidays: z.array(z.iso.date()).optional(),
  })
  .strict();

/**
 * Working hours of a branch: per weekday (`mon`…`sun`) a list of `{ from: 'HH:MM', to: 'HH:MM' }` intervals in the
 * branch's time zone (a day left out is closed; `to` may be `24:00`), and `holidays`, ISO dates the branch is closed.
 * @example
 * const hours: WorkingHours = {
 *   mon: [{ from: '09:00', to: '13:00' }, { from: '14:00', to: '20:00' }],
 *   sat: [{ from: '10:00', to: '16:00' }],
 *   holidays: ['2027-01-01', '2027-01-02'],
 * };
 */
export type WorkingHours = z.output<typeof workingHoursSchema>;

/** One branch of a dealer group, as {@link OmnidealerOptions.branches} takes it. */
export const branchInputSchema = z
  .object({
    id: z.string().min(1),
    name: z.string().min(1).max(200),
    timeZone: z.string().refine(isTimeZone, 'not an IANA time zone').optional(),
    workingHours: workingHoursSchema.optional(),
    channels: z.array(z.string().min(1)).optional(),
  })
  .strict();

/**
 * A branch as {@link OmnidealerOptions.branches} takes it: a showroom or service centre of a dealer group. `channels`
 * lists the ids of the hub's channels bound to it (its WhatsApp number, its Avito account…); a channel bound to no
 * branch belongs to the whole group. `timeZone` (IANA) is where its `workingHours` are read, and the quiet-hours zone
 * of its contacts who have none.
 * @example
 * const branch: BranchInput = { id: 'north', name: 'Showroom North', timeZone: 'Europe/Moscow',
 *   workingHours: { mon: [{ from: '09:00', to: '20:00' }] }, channels: ['whatsapp-north', 'avito-north'] };
 */
export type BranchInput = z.input<typeof branchInputSchema>;

/** A branch of the hub ({@link Omnidealer.branches}): what was configured, validated; `channels` always present. */
export interface Branch {
  readonly id: string;
  readonly name: string;
  /** IANA time zone of the branch (`Europe/Moscow`); absent means the working hours are read in UTC. */
  readonly timeZone?: string | undefined;
  /** When the branch works; absent means SLA timers count every hour. */
  readonly workingHours?: WorkingHours | undefined;
  /** Ids of the hub's channels bound to this branch. */
  readonly channels: readonly string[];
}

/** The hub's branches by id, and by the id of each channel bound to one. */
export interface BranchMaps {
  readonly byId: ReadonlyMap<string, Branch>;
  readonly byChannel: ReadonlyMap<string, Branch>;
}

/**
 * Validates the hub's branches against its channels.
 * @throws ValidationError for a bad branch, a duplicate branch id, an unknown channel id or a channel in two branches
 */
export function parseBranches(input: unknown, channelIds: ReadonlySet<string>): BranchMaps {
  const parsed = parseInput(z.array(branchInputSchema), input ?? [], 'branches');
  const byId = new Map<string, Branch>();
  const byChannel = new Map<string, Branch>();
  parsed.forEach((entry, index) => {
    if (byId.has(entry.id))
      throw new ValidationError({ field: `branches.${index}.id`, message: `duplicate branch id "${entry.id}"` });
    const branch: Branch = Object.freeze({
      id: entry.id,
      name: entry.name,
      ...(entry.timeZone ? { timeZone: entry.timeZone } : {}),
      ...(entry.workingHours ? { workingHours: entry.workingHours } : {}),
      channels: Object.freeze([...(entry.channels ?? [])]),
    });
    branch.channels.forEach((channelId, channelIndex) => {
      const field = `branches.${index}.channels.${channelIndex}`;
      if (!channelIds.has(channelId))
        throw new ValidationError({
          field,
          message: `${field}: unknown channel "${channelId}"; known: ${[...channelIds].join(', ')}`,
        });
      const other = byChannel.get(channelId);
      if (other)
        throw new ValidationError({
          field,
          message: `${field}: channel "${channelId}" is already bound to branch "${other.id}"`,
        });
      byChannel.set(channelId, branch);
    });
    byId.set(branch.id, branch);
  });
  return { byId, byChannel };
}
