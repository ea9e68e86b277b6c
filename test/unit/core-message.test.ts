import { describe, expect, it } from 'vitest';
import { parseCommand } from '../../cli/args';
import {
  buildNotification,
  executionConsoleUrl,
  formatDuration,
  logsInsightsUrl,
  MAX_SUBJECT_LENGTH,
  type MessageOptions,
  nameOfArn,
  parseCause,
  phaseDurations,
  sanitizeSubject,
  serviceIdentity,
  utc,
} from '../../lambdas/core/message';
import type { NotificationKind, RollbackState } from '../../lambdas/shared/types';
import {
  ACCOUNT,
  cooldownSkip,
  dryRun,
  EXECUTION_ARN,
  HOLDER_ARN,
  lockedSkip,
  NOTIFY_INPUTS,
  NOW,
  REPO,
  resolved,
  rolledBack,
  stabilityFailed,
} from '../helpers/notify-states';

const LOG_GROUPS = ['/aws/lambda/riderapp-Prepare', '/aws/lambda/riderapp-Notify'];
const OPTIONS: MessageOptions = { projectName: 'riderapp', now: NOW, cooldownMinutes: 30, logGroupNames: LOG_GROUPS };

function build(kind: NotificationKind, state: Partial<RollbackState>, options: Partial<MessageOptions> = {}) {
  return buildNotification({ kind, state: state as RollbackState }, { ...OPTIONS, ...options });
}

