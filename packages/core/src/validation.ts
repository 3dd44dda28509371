import type { z } from 'zod';
import { ValidationError } from './errors/validation-error.js';

/**
 * Parses `value` with a zod schema and turns the first issue into a {@link ValidationError} naming the field
 * (`content.text`, `contact.phone`). Used on every public input.
 */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown, prefix: string, channel = 'core'): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const path = [prefix, ...(issue?.path ?? []).map(String)].filter(Boolean).join('.');
  throw new ValidationError({
    channel,
    field: path,
    message: `${path}: ${issue?.message ?? 'invalid'}`,
    raw: result.error.issues,
  });
}
