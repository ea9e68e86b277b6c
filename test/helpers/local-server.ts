/**
 * An HTTP server on 127.0.0.1 for one test file: listening before its tests (a free port), closed
 * with its open connections after them. Tests read its address with `url`.
 */
import { createServer, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll } from 'vitest';

export interface LocalServer {
  /** `http://127.0.0.1:<port>`, once the server listens (in the file's tests and later beforeAll hooks). */
  readonly url: string;
}

export function useLocalServer(handler: RequestListener): LocalServer {
  const server = createServer(handler);
  let url: string | undefined;
  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  return {
    get url(): string {
      if (url === undefined) throw new Error('useLocalServer: the server is not listening yet (read url inside a test or a later beforeAll)');
      return url;
    },
  };
}
