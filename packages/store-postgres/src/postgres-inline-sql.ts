// Statements with their values written in as literals, for the queries sent in one simple-protocol round trip.

/** An array as a PostgreSQL array literal's text (`{"a","b"}`). */
function arrayText(values: readonly unknown[]): string {
  return `{${values.map((value) => `"${String(value).replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`).join(',')}}`;
}

/** One value as an SQL literal, for the statements a transaction sends in one simple-protocol round trip. */
function literal(value: unknown): string {
  if (value === null || value === undefined) return 'NULL';
  if (typeof value === 'boolean') return value ? 'TRUE' : 'FALSE';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError(`cannot store the number ${value}`);
    return String(value);
  }
  const text = Array.isArray(value) ? arrayText(value) : String(value);
  // A NUL would end the query message early (the protocol's strings are NUL-terminated) and break the connection;
  // PostgreSQL refuses it in a text value anyway.
  if (text.includes('\u0000')) throw new TypeError('PostgreSQL cannot store a text value holding the character U+0000');
  return escapeLiteral(text);
}

/**
 * `text` as a string literal, exactly as `pg.escapeLiteral` writes it (quotes doubled; with a backslash, an `E''`
 * literal with backslashes doubled), but with native string replaces: pg's loop appends one character at a time,
 * which for the kilobytes of JSON a row holds cost more than the rest of the statement.
 */
export function escapeLiteral(text: string): string {
  const quoted = text.includes("'") ? text.replaceAll("'", "''") : text;
  return text.includes('\\') ? ` E'${quoted.replaceAll('\\', '\\\\')}'` : `'${quoted}'`;
}

/** Statement texts split at their placeholders (a bounded set: the store's statements and their variants). */
const templates = new Map<string, { texts: string[]; indexes: number[] }>();

/**
 * `text` with its `$n` placeholders replaced by the values as escaped literals (`escapeLiteral` of pg). Lets a
 * transaction send BEGIN, its locks and its first read — or its last write and COMMIT — as one simple-protocol query:
 * two round trips per atomic update instead of four. Statement texts hold `$` only in placeholders (schema names are
 * plain identifiers without `$`).
 */
export function inline(text: string, values: unknown[] = []): string {
  let template = templates.get(text);
  if (template === undefined) {
    // Split once per statement text: [text, index, text, index, …, text].
    const pieces = text.split(/\$(\d+)/);
    template = {
      texts: pieces.filter((_, index) => index % 2 === 0),
      indexes: pieces.filter((_, index) => index % 2 === 1).map(Number),
    };
    if (templates.size >= 1000) templates.clear();
    templates.set(text, template);
  }
  let inlined = template.texts[0] as string;
  for (let index = 0; index < template.indexes.length; index++) {
    inlined += literal(values[(template.indexes[index] as number) - 1]) + (template.texts[index + 1] as string);
  }
  return inlined;
}
