#!/usr/bin/env node
/**
 * Acceptance test of the package (`npm run test:package`, also run by .ci/run): packs it (`npm pack`,
 * which builds dist/ through `prepack`), installs the tarball into a fresh CDK app in a temporary folder
 * outside the repository, offline (`npm install --offline`, from the tarball and the npm cache that
 * `npm ci` filled), without cdk-nag, and synthesizes a stack that uses EcsAutoRollback next to a
 * FargateService of that app, once from an ES module and once from CommonJS. Each template must have
 * the state machine, the deployment-failure rule on that service's ARN and the alarm rule on the
 * UnHealthyHostCount alarm of its target group, and Lambda code from the prebuilt functions. The
 * installed `ecs-rollback` bin runs in that app (`--version`, `--help`, and `history --json` against a
 * local endpoint that refuses connections, so the bundled Step Functions client is exercised) with
 * neither tsx nor the AWS SDK installed.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const own = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8'));
const work = mkdtempSync(join(tmpdir(), 'ecs-auto-rollback-package-'));
const run = (command, args, cwd) =>
  execFileSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, CDK_DISABLE_VERSION_CHECK: '1' } });

/** The app's lockfile: the tarball, and aws-cdk-lib and constructs with what they need, as our lockfile has them. */
function appLock(pack) {
  const packages = {};
  const visit = (name, from) => {
    // Node's lookup: the nearest node_modules/<name> from the requiring package upwards.
    let dir = from;
    for (;;) {
      const path = `${dir ? `${dir}/` : ''}node_modules/${name}`;
      const entry = lock.packages[path];
      if (entry !== undefined) {
        if (packages[path] !== undefined || entry.inBundle) return;
        const { dev, devOptional, peer, ...kept } = entry;
        packages[path] = kept;
        for (const dependency of Object.keys(entry.dependencies ?? {})) visit(dependency, path);
        for (const dependency of Object.keys(entry.optionalDependencies ?? {})) visit(dependency, path);
        return;
      }
      if (!dir) throw new Error(`package-acceptance: ${name} (needed by ${from || 'the app'}) is not in package-lock.json`);
      dir = dir.includes('/node_modules/') ? dir.slice(0, dir.lastIndexOf('/node_modules/')) : '';
    }
  };
  visit('aws-cdk-lib', '');
  visit('constructs', '');
  packages['node_modules/ecs-auto-rollback'] = {
    version: pack.version,
    resolved: `file:../${pack.filename}`,
    integrity: pack.integrity,
    license: own.license,
    peerDependencies: own.peerDependencies,
    bin: own.bin,
  };
  packages[''] = {
    name: 'shop-infra',
    version: '1.0.0',
    dependencies: {
      'ecs-auto-rollback': `file:../${pack.filename}`,
      'aws-cdk-lib': packages['node_modules/aws-cdk-lib'].version,
      constructs: packages['node_modules/constructs'].version,
    },
  };
  return { name: 'shop-infra', version: '1.0.0', lockfileVersion: 3, requires: true, packages };
}

