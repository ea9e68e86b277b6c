/** Deterministic ids shaped like AWS's (seeded, so runs repeat exactly). */
import { createHash } from 'node:crypto';

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** A seeded generator of AWS-shaped identifiers. */
export class IdGenerator {
  private state: number;

  public constructor(seed = 1) {
    this.state = seed >>> 0 || 1;
  }

  /** A float in [0, 1) (mulberry32). */
  public next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** `n` lowercase hex characters. */
  public hex(n: number): string {
    let out = '';
    for (let i = 0; i < n; i++) out += Math.floor(this.next() * 16).toString(16);
    return out;
  }

  /** `n` decimal digits, the first one not 0. */
  public digits(n: number): string {
    let out = String(1 + Math.floor(this.next() * 9));
    for (let i = 1; i < n; i++) out += String(Math.floor(this.next() * 10));
    return out;
  }

  /** `n` characters of [A-Za-z0-9-_], like service deployment ids. */
  public token(n: number): string {
    let out = '';
    for (let i = 0; i < n; i++) out += ALPHANUMERIC[Math.floor(this.next() * ALPHANUMERIC.length)];
    return out;
  }

  /** A UUID-shaped id (version 4 layout). */
  public uuid(): string {
    const h = this.hex(32);
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
  }
}

/** `sha256:<64 hex>` of a string, like an image manifest digest. */
export function sha256Digest(content: string): string {
  return `sha256:${createHash('sha256').update(content).digest('hex')}`;
}

/** A 40-hex commit-like SHA of a string. */
export function commitSha(content: string): string {
  return createHash('sha1').update(content).digest('hex');
}
