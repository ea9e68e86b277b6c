import { describe, expect, it } from 'vitest';
import { formatMatrix, judge, type Observed } from '../../local/harness/fault-matrix';
import type { PublishedMessage } from '../../local/stand-in/index';

const TD = (revision: number) => `arn:aws:ecs:us-east-1:111122223333:task-definition/riderapp:${revision}`;
const message = (status: string, text = ''): PublishedMessage => ({
  messageId: `m-${status}`,
  topicArn: 'arn:aws:sns:us-east-1:111122223333:riderapp-rollback-notifications',
  message: text,
  messageAttributes: { status: { DataType: 'String', StringValue: status } },
  modelTime: 0,
  realTime: 0,
});
const rolledBack: Observed = {
  status: 'SUCCEEDED',
  published: [message('success')],
  updates: 1,
  registrations: 0,
  publishLost: false,
  finalTaskDefinition: TD(14),
  target: 'riderapp:14',
  failing: 'riderapp:15',
  secondBlocked: false,
};

describe('judging a fault-matrix case', () => {
  it('finds a rollback to riderapp:14 with one success notification safe', () => {
    // Assess
    expect(judge(rolledBack)).toEqual([]);
  });

  it('finds a FAILED execution without a notification safe (the executions-failed alarm hears it)', () => {
    // Assess
    expect(judge({ ...rolledBack, status: 'FAILED', published: [], updates: 0, finalTaskDefinition: TD(15) })).toEqual([]);
  });

  it.each<[string, Partial<Observed>, string]>([
    ['a silent success', { published: [] }, 'without any notification'],
    ['a success notification while riderapp:15 still runs', { finalTaskDefinition: TD(15), updates: 0 }, 'success notification but the service runs riderapp:15'],
    ['a real rollback skipped', { published: [message('skipped', 'Reason: RollbackInProgress')], updates: 0, finalTaskDefinition: TD(15) }, 'a real rollback was skipped: RollbackInProgress'],
    ['a failure saying nothing changed after UpdateService took effect', { status: 'FAILED', published: [message('failure', 'Changed: Nothing: the service was not updated.')] }, 'says nothing changed'],
    ['two ECS deployments', { updates: 2 }, '2 ECS deployments'],
    ['two revisions', { registrations: 2 }, '2 task definition revisions'],
    ['two notifications without a lost Publish answer', { published: [message('success'), message('success')] }, '2 notifications published'],
    ['a leaked lock', { secondBlocked: true }, 'RollbackInProgress (lock leaked)'],
    ['the service on another revision', { finalTaskDefinition: TD(13), published: [message('failure')], status: 'FAILED' }, 'neither the target nor untouched'],
  ])('finds %s unsafe, saying why', (_name, change, why) => {
    // Assess
    expect(judge({ ...rolledBack, ...change }).join('; ')).toContain(why);
  });

  it('allows two notifications when a Publish answer was lost', () => {
    // Assess
    expect(judge({ ...rolledBack, published: [message('success'), message('success')], publishLost: true })).toEqual([]);
  });

  it('prints cases tried and cases safe under the table', () => {
    // Act
    const table = formatMatrix([
      { name: 'a', status: 'SUCCEEDED', notifications: ['success'], finalTaskDefinition: 'riderapp:14', secondTrigger: 'SUCCEEDED', unsafe: [] },
      { name: 'b', status: 'SUCCEEDED', notifications: [], finalTaskDefinition: 'riderapp:15', secondTrigger: 'SUCCEEDED', unsafe: ['ended SUCCEEDED without any notification'] },
    ]);

    // Assess
    expect(table).toContain('| UNSAFE  | b ');
    expect(table.split('\n').at(-1)).toBe('cases tried: 2, cases safe: 1, unsafe: 1');
  });
});
