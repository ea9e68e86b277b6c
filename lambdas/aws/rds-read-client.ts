/**
 * A slim RDS client for the two reads of Notify's database advice (DescribeDBInstances and
 * DescribeDBSnapshots), built from the SDK's own parts.
 *
 * Why it exists: with @aws-sdk/client-rds's RDSClient, Notify's bundle was 405.0 KiB minified
 * (the bench's target is ≤ 350 KiB, BENCHMARKS.md); with this client it is 317.8 KiB (both
 * measured with local/harness/bundles.ts, the app's BUNDLING). 94 KiB of the difference was
 * client-rds, mostly `dist-es/schemas/schemas_0.js` (47 KiB) and `dist-es/models/errors.js`
 * (39 KiB, esbuild metafile): the client's `runtimeConfig.shared.js` imports
 * `errorTypeRegistries`, and the module that defines it calls `registerError` for every RDS error
 * at its top level, side effects esbuild must keep, so the schemas of all 168 operations and the
 * 150 error classes stay in the bundle. This client is
 * RDSClient.js + runtimeConfig.js + runtimeConfig.shared.js of the SDK version below, line for
 * line (the same middleware stack, SigV4 signer, retry and endpoint resolution, deep-imported
 * from client-rds where they hold no schemas), except that its protocol settings name a small
 * error registry, and its operation schemas hold only the members Notify reads
 * (lambdas/aws/rds-snapshots.ts). Members a response carries beyond them are skipped by the
 * XML deserializer, as any member a newer RDS API adds is.
 *
 * Mirrors @aws-sdk/client-rds {@link MIRRORED_CLIENT_RDS_VERSION}; a test compares it with
 * package-lock.json, so an SDK upgrade brings a reader back here. The wire format is proven by
 * test/unit/rds-read-client-wire.test.ts against a real HTTP server speaking RDS's Query protocol.
 */
import {
  emitWarningIfUnsupportedVersion as awsCheckVersion,
  createDefaultUserAgentProvider,
  getDefaultSocketTimeout,
  getHostHeaderPlugin,
  getLoggerPlugin,
  getRecursionDetectionPlugin,
  getUserAgentPlugin,
  NODE_APP_ID_CONFIG_OPTIONS,
  resolveHostHeaderConfig,
  resolveUserAgentConfig,
} from '@aws-sdk/core/client';
import { AwsSdkSigV4Signer, NODE_AUTH_SCHEME_PREFERENCE_OPTIONS } from '@aws-sdk/core/httpAuthSchemes';
import { AwsQueryProtocol } from '@aws-sdk/core/protocols';
import type { DBInstance, DBSnapshot, DescribeDBInstancesMessage, DescribeDBSnapshotsMessage, RDSClientConfig, RDSClientResolvedConfig } from '@aws-sdk/client-rds';
import { defaultRDSHttpAuthSchemeParametersProvider, defaultRDSHttpAuthSchemeProvider, resolveHttpAuthSchemeConfig } from '@aws-sdk/client-rds/dist-es/auth/httpAuthSchemeProvider.js';
import { commonParams, resolveClientEndpointParameters } from '@aws-sdk/client-rds/dist-es/endpoint/EndpointParameters.js';
import { defaultEndpointResolver } from '@aws-sdk/client-rds/dist-es/endpoint/endpointResolver.js';
import { resolveRuntimeExtensions } from '@aws-sdk/client-rds/dist-es/runtimeExtensions.js';
import { defaultProvider as credentialDefaultProvider } from '@aws-sdk/credential-provider-node';
import { DefaultIdentityProviderConfig, getHttpAuthSchemeEndpointRuleSetPlugin, getHttpSigningPlugin } from '@smithy/core';
import { Sha256 } from '@smithy/core/checksum';
import {
  Client,
  emitWarningIfUnsupportedVersion,
  loadConfigsForDefaultMode,
  makeBuilder,
  NoOpLogger,
  ServiceException,
  type ServiceExceptionOptions,
} from '@smithy/core/client';
import {
  loadConfig as loadNodeConfig,
  NODE_REGION_CONFIG_FILE_OPTIONS,
  NODE_REGION_CONFIG_OPTIONS,
  NODE_USE_DUALSTACK_ENDPOINT_CONFIG_OPTIONS,
  NODE_USE_FIPS_ENDPOINT_CONFIG_OPTIONS,
  resolveDefaultsModeConfig,
  resolveRegionConfig,
} from '@smithy/core/config';
import { getEndpointPlugin, resolveEndpointConfig } from '@smithy/core/endpoints';
import { getContentLengthPlugin, parseUrl } from '@smithy/core/protocols';
import { DEFAULT_RETRY_MODE, getRetryPlugin, NODE_MAX_ATTEMPT_CONFIG_OPTIONS, NODE_RETRY_MODE_CONFIG_OPTIONS, resolveRetryConfig } from '@smithy/core/retry';
import { getSchemaSerdePlugin, TypeRegistry } from '@smithy/core/schema';
import { calculateBodyLength, fromBase64, fromUtf8, toBase64, toUtf8 } from '@smithy/core/serde';
import { NodeHttpHandler, streamCollector } from '@smithy/node-http-handler';
import type {
  HttpHandlerOptions,
  MetadataBearer,
  StaticErrorSchema,
  StaticListSchema,
  StaticOperationSchema,
  StaticStructureSchema,
} from '@smithy/types';

