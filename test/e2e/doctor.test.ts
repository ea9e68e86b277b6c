/**
 * `ecs-rollback doctor` end to end on the stand-in: the world's stack as the CDK app deploys it
 * (local/harness/deployed-stack.ts, the roles holding exactly lib/permissions.ts's grants), read
 * through the CLI with unmodified SDK clients; one scenario for the healthy setup and one per
 * warning and failure, each asserting the finding's status, its line and its fix.
 */
import { DeleteItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { describe, expect, it } from 'vitest';
import type { Finding } from '../../cli/doctor';
import { runCli } from '../../cli/run';
import { type DeployedStack, type DeployStackOptions, deployStack } from '../../local/harness/deployed-stack';
import { RIDERAPP, type World, type WorldOptions } from '../../local/harness/index';
import { stepFunctionsOf } from '../../local/harness/run';
import { useBundledWorlds } from '../helpers/bundled-worlds';
import { standInCli } from '../helpers/stand-in-cli';

const worlds = useBundledWorlds();

/** A world whose target group has tuned health checks (10 s × 3) and whose stack is deployed. */
async function deployed(options: Omit<WorldOptions, 'bundles'> = {}, stackOptions: DeployStackOptions = {}): Promise<{ world: World; stack: DeployedStack }> {
  const world = await worlds.start(options);
  const tg = world.model.findTargetGroup(world.riderapp!.targetGroupArn) as { healthCheckIntervalSeconds: number; healthyThresholdCount: number };
  tg.healthCheckIntervalSeconds = 10;
  tg.healthyThresholdCount = 3;
  return { world, stack: deployStack(world, stackOptions) };
}

async function doctor(world: World, args: string[] = ['--project', 'riderapp']): Promise<{ code: number; findings: Finding[]; text: string; stderr: string }> {
  const json = standInCli(world);
  const code = await runCli(['doctor', ...args, '--json'], json.io);
  const parsed = json.stdout() === '' ? { findings: [] } : (JSON.parse(json.stdout()) as { findings: Finding[] });
  const text = standInCli(world);
  await runCli(['doctor', ...args], text.io);
  return { code, findings: parsed.findings, text: text.stdout(), stderr: json.stderr() };
}

const of = (findings: Finding[], check: string): Finding[] => findings.filter((f) => f.check === check);
const SERVICE = `${RIDERAPP.cluster}/${RIDERAPP.service}`;

describe('ecs-rollback doctor on the stand-in', () => {
  it('finds every check ok on the healthy setup, exits 0, and prints one line per finding', async () => {
    const { world } = await deployed();

    const result = await doctor(world);

    expect(result.findings.filter((f) => f.status !== 'ok'), result.text).toEqual([]);
    expect(result.code, result.stderr).toBe(0);
    const checks = new Set(result.findings.map((f) => f.check));
    for (const check of [
      'state-machine',
      'stack',
      'services-config',
      'rule',
      'dead-letter-queue',
      'operations-key',
      'executions',
      'service',
      'circuit-breaker',
      'minimum-healthy-percent',
      'containers',
      'ecr-images',
      'deployment-history',
      'target-group',
      'alarm',
      'lock',
      'permissions',
      'task-stop-detector',
    ]) {
      expect(checks, `check ${check}`).toContain(check);
    }
    expect(of(result.findings, 'rule')).toHaveLength(4);
    expect(of(result.findings, 'rule').find((f) => f.message.includes('TaskStopDetectorTaskStopped0'))?.message).toContain('targets the task-stop detector (with a DLQ)');
    expect(of(result.findings, 'task-stop-detector')[0]?.message).toMatch(/^on: 1 rule\(s\) deliver the stopped tasks of all 1 watched service\(s\) to riderapp-ecs-auto-rollback-TaskStopDetectorFunction-/);
    expect(of(result.findings, 'containers')[0]?.message).toContain('rolled back: riderapp');
    expect(of(result.findings, 'target-group')[0]?.message).toContain('healthy 20-30 s after registration');
    expect(result.text).toMatch(/^OK {4}riderapp-cluster\/riderapp-service {2}circuit-breaker: circuit breaker on, its rollback off/m);
  });

  it('finds the stack of a construct in a stack of the user\'s through the state machine\'s tags', async () => {
    const world = await worlds.start();
    deployStack(world, { stackName: 'platform-services', constructPrefix: 'Rollback' });

    const result = await doctor(world, ['--state-machine-arn', stepFunctionsOf(world).stateMachineArn]);

    expect(of(result.findings, 'stack')[0]).toMatchObject({ status: 'ok', message: 'stack platform-services: CREATE_COMPLETE' });
    expect(of(result.findings, 'services-config')[0]).toMatchObject({ status: 'ok', message: `1 watched service(s): ${SERVICE}` });
    expect(of(result.findings, 'permissions')[0]?.status).toBe('ok');
  });

  it('finds the state machine by its project tag when no state machine has the project\'s name', async () => {
    const world = await worlds.start();
    deployStack(world, { stackName: 'shop-platform', constructPrefix: 'Rollback', projectTag: 'shop' });

    const cli = standInCli(world);
    const code = await runCli(['doctor', '--project', 'shop', '--json'], cli.io);

    expect(code, cli.stderr()).not.toBe(2);
    expect(JSON.parse(cli.stdout())).toMatchObject({ stateMachineArn: stepFunctionsOf(world).stateMachineArn, stackName: 'shop-platform' });
    expect(world.standIn.calls.all().filter((c) => c.operation === 'ListTagsForResource').length).toBeGreaterThan(0);
  });

  it('says which project it looked for when no state machine has its name or tag (exit 2)', async () => {
    const world = await worlds.start();
    deployStack(world);

    const cli = standInCli(world);
    const code = await runCli(['doctor', '--project', 'nosuch'], cli.io);

    expect(code).toBe(2);
    expect(cli.stderr()).toContain('no state machine named nosuch-ecs-auto-rollback or tagged ecs-auto-rollback:project=nosuch');
  });

  it('warns that the stack cannot be read when the state machine carries no CloudFormation tags, and fails the services it then cannot find', async () => {
    const world = await worlds.start();
    stepFunctionsOf(world);

    const result = await doctor(world);

    expect(of(result.findings, 'stack')[0]).toMatchObject({ status: 'warn', fix: 'deploy with CloudFormation (cdk deploy)' });
    expect(of(result.findings, 'services-config')[0]).toMatchObject({
      status: 'fail',
      message: 'cannot read the watched services: the state machine carries no aws:cloudformation:stack-name tag',
    });
    expect(result.code).toBe(6);
  });

  it('fails the circuit breaker when it is off, with the update-service fix, and exits 6', async () => {
    const { world } = await deployed({ riderapp: { circuitBreaker: false } });

    const result = await doctor(world);

    expect(of(result.findings, 'circuit-breaker')[0]).toMatchObject({ status: 'fail', subject: SERVICE });
    expect(of(result.findings, 'circuit-breaker')[0]?.fix).toContain('deploymentCircuitBreaker={enable=true,rollback=false}');
    expect(result.code).toBe(6);
    expect(result.text).toMatch(/^FAIL {2}riderapp-cluster\/riderapp-service {2}circuit-breaker: the deployment circuit breaker is off/m);
    expect(result.text).toMatch(/^ {6}fix: aws ecs update-service --cluster riderapp-cluster --service riderapp-service/m);
  });

  it("says when ECS's own circuit-breaker rollback is on (the state machine then watches ECS's rollback)", async () => {
    const { world } = await deployed({ riderapp: { ecsRollback: true } });

    const result = await doctor(world);

    expect(of(result.findings, 'circuit-breaker')[0]).toMatchObject({ status: 'ok' });
    expect(of(result.findings, 'circuit-breaker')[0]?.message).toContain("ECS's own rollback");
  });

  it('warns about the AWS default health checks (30 s × 5): rollbacks wait up to 150 s, and exits 5', async () => {
    const world = await worlds.start();
    deployStack(world);

    const result = await doctor(world);

    const [tg] = of(result.findings, 'target-group');
    expect(tg).toMatchObject({ status: 'warn' });
    expect(tg?.message).toContain('interval 30 s, healthy 5, unhealthy 2');
    expect(tg?.message).toContain('healthy 120-150 s after registration');
    expect(tg?.fix).toContain('--health-check-interval-seconds 10 --healthy-threshold-count 3');
    expect(result.code).toBe(5);
  });

  it('fails when the state table has no services configuration item (nothing is watched), and exits 6', async () => {
    const { world, stack } = await deployed();
    await world.stateTable.client.send(new DeleteItemCommand({ TableName: stack.tableName, Key: { id: { S: 'config#services' } } }));

    const result = await doctor(world);

    expect(of(result.findings, 'services-config')[0]).toMatchObject({
      status: 'fail',
      message: `cannot read the watched services: the state table ${stack.tableName} has no config#services item`,
    });
    expect(of(result.findings, 'service')).toEqual([]);
    expect(result.code).toBe(6);
  });

  it('fails a service on the CODE_DEPLOY deployment controller (no SERVICE_DEPLOYMENT_FAILED, no UpdateService rollback)', async () => {
    const { world } = await deployed();
    world.model.findService(RIDERAPP.cluster, RIDERAPP.service)!.deploymentController = 'CODE_DEPLOY';

    const result = await doctor(world);

    expect(of(result.findings, 'service')[0]).toMatchObject({ status: 'fail', subject: SERVICE });
    expect(of(result.findings, 'service')[0]?.message).toContain('uses the CODE_DEPLOY deployment controller');
    expect(of(result.findings, 'service')[0]?.fix).toContain('ECS (rolling update) deployment controller');
  });

  it('warns about a service that lowers capacity during a rollback, holds one image and has no previous successful deployment', async () => {
    // Prepare: riderapp-worker, created once from the only image of its repository, minimumHealthyPercent 50
    const { world } = await deployed({
      services: [{ cluster: RIDERAPP.cluster, service: 'riderapp-worker', ecrRepository: 'riderapp-worker', alarmNames: [] }],
      seed: (model) => {
        const repository = model.createRepository('riderapp-worker');
        model.pushImage('riderapp-worker', { tags: ['v1.0.0'] });
        const td = model.registerTaskDefinition({ family: 'riderapp-worker', containerDefinitions: [{ name: 'worker', image: `${repository.uri}:v1.0.0`, essential: true }] });
        model.createService({ cluster: RIDERAPP.cluster, name: 'riderapp-worker', taskDefinition: td.arn, desiredCount: 2, minimumHealthyPercent: 50, steadySince: model.now() });
      },
    });

    const result = await doctor(world);

    expect(of(result.findings, 'minimum-healthy-percent')[0]).toMatchObject({ status: 'warn', subject: `${RIDERAPP.cluster}/riderapp-worker` });
    expect(of(result.findings, 'minimum-healthy-percent')[0]?.message).toContain('minimumHealthyPercent is 50');
    expect(of(result.findings, 'minimum-healthy-percent')[0]?.fix).toContain('minimumHealthyPercent=100');
    expect(of(result.findings, 'ecr-images')[0]).toMatchObject({ status: 'fail' });
    expect(of(result.findings, 'ecr-images')[0]?.message).toBe('repository riderapp-worker holds 1 tagged image(s): there is no previous image to roll back to');
    expect(of(result.findings, 'deployment-history')[0]).toMatchObject({ status: 'warn' });
    expect(of(result.findings, 'deployment-history')[0]?.fix).toContain('ecs-rollback start --cluster riderapp-cluster --service riderapp-worker --to');
    expect(of(result.findings, 'target-group')[0]).toMatchObject({ status: 'ok', message: 'no target group: stability is judged by ECS alone' });
  });

  it('fails an alarm name that does not exist (a typo never fires)', async () => {
    const { world } = await deployed({
      services: [{ cluster: RIDERAPP.cluster, service: RIDERAPP.service, ecrRepository: RIDERAPP.ecrRepository, alarmNames: [RIDERAPP.alarmName, 'riderapp-5xx-typo'] }],
    });

    const result = await doctor(world);

    const alarms = of(result.findings, 'alarm');
    expect(alarms.map((f) => f.status)).toEqual(['ok', 'fail']);
    expect(alarms[0]?.message).toBe(`alarm ${RIDERAPP.alarmName} exists (AWS/ApplicationELB/UnHealthyHostCount), state OK`);
    expect(alarms[1]?.message).toBe('alarm riderapp-5xx-typo does not exist: it can never start a rollback');
    expect(alarms[1]?.fix).toContain('alarmNames');
  });

  it('warns about an alarm in ALARM now (it cannot fire again until it recovers)', async () => {
    const { world } = await deployed({
      services: [{ cluster: RIDERAPP.cluster, service: RIDERAPP.service, ecrRepository: RIDERAPP.ecrRepository, alarmNames: ['riderapp-5xx'] }],
    });
    world.standIn.account.alarms.set('riderapp-5xx', {
      name: 'riderapp-5xx',
      namespace: 'AWS/ApplicationELB',
      metricName: 'HTTPCode_Target_5XX_Count',
      dimensions: { LoadBalancer: 'app/riderapp-alb/50dc6c495c0c9188' },
      state: 'ALARM',
      stateReason: 'Threshold Crossed',
      stateSince: world.now(),
      threshold: 10,
      periodSeconds: 60,
      evaluationPeriods: 1,
      comparisonOperator: 'GreaterThanOrEqualToThreshold',
      statistic: 'Sum',
    });

    const result = await doctor(world);

    expect(of(result.findings, 'alarm')[0]).toMatchObject({ status: 'warn' });
    expect(of(result.findings, 'alarm')[0]?.message).toContain('(AWS/ApplicationELB/HTTPCode_Target_5XX_Count) is in ALARM now');
    expect(of(result.findings, 'alarm')[0]?.fix).toContain('alarmsV2:alarm/riderapp-5xx');
  });

  it('fails when no container runs an image of the configured repository, and when the repository does not exist', async () => {
    const { world } = await deployed({
      services: [
        { cluster: RIDERAPP.cluster, service: RIDERAPP.service, ecrRepository: RIDERAPP.ecrRepository, containerNames: ['sidecar'], alarmNames: [] },
        { cluster: RIDERAPP.cluster, service: RIDERAPP.service, ecrRepository: 'ridreapp', alarmNames: [] },
      ],
    });

    const result = await doctor(world);

    const containers = of(result.findings, 'containers');
    expect(containers[0]).toMatchObject({ status: 'fail' });
    expect(containers[0]?.message).toContain('is named sidecar: nothing would be rolled back');
    expect(containers[1]?.message).toContain('runs an image of ECR repository ridreapp');
    const images = of(result.findings, 'ecr-images');
    expect(images[0]).toMatchObject({ status: 'ok' });
    expect(images[1]).toMatchObject({ status: 'fail', message: 'ECR repository ridreapp does not exist' });
  });

  it('fails a health URL that points at the instance metadata service', async () => {
    const { world } = await deployed({
      services: [{ cluster: RIDERAPP.cluster, service: RIDERAPP.service, ecrRepository: RIDERAPP.ecrRepository, healthCheckUrl: 'http://169.254.169.254/latest/meta-data', alarmNames: [] }],
    });

    const result = await doctor(world);

    expect(of(result.findings, 'health-url')[0]).toMatchObject({ status: 'fail' });
    expect(of(result.findings, 'health-url')[0]?.fix).toContain('healthCheckUrl');
  });

  it('warns about trigger events in the dead-letter queue', async () => {
    const { world, stack } = await deployed();
    world.standIn.account.queues.get(stack.deadLetterQueueUrl)!.visible = 2;

    const result = await doctor(world);

    expect(of(result.findings, 'dead-letter-queue')[0]).toMatchObject({
      status: 'warn',
      message: '2 trigger event(s) EventBridge could not deliver are in the dead-letter queue: those rollbacks never started',
    });
  });

  it('warns about a lock held by an execution that is no longer running, with the delete-item fix', async () => {
    const { world, stack } = await deployed();
    const holder = stepFunctionsOf(world).executionArnFor('gone-long-ago');
    await world.stateTable.client.send(
      new PutItemCommand({
        TableName: stack.tableName,
        Item: { id: { S: `lock#${SERVICE}` }, holder: { S: holder }, expiration: { N: String(Math.floor(world.now() / 1000) + 3600) } },
      }),
    );

    const result = await doctor(world);

    expect(of(result.findings, 'lock')[0]).toMatchObject({ status: 'warn' });
    expect(of(result.findings, 'lock')[0]?.message).toContain('which is GONE');
    expect(of(result.findings, 'lock')[0]?.fix).toContain(`aws dynamodb delete-item --table-name ${stack.tableName}`);
  });

  it('fails a disabled rule and a rule that no longer targets the state machine', async () => {
    const { world, stack } = await deployed();
    world.standIn.account.rules.get(stack.ruleNames.deploymentFailed)!.state = 'DISABLED';
    world.standIn.account.rules.get(stack.ruleNames.alarmStateChange)!.targets.splice(0);

    const result = await doctor(world);

    const rules = of(result.findings, 'rule');
    expect(rules.find((f) => f.message.includes(stack.ruleNames.deploymentFailed))).toMatchObject({
      status: 'fail',
      fix: `aws events enable-rule --name ${stack.ruleNames.deploymentFailed}`,
    });
    expect(rules.find((f) => f.message.includes(stack.ruleNames.alarmStateChange))).toMatchObject({
      status: 'fail',
      message: `rule ${stack.ruleNames.alarmStateChange} does not target the state machine: its events never start a rollback`,
    });
  });

  it('fails a detector rule that no longer targets the detector function, and the detector with it', async () => {
    const { world, stack } = await deployed();
    const rule = world.standIn.account.rules.get(stack.ruleNames.taskStopped!)!;
    rule.targets.splice(0, 1, { id: 'Target0', arn: stack.functionArns.ReleaseLock });

    const result = await doctor(world);

    expect(of(result.findings, 'rule').find((f) => f.message.includes(stack.ruleNames.taskStopped!))).toMatchObject({
      status: 'fail',
      message: `rule ${stack.ruleNames.taskStopped} does not target the task-stop detector function: its stopped tasks are never counted`,
    });
    expect(result.code).toBe(6);
  });

  it('fails the detector when its rule is disabled or does not deliver a watched service, naming the service', async () => {
    const { world, stack } = await deployed();
    const rules = world.standIn.account.rules;
    const original = rules.get(stack.ruleNames.taskStopped!)!;
    const pattern = JSON.parse(original.eventPattern) as { detail: { group: string[] } };
    pattern.detail.group = ['service:another-service'];
    rules.set(original.name, { ...original, eventPattern: JSON.stringify(pattern) });

    const missing = await doctor(world);
    rules.set(original.name, { ...original, state: 'DISABLED' });
    const disabled = await doctor(world);

    expect(of(missing.findings, 'task-stop-detector')[0]).toMatchObject({ status: 'fail', subject: 'riderapp' });
    expect(of(missing.findings, 'task-stop-detector')[0]?.message).toContain(`no detector rule delivers the stopped tasks of ${SERVICE}`);
    expect(missing.code).toBe(6);
    expect(of(disabled.findings, 'rule').find((f) => f.message.includes(stack.ruleNames.taskStopped!))).toMatchObject({
      status: 'fail',
      message: `rule ${stack.ruleNames.taskStopped} is DISABLED: its stopped tasks are never counted`,
    });
    expect(of(disabled.findings, 'task-stop-detector')[0]).toMatchObject({ status: 'fail' });
  });

  it('fails the detector when its role may not start the state machine, naming the action and the state machine', async () => {
    const { world, stack } = await deployed();
    const role = world.standIn.account.roles.get(stack.detector!.roleArn)!;
    role.statements.splice(
      role.statements.findIndex((s) => s.actions.includes('states:StartExecution')),
      1,
    );

    const result = await doctor(world);

    expect(of(result.findings, 'task-stop-detector')[0]).toMatchObject({ status: 'fail' });
    expect(of(result.findings, 'task-stop-detector')[0]?.message).toBe(
      `the detector may not do what a detection needs: states:StartExecution on ${stack.stateMachineArn} (implicitDeny)`,
    );
  });

  it('says the detector is off when the stack was deployed without it (taskStopDetector.enabled false)', async () => {
    const { world } = await deployed({}, { detector: false });

    const result = await doctor(world);

    expect(of(result.findings, 'task-stop-detector')).toEqual([
      expect.objectContaining({ status: 'ok', message: expect.stringMatching(/^off \(taskStopDetector.enabled is false\)/) }),
    ]);
    expect(of(result.findings, 'rule')).toHaveLength(3);
    expect(result.code).toBe(0);
  });

  it("fails when the operations topic's key does not let CloudWatch publish", async () => {
    const { world, stack } = await deployed();
    world.standIn.account.keys.get(stack.operationsKeyId)!.policy = JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::111122223333:root' }, Action: 'kms:*', Resource: '*' }],
    });

    const result = await doctor(world);

    expect(of(result.findings, 'operations-key')[0]).toMatchObject({ status: 'fail' });
    expect(of(result.findings, 'operations-key')[0]?.fix).toContain('cloudwatch.amazonaws.com kms:Decrypt and kms:GenerateDataKey*');
  });

  it('fails the permissions when a function role may not do what a rollback needs, naming the function, action and resource', async () => {
    const { world, stack } = await deployed();
    const role = world.standIn.account.roles.get(stack.roleArns.ResolveTarget)!;
    const index = role.statements.findIndex((s) => s.actions.includes('ecr:DescribeImages'));
    role.statements.splice(index, 1);

    const result = await doctor(world);

    expect(of(result.findings, 'permissions')[0]).toMatchObject({ status: 'fail', subject: SERVICE });
    expect(of(result.findings, 'permissions')[0]?.message).toContain(
      'ResolveTarget: ecr:DescribeImages on arn:aws:ecr:us-east-1:111122223333:repository/riderapp (implicitDeny)',
    );
  });

  it('warns about the last executions when one failed, naming it', async () => {
    const { world } = await deployed();
    const sfn = new SFNClient(world.standIn.clientConfig({ maxAttempts: 1 }));
    await sfn.send(
      new StartExecutionCommand({ stateMachineArn: stepFunctionsOf(world).stateMachineArn, name: 'bad-input', input: JSON.stringify({ cluster: 'nope' }) }),
    );
    await stepFunctionsOf(world).settle();

    const result = await doctor(world);

    expect(of(result.findings, 'executions')[0]).toMatchObject({ status: 'warn' });
    expect(of(result.findings, 'executions')[0]?.message).toContain('the latest unsuccessful: bad-input FAILED');
  });
  it('warns about an alarm with INSUFFICIENT_DATA (its metric gets no datapoints: check the dimensions)', async () => {
    const { world } = await deployed({
      services: [{ cluster: RIDERAPP.cluster, service: RIDERAPP.service, ecrRepository: RIDERAPP.ecrRepository, alarmNames: ['riderapp-latency'] }],
    });
    world.standIn.account.alarms.set('riderapp-latency', {
      name: 'riderapp-latency',
      namespace: 'AWS/ApplicationELB',
      metricName: 'TargetResponseTime',
      dimensions: { LoadBalancer: 'app/riderapp-alb/0000000000000000' },
      state: 'INSUFFICIENT_DATA',
      stateReason: 'Insufficient Data: 2 datapoints were unknown.',
      stateSince: world.now(),
      threshold: 2,
      periodSeconds: 60,
      evaluationPeriods: 2,
      comparisonOperator: 'GreaterThanOrEqualToThreshold',
      statistic: 'Average',
    });

    const result = await doctor(world);

    expect(of(result.findings, 'alarm')[0]).toMatchObject({ status: 'warn' });
    expect(of(result.findings, 'alarm')[0]?.message).toBe(
      'alarm riderapp-latency (AWS/ApplicationELB/TargetResponseTime) has INSUFFICIENT_DATA: its metric gets no datapoints (check the dimensions)',
    );
    expect(result.code).toBe(5);
  });

  it('finds a lock held by a running execution ok, and shows an allowed health URL without its query token', async () => {
    const { world, stack } = await deployed({
      services: [
        { cluster: RIDERAPP.cluster, service: RIDERAPP.service, ecrRepository: RIDERAPP.ecrRepository, healthCheckUrl: 'https://riderapp.example.com/health?token=s3cret', alarmNames: [] },
      ],
    });
    const running = stepFunctionsOf(world).track('rolling-back-now', { cluster: RIDERAPP.cluster, service: RIDERAPP.service }).record.executionArn;
    await world.stateTable.client.send(
      new PutItemCommand({
        TableName: stack.tableName,
        Item: { id: { S: `lock#${SERVICE}` }, holder: { S: running }, expiration: { N: String(Math.floor(world.now() / 1000) + 3600) } },
      }),
    );

    const result = await doctor(world);

    expect(of(result.findings, 'health-url')[0]).toMatchObject({ status: 'ok', message: 'health URL https://riderapp.example.com/health?… is allowed' });
    expect(result.text).not.toContain('s3cret');
    expect(of(result.findings, 'lock')[0]).toMatchObject({ status: 'ok', message: `locked by the running execution ${running}` });
  });

  it('warns, naming the permission to add, for each part it may not read itself (dead-letter queue, operations key, executions)', async () => {
    const { world } = await deployed();
    const denied = { kind: 'server-error', code: 'AccessDeniedException', status: 400, message: 'User: arn:aws:iam::111122223333:user/oncall is not authorized' } as const;
    world.standIn.faults.add({ ...denied, service: 'SQS', operation: 'GetQueueAttributes' });
    world.standIn.faults.add({ ...denied, service: 'KMS', operation: 'GetKeyPolicy' });
    world.standIn.faults.add({ ...denied, service: 'SFN', operation: 'ListExecutions' });

    const result = await doctor(world);

    expect(of(result.findings, 'dead-letter-queue')[0]).toMatchObject({ status: 'warn', fix: 'give the caller sqs:GetQueueAttributes on it' });
    expect(of(result.findings, 'dead-letter-queue')[0]?.message).toContain('cannot read the dead-letter queue: SQS.GetQueueAttributes failed: AccessDeniedException');
    expect(of(result.findings, 'operations-key')[0]).toMatchObject({ status: 'warn', fix: 'give the caller kms:GetKeyPolicy on it' });
    expect(of(result.findings, 'executions')[0]).toMatchObject({ status: 'warn', fix: 'give the caller states:ListExecutions' });
    expect(result.code).toBe(5);
  });
});
