/**
 * The slim RDS read client (lambdas/aws/rds-read-client.ts) on the wire: a real HTTP server on
 * 127.0.0.1 speaking RDS's Query protocol (form-encoded requests, XML answers), because
 * aws-sdk-client-mock replaces `send` and so never runs the schemas this client cuts down.
 *
 * The answers follow the shapes of AWS's API reference examples:
 * https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DescribeDBInstances.html#API_DescribeDBInstances_Examples
 * https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DescribeDBSnapshots.html#API_DescribeDBSnapshots_Examples
 * (`<XResponse xmlns="http://rds.amazonaws.com/doc/2014-10-31/"><XResult>…</XResult><ResponseMetadata>…`),
 * and errors the Query API's `<ErrorResponse><Error><Type/><Code/><Message/></Error><RequestId/>`
 * (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/CommonErrors.html,
 * https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/APITroubleshooting.html).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DescribeDBInstancesCommand as SdkDescribeDBInstancesCommand, DescribeDBSnapshotsCommand as SdkDescribeDBSnapshotsCommand, RDSClient } from '@aws-sdk/client-rds';
import { build } from 'esbuild';
import { beforeEach, describe, expect, it } from 'vitest';
import { useLocalServer } from '../helpers/local-server';
import { BUNDLING } from '../../lib/constructs/functions';
import { esbuildOptionsFrom, PROJECT_ROOT } from '../../local/harness/bundles';
import { sdkClientOptions } from '../../lambdas/aws/client-options';
import {
  DBInstanceNotFoundFault,
  DescribeDBInstancesCommand,
  DescribeDBSnapshotsCommand,
  MIRRORED_CLIENT_RDS_VERSION,
  RdsReadClient,
  RdsServiceException,
} from '../../lambdas/aws/rds-read-client';
import { findDatabaseSnapshots } from '../../lambdas/aws/rds-snapshots';
import { AwsCallError, TransientAwsError } from '../../lambdas/shared/errors';

const XMLNS = 'http://rds.amazonaws.com/doc/2014-10-31/';
const DEPLOYMENT_STARTED = new Date('2025-03-04T10:05:00Z');

/** What the server received: the form body as parameters, and the headers. */
interface Received {
  readonly params: Record<string, string>;
  readonly headers: IncomingHttpHeaders;
}

type Answer = { status: number; body: string };
let answer: (params: Record<string, string>) => Answer;
let received: Received[] = [];

const server = useLocalServer((request, response) => {
  let body = '';
  request.setEncoding('utf8');
  request.on('data', (chunk: string) => {
    body += chunk;
  });
  request.on('end', () => {
    const params = Object.fromEntries(new URLSearchParams(body));
    received.push({ params, headers: request.headers });
    const { status, body: xml } = answer(params);
    response.writeHead(status, { 'content-type': 'text/xml', 'x-amzn-requestid': 'c5e1e2d4-0000-4000-8000-000000000001' });
    response.end(xml);
  });
});

beforeEach(() => {
  received = [];
});

const CREDENTIALS = { accessKeyId: 'AKIDLOCAL', secretAccessKey: 'local' };

function slimClient(): RdsReadClient {
  return new RdsReadClient({ ...sdkClientOptions('read'), endpoint: server.url, region: 'us-east-1', credentials: CREDENTIALS });
}

function sdkClient(): RDSClient {
  return new RDSClient({ ...sdkClientOptions('read'), endpoint: server.url, region: 'us-east-1', credentials: CREDENTIALS });
}

function ok(action: string, result: string): Answer {
  return {
    status: 200,
    body: `<${action}Response xmlns="${XMLNS}">
  <${action}Result>
${result}
  </${action}Result>
  <ResponseMetadata>
    <RequestId>c5e1e2d4-0000-4000-8000-000000000001</RequestId>
  </ResponseMetadata>
</${action}Response>`,
  };
}

function error(status: number, type: 'Sender' | 'Receiver', code: string, message: string): Answer {
  return {
    status,
    body: `<ErrorResponse xmlns="${XMLNS}">
  <Error>
    <Type>${type}</Type>
    <Code>${code}</Code>
    <Message>${message}</Message>
  </Error>
  <RequestId>c5e1e2d4-0000-4000-8000-000000000002</RequestId>
</ErrorResponse>`,
  };
}

