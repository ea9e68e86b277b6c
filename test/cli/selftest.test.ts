/** selftest's bounded concurrency and its reading of AccessDenied messages (the SFN client mocked). */
import { DescribeExecutionCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { deniedAction, runSelftests } from '../../cli/selftest';
import type { ServiceConfig } from '../../lambdas/shared/types';

const sfnMock = mockClient(SFNClient);
const MACHINE = 'arn:aws:states:us-east-1:111122223333:stateMachine:riderapp-ecs-auto-rollback';

const services: ServiceConfig[] = Array.from({ length: 7 }, (_, i) => ({
  cluster: 'riderapp-cluster',
  service: `svc-${i}`,
  ecrRepository: 'riderapp',
  alarmNames: [],
}));

describe('ecs-rollback selftest', () => {
  beforeEach(() => sfnMock.reset());

  it('runs at most --concurrency dry runs at once, every service once, as dry runs marked selftest', async () => {
    // Prepare: each execution answers RUNNING twice, then SUCCEEDED
    const polls = new Map<string, number>();
    const running = new Set<string>();
    let most = 0;
    const inputs: unknown[] = [];
    sfnMock.on(StartExecutionCommand).callsFake((input: { name: string; input: string }) => {
      inputs.push(JSON.parse(input.input));
      const executionArn = `${MACHINE.replace(':stateMachine:', ':execution:')}:${input.name}`;
      running.add(executionArn);
      most = Math.max(most, running.size);
      return { executionArn, startDate: new Date() };
    });
    sfnMock.on(DescribeExecutionCommand).callsFake((input: { executionArn: string }) => {
      const count = (polls.get(input.executionArn) ?? 0) + 1;
      polls.set(input.executionArn, count);
      if (count < 3) return { executionArn: input.executionArn, status: 'RUNNING', startDate: new Date() };
      running.delete(input.executionArn);
      return { executionArn: input.executionArn, status: 'SUCCEEDED', startDate: new Date(), stopDate: new Date(), output: '{}' };
    });
    let suffix = 0;

    // Act
    const results = await runSelftests(new SFNClient({ region: 'us-east-1' }), {
      stateMachineArn: MACHINE,
      services,
      concurrency: 3,
      intervalSeconds: 1,
      sleep: () => new Promise((resolve) => setTimeout(resolve, 1)),
      now: () => new Date('2026-12-01T21:00:00Z'),
      randomSuffix: () => String(++suffix),
    });

    // Assess
    expect(most).toBe(3);
    expect(results.map((r) => `${r.service}:${r.result}`)).toEqual(services.map((s) => `${s.service}:plan`));
    expect(inputs).toHaveLength(7);
    expect(inputs).toContainEqual(expect.objectContaining({ cluster: 'riderapp-cluster', service: 'svc-0', dryRun: true, selftest: true }));
    expect(inputs.every((input) => (input as { confirm?: string }).confirm === undefined)).toBe(true);
  });

  it.each([
    [
      'User: arn:aws:sts::111122223333:assumed-role/r/f is not authorized to perform: ecr:DescribeImages on resource: arn:aws:ecr:us-east-1:111122223333:repository/riderapp because no identity-based policy allows the ecr:DescribeImages action',
      { action: 'ecr:DescribeImages', resource: 'arn:aws:ecr:us-east-1:111122223333:repository/riderapp' },
    ],
    ['User: x is not authorized to perform: ecs:ListServiceDeployments', { action: 'ecs:ListServiceDeployments', resource: '*' }],
    ['Throughput exceeds the current capacity', undefined],
  ])('reads the denied action and resource of %s', (message, expected) => {
    expect(deniedAction(message)).toEqual(expected);
  });
});
