/**
 * What `ecs-rollback doctor` simulates for each function (cli/doctor.ts neededPermissions) is
 * granted by lib/permissions.ts, inline and in the compact form large projects get: a doctor that
 * asked for more would fail every healthy stack.
 */
import { describe, expect, it } from 'vitest';
import { neededPermissions } from '../../cli/doctor';
import type { ServiceConfig } from '../../lambdas/shared/types';
import { type PermissionInputs, taskGrants } from '../../lib/permissions';
import { permissionInputsFor } from '../../local/harness/deployed-stack';
import { evaluate } from '../../local/stand-in/account';

const REGION = 'us-east-1';
const ACCOUNT = '111122223333';
const arn = (service: string, resource: string) => `arn:aws:${service}:${REGION}:${ACCOUNT}:${resource}`;
const TABLE = arn('dynamodb', 'table/riderapp-rollback-state');
const service: ServiceConfig = { cluster: 'riderapp-cluster', service: 'riderapp-service', ecrRepository: 'riderapp', alarmNames: [] };

function inputs(compact: boolean): PermissionInputs {
  return permissionInputsFor({
    region: REGION,
    account: ACCOUNT,
    services: [service],
    tableArn: TABLE,
    stateMachineName: 'riderapp-ecs-auto-rollback',
    project: 'riderapp',
    compact,
  });
}

describe('doctor permissions', () => {
  it.each([false, true])('asks only for what the construct grants each function (compact %s)', (compact) => {
    // Prepare
    const grants = taskGrants(inputs(compact));
    const needs = neededPermissions(service, { region: REGION, account: ACCOUNT, tableArn: TABLE, stateMachineName: 'riderapp-ecs-auto-rollback' });

    // Act
    const denied = Object.entries(needs).flatMap(([task, list]) => {
      const statements = (grants[task as keyof typeof grants] ?? []).map((grant) => {
        const json = grant.statement.toStatementJson() as { Action: string | string[]; Resource: string | string[] };
        return { effect: 'Allow' as const, actions: [json.Action].flat(), resources: [json.Resource].flat() };
      });
      return list.filter(({ action, resource }) => evaluate({ arn: task, statements }, action, resource) !== 'allowed').map((n) => `${task}: ${n.action} on ${n.resource}`);
    });

    // Assess
    expect(denied).toEqual([]);
    expect(Object.values(needs).flat().length).toBeGreaterThan(20);
  });

  it('names a missing grant as implicitDeny and a Deny as explicitDeny', () => {
    const role = { arn: 'r', statements: [{ effect: 'Allow' as const, actions: ['ecs:Describe*'], resources: ['*'] }, { effect: 'Deny' as const, actions: ['ecs:DescribeTasks'], resources: ['*'] }] };

    expect(evaluate(role, 'ecs:DescribeServices', arn('ecs', 'service/c/s'))).toBe('allowed');
    expect(evaluate(role, 'ecs:DescribeTasks', arn('ecs', 'task/c/1'))).toBe('explicitDeny');
    expect(evaluate(role, 'ecs:UpdateService', arn('ecs', 'service/c/s'))).toBe('implicitDeny');
  });
});
