import type { IncomingHttpHeaders } from 'node:http';

/** One HTTP request as a simulated provider sees it (path without the `/whatsapp`-style prefix). */
export interface SandboxRequest {
  method: string;
  /** Full URL as received, with the provider prefix removed from the path. */
  url: URL;
  headers: IncomingHttpHeaders;
  /** Raw body bytes. */
  body: Buffer;
}

/** One HTTP answer of a simulated provider. */
export interface SandboxResponse {
  status: number;
  headers?: Record<string, string>;
  body: string | Buffer;
}

/** A JSON answer. */
export function jsonResponse(status: number, value: unknown, headers: Record<string, string> = {}): SandboxResponse {
  return { status, headers: { 'content-type': 'application/json; charset=utf-8', ...headers }, body: JSON.stringify(value) };
}

/** A plain-text answer. */
export function textResponse(status: number, text: string, headers: Record<string, string> = {}): SandboxResponse {
  return { status, headers: { 'content-type': 'text/plain; charset=utf-8', ...headers }, body: text };
}

/** Parses a JSON body; `undefined` when it is not JSON. */
export function readJson(request: SandboxRequest): unknown {
  try {
    return JSON.parse(request.body.toString('utf8'));
  } catch {
    return undefined;
  }
}

/** Query parameters merged with a form-encoded body (body wins), as PHP-style gateways read them. */
export function readParameters(request: SandboxRequest): URLSearchParams {
  const parameters = new URLSearchParams(request.url.searchParams);
  const contentType = String(request.headers['content-type'] ?? '');
  if (request.body.length > 0 && (contentType.includes('application/x-www-form-urlencoded') || contentType === '')) {
    for (const [name, value] of new URLSearchParams(request.body.toString('utf8'))) parameters.set(name, value);
  }
  return parameters;
}

/** Parses a `multipart/form-data` body with the platform's own parser. */
export async function readMultipart(request: SandboxRequest): Promise<FormData | undefined> {
  const contentType = String(request.headers['content-type'] ?? '');
  if (!contentType.startsWith('multipart/form-data')) return undefined;
  try {
    return await new Response(new Uint8Array(request.body), { headers: { 'content-type': contentType } }).formData();
  } catch {
    return undefined;
  }
}

/** The bearer token of an `Authorization` header, if any. */
export function bearerToken(request: SandboxRequest): string | undefined {
  const header = request.headers.authorization;
  const match = typeof header === 'string' ? /^Bearer\s+(.+)$/i.exec(header.trim()) : null;
  return match?.[1];
}
