import { flattenCfnReference as nagFlatten } from 'cdk-nag/lib/utils/flatten-cfn-reference.js';
import { describe, expect, it } from 'vitest';
import { flattenCfnReference } from '../../lib/permissions';

describe('flattenCfnReference', () => {
  it.each<[string, unknown]>([
    ['a plain ARN', 'arn:aws:ecs:us-east-1:111122223333:task-definition/*'],
    ['a Fn::Sub string', 'arn:${AWS::Partition}:ecs:${AWS::Region}:*'],
    ['a formatArn join', { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':ecs:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':task/riderapp-cluster/*']] }],
    ['a GetAtt', { 'Fn::GetAtt': ['StateTable962DE04C', 'Arn'] }],
    ['a join of a GetAtt', { 'Fn::Join': ['', [{ 'Fn::GetAtt': ['Repo', 'Arn'] }, '/*']] }],
    ['an ImportValue', { 'Fn::ImportValue': 'shared-topic' }],
    ['an unknown intrinsic', { 'Fn::Select': [0, ['a', 'b']] }],
  ])('names %s in a finding exactly as cdk-nag does, so the acknowledgement matches', (_name, value) => {
    // Act
    const ours = flattenCfnReference(value);

    // Assess
    expect(ours).toBe(nagFlatten(value));
  });
});
