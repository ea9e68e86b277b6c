/**
 * HTTP health probe: one GET with a timeout, reduced to what a person needs to know. It goes only
 * where lambdas/core/url-safety.ts allows: the host's addresses are resolved first and a name that
 * resolves to a loopback, link-local (metadata), private or other refused address is not
 * requested; a redirect is followed only to the same host (and checked again), at most 3 times.
 *
 * Caveat: fetch resolves the name again when it connects; a name whose answer changes between the
 * two look-ups (DNS rebinding) is not caught by this check alone. The function runs outside any
 * VPC, so private addresses are unreachable to it anyway; the check keeps it away from its own
 * link-local and loopback surroundings and says so in the result.
 */
import { lookup } from 'node:dns/promises';
import type { HttpOutcome } from '../core/health';
import { bareHostname, healthUrlProblem, isIpAddress, redactUrl, refusedAddressReason } from '../core/url-safety';

/** Resolves a host name to its addresses (the default asks the system resolver). */
export type ResolveHost = (hostname: string) => Promise<readonly string[]>;

/**
 * Set to `true` only by local tests and the local harness, whose health endpoints listen on
 * 127.0.0.1: loopback addresses are then probed. The CDK app never sets it (a test checks), and it
 * is ignored inside AWS Lambda (AWS_LAMBDA_FUNCTION_NAME set), so a deployed function never uses it.
 */
export const ALLOW_LOOPBACK_ENV = 'PROBE_ALLOW_LOOPBACK_FOR_LOCAL_TESTS';

/** Whether loopback addresses may be probed in this environment (see ALLOW_LOOPBACK_ENV). */
export function loopbackAllowed(env: Readonly<Record<string, string | undefined>> = process.env): boolean {
  return env[ALLOW_LOOPBACK_ENV] === 'true' && env.AWS_LAMBDA_FUNCTION_NAME === undefined;
}

/** The system resolver: every address of the name. */
export const resolveWithSystem: ResolveHost = async (hostname) =>
  (await lookup(hostname, { all: true, verbatim: true })).map((entry) => entry.address);

/** What httpGet needs besides the URL. */
export interface HttpProbeOptions {
  readonly timeoutSeconds: number;
  readonly fetch?: typeof fetch;
  readonly resolve?: ResolveHost;
  readonly allowLoopback?: boolean;
}

/** Redirects followed (same host only) before the probe gives up. */
export const MAX_REDIRECTS = 3;

async function refusal(url: URL, resolve: ResolveHost, allowLoopback: boolean): Promise<string | undefined> {
  const problem = healthUrlProblem(url.href, allowLoopback);
  if (problem !== undefined) return problem;
  const host = bareHostname(url);
  if (isIpAddress(host)) return undefined;
  let addresses: readonly string[];
  try {
    addresses = await resolve(host);
  } catch (error) {
    const e = error as { code?: string; message?: string };
    return `${host} could not be resolved (${e.code ?? e.message ?? String(error)})`;
  }
  for (const address of addresses) {
    const reason = refusedAddressReason(address, allowLoopback);
    if (reason !== undefined) return `${host} resolves to ${address}, ${reason}`;
  }
  return addresses.length === 0 ? `${host} resolves to no address` : undefined;
}

const isRedirect = (status: number): boolean => [301, 302, 303, 307, 308].includes(status);

/** GET `url` once (and its same-host redirects); a refusal, timeout or network error is an outcome, not a thrown error. */
export async function httpGet(url: string, options: HttpProbeOptions): Promise<HttpOutcome> {
  const fetchImpl = options.fetch ?? fetch;
  const resolve = options.resolve ?? resolveWithSystem;
  const allowLoopback = options.allowLoopback ?? false;
  let current: URL;
  try {
    current = new URL(url);
  } catch {
    return { kind: 'refused', message: 'the health URL is not a URL' };
  }
  for (let redirects = 0; ; redirects += 1) {
    const refused = await refusal(current, resolve, allowLoopback);
    if (refused !== undefined) return { kind: 'refused', message: `${redactUrl(current.href)}: ${refused}` };
    let response: Response;
    try {
      response = await fetchImpl(current.href, {
        method: 'GET',
        redirect: 'manual',
        signal: AbortSignal.timeout(options.timeoutSeconds * 1000),
        headers: { 'user-agent': 'ecs-auto-rollback-health-probe' },
      });
      await response.body?.cancel().catch(() => undefined);
    } catch (error) {
      const e = error as { name?: string; message?: string; cause?: { code?: string; message?: string } };
      if (e.name === 'TimeoutError' || e.name === 'AbortError') return { kind: 'timeout', timeoutSeconds: options.timeoutSeconds };
      return { kind: 'error', message: e.cause?.code ?? e.cause?.message ?? e.message ?? String(error) };
    }
    const location = response.headers.get('location');
    if (!isRedirect(response.status) || location === null) return { kind: 'status', status: response.status };
    let next: URL;
    try {
      next = new URL(location, current);
    } catch {
      return { kind: 'redirect', status: response.status, location: '(not a URL)', why: 'not a URL' };
    }
    if (next.host !== current.host || (next.protocol !== 'http:' && next.protocol !== 'https:')) {
      return { kind: 'redirect', status: response.status, location: redactUrl(next.href), why: 'another host' };
    }
    if (redirects >= MAX_REDIRECTS) {
      return { kind: 'redirect', status: response.status, location: redactUrl(next.href), why: 'too many redirects' };
    }
    current = next;
  }
}
