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
 * 3 × (connection 3 s + request 6 s) + the backoff (< 0.2 s at 50 ms base) ≈ 28 s, so the
 * function still ends with its own typed error, well before Lambda stops it.
 * The defaults are estimates, not AWS figures: a regional AWS API answers in well under a second
 * and a TCP + TLS set-up to a regional endpoint takes milliseconds; 3 s leaves room for one lost
 * SYN (Linux retransmits the first SYN after 1 s) and 6 s for a slow answer of a large page.
 *
 * Writes that are not idempotent (UpdateService, RegisterTaskDefinition, SNS Publish) use a write
 * client with `maxAttempts: 1`: the SDK never repeats them blindly after a lost answer; the
 * state machine retries the whole Task, whose handler first checks what already took effect.
 *
 * A read's SDK retries back off as the SDK's standard mode does (full jitter over base × 2^n,
 * capped at 20 s; base 1,000 ms after a throttle, 50 ms after another transient error: the values
 * of the SDK this project bundles, @smithy/core 3.41 retry/util-retry retries-2026-config.js and
 * constants.js), through {@link BackoffRetryStrategy}
 * whose waits go through one replaceable sleep, so that a harness that models time (the bench's
 * throttled concurrent rollbacks) lets the modelled clock run while a call backs off, as real time
 * does on AWS. Lambda never replaces it: the sleep is a real timer.
 *
 * Tests and the local harness shorten the timeouts through the environment:
 * SDK_CONNECTION_TIMEOUT_MS, SDK_REQUEST_TIMEOUT_MS (the CDK app sets neither; the defaults apply).
 */

import type { RetryErrorInfo, RetryStrategyV2, RetryToken } from '@smithy/types';

/** Default connection timeout (ms), an estimate (see above). */
export const DEFAULT_CONNECTION_TIMEOUT_MS = 3_000;
/** Default request timeout (ms): the whole request and response, an estimate (see above). */
export const DEFAULT_REQUEST_TIMEOUT_MS = 6_000;
/** Attempts of a read: the SDK's own default (standard retry mode). */
export const READ_MAX_ATTEMPTS = 3;
/** Attempts of a non-idempotent write: one, never repeated by the SDK. */
export const WRITE_MAX_ATTEMPTS = 1;

/** First backoff after a throttle (ms): the SDK's Retry.throttlingDelay(). */
export const THROTTLING_BACKOFF_BASE_MS = 1_000;
/** First backoff after another transient error (ms): the SDK's Retry.delay(). */
export const TRANSIENT_BACKOFF_BASE_MS = 50;
/** Longest backoff (ms): the SDK's MAXIMUM_RETRY_DELAY. */
export const MAX_BACKOFF_MS = 20_000;

/**
 * Where a harness that models time installs the sleep every SDK backoff goes through
 * (`globalThis[BACKOFF_SLEEP] = (ms) => Promise<void>`). Unset in Lambda: a real timer.
 */
export const BACKOFF_SLEEP: unique symbol = Symbol.for('ecs-auto-rollback.backoff-sleep') as never;

function backoffSleep(ms: number): Promise<void> {
  const installed = (globalThis as { [BACKOFF_SLEEP]?: (ms: number) => Promise<void> })[BACKOFF_SLEEP];
  return installed === undefined ? new Promise((resolve) => setTimeout(resolve, ms)) : installed(ms);
}

function retryToken(count: number): RetryToken {
  return { getRetryCount: () => count, getRetryDelay: () => 0 };
}

/**
 * The SDK's standard retries of reads (throttles and transient errors, `maxAttempts` in all, full
 * jitter), waiting through {@link backoffSleep}. No retry quota: a Lambda container serves one
 * invocation at a time, and the state machine's own Retry backs off further.
 */
export class BackoffRetryStrategy implements RetryStrategyV2 {
  public readonly mode = 'standard';

  public constructor(
    private readonly attempts: number,
    private readonly random: () => number = Math.random,
  ) {}

  public async acquireInitialRetryToken(): Promise<RetryToken> {
    return retryToken(0);
  }

  public async refreshRetryTokenForRetry(token: RetryToken, errorInfo: RetryErrorInfo): Promise<RetryToken> {
    const retries = token.getRetryCount();
    const retryable = errorInfo.errorType === 'THROTTLING' || errorInfo.errorType === 'TRANSIENT';
    if (!retryable || retries + 1 >= this.attempts) throw new Error('No retry token available');
    await backoffSleep(backoffMs(errorInfo.errorType, retries, this.random));
    return retryToken(retries + 1);
  }

  public recordSuccess(): void {}
}

/** The wait before retry number `retries + 1`: full jitter over base × 2^retries, capped at 20 s. */
export function backoffMs(errorType: RetryErrorInfo['errorType'], retries: number, random: () => number = Math.random): number {
  const base = errorType === 'THROTTLING' ? THROTTLING_BACKOFF_BASE_MS : TRANSIENT_BACKOFF_BASE_MS;
  return Math.floor(random() * Math.min(MAX_BACKOFF_MS, base * 2 ** retries));
}

/** Reads are retried by the SDK on transient errors; writes are not. */
export type ClientUse = 'read' | 'write';

/** The options every client is constructed with. */
export interface SdkClientOptions {
  readonly maxAttempts: number;
  readonly retryStrategy: RetryStrategyV2;
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
  const maxAttempts = use === 'write' ? WRITE_MAX_ATTEMPTS : READ_MAX_ATTEMPTS;
  return {
    maxAttempts,
    retryStrategy: new BackoffRetryStrategy(maxAttempts),
    requestHandler: { connectionTimeout: connectionTimeoutMs, requestTimeout: requestTimeoutMs, throwOnRequestTimeout: true },
  };
}
