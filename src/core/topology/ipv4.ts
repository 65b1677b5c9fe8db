// Strict IPv4 / CIDR parsing with precise explanations; the arithmetic is ipaddr.js's.
// Strict means: four decimal octets 0-255 without leading zeros (010 is octal to some tools), prefix 0-32
// without leading zeros.

import * as ipaddr from 'ipaddr.js';

export type IPv4 = ipaddr.IPv4;

export interface ParsedIpv4 {
  ok: true;
  addr: IPv4;
  /** Canonical dotted quad. */
  text: string;
}

export interface ParsedCidr {
  ok: true;
  addr: IPv4;
  prefix: number;
  network: IPv4;
  broadcast: IPv4;
  /** `network/prefix`, e.g. `192.168.0.0/24`. */
  networkText: string;
  /** Canonical `addr/prefix`. */
  text: string;
}

export interface IpProblem {
  ok: false;
  /** What is wrong, phrased to follow the value: `has the octet "010" with a leading zero, ...`. */
  problem: string;
  /** A corrected value when one is obvious. */
  suggestion?: string;
  /** The value has no `/prefix` at all (CIDR only). */
  missingPrefix?: boolean;
}

function checkOctets(s: string): IpProblem | string {
  const parts = s.split('.');
  if (parts.length !== 4) {
    return { ok: false, problem: `must be four numbers separated by dots (found ${parts.length} part${parts.length === 1 ? '' : 's'})` };
  }
  const fixed: string[] = [];
  let fixable = true;
  let problem: string | undefined;
  for (const p of parts) {
    if (p === '') {
      problem ??= 'has an empty octet (two dots in a row, or a dot at an end)';
      fixable = false;
    } else if (!/^[0-9]+$/.test(p)) {
      problem ??= `has an octet "${p.length > 12 ? p.slice(0, 12) + '…' : p}" that is not a decimal number`;
      fixable = false;
    } else if (p.length > 1 && p.startsWith('0')) {
      problem ??= `has the octet "${p}" with a leading zero, which some tools read as octal (ambiguous)`;
      const n = Number.parseInt(p, 10);
      if (n > 255) fixable = false;
      fixed.push(String(n));
      continue;
    } else if (Number.parseInt(p, 10) > 255) {
      problem ??= `has the octet ${p}, larger than 255`;
      fixable = false;
    }
    fixed.push(p);
  }
  if (problem) return { ok: false, problem, ...(fixable ? { suggestion: fixed.join('.') } : {}) };
  if (!ipaddr.IPv4.isValidFourPartDecimal(s)) return { ok: false, problem: 'is not an IPv4 address' };
  return fixed.join('.');
}

/** Parse a plain IPv4 address (no prefix). */
export function parseIpv4(s: string): ParsedIpv4 | IpProblem {
  if (typeof s !== 'string') return { ok: false, problem: 'is not a string' };
  const slash = s.indexOf('/');
  if (slash >= 0) {
    const bare = checkOctets(s.slice(0, slash));
    return {
      ok: false,
      problem: 'has a prefix length, but this field takes a plain address',
      ...(typeof bare === 'string' ? { suggestion: bare } : {}),
    };
  }
  const r = checkOctets(s);
  if (typeof r !== 'string') return r;
  const addr = ipaddr.IPv4.parse(r);
  return { ok: true, addr, text: addr.toString() };
}

/** Parse `a.b.c.d/prefix`. `defaultPrefix` is used for the suggestion when the prefix is missing. */
export function parseCidr(s: string, defaultPrefix = 24): ParsedCidr | IpProblem {
  if (typeof s !== 'string') return { ok: false, problem: 'is not a string' };
  const slash = s.indexOf('/');
  if (slash < 0) {
    const bare = checkOctets(s);
    return {
      ok: false,
      problem: 'has no prefix length (/NN)',
      missingPrefix: true,
      ...(typeof bare === 'string' ? { suggestion: `${bare}/${defaultPrefix}` } : {}),
    };
  }
  const addrPart = s.slice(0, slash);
  const prefixPart = s.slice(slash + 1);
  const bare = checkOctets(addrPart);
  let prefixProblem: string | undefined;
  let prefixFixed: string | undefined = prefixPart;
  if (!/^[0-9]+$/.test(prefixPart)) {
    prefixProblem =
      prefixPart === '' ? 'has an empty prefix length after "/"' : `has a prefix length "/${prefixPart.slice(0, 12)}" that is not a number`;
    prefixFixed = undefined;
  } else if (prefixPart.length > 1 && prefixPart.startsWith('0')) {
    const n = Number.parseInt(prefixPart, 10);
    prefixProblem = `has the prefix length "/${prefixPart}" with a leading zero`;
    prefixFixed = n <= 32 ? String(n) : undefined;
  } else if (Number.parseInt(prefixPart, 10) > 32) {
    prefixProblem = `has the prefix length /${prefixPart}, larger than 32`;
    prefixFixed = undefined;
  }
  if (typeof bare !== 'string') {
    const sugg = bare.suggestion !== undefined && prefixFixed !== undefined ? `${bare.suggestion}/${prefixFixed}` : undefined;
    return { ok: false, problem: bare.problem, ...(sugg ? { suggestion: sugg } : {}) };
  }
  if (prefixProblem) {
    return { ok: false, problem: prefixProblem, ...(prefixFixed !== undefined ? { suggestion: `${bare}/${prefixFixed}` } : {}) };
  }
  const text = `${bare}/${Number.parseInt(prefixPart, 10)}`;
  if (!ipaddr.IPv4.isValidCIDRFourPartDecimal(text)) return { ok: false, problem: 'is not an IPv4 address with prefix length' };
  const [addr, prefix] = ipaddr.IPv4.parseCIDR(text);
  const network = ipaddr.IPv4.networkAddressFromCIDR(text);
  const broadcast = ipaddr.IPv4.broadcastAddressFromCIDR(text);
  return { ok: true, addr, prefix, network, broadcast, networkText: `${network.toString()}/${prefix}`, text };
}

