// Arrival times at the provider's network edge for the multi-process limit test: `tcpdump` stamps each packet in the
// kernel as it reaches the sandbox's port, so the count does not depend on when the sandbox's own event loop got to a
// request (a stalled Node process stamps requests late and together, which a provider's edge would not).
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A running capture of the HTTP requests reaching one local TCP port. */
export interface PacketCapture {
  /** Stops the capture; resolves with the kernel time (ms since the epoch) of each request that began with `POST `. */
  stop(): Promise<number[]>;
}

/** Whether `tcpdump` can capture on loopback here (installed, and run with the right to capture). */
export function canCapturePackets(): boolean {
  // A capture that starts listening (and is stopped by the timeout) proves both; a missing right fails at once.
  const probe = spawnSync('tcpdump', ['-i', 'lo', '-c', '1', '-w', '/dev/null', 'tcp port 9'], {
    encoding: 'utf8',
    timeout: 1500,
  });
  return probe.error?.message.includes('ENOENT') !== true && (probe.stderr ?? '').includes('listening on');
}

/** Starts capturing TCP packets to `port` on loopback; resolves once tcpdump listens. */
export function capturePackets(port: number): Promise<PacketCapture> {
  const directory = mkdtempSync(join(tmpdir(), 'omnidealer-capture-'));
  const file = join(directory, 'requests.pcap');
  // --immediate-mode hands each packet over at once (not in blocks a timeout later) and -U writes it as it comes, so
  // none is still buffered at the stop; -n no name lookups; headers plus the start of the payload are enough.
  const child: ChildProcess = spawn(
    'tcpdump',
    ['-i', 'lo', '-n', '--immediate-mode', '-U', '-s', '256', '-w', file, `tcp dst port ${port}`],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  return new Promise((resolve, reject) => {
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (stderr.includes('listening on')) resolve({ stop: () => stop(child, file, directory) });
    });
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`tcpdump exited with ${code}: ${stderr.trim()}`)));
  });
}

async function stop(child: ChildProcess, file: string, directory: string): Promise<number[]> {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  await new Promise((resolve) => setTimeout(resolve, 200));
  child.kill('SIGINT');
  await exited;
  try {
    return requestStarts(readFileSync(file));
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}

/** Bytes before the IP header for the link types tcpdump writes on loopback. */
const linkHeaderBytes: Record<number, number> = { 0: 4, 1: 14, 113: 16, 276: 20 };
const post = Buffer.from('POST ');

/**
 * Reads a classic pcap file and returns the time of every IPv4/IPv6 TCP segment whose payload starts an HTTP `POST`
 * request, each segment counted once (loopback can show a segment twice).
 */
export function requestStarts(pcap: Buffer): number[] {
  const magic = pcap.readUInt32LE(0);
  const littleEndian = magic === 0xa1b2c3d4 || magic === 0xa1b23c4d;
  if (!littleEndian && pcap.readUInt32BE(0) !== 0xa1b2c3d4 && pcap.readUInt32BE(0) !== 0xa1b23c4d)
    throw new Error('not a pcap file');
  const nanoseconds = (littleEndian ? magic : pcap.readUInt32BE(0)) === 0xa1b23c4d;
  const read32 = (offset: number) => (littleEndian ? pcap.readUInt32LE(offset) : pcap.readUInt32BE(offset));
  const linkType = read32(20);
  const linkBytes = linkHeaderBytes[linkType];
  if (linkBytes === undefined) throw new Error(`unsupported pcap link type ${linkType}`);
  const times: number[] = [];
  const seen = new Set<string>();
  for (let offset = 24; offset + 16 <= pcap.length; ) {
    const seconds = read32(offset);
    const fraction = read32(offset + 4);
    const captured = read32(offset + 8);
    const packet = pcap.subarray(offset + 16, offset + 16 + captured);
    offset += 16 + captured;
    const ip = packet.subarray(linkBytes);
    const version = (ip[0] ?? 0) >> 4;
    if (version !== 4 && version !== 6) continue;
    const ipHeaderBytes = version === 4 ? ((ip[0] as number) & 0x0f) * 4 : 40;
    if ((version === 4 ? ip[9] : ip[6]) !== 6) continue; // not TCP
    const tcp = ip.subarray(ipHeaderBytes);
    if (tcp.length < 20) continue;
    const payload = tcp.subarray(((tcp[12] as number) >> 4) * 4);
    if (payload.length < post.length || !payload.subarray(0, post.length).equals(post)) continue;
    const segment = `${tcp.readUInt16BE(0)}:${tcp.readUInt32BE(4)}`;
    if (seen.has(segment)) continue;
    seen.add(segment);
    times.push(seconds * 1000 + (nanoseconds ? fraction / 1e6 : fraction / 1e3));
  }
  return times;
}
