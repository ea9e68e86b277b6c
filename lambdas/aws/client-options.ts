/**
 * How every SDK v3 client of the functions talks to AWS: connection and request timeouts well
 * under the Task timeout, and who retries what.
 *
 * Without timeouts an SDK client waits for ever on a connection that hangs (the SDK sets none by
 * default), so one hung call used the whole Lambda timeout and the Task failed unretried. With them
 * a hung call fails as a `TimeoutError`, which the SDK counts as transient: a read client retries it
 * (the SDK's standard strategy, 3 attempts), and when the attempts are spent lambdas/aws/call.ts
 * turns it into a TransientAwsError that the state machine retries with backoff
 * (statemachine/rollback.asl.json).
 *
 * Budget: the functions beside ProbeHealth run at most 50 s (lib/rollback-stack.ts TASK_TIMEOUT,
 * Task TimeoutSeconds 60). One read that hangs every attempt costs at most
 * 3 × (connection 3 s + request 6 s) + the SDK's backoff (< 1 s at 100 ms base) ≈ 28 s, so the
 * function still ends with its own typed error, well before Lambda stops it.
 * The defaults are estimates, not AWS figures: a regional AWS API answers in well under a second
 * and a TCP + TLS set-up to a regional endpoint takes milliseconds; 3 s leaves room for one lost
 * SYN (Linux retransmits the first SYN after 1 s) and 6 s for a slow answer of a large page.
 *
 * Writes that are not idempotent (UpdateService, RegisterTaskDefinition, SNS Publish) use a write
 * client with `maxAttempts: 1`: the SDK never repeats them blindly after a lost answer; the
 * state machine retries the whole Task, whose handler first checks what already took effect.
 *
 * Tests and the local harness shorten the timeouts through the environment:
 * SDK_CONNECTION_TIMEOUT_MS, SDK_REQUEST_TIMEOUT_MS (the CDK app sets neither; the defaults apply).
 */

/** Default connection timeout (ms), an estimate (see above). */
export const DEFAULT_CONNECTION_TIMEOUT_MS = 3_000;
/** Default request timeout (ms): the whole request and response, an estimate (see above). */
export const DEFAULT_REQUEST_TIMEOUT_MS = 6_000;
/** Attempts of a read: the SDK's own default (standard retry mode). */
export const READ_MAX_ATTEMPTS = 3;
/** Attempts of a non-idempotent write: one, never repeated by the SDK. */
export const WRITE_MAX_ATTEMPTS = 1;

/** Reads are retried by the SDK on transient errors; writes are not. */
export type ClientUse = 'read' | 'write';

/** The options every client is constructed with. */
export interface SdkClientOptions {
  readonly maxAttempts: number;
  readonly requestHandler: {
    readonly connectionTimeout: number;
    readonly requestTimeout: number;
    /** Without it @smithy/node-http-handler only logs a warning when requestTimeout passes. */
    readonly throwOnRequestTimeout: true;
  };
}

function milliseconds(env: Readonly<Record<string, string | undefined>>, name: string, fallback: number): number {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  // A bad value must not leave a client without a timeout: keep the default.
  return Number.isInteger(value) && value > 0 ? value : fallback;
}

/** The timeouts in force: the environment's, else the defaults. */
export function sdkTimeouts(env: Readonly<Record<string, string | undefined>> = process.env): {
  connectionTimeoutMs: number;
  requestTimeoutMs: number;
} {
  return {
    connectionTimeoutMs: milliseconds(env, 'SDK_CONNECTION_TIMEOUT_MS', DEFAULT_CONNECTION_TIMEOUT_MS),
    requestTimeoutMs: milliseconds(env, 'SDK_REQUEST_TIMEOUT_MS', DEFAULT_REQUEST_TIMEOUT_MS),
  };
}

/** Constructor options of an SDK client for reads (SDK retries) or non-idempotent writes (no SDK retry). */
export function sdkClientOptions(use: ClientUse, env: Readonly<Record<string, string | undefined>> = process.env): SdkClientOptions {
  const { connectionTimeoutMs, requestTimeoutMs } = sdkTimeouts(env);
  return {
    maxAttempts: use === 'write' ? WRITE_MAX_ATTEMPTS : READ_MAX_ATTEMPTS,
    requestHandler: { connectionTimeout: connectionTimeoutMs, requestTimeout: requestTimeoutMs, throwOnRequestTimeout: true },
  };
}
