/**
 * Wire protocols as SDK v3 clients speak them: AWS JSON 1.1 (ECS, ECR) and AWS Query (ELBv2,
 * SNS). Errors: JSON `{"__type", "message"}`; Query `<ErrorResponse><Error><Type/><Code/><Message/>`.
 * JSON timestamps are epoch seconds; Query timestamps are ISO-8601.
 */

/** The four services the stand-in serves. */
export type ServiceName = 'ECS' | 'ECR' | 'ELBv2' | 'SNS' | 'SFN' | 'CloudFormation' | 'CloudWatch' | 'SQS' | 'IAM' | 'EventBridge' | 'KMS';

/** An AWS error answer: code (the SDK's error name), HTTP status and message. */
export class ApiError extends Error {
  public override name = 'ApiError' as const;
  public constructor(
    public readonly code: string,
    message: string,
    public readonly status: number = 400,
  ) {
    super(message);
  }
}

/** An operation the stand-in does not implement: names the service and operation. */
export function unknownOperation(service: ServiceName | string, operation: string, protocol: 'json' | 'query'): ApiError {
  return new ApiError(
    protocol === 'json' ? 'UnknownOperationException' : 'InvalidAction',
    `stand-in does not implement ${service} ${operation}`,
    400,
  );
}

/** An HTTP response the server writes. */
export interface WireResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** Epoch seconds (with milliseconds as the fraction), as AWS JSON protocols send timestamps. */
export function epochSeconds(epochMs: number): number {
  return epochMs / 1000;
}

/** A JSON 1.1 success answer. */
export function jsonResponse(requestId: string, output: unknown): WireResponse {
  return {
    status: 200,
    headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': requestId },
    body: JSON.stringify(output ?? {}),
  };
}

/** A JSON 1.1 error answer (`__type` + `message`, and the x-amzn-errortype header). */
export function jsonError(requestId: string, error: ApiError): WireResponse {
  return {
    status: error.status,
    headers: {
      'content-type': 'application/x-amz-json-1.1',
      'x-amzn-requestid': requestId,
      'x-amzn-errortype': error.code,
    },
    body: JSON.stringify({ __type: error.code, message: error.message }),
  };
}

/** Parses a JSON 1.1 request body (empty → {}). */
export function parseJsonBody(body: string): Record<string, unknown> {
  if (body.trim() === '') return {};
  const parsed: unknown = JSON.parse(body);
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ApiError('SerializationException', 'Request body must be a JSON object');
  }
  return parsed as Record<string, unknown>;
}

/** Parses a form-encoded Query body into its flat `Key.member.1.Id → value` map. */
export function parseForm(body: string): Map<string, string> {
  const params = new Map<string, string>();
  for (const [key, value] of new URLSearchParams(body)) params.set(key, value);
  return params;
}

/** A Query list parameter: `Name.member.1`, `Name.member.2`, … (string members). */
export function queryList(params: Map<string, string>, name: string): string[] {
  const out: string[] = [];
  for (let i = 1; params.has(`${name}.member.${i}`); i++) out.push(params.get(`${name}.member.${i}`)!);
  return out;
}

/** A Query list of structures: `Name.member.1.Field` → [{ Field }]. */
export function queryStructList(params: Map<string, string>, name: string): Record<string, string>[] {
  const out: Record<string, string>[] = [];
  for (let i = 1; ; i++) {
    const prefix = `${name}.member.${i}.`;
    const item: Record<string, string> = {};
    for (const [key, value] of params) if (key.startsWith(prefix)) item[key.slice(prefix.length)] = value;
    if (Object.keys(item).length === 0) return out;
    out.push(item);
  }
}

/** A Query map: `Name.entry.1.<keyName>` / `Name.entry.1.<valueName>.Field` → { key: { Field } }. */
export function queryMap(
  params: Map<string, string>,
  name: string,
  keyName = 'key',
  valueName = 'value',
): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {};
  for (let i = 1; params.has(`${name}.entry.${i}.${keyName}`); i++) {
    const key = params.get(`${name}.entry.${i}.${keyName}`)!;
    const prefix = `${name}.entry.${i}.${valueName}.`;
    const value: Record<string, string> = {};
    for (const [k, v] of params) if (k.startsWith(prefix)) value[k.slice(prefix.length)] = v;
    out[key] = value;
  }
  return out;
}

/** The flat Query parameters as a plain object (for the call log). */
export function formToObject(params: Map<string, string>): Record<string, string> {
  return Object.fromEntries(params);
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

/** Query XML for a value: objects → elements, arrays → `<member>`s, Dates → ISO-8601. */
export function toXml(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (Array.isArray(value)) return value.map((item) => `<member>${toXml(item)}</member>`).join('');
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'object') {
    return Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined && v !== null)
      .map(([k, v]) => `<${k}>${toXml(v)}</${k}>`)
      .join('');
  }
  return escapeXml(String(value));
}

/** A Query success answer: `<OpResponse xmlns><OpResult>…</OpResult><ResponseMetadata/></OpResponse>`. */
export function queryResponse(xmlNamespace: string, action: string, requestId: string, result: Record<string, unknown>): WireResponse {
  const body =
    `<?xml version="1.0" encoding="UTF-8"?>\n` +
    `<${action}Response xmlns="${xmlNamespace}">` +
    `<${action}Result>${toXml(result)}</${action}Result>` +
    `<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata>` +
    `</${action}Response>`;
  return { status: 200, headers: { 'content-type': 'text/xml', 'x-amzn-requestid': requestId }, body };
}

/** A Query error answer: `<ErrorResponse><Error><Type><Code><Message></Error><RequestId>`. */
export function queryError(xmlNamespace: string, requestId: string, error: ApiError): WireResponse {
  const type = error.status >= 500 ? 'Receiver' : 'Sender';
  const body =
    `<?xml version="1.0" encoding="UTF-8"?>\n` +
    `<ErrorResponse xmlns="${xmlNamespace}">` +
    `<Error><Type>${type}</Type><Code>${escapeXml(error.code)}</Code><Message>${escapeXml(error.message)}</Message></Error>` +
    `<RequestId>${requestId}</RequestId>` +
    `</ErrorResponse>`;
  return { status: error.status, headers: { 'content-type': 'text/xml', 'x-amzn-requestid': requestId }, body };
}

/** The service name in a SigV4 Authorization header's credential scope (`…/us-east-1/sns/aws4_request`). */
export function credentialScopeService(authorization: string | undefined): string | undefined {
  const match = /Credential=[^/]+\/\d{8}\/[^/]+\/([^/]+)\/aws4_request/.exec(authorization ?? '');
  return match?.[1];
}

/** Reads a string member of a JSON input, or undefined. */
export function str(input: Record<string, unknown>, key: string): string | undefined {
  const value = input[key];
  return typeof value === 'string' ? value : undefined;
}

/** Reads a number member of a JSON input, or undefined. */
export function num(input: Record<string, unknown>, key: string): number | undefined {
  const value = input[key];
  return typeof value === 'number' ? value : undefined;
}

/** Reads a string-array member of a JSON input ([] when absent). */
export function strList(input: Record<string, unknown>, key: string): string[] {
  const value = input[key];
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}
