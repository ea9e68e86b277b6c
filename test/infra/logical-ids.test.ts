/**
 * Upgrading a deployed stack must not replace its stateful or fixed-name resources: the state table,
 * the topic and its KMS key, the log groups, the dead-letter queue, the state machine (a fixed name)
 * and the alarms (fixed names) keep the logical ids of the 0.1.0 template, recorded in
 * test/fixtures/logical-ids-0.1.0.json from `cdk synth -c project=riderapp` and the riderapp context
 * before the stack became a wrapper over the EcsAutoRollback construct.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RIDERAPP_CONTEXT, synthesize } from './support';

const RECORDED = JSON.parse(
  readFileSync(join(import.meta.dirname, '..', 'fixtures', 'logical-ids-0.1.0.json'), 'utf8'),
) as Record<string, Record<string, string>>;

const CONTEXTS: Record<string, Record<string, unknown>> = {
  'project=riderapp': { project: 'riderapp' },
  'riderapp context': RIDERAPP_CONTEXT,
};

describe('logical ids kept from 0.1.0', () => {
  it.each(Object.keys(CONTEXTS))('keeps every recorded table, topic, key, log group, queue, state machine and alarm id (%s)', (name) => {
    // Prepare
    const recorded = RECORDED[name] as Record<string, string>;

    // Act
    const { json } = synthesize(CONTEXTS[name]);

    // Assess
    const now = Object.fromEntries(
      Object.keys(recorded).map((id) => [id, json.Resources[id]?.Type ?? 'missing']),
    );
    expect(now).toEqual(recorded);
    expect(Object.values(recorded)).toEqual(
      expect.arrayContaining(['AWS::DynamoDB::Table', 'AWS::SNS::Topic', 'AWS::KMS::Key', 'AWS::Logs::LogGroup']),
    );
  });
});