/** The @aws-sdk/client-rds version whose RDSClient and runtime config this file mirrors (its user agent names it too). */
export const MIRRORED_CLIENT_RDS_VERSION = '3.1169.0';

/** RDS's Smithy namespace, API version and Query protocol settings, as client-rds's runtimeConfig.shared.js sets them. */
const NAMESPACE = 'com.amazonaws.rds';
const SYNTHETIC_NAMESPACE = `smithy.ts.sdk.synthetic.${NAMESPACE}`;
const API_VERSION = '2014-10-31';
const SERVICE_TARGET = 'AmazonRDSv19';

// Schema type codes of @smithy/core/schema: 0 string, 1 integer, 4 timestamp; 1 list, 3 structure, -3 error, 9 operation.
const STRING = 0;
const INTEGER = 1;
const TIMESTAMP = 4;

/** DescribeDBInstances input: the members Notify sends. */
export type DescribeDBInstancesInput = Pick<DescribeDBInstancesMessage, 'DBInstanceIdentifier' | 'MaxRecords' | 'Marker'>;
/** A DB instance as this client reads it. */
export type DbInstanceSummary = Pick<DBInstance, 'DBInstanceIdentifier' | 'DBClusterIdentifier' | 'LatestRestorableTime'>;
/** DescribeDBInstances output: one page. */
export interface DescribeDBInstancesOutput extends MetadataBearer {
  Marker?: string;
  DBInstances?: DbInstanceSummary[];
}

/** DescribeDBSnapshots input: the members Notify sends. */
export type DescribeDBSnapshotsInput = Pick<DescribeDBSnapshotsMessage, 'DBInstanceIdentifier' | 'SnapshotType' | 'MaxRecords' | 'Marker'>;
/** A DB snapshot as this client reads it. */
export type DbSnapshotSummary = Pick<DBSnapshot, 'DBSnapshotIdentifier' | 'SnapshotCreateTime' | 'Status'>;
/** DescribeDBSnapshots output: one page. */
export interface DescribeDBSnapshotsOutput extends MetadataBearer {
  Marker?: string;
  DBSnapshots?: DbSnapshotSummary[];
}

type ReadInput = DescribeDBInstancesInput | DescribeDBSnapshotsInput;
type ReadOutput = DescribeDBInstancesOutput | DescribeDBSnapshotsOutput;