/** A DB instance as RDS describes it: many members besides the three the client reads. */
function dbInstance(id: string, extra = ''): string {
  return `      <DBInstance>
        <DBInstanceIdentifier>${id}</DBInstanceIdentifier>
        <DBInstanceClass>db.t3.micro</DBInstanceClass>
        <Engine>postgres</Engine>
        <DBInstanceStatus>available</DBInstanceStatus>
        <MasterUsername>rider</MasterUsername>
        <Endpoint>
          <Address>${id}.c0abcdefghij.us-east-1.rds.amazonaws.com</Address>
          <Port>5432</Port>
          <HostedZoneId>Z2R2ITUGPM61AM</HostedZoneId>
        </Endpoint>
        <AllocatedStorage>20</AllocatedStorage>
        <InstanceCreateTime>2025-01-10T08:00:00.123Z</InstanceCreateTime>
        <BackupRetentionPeriod>7</BackupRetentionPeriod>
        <VpcSecurityGroups>
          <VpcSecurityGroupMembership>
            <VpcSecurityGroupId>sg-0123456789abcdef0</VpcSecurityGroupId>
            <Status>active</Status>
          </VpcSecurityGroupMembership>
        </VpcSecurityGroups>
        <MultiAZ>false</MultiAZ>
        <StorageEncrypted>true</StorageEncrypted>
${extra}
      </DBInstance>`;
}

/** An automated DB snapshot as RDS describes it. */
function dbSnapshot(id: string, created: string, status = 'available'): string {
  return `      <DBSnapshot>
        <DBSnapshotIdentifier>${id}</DBSnapshotIdentifier>
        <DBInstanceIdentifier>riderapp-db</DBInstanceIdentifier>
        <SnapshotCreateTime>${created}</SnapshotCreateTime>
        <Engine>postgres</Engine>
        <AllocatedStorage>20</AllocatedStorage>
        <Status>${status}</Status>
        <Port>5432</Port>
        <AvailabilityZone>us-east-1a</AvailabilityZone>
        <SnapshotType>automated</SnapshotType>
        <PercentProgress>100</PercentProgress>
        <Encrypted>true</Encrypted>
        <TagList/>
      </DBSnapshot>`;
}

/** Two pages of instances (Marker page-2), two of riderapp-db's snapshots (Marker s-2). */
function twoPagesEach(params: Record<string, string>): Answer {
  if (params.Action === 'DescribeDBInstances') {
    return params.Marker === undefined
      ? ok('DescribeDBInstances', `    <DBInstances>\n${dbInstance('billing-db')}\n    </DBInstances>\n    <Marker>page-2</Marker>`)
      : ok(
          'DescribeDBInstances',
          `    <DBInstances>\n${dbInstance('riderapp-db', '        <LatestRestorableTime>2025-03-04T10:25:00Z</LatestRestorableTime>')}\n${dbInstance(
            'riderapp-aurora-1',
            '        <DBClusterIdentifier>riderapp-aurora</DBClusterIdentifier>',
          )}\n    </DBInstances>`,
        );
  }
  if (params.Action === 'DescribeDBSnapshots') {
    return params.Marker === undefined
      ? ok(
          'DescribeDBSnapshots',
          `    <DBSnapshots>\n${dbSnapshot('rds:riderapp-db-2025-03-03-03-10', '2025-03-03T03:10:12.345Z')}\n${dbSnapshot(
            'rds:riderapp-db-2025-03-04-09-00',
            '2025-03-04T09:00:00Z',
            'creating',
          )}\n    </DBSnapshots>\n    <Marker>s-2</Marker>`,
        )
      : ok(
          'DescribeDBSnapshots',
          `    <DBSnapshots>\n${dbSnapshot('rds:riderapp-db-2025-03-04-03-10', '2025-03-04T03:10:07Z')}\n${dbSnapshot(
            'rds:riderapp-db-2025-03-04-10-20',
            '2025-03-04T10:20:00Z',
          )}\n    </DBSnapshots>`,
        );
  }
  return error(400, 'Sender', 'InvalidAction', `unexpected action ${params.Action}`);
}

