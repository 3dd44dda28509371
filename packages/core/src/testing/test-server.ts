import { type HttpHandler, HttpResponse, http } from 'msw';
import { type SetupServer, setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll } from 'vitest';

/** One scripted answer. `error: 'network'` drops the connection; `delayMs` holds the answer (for timeouts). */
export type TestResponse =
  | {
      status?: number;
      json?: unknown;
      text?: string;
      headers?: Record<string, string>;
      delayMs?: number;
      error?: 'network';
      /** Start a body then cut the connection mid-response. */
      truncate?: boolean;
    }
  | ((call: RecordedCall) => Response | Promise<Response>);

/** A request the server saw. */
export interface RecordedCall {
  method: string;
  url: URL;
  headers: Headers;
  text: string;
  /** Parsed JSON body, when it was JSON. */
  json?: unknown;
  /** Parsed form body, when it was form-encoded. */
  form?: Record<string, string>;
}

/** The msw server with recorded calls and scripted responses. */
export interface TestServer {
  readonly server: SetupServer;
  readonly calls: RecordedCall[];
  /** Calls whose URL contains `fragment`. */
  callsTo(fragment: string): RecordedCall[];
  /** Replaces the script for a route (`'POST https://…/messages'` or a URL, msw path syntax). */
  use(route: string, responses: TestResponse | TestResponse[]): void;
  reset(): void;
}

async function record(request: Request): Promise<RecordedCall> {
  const text = await request.clone().text();
  const call: RecordedCall = { method: request.method, url: new URL(request.url), headers: request.headers, text };
  const type = request.headers.get('content-type') ?? '';
  if (type.includes('application/json') && text) {
    try {
      call.json = JSON.parse(text);
    } catch {
      // Keep text only.
    }
  } else if (type.includes('application/x-www-form-urlencoded')) {
    call.form = Object.fromEntries(new URLSearchParams(text));
  }
  return call;
}

function toResponse(script: Exclude<TestResponse, Function>): Response {
  if (script.error === 'network') return HttpResponse.error();
  const headers = new Headers(script.headers);
  if (script.truncate) {
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('{"messages":[{"id":'));
        controller.error(new Error('connection reset'));
      },
    });
    headers.set('content-type', 'application/json');
    return new Response(stream, { status: script.status ?? 200, headers });
  }
  if (script.json !== undefined) return HttpResponse.json(script.json as object, { status: script.status ?? 200, headers });
  return new HttpResponse(script.text ?? '', { status: script.status ?? 200, headers });
}

function routeParts(route: string): { method: string | undefined; url: string } {
  const match = /^(GET|POST|PUT|DELETE|PATCH)\s+(.+)$/.exec(route);
  return match ? { method: match[1], url: match[2] as string } : { method: undefined, url: route };
}

/**
 * Starts an msw server for the current test file, recording every call. Each route takes one response or a
 * sequence (the last one repeats): a 429 then a 200 is one line.
 * @example
 * const api = createTestServer({
 *   'POST https://graph.facebook.com/v23.0/123/messages': [{ status: 429, headers: { 'retry-after': '1' }, json: {} }, { json: ok }],
 * });
 * expect(api.callsTo('/messages')[0]?.json).toEqual({ … });
 */
export function createTestServer(routes: Record<string, TestResponse | TestResponse[]> = {}): TestServer {
  const calls: RecordedCall[] = [];
  const scripts = new Map<string, TestResponse[]>();
  const counters = new Map<string, number>();
  const server = setupServer();

  const handlerFor = (route: string): HttpHandler => {
    const { method, url } = routeParts(route);
    const factory = method ? http[method.toLowerCase() as 'get' | 'post' | 'put' | 'delete' | 'patch'] : http.all;
    return factory(url, async ({ request }) => {
      const call = await record(request);
      calls.push(call);
      const sequence = scripts.get(route) ?? [];
      const index = counters.get(route) ?? 0;
      counters.set(route, index + 1);
      const script = sequence[Math.min(index, sequence.length - 1)];
      if (!script) return HttpResponse.json({ error: 'no scripted response' }, { status: 599 });
      if (typeof script === 'function') return script(call);
      if (script.delayMs) await new Promise((resolve) => setTimeout(resolve, script.delayMs));
      return toResponse(script);
    });
  };

  const install = () => server.resetHandlers(...[...scripts.keys()].map(handlerFor));
  const api: TestServer = {
    server,
    calls,
    callsTo: (fragment) => calls.filter((call) => call.url.href.includes(fragment)),
    use(route, responses) {
      scripts.set(route, Array.isArray(responses) ? responses : [responses]);
      counters.set(route, 0);
      install();
    },
    reset() {
      calls.length = 0;
      counters.clear();
    },
  };
  for (const [route, responses] of Object.entries(routes)) scripts.set(route, Array.isArray(responses) ? responses : [responses]);

  beforeAll(() => {
    install();
    server.listen({ onUnhandledRequest: 'error' });
  });
  afterEach(() => {
    api.reset();
    for (const route of scripts.keys()) counters.set(route, 0);
  });
  afterAll(() => server.close());
  return api;
}
