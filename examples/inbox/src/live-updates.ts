import type { ServerResponse } from 'node:http';

/** Server-sent events to every open inbox page. */
export interface LiveUpdates {
  /** Keeps `response` open as an SSE stream until the page goes away. */
  attach(response: ServerResponse): void;
  /** Sends one named event with a JSON body to every page. */
  broadcast(event: string, data: unknown): void;
  readonly size: number;
  close(): void;
}

/** Creates the SSE fan-out (one `text/event-stream` response per page). */
export function createLiveUpdates(): LiveUpdates {
  const clients = new Set<ServerResponse>();
  return {
    attach(response) {
      response.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache',
        connection: 'keep-alive',
      });
      response.write('retry: 1000\n\n');
      clients.add(response);
      response.on('close', () => clients.delete(response));
    },
    broadcast(event, data) {
      const frame = `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
      for (const client of clients) client.write(frame);
    },
    get size() {
      return clients.size;
    },
    close() {
      for (const client of clients) client.end();
      clients.clear();
    },
  };
}
