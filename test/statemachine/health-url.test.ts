/**
 * The health URL's query string (a token) never reaches what people read: the execution's state
 * and history (the Step Functions console), the notification. ProbeHealth requests the full URL,
 * read from the services configuration item.
 */
import { readFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { useLocalServer } from '../helpers/local-server';
import { ALLOW_LOOPBACK_ENV } from '../../lambdas/aws/http-probe';
import { type LocalHistoryEvent, runLocally } from '../../statemachine/local';
import { putServicesConfig } from '../../local/harness/state-table';
import { type Engine, RIDERAPP_SERVICE_CONFIG, startEngine } from './helpers/engine';
import { RiderappWorld, useWorldClock } from './helpers/riderapp-world';

const DEPLOYMENT_FAILED: Record<string, unknown> = JSON.parse(
  readFileSync(new URL('../fixtures/events/ecs-deployment-failed.json', import.meta.url), 'utf8'),
);
const TOKEN = 's3cr3t-health-token';

let engine: Engine;
let requested: string[] = [];
let healthUrl: string;
const server = useLocalServer((req, res) => {
  requested.push(req.url ?? '');
  res.writeHead(200).end('ok');
});

beforeAll(async () => {
  healthUrl = `${server.url}/health?token=${TOKEN}`;
  engine = await startEngine();
  vi.stubEnv(ALLOW_LOOPBACK_ENV, 'true');
  // The deployment's services configuration, with the health URL and its token (read by the functions on first use).
  await putServicesConfig(engine.dynamo.client, engine.dynamo.tableName, [{ ...RIDERAPP_SERVICE_CONFIG, healthCheckUrl: healthUrl }]);
  useWorldClock();
});

afterAll(async () => {
  await engine?.close();
});

afterEach(() => {
  requested = [];
});

describe('the health URL in an execution', () => {
  it('probes the URL with its token, while the state, the history and the notification show it without the query string', async () => {
    // Prepare
    const world = new RiderappWorld();
    const history: LocalHistoryEvent[] = [];

    // Act
    const result = await runLocally({
      input: DEPLOYMENT_FAILED,
      handlers: engine.handlers,
      executionName: 'health-url',
      beforeTask: world.beforeTask,
      maxTransitions: 200,
      onHistoryEvent: (event) => history.push(event),
    });

    // Assess
    expect(result.status).toBe('SUCCEEDED');
    expect(requested).toEqual([`/health?token=${TOKEN}`]);
    expect(result.output?.request?.serviceConfig.healthCheckUrl).toBe(`${healthUrl.slice(0, healthUrl.indexOf('?'))}?…`);
    expect(JSON.stringify(history)).not.toContain(TOKEN);
    expect(JSON.stringify(result)).not.toContain(TOKEN);
    expect(JSON.stringify(world.published())).not.toContain(TOKEN);
  });
});
