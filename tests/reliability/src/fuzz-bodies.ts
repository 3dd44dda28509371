import fc from 'fast-check';
import { type HookChannel, validBodies } from './webhooks.js';

// Cheap fast-check arbitraries of webhook bodies per channel: random bytes, random JSON or forms, and real provider
// payloads with random edits (so many still parse into events and reach the hub).

const encoder = new TextEncoder();
const deleted = Symbol('deleted');
type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Every path inside a JSON value (objects and arrays), root first. */
function pathsOf(value: unknown, prefix: Array<string | number> = [], out: Array<Array<string | number>> = []) {
  out.push(prefix);
  if (Array.isArray(value)) {
    for (const [index, item] of value.entries()) pathsOf(item, [...prefix, index], out);
  } else if (value && typeof value === 'object')
    for (const [key, item] of Object.entries(value)) pathsOf(item, [...prefix, key], out);
  return out;
}

/** A copy of `root` with the value at `path` replaced (or removed). */
function replaceAt(root: unknown, path: ReadonlyArray<string | number>, replacement: unknown): unknown {
  if (path.length === 0) return replacement === deleted ? {} : replacement;
  const copy = structuredClone(root) as Record<string | number, unknown>;
  let node = copy;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
  const last = path.at(-1) as string | number;
  if (replacement === deleted) delete node[last];
  else node[last] = replacement;
  return copy;
}

const cheapJson = fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Json>;
const replacement = fc.oneof(
  cheapJson,
  fc.constant(deleted),
  fc.constantFrom(null, '', 0, -1, 1e308, 'sms_status', '__proto__', [], {}, '9'.repeat(40)),
);

/** Up to three random replacements inside a real payload. */
function mutated(base: unknown): fc.Arbitrary<unknown> {
  const paths = pathsOf(base);
  return fc.array(fc.tuple(fc.nat(paths.length - 1), replacement), { minLength: 1, maxLength: 3 }).map((edits) => {
    let value = base;
    for (const [index, next] of edits) {
      const path = paths[index] as Array<string | number>;
      try {
        value = replaceAt(value, path, next);
      } catch {
        // The path vanished under an earlier edit: keep the value.
      }
    }
    return value;
  });
}

/** JSON channels: random bytes, random JSON, mutated fixtures (SES: the inner `Message` is mutated as JSON too). */
function jsonBodies(channel: HookChannel): fc.Arbitrary<Uint8Array> {
  const base = JSON.parse(validBodies[channel]) as Record<string, unknown>;
  const structured = channel === 'email' ? { ...base, Message: JSON.parse(base.Message as string) } : base;
  const serialise = (value: unknown) => {
    if (channel === 'email' && value && typeof value === 'object' && !Array.isArray(value)) {
      const message = (value as Record<string, unknown>).Message;
      if (message !== undefined && typeof message !== 'string')
        return JSON.stringify({ ...value, Message: JSON.stringify(message) });
    }
    return JSON.stringify(value) ?? 'null';
  };
  return fc.oneof(
    { weight: 2, arbitrary: fc.uint8Array({ maxLength: 48 }) },
    { weight: 2, arbitrary: cheapJson.map((value) => encoder.encode(JSON.stringify(value))) },
    { weight: 6, arbitrary: mutated(structured).map((value) => encoder.encode(serialise(value))) },
  );
}

const formValue = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.constantFrom('', 'delivered', 'received', 'failed', '103', '\n', '%ZZ'),
);

/** Form channels: random bytes, random forms, real callbacks with fields changed, added or removed. */
function formBodies(channel: 'sms' | 'twilio'): fc.Arbitrary<Uint8Array> {
  const base = [...new URLSearchParams(validBodies[channel])];
  const smsLine = fc
    .tuple(
      fc.constantFrom('sms_status', 'callcheck_status', '', 'x'),
      fc.string({ maxLength: 10 }),
      fc.oneof(fc.integer({ min: -5, max: 200 }).map(String), fc.string({ maxLength: 4 })),
      fc.oneof(fc.nat().map(String), fc.string({ maxLength: 6 })),
    )
    .map((parts) => parts.join('\n'));
  const entry = fc.tuple(
    fc.oneof(
      fc.constantFrom(...base.map(([key]) => key), 'data[]', 'data[1]', 'SmsSid', 'ErrorCode', 'Body'),
      fc.string({ maxLength: 8 }),
    ),
    channel === 'sms' ? fc.oneof(smsLine, formValue) : formValue,
  );
  const edited = fc
    .tuple(fc.subarray(base), fc.array(entry, { maxLength: 4 }))
    .map(([kept, added]) => new URLSearchParams([...kept, ...added]).toString());
  return fc.oneof(
    { weight: 2, arbitrary: fc.uint8Array({ maxLength: 48 }) },
    {
      weight: 2,
      arbitrary: fc
        .array(fc.tuple(fc.string({ maxLength: 6 }), formValue), { maxLength: 4 })
        .map((pairs) => encoder.encode(new URLSearchParams(pairs).toString())),
    },
    { weight: 6, arbitrary: edited.map((text) => encoder.encode(text)) },
  );
}

export const bodiesOf: Record<HookChannel, fc.Arbitrary<Uint8Array>> = {
  whatsapp: jsonBodies('whatsapp'),
  avito: jsonBodies('avito'),
  email: jsonBodies('email'),
  test: jsonBodies('test'),
  sms: formBodies('sms'),
  twilio: formBodies('twilio'),
};