try {
  // Pack
  const packed = JSON.parse(run('npm', ['pack', '--json', '--pack-destination', work], ROOT));
  const files = packed[0].files.map((f) => f.path);
  for (const expected of ['dist/index.js', 'dist/index.cjs', 'dist/types/lib/index.d.ts', 'dist/rollback.asl.json', 'dist/lambdas/prepare/index.mjs', 'dist/cli/ecs-rollback.mjs', 'CHANGELOG.md']) {
    assert.ok(files.includes(expected), `the tarball has ${expected}`);
  }
  assert.ok(!files.some((f) => f.startsWith('test/') || f.startsWith('node_modules/')), 'the tarball has no tests or node_modules');

  // A fresh CDK app, offline, without cdk-nag
  const app = join(work, 'app');
  run('mkdir', ['-p', app], work);
  const dependencies = {
    'ecs-auto-rollback': `file:../${packed[0].filename}`,
    'aws-cdk-lib': lock.packages['node_modules/aws-cdk-lib'].version,
    constructs: lock.packages['node_modules/constructs'].version,
  };
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'shop-infra', version: '1.0.0', private: true, dependencies }, null, 2));
  // npm ci caches tarballs, not registry metadata: the app gets a lockfile with the peers' versions and
  // integrity from ours, so `npm ci --offline` installs them from the cache.
  writeFileSync(join(app, 'package-lock.json'), JSON.stringify(appLock(packed[0]), null, 2));
  run('npm', ['ci', '--offline', '--no-audit', '--no-fund', '--ignore-scripts'], app);
  assert.ok(!existsSync(join(app, 'node_modules', 'cdk-nag')), 'cdk-nag is not installed in the app');
  assert.ok(!existsSync(join(app, 'node_modules', 'esbuild')), 'esbuild is not installed in the app');

  // The installed CLI runs without dev dependencies
  for (const absent of ['tsx', '@aws-sdk/client-sfn']) {
    assert.ok(!existsSync(join(app, 'node_modules', absent)), `${absent} is not installed in the app`);
  }
  const cli = join(app, 'node_modules', '.bin', 'ecs-rollback');
  assert.equal(run(cli, ['--version'], app), `ecs-rollback ${own.version}\n`, 'ecs-rollback --version prints the package version');
  assert.match(run(cli, ['--help'], app), /^Usage:\n\s+ecs-rollback start/m, 'ecs-rollback --help prints the usage');
  const refused = spawnSync(cli, ['history', '--project', 'shop', '--region', 'us-east-1', '--json'], {
    cwd: app,
    encoding: 'utf8',
    timeout: 60_000,
    env: {
      ...process.env,
      AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
      AWS_ACCESS_KEY_ID: 'AKIDPACKAGETEST',
      AWS_SECRET_ACCESS_KEY: 'package-test',
      AWS_MAX_ATTEMPTS: '1',
    },
  });
  assert.notEqual(refused.status, 0, 'ecs-rollback history fails when Step Functions cannot be reached');
  assert.doesNotMatch(refused.stderr, /Cannot find (module|package)|ERR_MODULE_NOT_FOUND/, 'the bundled Step Functions client loads');
  assert.match(refused.stderr, /ECONNREFUSED|connect/i, 'ecs-rollback history reached for the endpoint');
  console.log('ok ecs-rollback: --version, --help and history run from the installed bin without tsx or the AWS SDK');

  const body = (load) => `${load}
const app = new App({ outdir: process.argv[2] });
const stack = new Stack(app, 'Shop');
const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 0 });
const cluster = new ecs.Cluster(stack, 'Cluster', { vpc });
const repository = new ecr.Repository(stack, 'Repository');
const taskDefinition = new ecs.FargateTaskDefinition(stack, 'TaskDef');
taskDefinition.addContainer('web', { image: ecs.ContainerImage.fromEcrRepository(repository, 'v1'), portMappings: [{ containerPort: 80 }] });
const service = new ecs.FargateService(stack, 'Web', { cluster, taskDefinition });
const alb = new elbv2.ApplicationLoadBalancer(stack, 'Alb', { vpc, internetFacing: true });
const targetGroup = alb.addListener('Http', { port: 80 }).addTargets('Web', { port: 80, targets: [service] });

const rollback = new EcsAutoRollback(stack, 'Rollback', {
  project: 'shop',
  services: [{ service, repository, targetGroup }],
  notificationEmails: ['oncall@shop.example.com'],
});
rollback.grantStart(new iam.Role(stack, 'Operator', { assumedBy: new iam.AccountRootPrincipal() }));
app.synth();
console.log(JSON.stringify({ service: stack.getLogicalId(service.node.defaultChild), cluster: stack.getLogicalId(cluster.node.defaultChild) }));
`;
  writeFileSync(
    join(app, 'app.mjs'),
    body(`import { App, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { EcsAutoRollback } from 'ecs-auto-rollback';`),
  );
  writeFileSync(
    join(app, 'app.cjs'),
    body(`const { App, Stack } = require('aws-cdk-lib');
const ec2 = require('aws-cdk-lib/aws-ec2');
const ecr = require('aws-cdk-lib/aws-ecr');
const ecs = require('aws-cdk-lib/aws-ecs');
const elbv2 = require('aws-cdk-lib/aws-elasticloadbalancingv2');
const iam = require('aws-cdk-lib/aws-iam');
const { EcsAutoRollback } = require('ecs-auto-rollback');`),
  );

  for (const entry of ['app.mjs', 'app.cjs']) {
    // Act
    const outdir = join(work, `cdk.out-${entry}`);
    const { service, cluster } = JSON.parse(run('node', [entry, outdir], app).trim().split('\n').pop());
    const template = JSON.parse(readFileSync(join(outdir, 'Shop.template.json'), 'utf8'));
    const resources = Object.values(template.Resources);
    const ofType = (type) => resources.filter((r) => r.Type === type);

    // Assess
    assert.equal(ofType('AWS::StepFunctions::StateMachine').length, 1, `${entry}: one state machine`);
    const rules = ofType('AWS::Events::Rule').map((r) => r.Properties.EventPattern);
    const deploymentFailed = rules.find((p) => p.detail?.eventName?.includes('SERVICE_DEPLOYMENT_FAILED'));
    assert.deepEqual(
      deploymentFailed?.resources,
      [{ suffix: { 'Fn::Join': ['', [':service/', { Ref: cluster }, '/', { 'Fn::GetAtt': [service, 'Name'] }]] } }],
      `${entry}: the deployment-failure rule matches the app's FargateService`,
    );
    const [alarm] = ofType('AWS::CloudWatch::Alarm');
    assert.equal(alarm?.Properties.MetricName, 'UnHealthyHostCount', `${entry}: the target group's alarm`);
    const alarmRule = rules.find((p) => p.source?.includes('aws.cloudwatch'));
    assert.deepEqual(alarmRule?.detail.alarmName, [alarm.Properties.AlarmName], `${entry}: the alarm rule matches that alarm`);
    const functions = ofType('AWS::Lambda::Function').filter((f) => f.Properties.Description?.startsWith('ecs-auto-rollback'));
    assert.equal(functions.length, 9, `${entry}: eight task functions and the task-stop detector`);
    assert.ok(functions.some((f) => f.Properties.Description === 'ecs-auto-rollback: DetectTaskStops'), `${entry}: the task-stop detector`);
    const taskStops = rules.find((p) => p['detail-type']?.includes('ECS Task State Change'));
    assert.deepEqual(taskStops?.detail.desiredStatus, ['STOPPED'], `${entry}: the task-stop detector's rule on stopping tasks`);
    const assets = readdirSync(outdir).filter((name) => name.startsWith('asset.'));
    assert.ok(assets.some((name) => existsSync(join(outdir, name, 'index.mjs'))), `${entry}: Lambda code from the prebuilt functions`);
    console.log(`ok ${entry}: state machine, rule on ${service}, alarm ${JSON.stringify(alarm.Properties.AlarmName)}, 8 prebuilt functions and the task-stop detector`);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
