/**
 * A small HTTP proxy in front of dynalite, so DynamoDB can be faulted like the stand-in's services:
 * per operation and item kind ("PutItem(lock)", "UpdateItem(trigger)", …; the kind is the prefix of
 * the item's `id` before `#`), throttling, HTTP 500, a reset before the call reaches DynamoDB, an
 * answer lost after DynamoDB applied the call, a call that hangs. Every call lands in its call log.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, request, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CallLog, dropConnection, Faults } from '../stand-in/index';

/** A running proxy. */
export interface DynamoProxy {
  /** `http://127.0.0.1:<port>`: give it to the functions as AWS_ENDPOINT_URL_DYNAMODB. */
  readonly endpoint: string;
  /** Faults on service "DynamoDB", operation "<Operation>(<item kind>)". */
  readonly faults: Faults;
  readonly calls: CallLog;
  close(): Promise<void>;
}

/** The item kind a DynamoDB request touches: the prefix of its `id` key before `#` ("lock", "cooldown", "trigger", …). */
export function itemKindOf(body: string): string {
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(body) as Record<string, unknown>;
  } catch {
    return 'unknown';
  }
  const idOf = (holder: unknown): string | undefined => {
    const record = holder as { Key?: { id?: { S?: string } }; Item?: { id?: { S?: string } } } | undefined;
    return record?.Key?.id?.S ?? record?.Item?.id?.S;
  };
  const transact = (parsed.TransactItems as Record<string, unknown>[] | undefined)?.[0];
  const id = idOf(parsed) ?? (transact === undefined ? undefined : idOf(Object.values(transact)[0]));
  if (id === undefined) return 'table';
  const hash = id.indexOf('#');
  return hash < 0 ? id : id.slice(0, hash);
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

interface Forwarded {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: Buffer;
}

function forward(target: URL, req: IncomingMessage, body: Buffer): Promise<Forwarded> {
  return new Promise((resolve, reject) => {
    const upstream = request(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: { ...req.headers, host: target.host } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 500, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      },
    );
    upstream.on('error', reject);
    upstream.end(body);
  });
}

function untilClosedOr(req: IncomingMessage, ms: number): Promise<void> {
  return new Promise((resolve) => {
    if (req.socket.destroyed) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      req.socket.off('close', done);
      resolve();
    }
    req.socket.once('close', done);
  });
}

async function handle(target: URL, faults: Faults, calls: CallLog, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const body = await readBody(req);
  const amzTarget = String(req.headers['x-amz-target'] ?? '');
  const operation = `${amzTarget.slice(amzTarget.lastIndexOf('.') + 1)}(${itemKindOf(body.toString('utf8'))})`;
  const record = calls.add({
    service: 'DynamoDB',
    operation,
    modelTime: Date.now(),
    realTime: performance.now(),
    input: {},
    params: {},
    status: 0,
    faults: [],
  });
  const outcome = faults.take('DynamoDB', operation);
  record.faults = outcome.applied;
  const connection = outcome.connection;
  if (connection !== undefined) record.connection = connection.kind;
  if (connection?.kind === 'reset-before' || connection?.kind === 'hang') {
    record.errorCode = connection.kind === 'hang' ? 'Hung' : 'ConnectionReset';
    if (connection.kind === 'hang') await untilClosedOr(req, connection.hangMs);
    dropConnection(res);
    return;
  }
  if (outcome.error !== undefined) {
    record.status = outcome.error.status;
    record.errorCode = outcome.error.code;
    const text = JSON.stringify({ __type: `com.amazonaws.dynamodb.v20120810#${outcome.error.code}`, message: outcome.error.message });
    res.writeHead(outcome.error.status, {
      'content-type': 'application/x-amz-json-1.0',
      'x-amzn-requestid': randomUUID(),
      'content-length': Buffer.byteLength(text),
    });
    res.end(text);
    return;
  }
  const answer = await forward(target, req, body);
  record.status = answer.status;
  if (answer.status >= 300) record.errorCode = /"__type"\s*:\s*"(?:[^"#]*#)?([^"]+)"/.exec(answer.body.toString('utf8'))?.[1];
  if (connection?.kind === 'lost-after') {
    dropConnection(res);
    return;
  }
  res.writeHead(answer.status, { ...answer.headers, 'content-length': answer.body.length });
  res.end(answer.body);
}

/** Starts the proxy on 127.0.0.1 in front of `targetEndpoint` (dynalite). */
export async function startDynamoProxy(targetEndpoint: string): Promise<DynamoProxy> {
  const target = new URL(targetEndpoint);
  const faults = new Faults();
  const calls = new CallLog();
  const server: Server = createServer((req, res) => {
    handle(target, faults, calls, req, res).catch((error: unknown) => {
      console.error('dynamo proxy: request failed', error);
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(String(error));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    endpoint,
    faults,
    calls,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error === undefined ? resolve() : reject(error)));
        server.closeAllConnections();
      }),
  };
}
