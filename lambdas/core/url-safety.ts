/**
 * Where the health probe may go. The probe runs inside the function's own network, so a URL that
 * points at the function's surroundings (the Lambda runtime API on localhost:9001, the instance
 * metadata service on 169.254.169.254 / fd00:ec2::254, the ECS task metadata on 169.254.170.2) or
 * at a private network reads things nobody should read through a health check. Refused: loopback,
 * link-local (metadata), private (RFC 1918, IPv6 unique local), shared (100.64.0.0/10),
 * unspecified, multicast and reserved addresses, `localhost` names, and `user:pass@` in the URL.
 * The same rules apply at synth (lib/config.ts, the configured text) and at probe time (the
 * addresses the name resolves to then, lambdas/aws/http-probe.ts). Pure: no DNS here.
 */

/** IPv4 ranges refused, as [first address, prefix length, why]. */
const IPV4_REFUSED: ReadonlyArray<readonly [string, number, string]> = [
  ['169.254.169.254', 32, 'the instance metadata address'],
  ['169.254.170.2', 32, 'the ECS task metadata address'],
  ['0.0.0.0', 8, 'an unspecified address'],
  ['10.0.0.0', 8, 'a private address'],
  ['100.64.0.0', 10, 'a shared (carrier-grade NAT) address'],
  ['127.0.0.0', 8, 'a loopback address'],
  ['169.254.0.0', 16, 'a link-local address'],
  ['172.16.0.0', 12, 'a private address'],
  ['192.168.0.0', 16, 'a private address'],
  ['224.0.0.0', 4, 'a multicast address'],
  ['240.0.0.0', 4, 'a reserved address'],
];

/** IPv6 ranges refused (IPv4-mapped and NAT64 addresses are judged by their IPv4 part). */
const IPV6_REFUSED: ReadonlyArray<readonly [string, number, string]> = [
  ['fd00:ec2::254', 128, 'the instance metadata address'],
  ['::', 128, 'an unspecified address'],
  ['::1', 128, 'a loopback address'],
  ['fc00::', 7, 'a private (unique local) address'],
  ['fe80::', 10, 'a link-local address'],
  ['fec0::', 10, 'a site-local address'],
  ['ff00::', 8, 'a multicast address'],
];

const LOOPBACK_REASON = 'a loopback address';

function ipv4Number(address: string): number | undefined {
  const parts = address.split('.');
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) return undefined;
  return parts.reduce((n, p) => n * 256 + Number(p), 0);
}

/** The 8 groups of an IPv6 address, or undefined when it is not one. */
function ipv6Groups(address: string): number[] | undefined {
  let text = address.toLowerCase();
  const zone = text.indexOf('%');
  if (zone >= 0) text = text.slice(0, zone);
  const tail = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (tail?.[1] !== undefined) {
    const v4 = ipv4Number(tail[1]);
    if (v4 === undefined) return undefined;
    text = `${text.slice(0, -tail[1].length)}${(v4 >>> 16).toString(16)}:${(v4 & 0xffff).toString(16)}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const parse = (part: string): number[] | undefined => {
    if (part === '') return [];
    const groups = part.split(':');
    if (groups.some((g) => !/^[0-9a-f]{1,4}$/.test(g))) return undefined;
    return groups.map((g) => Number.parseInt(g, 16));
  };
  const head = parse(halves[0] ?? '');
  const rest = halves.length === 2 ? parse(halves[1] ?? '') : [];
  if (head === undefined || rest === undefined) return undefined;
  if (halves.length === 1) return head.length === 8 ? head : undefined;
  const missing = 8 - head.length - rest.length;
  return missing >= 1 ? [...head, ...Array<number>(missing).fill(0), ...rest] : undefined;
}

function inIpv4Range(value: number, first: string, prefix: number): boolean {
  const start = ipv4Number(first) as number;
  const size = 2 ** (32 - prefix);
  return value >= start && value < start + size;
}

function inIpv6Range(groups: readonly number[], first: string, prefix: number): boolean {
  const start = ipv6Groups(first) as number[];
  for (let bit = 0; bit < prefix; bit += 16) {
    const bits = Math.min(16, prefix - bit);
    const mask = (0xffff << (16 - bits)) & 0xffff;
    const index = bit / 16;
    if (((groups[index] ?? 0) & mask) !== ((start[index] ?? 0) & mask)) return false;
  }
  return true;
}

function ipv4Reason(value: number): string | undefined {
  if (value === 0xffffffff) return 'the broadcast address';
  return IPV4_REFUSED.find(([first, prefix]) => inIpv4Range(value, first, prefix))?.[2];
}

/** True for an IPv4 or IPv6 address literal (no brackets). */
export function isIpAddress(text: string): boolean {
  return ipv4Number(text) !== undefined || ipv6Groups(text) !== undefined;
}

/**
 * Why the probe must not connect to `address` (an IPv4 or IPv6 literal), or undefined when it
 * may. `allowLoopback` lets loopback through (local tests only, see lambdas/aws/http-probe.ts).
 */
export function refusedAddressReason(address: string, allowLoopback = false): string | undefined {
  const v4 = ipv4Number(address);
  const reason = v4 !== undefined ? ipv4Reason(v4) : ipv6Reason(address);
  return allowLoopback && reason === LOOPBACK_REASON ? undefined : reason;
}

function ipv6Reason(address: string): string | undefined {
  const groups = ipv6Groups(address);
  if (groups === undefined) return 'not an IP address';
  const embeddedV4 = ((groups[6] ?? 0) * 0x10000 + (groups[7] ?? 0)) >>> 0;
  const mapped = groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff;
  const nat64 = groups[0] === 0x64 && groups[1] === 0xff9b && groups.slice(2, 6).every((g) => g === 0);
  if (mapped || nat64) return ipv4Reason(embeddedV4);
  return IPV6_REFUSED.find(([first, prefix]) => inIpv6Range(groups, first, prefix))?.[2];
}

/** `localhost` and `*.localhost` always mean this machine (RFC 6761). */
function isLocalhostName(hostname: string): boolean {
  const name = hostname.toLowerCase().replace(/\.$/, '');
  return name === 'localhost' || name.endsWith('.localhost');
}

/** The host of a URL without IPv6 brackets. */
export function bareHostname(url: URL): string {
  return url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
}

/**
 * What is wrong with `text` as a health URL, judged on the text alone (the synth check and the
 * probe's first check), or undefined. A host name is judged again by the addresses it resolves to.
 */
export function healthUrlProblem(text: string, allowLoopback = false): string | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return 'expected an http(s) URL';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'expected an http(s) URL';
  if (url.username !== '' || url.password !== '') {
    return 'must not carry credentials (user:password@); use a health path that needs none';
  }
  const host = bareHostname(url);
  if (isLocalhostName(host)) return allowLoopback ? undefined : `points at ${host}, ${LOOPBACK_REASON}`;
  if (isIpAddress(host)) {
    const reason = refusedAddressReason(host, allowLoopback);
    if (reason !== undefined) return `points at ${host}, ${reason}`;
  }
  return undefined;
}

/**
 * `text` as a person may read it: no `user:password@`, the query string and fragment replaced by
 * `?…` / `#…` (health URLs carry tokens there); text that is no URL is not repeated at all.
 */
export function redactUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return '(not a URL)';
  }
  if (url.username === '' && url.password === '' && url.search === '' && url.hash === '' && !/[?#@]/.test(text)) return text;
  const query = url.search !== '' ? '?…' : '';
  const fragment = url.hash !== '' ? '#…' : '';
  return `${url.protocol}//${url.host}${url.pathname}${query}${fragment}`;
}