// Operation schemas: the shapes of client-rds's schemas_0.js (same names, same xmlName of list members), members cut to what Notify reads.
const DBInstance$: StaticStructureSchema = [3, NAMESPACE, 'DBInstance', 0, ['DBInstanceIdentifier', 'DBClusterIdentifier', 'LatestRestorableTime'], [STRING, STRING, TIMESTAMP]];
const DBInstanceList: StaticListSchema = [1, NAMESPACE, 'DBInstanceList', 0, [() => DBInstance$, { xmlName: 'DBInstance' }]];
const DBInstanceMessage$: StaticStructureSchema = [3, NAMESPACE, 'DBInstanceMessage', 0, ['Marker', 'DBInstances'], [STRING, [() => DBInstanceList, 0]]];
const DescribeDBInstancesMessage$: StaticStructureSchema = [
  3,
  NAMESPACE,
  'DescribeDBInstancesMessage',
  0,
  ['DBInstanceIdentifier', 'MaxRecords', 'Marker'],
  [STRING, INTEGER, STRING],
];
const DescribeDBInstances$: StaticOperationSchema = [9, NAMESPACE, 'DescribeDBInstances', 0, () => DescribeDBInstancesMessage$, () => DBInstanceMessage$];

const DBSnapshot$: StaticStructureSchema = [3, NAMESPACE, 'DBSnapshot', 0, ['DBSnapshotIdentifier', 'SnapshotCreateTime', 'Status'], [STRING, TIMESTAMP, STRING]];
const DBSnapshotList: StaticListSchema = [1, NAMESPACE, 'DBSnapshotList', 0, [() => DBSnapshot$, { xmlName: 'DBSnapshot' }]];
const DBSnapshotMessage$: StaticStructureSchema = [3, NAMESPACE, 'DBSnapshotMessage', 0, ['Marker', 'DBSnapshots'], [STRING, [() => DBSnapshotList, 0]]];
const DescribeDBSnapshotsMessage$: StaticStructureSchema = [
  3,
  NAMESPACE,
  'DescribeDBSnapshotsMessage',
  0,
  ['DBInstanceIdentifier', 'SnapshotType', 'MaxRecords', 'Marker'],
  [STRING, STRING, INTEGER, STRING],
];
const DescribeDBSnapshots$: StaticOperationSchema = [9, NAMESPACE, 'DescribeDBSnapshots', 0, () => DescribeDBSnapshotsMessage$, () => DBSnapshotMessage$];

/**
 * The base of every RDS error this client raises (client-rds's RDSServiceException). An error
 * code without a class of its own (AccessDenied, Throttling, InvalidClientTokenId, …) becomes
 * one of these whose `name` is the code and whose `message` is RDS's message.
 */
export class RdsServiceException extends ServiceException {
  public constructor(options: ServiceExceptionOptions) {
    super(options);
    Object.setPrototypeOf(this, RdsServiceException.prototype);
  }
}

/** DescribeDBInstances with a DBInstanceIdentifier that names no instance (Query error code DBInstanceNotFound, HTTP 404). */
export class DBInstanceNotFoundFault extends RdsServiceException {
  public override readonly name = 'DBInstanceNotFoundFault' as const;
  public override readonly $fault = 'client' as const;
  public constructor(options: Omit<ServiceExceptionOptions, 'name' | '$fault'>) {
    super({ name: 'DBInstanceNotFoundFault', $fault: 'client', ...options });
    Object.setPrototypeOf(this, DBInstanceNotFoundFault.prototype);
  }
}

/** DescribeDBSnapshots naming a snapshot that does not exist (Query error code DBSnapshotNotFound, HTTP 404). */
export class DBSnapshotNotFoundFault extends RdsServiceException {
  public override readonly name = 'DBSnapshotNotFoundFault' as const;
  public override readonly $fault = 'client' as const;
  public constructor(options: Omit<ServiceExceptionOptions, 'name' | '$fault'>) {
    super({ name: 'DBSnapshotNotFoundFault', $fault: 'client', ...options });
    Object.setPrototypeOf(this, DBSnapshotNotFoundFault.prototype);
  }
}

/**
 * The error registries the protocol reads error responses with: the synthetic base exception
 * (the fallback for any other code) and the two errors the operations document
 * (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DescribeDBInstances.html#API_DescribeDBInstances_Errors,
 * https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DescribeDBSnapshots.html#API_DescribeDBSnapshots_Errors).
 * Built on first use, so that loading this module registers nothing.
 */
