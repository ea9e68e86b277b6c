import { describe, expect, it } from 'vitest';
import { matchesEventPattern } from '../helpers/event-pattern';

const event = {
  source: 'aws.ecs',
  'detail-type': 'ECS Deployment State Change',
  resources: [
    'arn:aws:ecs:us-east-1:111122223333:service/riderapp-cluster/riderapp-service',
    'arn:aws:ecs:us-east-1:111122223333:cluster/riderapp-cluster',
  ],
  detail: { eventName: 'SERVICE_DEPLOYMENT_FAILED', eventType: 'ERROR', attempts: 3, tags: ['a', 'b'], note: null },
};

describe('matchesEventPattern', () => {
  it.each<[string, unknown, boolean]>([
    ['an exact string', { source: ['aws.ecs'] }, true],
    ['another exact string', { source: ['aws.ec2'] }, false],
    ['one of several values', { source: ['aws.ec2', 'aws.ecs'] }, true],
    ['a nested field', { detail: { eventName: ['SERVICE_DEPLOYMENT_FAILED'] } }, true],
    ['a nested field with another value', { detail: { eventName: ['SERVICE_DEPLOYMENT_COMPLETED'] } }, false],
    ['a field the event lacks', { detail: { reason: ['x'] } }, false],
    ['an object pattern on a missing object', { missing: { value: ['x'] } }, false],
    ['any element of an event array', { resources: ['arn:aws:ecs:us-east-1:111122223333:cluster/riderapp-cluster'] }, true],
    ['no element of an event array', { resources: ['arn:aws:ecs:us-east-1:111122223333:service/riderapp-cluster/other'] }, false],
    ['all fields together', { source: ['aws.ecs'], 'detail-type': ['ECS Deployment State Change'], detail: { eventType: ['ERROR'] } }, true],
    ['all fields but one', { source: ['aws.ecs'], 'detail-type': ['ECS Task State Change'] }, false],
    ['a number', { detail: { attempts: [3] } }, true],
    ['a number given as a string', { detail: { attempts: ['3'] } }, false],
    ['null', { detail: { note: [null] } }, true],
    ['a prefix', { detail: { eventName: [{ prefix: 'SERVICE_DEPLOYMENT_' }] } }, true],
    ['another prefix', { detail: { eventName: [{ prefix: 'TASK_' }] } }, false],
    ['a prefix ignoring case', { detail: { eventName: [{ prefix: { 'equals-ignore-case': 'service_' } }] } }, true],
    ['a suffix', { detail: { eventName: [{ suffix: '_FAILED' }] } }, true],
    ['equals-ignore-case', { detail: { eventType: [{ 'equals-ignore-case': 'error' }] } }, true],
    ['a wildcard', { resources: [{ wildcard: 'arn:aws:ecs:*:service/riderapp-cluster/*' }] }, true],
    ['a wildcard that does not fit', { resources: [{ wildcard: 'arn:aws:ecs:*:service/other/*' }] }, false],
    ['anything-but a value', { detail: { eventType: [{ 'anything-but': 'INFO' }] } }, true],
    ['anything-but the value', { detail: { eventType: [{ 'anything-but': ['INFO', 'ERROR'] }] } }, false],
    ['anything-but a prefix', { detail: { eventName: [{ 'anything-but': { prefix: 'SERVICE_' } }] } }, false],
    ['anything-but on a missing field', { detail: { reason: [{ 'anything-but': 'x' }] } }, false],
    ['exists: true', { detail: { eventType: [{ exists: true }] } }, true],
    ['exists: true on a missing field', { detail: { reason: [{ exists: true }] } }, false],
    ['exists: false on a missing field', { detail: { reason: [{ exists: false }] } }, true],
    ['exists: false on a present field', { detail: { eventType: [{ exists: false }] } }, false],
    ['a numeric range', { detail: { attempts: [{ numeric: ['>', 0, '<=', 3] }] } }, true],
    ['a numeric range outside', { detail: { attempts: [{ numeric: ['>', 3] }] } }, false],
    ['numeric on a string', { detail: { eventType: [{ numeric: ['>', 0] }] } }, false],
    ['$or with one match', { $or: [{ source: ['aws.ec2'] }, { detail: { eventType: ['ERROR'] } }] }, true],
    ['$or with none', { $or: [{ source: ['aws.ec2'] }, { detail: { eventType: ['INFO'] } }] }, false],
  ])('evaluates %s', (_name, pattern, expected) => {
    // Act
    const matched = matchesEventPattern(pattern, event);

    // Assess
    expect(matched).toBe(expected);
  });

  it.each<[string, unknown, string]>([
    ['a leaf that is not an array', { source: 'aws.ecs' }, 'pattern.source'],
    ['an empty array', { source: [] }, 'empty array'],
    ['an unsupported operator', { source: [{ cidr: '10.0.0.0/24' }] }, 'unsupported operator "cidr"'],
    ['a matcher with two operators', { source: [{ prefix: 'a', suffix: 'b' }] }, 'exactly one operator'],
  ])('rejects %s instead of guessing', (_name, pattern, message) => {
    // Act
    const act = (): boolean => matchesEventPattern(pattern, event);

    // Assess
    expect(act).toThrow(message);
  });
});
