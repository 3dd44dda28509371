/**
 * Test-only helpers (not exported from the package): a real SMTP server from `smtp-server` on 127.0.0.1 with a
 * random port that records every connection and accepted message byte for byte, and a self-signed certificate
 * made with `openssl` at test time.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SMTPServer, type SMTPServerDataStream, type SMTPServerOptions, type SMTPServerSession } from 'smtp-server';

/** One message the server accepted: envelope, raw bytes as received after DATA, and whether TLS was on. */
export interface ReceivedMail {
  from: string;
  to: string[];
  raw: string;
  secure: boolean;
  user: string | undefined;
}

/** Scripted behaviour: return an Error with `responseCode` to reject. */
export interface SmtpTestServerOptions {
  /** Accepted credentials; when given, AUTH PLAIN/LOGIN is required. */
  auth?: { user: string; pass: string };
  /** Certificate for STARTTLS (or implicit TLS with `secure`). Without it STARTTLS is not offered. */
  tls?: { key: string; cert: string };
  secure?: boolean;
  /** Reject a recipient: return an error with `responseCode` (e.g. 550, 451). */
  onRcptTo?: (address: string, session: SMTPServerSession) => (Error & { responseCode?: number }) | undefined;
  /** Reject after DATA: return an error with `responseCode`. */
  onData?: (raw: string, session: SMTPServerSession) => (Error & { responseCode?: number }) | undefined;
  /** The text after `250 ` that accepts a message (`n` counts accepted messages). @default `Ok: queued as Q<n>` */
  acceptReply?: (n: number) => string;
  /** Cut the TCP connection as soon as the first DATA bytes arrive. */
  dropDuringData?: boolean | (() => boolean);
  /** Extra smtp-server options. */
  extra?: Partial<SMTPServerOptions>;
}

/** A running test server. */
export interface SmtpTestServer {
  port: number;
  messages: ReceivedMail[];
  /** How many TCP connections the server saw. */
  connections: number;
  /** AUTH attempts with their outcome. */
  authAttempts: Array<{ method: string; user: string; ok: boolean }>;
  close(): Promise<void>;
}

function rejection(error: (Error & { responseCode?: number }) | undefined): Error | null {
  return error ?? null;
}

/** Starts the server on 127.0.0.1 and a random free port. */
export async function startSmtpTestServer(options: SmtpTestServerOptions = {}): Promise<SmtpTestServer> {
  const state = {
    messages: [] as ReceivedMail[],
    connections: 0,
    authAttempts: [] as Array<{ method: string; user: string; ok: boolean }>,
  };
  const server: SMTPServer = new SMTPServer({
    logger: false,
    secure: options.secure ?? false,
    ...(options.tls ? { key: options.tls.key, cert: options.tls.cert } : { disabledCommands: ['STARTTLS'] }),
    authOptional: !options.auth,
    allowInsecureAuth: true,
    authMethods: ['PLAIN', 'LOGIN'],
    onConnect(_session, callback) {
      state.connections += 1;
      callback();
    },
    onAuth(auth, _session, callback) {
      const ok = Boolean(options.auth && auth.username === options.auth.user && auth.password === options.auth.pass);
      state.authAttempts.push({ method: auth.method, user: auth.username ?? '', ok });
      if (!ok) return callback(new Error('Invalid username or password'));
      callback(null, { user: auth.username });
    },
    onRcptTo(address, session, callback) {
      callback(rejection(options.onRcptTo?.(address.address, session)));
    },
    onData(stream: SMTPServerDataStream, session, callback) {
      const chunks: Buffer[] = [];
      const drop = typeof options.dropDuringData === 'function' ? options.dropDuringData() : options.dropDuringData;
      stream.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        if (drop)
          for (const connection of server.connections)
            (connection as unknown as { _socket: { destroy(): void } })._socket.destroy();
      });
      stream.on('end', () => {
        if (drop) return;
        const raw = Buffer.concat(chunks).toString('utf8');
        const error = options.onData?.(raw, session);
        if (error) return callback(error);
        state.messages.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((recipient) => recipient.address),
          raw,
          secure: session.secure,
          user: typeof session.user === 'string' ? session.user : undefined,
        });
        callback(null, options.acceptReply?.(state.messages.length) ?? `Ok: queued as Q${state.messages.length}`);
      });
    },
    ...options.extra,
  });
  server.on('error', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as AddressInfo).port;
  return {
    port,
    get messages() {
      return state.messages;
    },
    get connections() {
      return state.connections;
    },
    get authAttempts() {
      return state.authAttempts;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A self-signed certificate for `localhost`/`127.0.0.1`, made with `openssl`; undefined when openssl is missing. */
export function createSelfSignedCertificate(): { key: string; cert: string } | undefined {
  const directory = mkdtempSync(join(tmpdir(), 'omnidealer-smtp-'));
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        join(directory, 'key.pem'),
        '-out',
        join(directory, 'cert.pem'),
        '-subj',
        '/CN=localhost',
        '-days',
        '1',
        '-addext',
        'subjectAltName=DNS:localhost,IP:127.0.0.1',
      ],
      { stdio: 'ignore' },
    );
    return { key: readFileSync(join(directory, 'key.pem'), 'utf8'), cert: readFileSync(join(directory, 'cert.pem'), 'utf8') };
  } catch {
    return undefined;
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}
