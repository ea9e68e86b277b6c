/** Narrowing what the ASL passes to a Task (the whole state, as unknown). */
import { ValidationError } from './errors';

/** True for a non-null object. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/** `$.request` carries cluster and service as strings; otherwise a ValidationError naming `request`. */
export function assertServiceRequest(
  request: unknown,
): asserts request is Record<string, unknown> & { readonly cluster: string; readonly service: string } {
  if (!isRecord(request) || typeof request.cluster !== 'string' || typeof request.service !== 'string') {
    throw new ValidationError('request', 'cluster and service are required');
  }
}