/** The `ecs-rollback …` commands of a body, split as a shell would (single quotes). */
function commandsOf(body: string): string[][] {
  return body
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.startsWith('ecs-rollback '))
    .map((l) => [...l.matchAll(/'((?:[^']|'\\'')*)'|(\S+)/g)].map((m) => (m[1] ?? m[2] ?? '').replace(/'\\''/g, "'")).slice(1));
}

/** Lines a person reads as text: not a link, not a command. */
function proseLines(body: string): string[] {
  return body.split('\n').filter((l) => !/https:\/\//.test(l) && !l.trim().startsWith('ecs-rollback '));
}

/** The section of a body under a title, up to the next blank line. */
function sectionOf(body: string, title: string): string {
  const lines = body.split('\n');
  const start = lines.indexOf(title);
  if (start < 0) return '';
  const end = lines.indexOf('', start);
  return lines.slice(start + 1, end < 0 ? undefined : end).join('\n');
}

describe('success notification', () => {
  it('leads with what happened and what runs now, then the cool-down, why riderapp:15 failed, and a command to roll back further', () => {
    // Act
    const { subject, body } = build('success', rolledBack);

    // Assess
    expect(subject).toBe('[riderapp] Rollback succeeded: riderapp-service riderapp:15 -> riderapp:14');
    const [headline, now] = body.split('\n');
    expect(headline).toBe('Rollback succeeded: riderapp-service is back on riderapp:14 and healthy.');
    expect(now).toBe('Now: riderapp-service is serving riderapp:14 at 3/3, 3 healthy targets, recovered 1 min 49 s after the trigger.');
    const next = sectionOf(body, 'Next steps');
    expect(next).toContain('Cool-down in force until 2026-12-01T03:32:42Z');
    expect(next).toContain('its tasks stopped with "Essential container in task exited"');
    expect(commandsOf(body)).toEqual([
      ['start', '--project', 'riderapp', '--cluster', 'riderapp-cluster', '--service', 'riderapp-service', '--region', 'us-east-1', '--to', 'riderapp:13', '--reason', 'riderapp:14 misbehaves too'],
    ]);
  });

  it('shows the stopped tasks of the failed version with stopCode and exit code, the versions without registry, and no zero-second phase', () => {
    // Act
    const { body } = build('success', rolledBack);

    // Assess
    expect(sectionOf(body, "Why riderapp:15's tasks stopped (ECS stoppedReason)")).toBe(
      '  riderapp:15 5a8c3e7f0b2d4e6a: "Essential container in task exited" (EssentialContainerExited, exit 1) at 2026-12-01T02:59:41Z',
    );
    expect(body).toMatch(/^ {2}From {8}riderapp:15 {2}riderapp:v1\.5\.0$/m);
    expect(body).toMatch(/^ {2}To {10}riderapp:14 \(reused\) {2}riderapp:v1\.4\.0$/m);
    expect(body).not.toContain(REPO);
    expect(sectionOf(body, 'Durations')).toMatch(/Stabilisation\s+1 min 35 s/);
    expect(sectionOf(body, 'Durations')).not.toMatch(/Register task definition/);
    expect(body).not.toMatch(/\b0 s\b/);
  });

  it('links the ECS service, its deployments, the execution and a Logs Insights query over its logs', () => {
    // Act
    const { body } = build('success', rolledBack);

    // Assess
    const links = sectionOf(body, 'Links');
    expect(links).toContain('  Execution   0f1e2d3c');
    expect(links).toContain('https://us-east-1.console.aws.amazon.com/ecs/v2/clusters/riderapp-cluster/services/riderapp-service/health?region=us-east-1');
    expect(links).toContain('https://us-east-1.console.aws.amazon.com/ecs/v2/clusters/riderapp-cluster/services/riderapp-service/deployments?region=us-east-1');
    expect(links).toContain(`https://us-east-1.console.aws.amazon.com/states/home?region=us-east-1#/v2/executions/details/${EXECUTION_ARN}`);
    expect(links).toMatch(/Logs {8}https:\/\/us-east-1\.console\.aws\.amazon\.com\/cloudwatch\/home\?region=us-east-1#logsV2:logs-insights\$3FqueryDetail\$3D~\(/);
  });

  it("names ECS's own rollback when the execution only followed it, without a cool-down", () => {
    // Prepare
    const watched: RollbackState = {
      ...rolledBack,
      request: { ...rolledBack.request!, action: 'watch', actionReason: 'EcsRollbackInProgress', actionMessage: 'ECS is already rolling back to riderapp:14' },
      target: undefined,
      registration: undefined,
    };

    // Act
    const { subject, body } = build('success', watched);

    // Assess
    expect(subject).toBe('[riderapp] ECS rollback succeeded: riderapp-service -> riderapp:14');
    expect(body).toContain('ECS is already rolling back to riderapp:14 (EcsRollbackInProgress)');
    expect(body).not.toContain('Cool-down');
  });
});

describe('skipped notification', () => {
  it('says the cool-down in force and when it ends, and how to roll back anyway', () => {
    // Act
    const { subject, body } = build('skipped', cooldownSkip);

    // Assess
    expect(subject).toBe('[riderapp] Rollback skipped: riderapp-service (CooldownActive)');
    expect(body.split('\n')[0]).toBe('Rollback skipped for riderapp-service: nothing was changed.');
    expect(body.split('\n')[1]).toMatch(/^Now: riderapp-service is as it was\. Why: .*pause until 2026-12-01T03:25:00Z/);
    expect(sectionOf(body, 'Next steps')).toContain('Cool-down in force until 2026-12-01T03:25:00Z');
    const commands = commandsOf(body);
    expect(commands.map((c) => c.includes('--dry-run'))).toEqual([true, false]);
    expect(commands[1]).toEqual(expect.arrayContaining(['start', '--cluster', 'riderapp-cluster', '--service', 'riderapp-service']));
  });

  it('names the execution that holds the lock and gives the commands to follow or abort it', () => {
    // Act
    const { body } = build('skipped', lockedSkip);

    // Assess
    expect(sectionOf(body, 'Next steps')).toContain('Execution auto-1 is rolling riderapp-service back');
    expect(commandsOf(body)).toEqual([
      ['status', HOLDER_ARN],
      ['abort', HOLDER_ARN],
    ]);
    expect(proseLines(body).join('\n')).not.toContain('arn:aws');
  });

  it('changes nothing and says so when the service already runs the target', () => {
    // Prepare
    const state = { ...resolved, target: { ...resolved.target!, outcome: 'skip' as const, reason: 'AlreadyOnTarget', message: 'riderapp-service already runs riderapp:14' } };

    // Act
    const { subject, body } = build('skipped', state);

    // Assess
    expect(subject).toBe('[riderapp] Rollback skipped: riderapp-service (AlreadyOnTarget)');
    expect(body.split('\n')[1]).toBe('Now: riderapp-service still runs riderapp:15. Why: riderapp-service already runs riderapp:14 (AlreadyOnTarget)');
    expect(commandsOf(body)).toEqual([]);
  });
});

describe('dry-run notification', () => {
  it('shows the plan and the command that carries it out', () => {
    // Act
    const { subject, body } = build('dry-run', dryRun);

    // Assess
    expect(subject).toBe('[riderapp] Rollback dry run: riderapp-service riderapp:15 -> riderapp:14');
    expect(body.split('\n')[1]).toBe('Now: riderapp-service still runs riderapp:15; a rollback would deploy riderapp:14.');
    expect(sectionOf(body, 'Plan')).toContain('Deploy riderapp:14 as it is');
    expect(sectionOf(body, 'Plan')).toContain('timeout 10 min), then probe riderapp-tg');
    expect(commandsOf(body)).toEqual([
      ['start', '--project', 'riderapp', '--cluster', 'riderapp-cluster', '--service', 'riderapp-service', '--region', 'us-east-1', '--to', 'riderapp:14', '--reason', 'rollback after a dry run'],
    ]);
    expect(body).not.toContain('Cool-down');
  });

  it('names the health URL it would probe without its query token', () => {
    // Prepare
    const request = { ...dryRun.request!, serviceConfig: { ...dryRun.request!.serviceConfig, healthCheckUrl: 'https://riderapp.example.com/health?token=abc123' } };

    // Act
    const { body } = build('dry-run', { ...dryRun, request });

    // Assess
    expect(body).toContain('https://riderapp.example.com/health?…');
    expect(body).not.toContain('abc123');
  });

  it('shows the plan: a copy of riderapp:15 with the previous image, named without its registry', () => {
    // Prepare
    const { taskDefinitionArn: _none, ...imageTarget } = dryRun.target!;
    const state = { ...dryRun, target: { ...imageTarget, source: 'ecr' as const, reason: 'PreviousEcrImage', image: { repositoryUri: REPO, tag: 'v1.4.0' } } };

    // Act
    const { subject, body } = build('dry-run', state);

    // Assess
    expect(subject).toBe('[riderapp] Rollback dry run: riderapp-service riderapp:15 -> riderapp:v1.4.0');
    expect(body).toContain('Register a copy of riderapp:15 with image riderapp:v1.4.0');
  });
});

describe('failure notification', () => {
  it('says the service is degraded, that the cool-down started, and how to roll back to an older revision', () => {
    // Act
    const { subject, body } = build('failure', stabilityFailed);

    // Assess
    expect(subject).toBe('[riderapp] Rollback failed at CheckStability: riderapp-service');
    expect(body.split('\n')[0]).toBe('Rollback FAILED at CheckStability for riderapp-service.');
    expect(body.split('\n')[1]).toBe('Now: service degraded: riderapp-service at 1/3 running, deployment ecs-svc/2222 of riderapp:14 is the latest.');
    expect(sectionOf(body, 'Next steps')).toContain('Cool-down in force until 2026-12-01T03:32:42Z');
    expect(commandsOf(body)[0]).toEqual(expect.arrayContaining(['start', '--to', 'riderapp:13']));
    expect(sectionOf(body, 'What failed')).toContain('  Error       DeploymentFailed');
  });

  it.each([
    ['CheckStability', 'ThrottledAwsError', 'ECS.DescribeServices: ThrottlingException: Rate exceeded'],
    ['ProbeHealth', 'TransientAwsError', 'ELBv2.DescribeTargetHealth: InternalFailure: An internal error occurred.'],
    ['CheckStability', 'States.Timeout', ''],
  ])('says the rollback started but is unconfirmed, not failed or degraded, when %s gave up on %s after UpdateService took effect', (step, error, message) => {
    // Prepare
    const cause = error.startsWith('States.') ? 'The Task timed out.' : JSON.stringify({ errorType: error, errorMessage: message });
    const state: RollbackState = { ...stabilityFailed, stability: { ...stabilityFailed.stability!, status: 'IN_PROGRESS', runningCount: 3 }, failure: { step, error, cause } };

    // Act
    const { subject, body } = build('failure', state);

    // Assess
    expect(subject).toBe(`[riderapp] Rollback unconfirmed at ${step}: riderapp-service`);
    expect(body.split('\n')[0]).toBe(`Rollback of riderapp-service to riderapp:14 STARTED but NOT CONFIRMED: ${step} gave up on ${error}.`);
    expect(body.split('\n')[1]).toContain('Now: UpdateService took effect (deployment ecs-svc/2222 of riderapp:14 is the service\'s latest)');
    expect(body).not.toMatch(/degraded|Rollback FAILED/);
    expect(sectionOf(body, 'What failed')).toContain(`  Error       ${error}`);
  });

  it("names StopServiceDeployment, not UpdateService, when ECS's own rollback of the deployment in flight was started and the watching step gave up", () => {
    // Prepare
    const cause = JSON.stringify({ errorType: 'TransientAwsError', errorMessage: 'ecs:DescribeServiceDeployments: ServerException: Service unavailable. Try again later.' });
    const state: RollbackState = {
      ...stabilityFailed,
      deployment: { ...stabilityFailed.deployment!, method: 'stop-service-deployment', serviceDeploymentArn: 'arn:aws:ecs:us-east-1:111122223333:service-deployment/riderapp-cluster/riderapp-service/abc' },
      stability: { ...stabilityFailed.stability!, status: 'IN_PROGRESS' },
      failure: { step: 'CheckStability', error: 'TransientAwsError', cause },
    };

    // Act
    const { body } = build('failure', state);

    // Assess
    expect(body.split('\n')[1]).toContain('Now: StopServiceDeployment (ROLLBACK) took effect (deployment ecs-svc/2222 of riderapp:14 is the service\'s latest)');
    expect(body).toMatch(/^ {2}Changed +StopServiceDeployment \(ROLLBACK\) was called: deployment ecs-svc\/2222 of riderapp:14/m);
    expect(body).not.toContain('UpdateService');
  });

  it('still says FAILED when the watching step saw the rollback deployment fail (not an AWS error)', () => {
    // Act
    const { subject } = build('failure', stabilityFailed);

    // Assess
    expect(subject).toBe('[riderapp] Rollback failed at CheckStability: riderapp-service');
  });

  it('says nothing changed and offers the retry when a step before UpdateService failed', () => {
    // Prepare
    const cause = JSON.stringify({ errorType: 'AwsCallError', errorMessage: 'ecs:RegisterTaskDefinition: AccessDeniedException: not authorized', trace: ['...'] });
    const state = { ...resolved, failure: { step: 'RegisterTaskDefinition', error: 'AwsCallError', cause } };

    // Act
    const { body } = build('failure', state);

    // Assess
    expect(body.split('\n')[1]).toBe('Now: riderapp-service was not changed and still runs riderapp:15.');
    expect(body).toContain('Message     ecs:RegisterTaskDefinition: AccessDeniedException: not authorized');
    expect(body).not.toContain('"trace"');
    expect(body).not.toContain('Cool-down');
    expect(commandsOf(body)).toEqual([expect.arrayContaining(['start', '--to', 'riderapp:14', '--reason', 'retry after AwsCallError at RegisterTaskDefinition'])]);
  });

  it("does not claim UpdateService was called when ECS's own rollback that the execution followed failed", () => {
    // Prepare
    const state: RollbackState = {
      ...stabilityFailed,
      request: { ...rolledBack.request!, action: 'watch', actionReason: 'EcsRollbackInProgress', actionMessage: 'ECS is already rolling back to riderapp:14' },
      target: undefined,
      registration: undefined,
    };

    // Act
    const { body } = build('failure', state);

    // Assess
    expect(body).not.toContain('UpdateService was called');
    expect(body).toMatch(/^ {2}Changed +Nothing by this execution: ECS's own rollback deployment ecs-svc\/2222 of riderapp:14/m);
    expect(body).not.toContain('Cool-down');
  });

  it('makes sense without a request when Prepare rejected a malformed event, and suggests no command', () => {
    // Prepare
    const state: Partial<RollbackState> = {
      input: { 'detail-type': 'Something Else', detail: {} },
      settings: rolledBack.settings,
      execution: rolledBack.execution,
      failure: {
        step: 'Prepare',
        error: 'ValidationError',
        cause: JSON.stringify({ errorType: 'ValidationError', errorMessage: 'detail-type: not an ECS deployment event, an alarm, or a manual start' }),
      },
    };

    // Act
    const { subject, body, attributes } = build('failure', state);

    // Assess
    expect(subject).toBe('[riderapp] Rollback failed at Prepare: ValidationError');
    expect(body).toContain('the input could not be used');
    expect(body).toContain('detail-type: not an ECS deployment event, an alarm, or a manual start');
    expect(body).toContain('Nothing: the service was not updated.');
    expect(body).toContain('"detail-type":"Something Else"');
    expect(commandsOf(body)).toEqual([]);
    expect(attributes).toMatchObject({ status: 'failure', outcome: 'Failed', cluster: 'unknown', service: 'unknown', detail: 'Prepare' });
  });
});

describe('every notification', () => {
  it.each(NOTIFY_INPUTS)('%s: names instead of ARNs, UTC times to the second, and commands the CLI accepts', (_name, input) => {
    // Act
    const { body } = buildNotification(input, OPTIONS);

    // Assess
    expect(proseLines(body).join('\n')).not.toMatch(/arn:aws/);
    expect(body).not.toMatch(/T\d\d:\d\d:\d\d\.\d+Z/);
    expect(body).not.toMatch(/\b0 s\b/);
    for (const argv of commandsOf(body)) {
      if (argv[0] === 'abort') continue;
      expect(() => parseCommand(argv)).not.toThrow();
    }
  });

  it.each(NOTIFY_INPUTS)('%s: message attributes for subscription filters', (_name, input) => {
    // Act
    const { attributes } = buildNotification(input, OPTIONS);

    // Assess
    expect(attributes).toMatchObject({ status: input.kind, project: 'riderapp', cluster: 'riderapp-cluster', service: 'riderapp-service' });
    expect(Object.values(attributes).every((value) => typeof value === 'string' && value !== '')).toBe(true);
  });

  it.each(NOTIFY_INPUTS)('%s: the chat message is an Amazon Q Developer custom notification', (_name, input) => {
    // Act
    const { chat, subject } = buildNotification(input, OPTIONS);

    // Assess
    expect(chat).toMatchObject({
      version: '1.0',
      source: 'custom',
      id: '0f1e2d3c',
      content: { textType: 'client-markdown', title: expect.stringContaining(subject), description: expect.stringContaining('Now: ') },
      metadata: { threadId: 'riderapp/riderapp-cluster/riderapp-service', summary: subject, relatedResources: expect.arrayContaining([EXECUTION_ARN]) },
    });
    expect(chat.content.nextSteps.length).toBeGreaterThan(0);
    for (const step of chat.content.nextSteps.filter((s) => s.includes('ecs-rollback'))) expect(step).toMatch(/`ecs-rollback [^`]+`/);
    expect(chat.content.keywords).toEqual(expect.arrayContaining(['riderapp', 'riderapp-service']));
    expect(Object.values(chat.metadata.additionalContext).every((v) => typeof v === 'string')).toBe(true);
  });
});

describe('rollback type line', () => {
  it.each([
    ['database', 'database (advice only: the service is left as it is)'],
    ['infrastructure', 'infrastructure (advice only: the service is left as it is)'],
    ['full', 'full (the application image is rolled back; database and infrastructure steps are advice below)'],
  ] as const)('tells a %s rollback what was and was not done', (rollbackType, expected) => {
    // Prepare
    const state = { ...rolledBack, request: { ...rolledBack.request!, rollbackType } };

    // Act
    const { body } = build(rollbackType === 'full' ? 'success' : 'skipped', state);

    // Assess
    expect(body).toMatch(new RegExp(`^ {2}Type +${expected.replace(/[()]/g, '\\$&')}$`, 'm'));
  });

  it('adds no type line to an application rollback', () => {
    expect(build('success', rolledBack).body).not.toMatch(/^ {2}Type /m);
  });

  it.each([
    ['TransientAwsError', 'DynamoDB.PutItem(trigger claim): ServiceUnavailable: DynamoDB is unavailable'],
    ['States.Timeout', 'Task timed out after 60.00 seconds'],
    ['Runtime.ExitError', 'Runtime exited with error: signal: killed'],
  ])('says a DynamoDB outage or a crash in Prepare (%s) is not a problem with the input', (error, message) => {
    // Prepare
    const state: Partial<RollbackState> = {
      input: { cluster: 'riderapp-cluster', service: 'riderapp-service', confirm: 'CONFIRM' },
      settings: rolledBack.settings,
      execution: rolledBack.execution,
      failure: { step: 'Prepare', error, cause: JSON.stringify({ errorType: error, errorMessage: message }) },
    };

    // Act
    const { body } = build('failure', state);

    // Assess
    expect(body).not.toContain('the input could not be used');
    expect(body).toContain(`Rollback failed at Prepare on an AWS or runtime error (${error}), not on its input, so nothing was done`);
    expect(body).toContain('Nothing: the service was not updated.');
  });
});

describe('subject', () => {
  it.each([
    ['riderapp:15 → riderapp:14', 'riderapp:15 -> riderapp:14'],
    ['line one\nline two\r\n', 'line one line two'],
    ['café ✓', 'caf? ?'],
  ])('makes %j ASCII on one line', (raw, expected) => {
    // Act & Assess
    expect(sanitizeSubject(raw)).toBe(expected);
  });

  it('stays under 100 characters for a very long service name', () => {
    // Prepare
    const service = `riderapp-${'x'.repeat(150)}`;

    // Act
    const { subject } = build('success', { ...rolledBack, request: { ...rolledBack.request!, service } });

    // Assess
    expect(subject.length).toBeLessThanOrEqual(MAX_SUBJECT_LENGTH);
    expect(subject).toMatch(/^[\x20-\x7e]+$/);
    expect(subject.endsWith('...')).toBe(true);
  });
});

describe('helpers', () => {
  it.each([
    ['{"errorType":"ValidationError","errorMessage":"service: required"}', { errorType: 'ValidationError', errorMessage: 'service: required' }],
    ['Task timed out after 60.00 seconds', { errorMessage: 'Task timed out after 60.00 seconds' }],
    ['["not", "an", "error"]', { errorMessage: '["not", "an", "error"]' }],
  ])('parses the Cause %j', (cause, expected) => {
    // Act & Assess
    expect(parseCause(cause)).toEqual(expected);
  });

  it.each([
    [`arn:aws:ecs:us-east-1:${ACCOUNT}:task-definition/riderapp:14`, 'riderapp:14'],
    [`arn:aws:ecs:us-east-1:${ACCOUNT}:service/riderapp-cluster/riderapp-service`, 'riderapp-service'],
    [EXECUTION_ARN, '0f1e2d3c'],
    [`arn:aws:elasticloadbalancing:us-east-1:${ACCOUNT}:targetgroup/riderapp-tg/0123456789abcdef`, 'riderapp-tg'],
    [`arn:aws:iam::${ACCOUNT}:role/riderapp-task`, 'riderapp-task'],
  ])('names %s as %s', (arn, name) => {
    expect(nameOfArn(arn)).toBe(name);
  });

  it.each([
    [0.4, undefined],
    [42, '42 s'],
    [95, '1 min 35 s'],
    [120, '2 min'],
    [3720, '1 h 2 min'],
  ])('formats %s seconds as %s', (seconds, text) => {
    expect(formatDuration(seconds)).toBe(text);
  });

  it('writes times in UTC ISO 8601 to the second', () => {
    expect(utc('2026-12-01T03:04:05.400Z')).toBe('2026-12-01T03:04:05Z');
    expect(utc('2026-12-01T04:04:05+01:00')).toBe('2026-12-01T03:04:05Z');
  });

  it('finds cluster and service in an ECS event when there is no request', () => {
    // Act & Assess
    expect(serviceIdentity({ input: { resources: [`arn:aws:ecs:us-east-1:${ACCOUNT}:service/riderapp-cluster/riderapp-service`] } })).toEqual({
      cluster: 'riderapp-cluster',
      service: 'riderapp-service',
    });
  });

  it('measures each phase from the execution start through the step timestamps', () => {
    // Act & Assess
    expect(phaseDurations(rolledBack).map((p) => [p.phase, Math.round(p.seconds)])).toEqual([
      ['Prepare', 1],
      ['Resolve target', 1],
      ['Register task definition', 0],
      ['Update service', 2],
      ['Stabilisation', 95],
      ['Health probe', 2],
    ]);
  });

  it('links no console page for an execution id that is not an ARN (local runs), and no Logs Insights query without log groups', () => {
    // Act & Assess
    expect(executionConsoleUrl('local-execution-1')).toBeUndefined();
    expect(logsInsightsUrl(rolledBack, [], NOW)).toBeUndefined();
  });

  it('puts the query, the log groups and the time range in the Logs Insights link', () => {
    // Act
    const url = logsInsightsUrl(rolledBack, LOG_GROUPS, NOW) ?? '';

    // Assess
    const detail = decodeURIComponent(url.slice(url.indexOf('queryDetail$3D') + 'queryDetail$3D'.length).replace(/\$/g, '%')).replace(/\*/g, '%');
    expect(decodeURIComponent(detail)).toContain(`filter execution_arn = "${EXECUTION_ARN}"`);
    expect(decodeURIComponent(detail)).toContain("~'/aws/lambda/riderapp-Prepare~'/aws/lambda/riderapp-Notify");
    expect(decodeURIComponent(detail)).toContain("start~'2026-12-01T02:55:00.000Z");
  });
});

describe("a task-stops trigger's notification", () => {
  const stop = (taskId: string, cause: 'elb-health-check' | 'essential-container-exited') => ({
    taskId,
    stopCode: cause === 'elb-health-check' ? 'ServiceSchedulerInitiated' : 'EssentialContainerExited',
    stoppedReason: cause === 'elb-health-check' ? 'Task failed ELB health checks in (target-group riderapp-tg)' : 'Essential container in task exited',
    cause,
    stoppedAt: '2026-12-01T02:59:41.000Z',
  });
  const withStops = (state: RollbackState, stops: ReturnType<typeof stop>[], notifyOnly = false): RollbackState => {
    const trigger = state.request?.trigger;
    return {
      ...state,
      request: {
        ...state.request!,
        dryRun: notifyOnly,
        trigger: { ...trigger!, kind: 'task-stops', taskStops: { ...trigger!.taskStops!, threshold: 2, notifyOnly, stops } },
      },
    };
  };

  it.each([
    ['success', rolledBack],
    ['dry-run', dryRun],
  ] as const)('%s: says a rollback may not help when every counted stop was a failed health check (a dependency outage looks the same)', (kind, state) => {
    // Act
    const { body } = build(kind, withStops(state, [stop('a1', 'elb-health-check'), stop('b2', 'elb-health-check')], kind === 'dry-run'));

    // Assess
    expect(body).toContain('A rollback may not help: every counted stop of riderapp:15 was a failed health check');
  });

  it('says nothing of the kind when a container crashed', () => {
    // Act
    const { body } = build('success', withStops(rolledBack, [stop('a1', 'elb-health-check'), stop('b2', 'essential-container-exited')]));

    // Assess
    expect(body).not.toContain('A rollback may not help');
  });

  it("plans ECS's own rollback (StopServiceDeployment) when the counted deployment was still in flight, UpdateService once it had completed", () => {
    // Prepare
    const counted = withStops(dryRun, [stop('a1', 'essential-container-exited'), stop('b2', 'essential-container-exited')], true);
    const at = (rolloutState: string): RollbackState => ({
      ...counted,
      request: { ...counted.request!, trigger: { ...counted.request!.trigger, taskStops: { ...counted.request!.trigger.taskStops!, deploymentId: 'ecs-svc/1111', rolloutState } } },
    });

    // Act
    const inFlight = build('dry-run', at('IN_PROGRESS')).body;
    const completed = build('dry-run', at('COMPLETED')).body;

    // Assess
    expect(inFlight).toMatch(/^ {2}2\. StopServiceDeployment \(ROLLBACK\) riderapp-service in riderapp-cluster: its deployment ecs-svc\/1111 was still IN_PROGRESS, so ECS rolls it back to the revision it replaces \(riderapp:14\)/m);
    expect(inFlight).not.toMatch(/^ {2}2\. UpdateService/m);
    expect(completed).toMatch(/^ {2}2\. UpdateService riderapp-service in riderapp-cluster: riderapp:15 -> riderapp:14$/m);
  });

  it('leads a notify-only dry run with what the detector would have done', () => {
    // Act
    const { body } = build('dry-run', withStops(dryRun, [stop('a1', 'elb-health-check'), stop('b2', 'elb-health-check')], true));

    // Assess
    expect(body).toMatch(/^Notify-only: the task-stop detector counted 2 tasks of riderapp:15 .* would have rolled riderapp-service back; nothing was changed/m);
  });
});