/** Is `addr` inside the network `net`? */
export function inside(addr: IPv4, net: { network: IPv4; prefix: number }): boolean {
  return addr.match(net.network, net.prefix);
}

/** Do two networks share any address? */
export function overlaps(a: { network: IPv4; prefix: number }, b: { network: IPv4; prefix: number }): boolean {
  const p = Math.min(a.prefix, b.prefix);
  return a.network.match(b.network, p);
}

export function sameAddress(a: IPv4, b: IPv4): boolean {
  return a.toString() === b.toString();
}

/** A well-known network as a parsed CIDR (for overlap warnings). */
export function knownNetwork(cidr: string): ParsedCidr {
  const r = parseCidr(cidr);
  if (!r.ok) throw new Error(`bad built-in network ${cidr}`);
  return r;
}

/**
 * The first usable host address inside `net` at or after `from` that is not in `used` (canonical strings),
 * wrapping around once; undefined when the network is full or tiny.
 */
export function firstFreeAddress(net: ParsedCidr, used: ReadonlySet<string>, from?: IPv4): IPv4 | undefined {
  if (net.prefix > 30) return undefined;
  const toInt = (a: IPv4): number => a.toByteArray().reduce((acc, b) => acc * 256 + b, 0);
  const fromInt = (n: number): IPv4 =>
    new ipaddr.IPv4([Math.floor(n / 2 ** 24) % 256, Math.floor(n / 2 ** 16) % 256, Math.floor(n / 2 ** 8) % 256, n % 256]);
  const lo = toInt(net.network) + 1;
  const hi = toInt(net.broadcast) - 1;
  const size = hi - lo + 1;
  let start = from && inside(from, net) ? toInt(from) : lo;
  if (start < lo || start > hi) start = lo;
  for (let i = 0; i < Math.min(size, 4096); i++) {
    const cand = fromInt(lo + ((start - lo + i) % size));
    if (!used.has(cand.toString())) return cand;
  }
  return undefined;
}

/**
 * The highest host address of `net` not in `used` (dotted strings), searching downward from the top: where
 * clients get their addresses, far from the gateway's and the seconds', which count upward.
 */
export function lastFreeAddress(net: ParsedCidr, used: ReadonlySet<string>): IPv4 | undefined {
  if (net.prefix > 30) return undefined;
  const toInt = (a: IPv4): number => a.toByteArray().reduce((acc, b) => acc * 256 + b, 0);
  const lo = toInt(net.network) + 1;
  const hi = toInt(net.broadcast) - 1;
  for (let n = hi; n >= lo && hi - n < 4096; n--) {
    const cand = new ipaddr.IPv4([Math.floor(n / 2 ** 24) % 256, Math.floor(n / 2 ** 16) % 256, Math.floor(n / 2 ** 8) % 256, n % 256]);
    if (!used.has(cand.toString())) return cand;
  }
  return undefined;
}

export function isPrivate(addr: IPv4): boolean {
  return addr.range() === 'private';
}

const toNumber = (a: IPv4): number => a.toByteArray().reduce((acc, b) => acc * 256 + b, 0);

/**
 * Why AWS reserves `addr` in the VPC subnet `net`, or undefined: it keeps the network address, the next
 * three (VPC router, Amazon DNS, future use) and the broadcast address of every subnet.
 */
export function awsReserved(addr: IPv4, net: ParsedCidr): string | undefined {
  if (!inside(addr, net)) return undefined;
  const offset = toNumber(addr) - toNumber(net.network);
  if (sameAddress(addr, net.broadcast)) return 'the broadcast address';
  return ['the network address', 'the VPC router', 'the Amazon DNS server', 'reserved by AWS for future use'][offset];
}

/** The first and last address AWS lets an instance have in `net`, e.g. 172.31.1.4 and 172.31.1.254. */
export function awsUsableRange(net: ParsedCidr): [string, string] {
  const n = toNumber(net.network);
  const b = toNumber(net.broadcast);
  const text = (x: number) => [24, 16, 8, 0].map((s) => Math.floor(x / 2 ** s) % 256).join('.');
  return [text(n + 4), text(b - 1)];
}

/** The ranges a robot LAN may use: RFC 1918 and the shared (carrier-grade NAT) range RFC 6598. */
export const PRIVATE_NETWORKS = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10'].map(knownNetwork);

/** Does `net` lie wholly inside one of PRIVATE_NETWORKS? */
export function isPrivateNetwork(net: { network: IPv4; prefix: number }): boolean {
  return PRIVATE_NETWORKS.some((p) => net.prefix >= p.prefix && inside(net.network, p));
}