describe('slim RDS read client on the wire (RDS Query protocol on 127.0.0.1)', () => {
  it('finds riderapp-db and its newest available automated snapshot before the deployment over two pages of each call', async () => {
    // Prepare
    answer = twoPagesEach;

    // Act
    const findings = await findDatabaseSnapshots('riderapp', DEPLOYMENT_STARTED, slimClient());

    // Assess
    expect(findings).toEqual([
      {
        dbInstanceIdentifier: 'riderapp-db',
        snapshot: { identifier: 'rds:riderapp-db-2025-03-04-03-10', createdAt: '2025-03-04T03:10:07.000Z' },
        latestRestorableTime: '2025-03-04T10:25:00.000Z',
      },
      { dbInstanceIdentifier: 'riderapp-aurora-1', dbClusterIdentifier: 'riderapp-aurora', latestRestorableTime: undefined },
    ]);
    expect(received.map((r) => r.params)).toEqual([
      { Action: 'DescribeDBInstances', Version: '2014-10-31', MaxRecords: '100' },
      { Action: 'DescribeDBInstances', Version: '2014-10-31', MaxRecords: '100', Marker: 'page-2' },
      { Action: 'DescribeDBSnapshots', Version: '2014-10-31', DBInstanceIdentifier: 'riderapp-db', SnapshotType: 'automated', MaxRecords: '100' },
      { Action: 'DescribeDBSnapshots', Version: '2014-10-31', DBInstanceIdentifier: 'riderapp-db', SnapshotType: 'automated', MaxRecords: '100', Marker: 's-2' },
    ]);
  });

  it('signs every request with SigV4 for rds in the client region, form-encoded', async () => {
    // Prepare
    answer = twoPagesEach;

    // Act
    await slimClient().send(new DescribeDBInstancesCommand({ MaxRecords: 100 }));

    // Assess
    const headers = received[0]?.headers ?? {};
    expect(headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDLOCAL\/\d{8}\/us-east-1\/rds\/aws4_request, SignedHeaders=[^,]*host[^,]*x-amz-date[^,]*, Signature=[0-9a-f]{64}$/);
    expect(headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(headers['user-agent']).toContain(`api/rds#${MIRRORED_CLIENT_RDS_VERSION}`);
  });

  it('parses the identifiers and dates a page holds, and its Marker', async () => {
    // Prepare
    answer = twoPagesEach;

    // Act
    const page = await slimClient().send(new DescribeDBSnapshotsCommand({ DBInstanceIdentifier: 'riderapp-db', SnapshotType: 'automated' }));

    // Assess
    expect(page.Marker).toBe('s-2');
    expect(page.DBSnapshots).toEqual([
      { DBSnapshotIdentifier: 'rds:riderapp-db-2025-03-03-03-10', SnapshotCreateTime: new Date('2025-03-03T03:10:12.345Z'), Status: 'available' },
      { DBSnapshotIdentifier: 'rds:riderapp-db-2025-03-04-09-00', SnapshotCreateTime: new Date('2025-03-04T09:00:00Z'), Status: 'creating' },
    ]);
    expect(page.$metadata.httpStatusCode).toBe(200);
  });

  it.each([
    ['DescribeDBInstances', { MaxRecords: 100, Marker: 'page-2', DBInstanceIdentifier: 'riderapp-db' }],
    ['DescribeDBSnapshots', { DBInstanceIdentifier: 'riderapp-db', SnapshotType: 'automated', MaxRecords: 100, Marker: 's-2' }],
  ] as const)('sends the same %s request body as @aws-sdk/client-rds and reads the same members from its answer', async (action, input) => {
    // Prepare
    answer = twoPagesEach;
    const slim = action === 'DescribeDBInstances' ? new DescribeDBInstancesCommand(input) : new DescribeDBSnapshotsCommand(input);
    const full = action === 'DescribeDBInstances' ? new SdkDescribeDBInstancesCommand(input) : new SdkDescribeDBSnapshotsCommand(input);

    // Act
    const ours = (await slimClient().send(slim as DescribeDBInstancesCommand)) as unknown as Record<string, unknown>;
    const theirs = (await sdkClient().send(full as SdkDescribeDBInstancesCommand)) as unknown as Record<string, unknown>;

    // Assess
    expect(received[0]?.params).toEqual(received[1]?.params);
    const listKey = action === 'DescribeDBInstances' ? 'DBInstances' : 'DBSnapshots';
    const members = action === 'DescribeDBInstances' ? ['DBInstanceIdentifier', 'DBClusterIdentifier', 'LatestRestorableTime'] : ['DBSnapshotIdentifier', 'SnapshotCreateTime', 'Status'];
    const pick = (items: unknown) => (items as Record<string, unknown>[]).map((item) => Object.fromEntries(members.filter((m) => item[m] !== undefined).map((m) => [m, item[m]])));
    expect(pick(ours[listKey])).toEqual(pick(theirs[listKey]));
    expect(ours.Marker).toEqual(theirs.Marker);
  });

  it('turns an RDS AccessDenied answer into an error with that name and RDS message, which the Notify path reports as an AwsCallError', async () => {
    // Prepare
    const message = 'User: arn:aws:sts::111122223333:assumed-role/riderapp-notify/fn is not authorized to perform: rds:DescribeDBInstances';
    answer = () => error(403, 'Sender', 'AccessDenied', message);

    // Act
    const direct = slimClient().send(new DescribeDBInstancesCommand({ MaxRecords: 100 }));
    const viaNotify = findDatabaseSnapshots('riderapp', DEPLOYMENT_STARTED, slimClient());

    // Assess
    await expect(direct).rejects.toMatchObject({ name: 'AccessDenied', message, $fault: 'client', $metadata: { httpStatusCode: 403 } });
    await expect(direct).rejects.toBeInstanceOf(RdsServiceException);
    await expect(viaNotify).rejects.toBeInstanceOf(AwsCallError);
    await expect(viaNotify).rejects.toThrow(`DescribeDBInstances: AccessDenied: ${message}`);
    expect(received).toHaveLength(2);
  });

  it('reads the DBInstanceNotFound code as DBInstanceNotFoundFault', async () => {
    // Prepare
    answer = () => error(404, 'Sender', 'DBInstanceNotFound', 'DBInstance riderapp-db not found.');

    // Act
    const result = slimClient().send(new DescribeDBSnapshotsCommand({ DBInstanceIdentifier: 'riderapp-db', SnapshotType: 'automated' }));

    // Assess
    await expect(result).rejects.toBeInstanceOf(DBInstanceNotFoundFault);
    await expect(result).rejects.toMatchObject({ name: 'DBInstanceNotFoundFault', message: 'DBInstance riderapp-db not found.' });
  });

  it('retries an InternalFailure as the SDK does (3 attempts of a read), then reports a TransientAwsError', async () => {
    // Prepare
    answer = () => error(500, 'Receiver', 'InternalFailure', 'An internal error occurred.');

    // Act
    const result = findDatabaseSnapshots('riderapp', DEPLOYMENT_STARTED, slimClient());

    // Assess
    await expect(result).rejects.toBeInstanceOf(TransientAwsError);
    expect(received.map((r) => r.params.Action)).toEqual(['DescribeDBInstances', 'DescribeDBInstances', 'DescribeDBInstances']);
  });
});

describe('slim RDS read client in the Notify bundle the CDK app deploys', () => {
  it('finds the snapshot from the bundled handler module, reaching RDS through AWS_ENDPOINT_URL_RDS with environment credentials', async () => {
    // Prepare: Notify bundled with the app's BUNDLING (minified ESM, SDK inside, environment-only credentials)
    answer = twoPagesEach;
    const dir = mkdtempSync(join(tmpdir(), 'ecs-rollback-notify-'));
    const saved = { ...process.env };
    try {
      await build({
        ...esbuildOptionsFrom(BUNDLING),
        sourcemap: false,
        entryPoints: [join(PROJECT_ROOT, 'lambdas', 'notify', 'handler.ts')],
        outfile: join(dir, 'index.mjs'),
        absWorkingDir: PROJECT_ROOT,
      });
      Object.assign(process.env, {
        AWS_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: 'AKIDBUNDLE',
        AWS_SECRET_ACCESS_KEY: 'local',
        AWS_ENDPOINT_URL_RDS: server.url,
        TOPIC_ARN: 'arn:aws:sns:us-east-1:111122223333:riderapp-rollback-notifications',
      });
      // Node's own import, past vitest's module transform: the bundle runs as Lambda's Node loads it.
      const nativeImportModule = 'data:text/javascript,export default (specifier) => import(specifier);';
      const nativeImport = (await import(/* @vite-ignore */ nativeImportModule)) as {
        default: (specifier: string) => Promise<{ deps: { findDatabases: typeof findDatabaseSnapshots } }>;
      };
      const bundle = await nativeImport.default(pathToFileURL(join(dir, 'index.mjs')).href);

      // Act
      const findings = await bundle.deps.findDatabases('riderapp', DEPLOYMENT_STARTED);

      // Assess
      expect(findings.map((f) => [f.dbInstanceIdentifier, f.snapshot?.identifier ?? f.dbClusterIdentifier])).toEqual([
        ['riderapp-db', 'rds:riderapp-db-2025-03-04-03-10'],
        ['riderapp-aurora-1', 'riderapp-aurora'],
      ]);
      expect(received).toHaveLength(4);
      expect(received.every((r) => String(r.headers.authorization).includes('Credential=AKIDBUNDLE/'))).toBe(true);
    } finally {
      for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
      Object.assign(process.env, saved);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('slim RDS read client: pinned to the SDK it mirrors', () => {
  it('mirrors the @aws-sdk/client-rds version package-lock.json installs (re-check rds-read-client.ts against RDSClient.js on every upgrade)', () => {
    // Prepare
    const lock = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { version?: string }>;
    };

    // Act
    const installed = lock.packages['node_modules/@aws-sdk/client-rds']?.version;

    // Assess
    expect(installed).toBe(MIRRORED_CLIENT_RDS_VERSION);
  });
});
