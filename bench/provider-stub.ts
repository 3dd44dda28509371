// A loopback WhatsApp Cloud API stub run in its own process, so its CPU time is not charged to the client being
// measured. `LIMIT_PER_SECOND` makes it answer 429 (code 130429) above that rate in any trailing second, like Meta.
// GET /stats returns acceptance times per recipient and the count of 429s; POST /reset clears them.
import { createServer } from 'node:http';

const limit = Number(process.env.LIMIT_PER_SECOND ?? '0');
let accepted: Array<[string, number]> = [];
let rejected = 0;
let window: number[] = [];
let sequence = 0;

const server = createServer((request, response) => {
  if (request.method === 'GET' && request.url === '/stats') {
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ accepted, rejected }));
    return;
  }
  if (request.method === 'POST' && request.url === '/reset') {
    accepted = [];
    rejected = 0;
    window = [];
    response.end('{}');
    return;
  }
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => {
    const now = performance.timeOrigin + performance.now();
    let to = '';
    try {
      to = (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { to?: string }).to ?? '';
    } catch {
      response.writeHead(400, { 'content-type': 'application/json' });
      response.end('{"error":{"message":"Invalid JSON","type":"OAuthException","code":100}}');
      return;
    }
    if (limit > 0) {
      while (window.length > 0 && now - (window[0] as number) >= 1000) window.shift();
      if (window.length >= limit) {
        rejected++;
        response.writeHead(429, { 'content-type': 'application/json', 'retry-after': '1' });
        response.end(
          '{"error":{"message":"(#130429) Rate limit hit","type":"OAuthException","code":130429,"error_subcode":2494055,"fbtrace_id":"Az8or2yhqkZfEZ-_4Qn_Bam"}}',
        );
        return;
      }
      window.push(now);
    }
    accepted.push([to, now]);
    sequence++;
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(
      `{"messaging_product":"whatsapp","contacts":[{"input":"${to}","wa_id":"${to}"}],"messages":[{"id":"wamid.HBgL${sequence.toString(36).padStart(10, '0')}","message_status":"accepted"}]}`,
    );
  });
});

server.keepAliveTimeout = 30_000;
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  process.send?.({ port: typeof address === 'object' && address ? address.port : 0 });
});
process.on('disconnect', () => server.close(() => process.exit(0)));
