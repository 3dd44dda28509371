import { isIP } from 'node:net';

/** IPv4 ranges a server must not be tricked into fetching: loopback, private, link-local (cloud metadata), CGNAT. */
const privateV4: Array<[number, number]> = [
  [0x00000000, 8],
  [0x0a000000, 8],
  [0x7f000000, 8],
  [0x64400000, 10],
  [0xa9fe0000, 16],
  [0xac100000, 12],
  [0xc0a80000, 16],
];

function v4ToNumber(address: string): number {
  return address.split('.').reduce((total, part) => total * 256 + Number(part), 0);
}

function isPrivateV4(address: string): boolean {
  const value = v4ToNumber(address);
  return privateV4.some(([base, bits]) => Math.floor(value / 2 ** (32 - bits)) === Math.floor(base / 2 ** (32 - bits)));
}

function isPrivateV6(address: string): boolean {
  const lower = address.toLowerCase();
  if (lower === '::1' || lower === '::') return true;
  // IPv4-mapped: WHATWG URL normalises `::ffff:10.0.0.1` to `::ffff:a00:1`.
  const dotted = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
  if (dotted) return isPrivateV4(dotted[1] as string);
  const hex = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(lower);
  if (hex) {
    const value = Number.parseInt(hex[1] as string, 16) * 65536 + Number.parseInt(hex[2] as string, 16);
    return isPrivateV4([value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255].join('.'));
  }
  // fc00::/7 unique local, fe80::/10 link-local.
  return /^f[cd][0-9a-f]{2}:/.test(lower) || /^fe[89ab][0-9a-f]:/.test(lower);
}

/**
 * True when a URL points at this machine or a private network by its literal host (`localhost`, 127.0.0.1, 10.x,
 * 169.254.169.254, [::1]…). Media URLs that a channel downloads (Avito re-uploads images, e-mail attaches files)
 * must not reach internal services (SSRF). A public host name that resolves to a private address is not caught here;
 * `downloadMedia` checks the resolved addresses when it connects.
 */
export function isPrivateUrl(url: string): boolean {
  let host: string;
  try {
    host = new URL(url).hostname;
  } catch {
    return false;
  }
  const bare = host.startsWith('[') ? host.slice(1, -1) : host;
  if (bare === 'localhost' || bare.endsWith('.localhost')) return true;
  return isPrivateAddress(bare);
}

/** True for an IPv4/IPv6 address on loopback, a private network, link-local (cloud metadata) or CGNAT. */
export function isPrivateAddress(address: string): boolean {
  const version = isIP(address);
  if (version === 4) return isPrivateV4(address);
  if (version === 6) return isPrivateV6(address);
  return false;
}