let errorRegistries: TypeRegistry[] | undefined;
function rdsErrorRegistries(): TypeRegistry[] {
  if (errorRegistries !== undefined) return errorRegistries;
  const synthetic = new TypeRegistry(SYNTHETIC_NAMESPACE);
  const base: StaticErrorSchema = [-3, SYNTHETIC_NAMESPACE, 'RDSServiceException', 0, [], []];
  synthetic.registerError(base, RdsServiceException);
  const rds = new TypeRegistry(NAMESPACE);
  const notFound = (name: string, code: string): StaticErrorSchema => [-3, NAMESPACE, name, { awsQueryError: [code, 404], error: 'client', httpError: 404 }, ['message'], [STRING]];
  rds.registerError(notFound('DBInstanceNotFoundFault', 'DBInstanceNotFound'), DBInstanceNotFoundFault);
  rds.registerError(notFound('DBSnapshotNotFoundFault', 'DBSnapshotNotFound'), DBSnapshotNotFoundFault);
  errorRegistries = [synthetic, rds];
  return errorRegistries;
}

/** client-rds's runtimeConfig.shared.js, with this file's error registries. */
function sharedRuntimeConfig(config: RDSClientConfig) {
  return {
    apiVersion: API_VERSION,
    base64Decoder: config.base64Decoder ?? fromBase64,
    base64Encoder: config.base64Encoder ?? toBase64,
    disableHostPrefix: config.disableHostPrefix ?? false,
    endpointProvider: config.endpointProvider ?? defaultEndpointResolver,
    extensions: config.extensions ?? [],
    httpAuthSchemeProvider: config.httpAuthSchemeProvider ?? defaultRDSHttpAuthSchemeProvider,
    httpAuthSchemes: config.httpAuthSchemes ?? [
      {
        schemeId: 'aws.auth#sigv4',
        identityProvider: (ipc: { getIdentityProvider(schemeId: string): unknown }) => ipc.getIdentityProvider('aws.auth#sigv4'),
        signer: new AwsSdkSigV4Signer(),
      },
    ],
    logger: config.logger ?? new NoOpLogger(),
    protocol: config.protocol ?? AwsQueryProtocol,
    protocolSettings: config.protocolSettings ?? {
      defaultNamespace: NAMESPACE,
      errorTypeRegistries: rdsErrorRegistries(),
      xmlNamespace: `http://rds.amazonaws.com/doc/${API_VERSION}/`,
      version: API_VERSION,
      serviceTarget: SERVICE_TARGET,
    },
    serviceId: config.serviceId ?? 'RDS',
    sha256: config.sha256 ?? Sha256,
    urlParser: config.urlParser ?? parseUrl,
    utf8Decoder: config.utf8Decoder ?? fromUtf8,
    utf8Encoder: config.utf8Encoder ?? toUtf8,
  };
}

/** client-rds's runtimeConfig.js (Node). */
function runtimeConfig(config: RDSClientConfig) {
  emitWarningIfUnsupportedVersion(process.version);
  const defaultsMode = resolveDefaultsModeConfig(config);
  const defaultConfigProvider = () => defaultsMode().then(loadConfigsForDefaultMode);
  const clientSharedValues = sharedRuntimeConfig(config);
  awsCheckVersion(process.version);
  const loaderConfig = { profile: (config as { profile?: string }).profile, logger: clientSharedValues.logger };
  return {
    ...clientSharedValues,
    ...config,
    runtime: 'node',
    defaultsMode,
    authSchemePreference: config.authSchemePreference ?? loadNodeConfig(NODE_AUTH_SCHEME_PREFERENCE_OPTIONS, loaderConfig),
    bodyLengthChecker: config.bodyLengthChecker ?? calculateBodyLength,
    credentialDefaultProvider: config.credentialDefaultProvider ?? credentialDefaultProvider,
    defaultSocketTimeout: getDefaultSocketTimeout(config.requestHandler as never, 900_000),
    defaultUserAgentProvider:
      config.defaultUserAgentProvider ?? createDefaultUserAgentProvider({ serviceId: clientSharedValues.serviceId, clientVersion: MIRRORED_CLIENT_RDS_VERSION }),
    maxAttempts: config.maxAttempts ?? loadNodeConfig(NODE_MAX_ATTEMPT_CONFIG_OPTIONS, config),
    region: config.region ?? loadNodeConfig(NODE_REGION_CONFIG_OPTIONS, { ...NODE_REGION_CONFIG_FILE_OPTIONS, ...loaderConfig }),
    requestHandler: NodeHttpHandler.create((config.requestHandler ?? defaultConfigProvider) as never),
    retryMode:
      config.retryMode ??
      loadNodeConfig({ ...NODE_RETRY_MODE_CONFIG_OPTIONS, default: async () => (await defaultConfigProvider()).retryMode || DEFAULT_RETRY_MODE }, config),
    streamCollector: config.streamCollector ?? streamCollector,
    useDualstackEndpoint: config.useDualstackEndpoint ?? loadNodeConfig(NODE_USE_DUALSTACK_ENDPOINT_CONFIG_OPTIONS, loaderConfig),
    useFipsEndpoint: config.useFipsEndpoint ?? loadNodeConfig(NODE_USE_FIPS_ENDPOINT_CONFIG_OPTIONS, loaderConfig),
    userAgentAppId: config.userAgentAppId ?? loadNodeConfig(NODE_APP_ID_CONFIG_OPTIONS, loaderConfig),
  };
}

