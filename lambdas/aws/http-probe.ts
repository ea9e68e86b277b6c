/** HTTP health probe: one GET with a timeout, reduced to what a person needs to know. */
import type { HttpOutcome } from '../core/health';

/** GET `url` once; a timeout or a network error is an outcome, not a thrown error. */
export async function httpGet(
  url: string,
  timeoutSeconds: number,
  fetchImpl: typeof fetch = fetch,
): Promise<HttpOutcome> {
  try {
    const response = await fetchImpl(url, {
      method: 'GET',
      signal: AbortSignal.timeout(timeoutSeconds * 1000),
      headers: { 'user-agent': 'ecs-auto-rollback-health-probe' },
    });
    await response.body?.cancel().catch(() => undefined);
    return { kind: 'status', status: response.status };
  } catch (error) {
    const e = error as { name?: string; message?: string; cause?: { code?: string; message?: string } };
    if (e.name === 'TimeoutError' || e.name === 'AbortError') return { kind: 'timeout', timeoutSeconds };
    return { kind: 'error', message: e.cause?.code ?? e.cause?.message ?? e.message ?? String(error) };
  }
}
