import type { ServerResponse } from 'node:http';

/** Which branches' chats one page may hear about (see `Viewer.sees`). */
export type BranchAudience = (branchId: string | undefined) => boolean;

/** Server-sent events to the open inbox pages, each page hearing only about the branches its operator sees. */
export interface LiveUpdates {
  /** Keeps `response` open as an SSE stream until the page goes away; `sees` says which branches it hears about. */
  attach(response: ServerResponse, sees: BranchAudience): void;
  /**
   * Sends one named event with a JSON body to the pages that see at least one of `branchIds` (a hand-off names the
   * branch it leaves and the one it joins).
   */
  broadcast(event: string, data: unknown, branchIds: ReadonlyArray<string | undefined>): void;
  /** Sends one named event to every page, its body built for what that page sees. */
  broadcastEach(event: string, build: (sees: BranchAudience) => unknown): void;
  readonly size: number;
  close(): void;
}

/** Creates the SSE fan-out (one `text/event-stream` response per page). */
export function createLiveUpdates(): LiveUpdates {
  const clients = new Map<ServerResponse, BranchAudience>();
  const frame = (event: string, data: unknown) => `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
  return {
    attach(response, sees) {
      response.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache',
        connection: 'keep-alive',
      });
      response.write('retry: 1000\n\n');
      clients.set(response, sees);
      response.on('close', () => clients.delete(response));
    },
    broadcast(event, data, branchIds) {
      const text = frame(event, data);
      for (const [client, sees] of clients) if (branchIds.some(sees)) client.write(text);
    },
    broadcastEach(event, build) {
      for (const [client, sees] of clients) client.write(frame(event, build(sees)));
    },
    get size() {
      return clients.size;
    },
    close() {
      for (const client of clients.keys()) client.end();
      clients.clear();
    },
  };
}