/**
 * RDS reads with the SDK's client machinery (client-rds's RDSClient.js): DescribeDBInstances and
 * DescribeDBSnapshots only. Takes RDSClient's configuration (region, endpoint, retries, timeouts…).
 */
export class RdsReadClient extends Client<HttpHandlerOptions, ReadInput, ReadOutput, RDSClientResolvedConfig> {
  public readonly config: RDSClientResolvedConfig;

  public constructor(configuration: RDSClientConfig = {}) {
    const config0 = runtimeConfig(configuration);
    super(config0 as never);
    this.initConfig = config0;
    const config1 = resolveClientEndpointParameters(config0);
    const config2 = resolveUserAgentConfig(config1);
    const config3 = resolveRetryConfig(config2);
    const config4 = resolveRegionConfig(config3);
    const config5 = resolveHostHeaderConfig(config4);
    const config6 = resolveEndpointConfig(config5 as never);
    const config7 = resolveHttpAuthSchemeConfig(config6 as never);
    this.config = resolveRuntimeExtensions(config7, configuration.extensions ?? []);
    this.middlewareStack.use(getSchemaSerdePlugin(this.config as never));
    this.middlewareStack.use(getUserAgentPlugin(this.config));
    this.middlewareStack.use(getRetryPlugin(this.config));
    this.middlewareStack.use(getContentLengthPlugin(this.config));
    this.middlewareStack.use(getHostHeaderPlugin(this.config));
    this.middlewareStack.use(getLoggerPlugin(this.config));
    this.middlewareStack.use(getRecursionDetectionPlugin(this.config));
    this.middlewareStack.use(
      getHttpAuthSchemeEndpointRuleSetPlugin(this.config, {
        httpAuthSchemeParametersProvider: defaultRDSHttpAuthSchemeParametersProvider,
        identityProviderConfigProvider: async (config) => new DefaultIdentityProviderConfig({ 'aws.auth#sigv4': config.credentials }),
      }),
    );
    this.middlewareStack.use(getHttpSigningPlugin(this.config));
  }
}

/** client-rds's commandBuilder.js `command` (its RDS-only cross-region presign plugin is for copy/create calls, not these reads). */
const command = makeBuilder<RDSClientResolvedConfig, ReadInput, ReadOutput>(commonParams, SERVICE_TARGET, 'RDSClient', getEndpointPlugin);
const noPlugins = () => [];

/** DescribeDBInstances (paged with Marker). */
export class DescribeDBInstancesCommand extends command<DescribeDBInstancesInput, DescribeDBInstancesOutput>({}, noPlugins, 'DescribeDBInstances', DescribeDBInstances$) {}

/** DescribeDBSnapshots (paged with Marker). */
export class DescribeDBSnapshotsCommand extends command<DescribeDBSnapshotsInput, DescribeDBSnapshotsOutput>({}, noPlugins, 'DescribeDBSnapshots', DescribeDBSnapshots$) {}
