import type { AddressInfo } from 'node:net';
import type { Clock } from '@omnidealer/core';
import { SMTPServer, type SMTPServerAddress, type SMTPServerSession } from 'smtp-server';
import type { FaultInjector } from './fault-injector.js';
import { seededHex } from './random.js';
import type { ResolvedSandboxBehaviour } from './sandbox-behaviour.js';
import type { SandboxCredentials } from './sandbox-credentials.js';
import type { SandboxEmitter } from './sandbox-events.js';
import type { SandboxStats } from './sandbox-stats.js';

/** A mail the SMTP sandbox accepted. */
export interface ReceivedMail {
  /** Queue id the server answered with (`250 OK: queued as …`). */
  id: string;
  /** Envelope sender. */
  from: string;
  /** Envelope recipients that were accepted. */
  to: string[];
  /** Decoded `Subject:` header. */
  subject: string;
  /** The `Message-ID:` header, if any. */
  messageId?: string | undefined;
  /** The whole RFC 5322 message as received. */
  raw: string;
  at: number;
}

/** The SMTP simulator, as reachable from `sandbox.smtp`. */
export interface SmtpSandbox {
  /** Mails accepted so far, in order. */
  messages(): readonly ReceivedMail[];
}

/** Decodes RFC 2047 encoded words (`=?UTF-8?B?…?=`, `=?UTF-8?Q?…?=`) in a header value. */
export function decodeMimeWords(value: string): string {
  return value
    .replace(/\?=\s+=\?/g, '?==?')
    .replace(/=\?([^?]+)\?([BbQq])\?([^?]*)\?=/g, (_all, _charset: string, encoding: string, text: string) => {
      if (encoding.toUpperCase() === 'B') return Buffer.from(text, 'base64').toString('utf8');
      const bytes = text.replace(/_/g, ' ').replace(/=([0-9A-Fa-f]{2})/g, (_match, hex: string) => `%${hex}`);
      try {
        return decodeURIComponent(bytes);
      } catch {
        return bytes;
      }
    });
}

/** Reads one header (unfolded) from a raw message. */
export function readHeader(raw: string, name: string): string | undefined {
  const head = raw.split(/\r?\n\r?\n/, 1)[0] ?? '';
  const unfolded = head.replace(/\r?\n[ \t]+/g, ' ');
  const match = new RegExp(`^${name}:[ \\t]*(.*)$`, 'im').exec(unfolded);
  return match?.[1]?.trim();
}

const smtpError = (message: string, responseCode: number) => Object.assign(new Error(message), { responseCode });

/** Starts the in-process SMTP server on `host:port` (0 = random). */
export async function startSmtpSandbox(options: {
  host: string;
  port: number;
  seed: number | string;
  clock: Clock;
  behaviour: ResolvedSandboxBehaviour['smtp'];
  credentials: SandboxCredentials['smtp'];
  faults: FaultInjector;
  emitter: SandboxEmitter;
  stats: SandboxStats;
}): Promise<SmtpSandbox & { port: number; close(): Promise<void> }> {
  const { behaviour, emitter, stats, clock } = options;
  const received: ReceivedMail[] = [];
  let count = 0;
  const bounces = (address: string) =>
    behaviour.bounce.some((rule) =>
      rule.startsWith('@') ? address.toLowerCase().endsWith(rule.toLowerCase()) : address.toLowerCase() === rule.toLowerCase(),
    );

  const server = new SMTPServer({
    name: 'sandbox.omnidealer.local',
    banner: 'omnidealer sandbox ESMTP',
    disabledCommands: ['STARTTLS'],
    authOptional: !behaviour.requireAuth,
    allowInsecureAuth: true,
    logger: false,
    size: 25 * 1024 * 1024,
    closeTimeout: 1_000,
    onAuth(auth, _session, callback) {
      const fault = options.faults.decide('smtp', 'AUTH');
      if (
        fault?.kind === 'expired_token' ||
        auth.username !== options.credentials.user ||
        auth.password !== options.credentials.pass
      ) {
        if (fault) stats.smtp.faults++;
        callback(smtpError('Authentication credentials invalid', 535));
        return;
      }
      callback(null, { user: auth.username });
    },
    onMailFrom(_address: SMTPServerAddress, _session: SMTPServerSession, callback) {
      const fault = options.faults.decide('smtp', 'MAIL');
      if (!fault) return callback();
      stats.smtp.faults++;
      switch (fault.kind) {
        case 'rate_limit':
          return callback(smtpError('4.7.1 Too many messages, try again later', 451));
        case 'slow':
          setTimeout(() => callback(), fault.delayMs).unref?.();
          return;
        case 'expired_token':
          return callback(smtpError('5.7.8 Authentication credentials invalid', 535));
        case 'unavailable':
          return callback(smtpError('4.3.2 Service not available, closing transmission channel', 421));
        default:
          return callback(smtpError('4.3.0 Local error in processing', 451));
      }
    },
    onRcptTo(address: SMTPServerAddress, session: SMTPServerSession, callback) {
      if (bounces(address.address)) {
        stats.smtp.bounced++;
        emitter.emit('mail.bounced', {
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: address.address,
          code: 550,
          at: clock.now(),
        });
        return callback(smtpError(`5.1.1 <${address.address}>: Recipient address rejected: User unknown`, 550));
      }
      callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        const id = seededHex(12, options.seed, 'smtp.queue', ++count).toUpperCase();
        const mail: ReceivedMail = {
          id,
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((recipient) => recipient.address),
          subject: decodeMimeWords(readHeader(raw, 'Subject') ?? ''),
          messageId: readHeader(raw, 'Message-ID'),
          raw,
          at: clock.now(),
        };
        received.push(mail);
        stats.smtp.received++;
        emitter.emit('mail.received', mail);
        emitter.emit('message.accepted', { provider: 'smtp', id, to: mail.to.join(','), type: 'email', at: mail.at });
        callback(null, `OK: queued as ${id}`);
      });
    },
  });
  server.on('error', () => undefined);

  const port = await new Promise<number>((resolve, reject) => {
    const netServer = server.listen(options.port, options.host, () => resolve((netServer.address() as AddressInfo).port));
    netServer.once('error', reject);
  });

  return {
    port,
    messages: () => received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
