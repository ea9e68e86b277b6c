import { describe, expect, it } from 'vitest';
import { ConfigError, checkText, loadConfig, parseSettings, probeBudgetSeconds, unhealthyHostAlarmName } from '../../lib/config';
import { executionTimeout } from '../../lib/execution-budget';

const contextOf =
  (values: Record<string, unknown>) =>
  (key: string): unknown =>
    values[key];

const TG = 'targetgroup/riderapp-tg/73e2d6bc24d8a067';
const ALB = 'app/riderapp-alb/50dc6c495c0c9188';

describe('loadConfig', () => {
  it('derives the riderapp defaults from the project name alone', () => {
    // Prepare
    const get = contextOf({ project: 'riderapp' });

    // Act
    const config = loadConfig(get);

    // Assess
    const probe = { attempts: 5, intervalSeconds: 5, timeoutSeconds: 5 };
    const { lockedSeconds } = executionTimeout({ stabilizationTimeoutSeconds: 15 * 60, pollIntervalSeconds: 15, probeBudgetSeconds: probeBudgetSeconds(probe) });
    expect(config).toEqual({
      project: 'riderapp',
      services: [{ cluster: 'riderapp-cluster', service: 'riderapp-service', ecrRepository: 'riderapp', alarmNames: [] }],
      notificationEmails: [],
      operationsEmails: [],
      pollIntervalSeconds: 15,
      stabilizationTimeoutMinutes: 15,
      alarmRollbackWindowMinutes: 60,
      cooldownMinutes: 30,
      lockTtlSeconds: Math.max(7200, lockedSeconds + 1800),
      probe,
      unhealthyHostAlarm: { threshold: 1, evaluationPeriods: 2, periodSeconds: 60, treatMissingData: 'notBreaching' },
      taskStopDetector: { enabled: true, threshold: 2, windowMinutes: 60, notifyOnly: false },
      logRetentionDays: 30,
    });
  });

  it('reads the task-stop detector settings and names a bad one', () => {
    // Act
    const config = loadConfig(contextOf({ project: 'riderapp', taskStopDetector: '{"threshold": 3, "notifyOnly": "true"}' }));

    // Assess
    expect(config.taskStopDetector).toEqual({ enabled: true, threshold: 3, windowMinutes: 60, notifyOnly: true });
    expect(() => loadConfig(contextOf({ project: 'riderapp', taskStopDetector: { threshold: 0 } }))).toThrow(
      /taskStopDetector\.threshold/,
    );
    expect(() => loadConfig(contextOf({ project: 'riderapp', taskStopDetector: { notifyOnly: 'maybe' } }))).toThrow(
      'taskStopDetector.notifyOnly: expected true or false, got "maybe"',
    );
  });

  it('parses -c key=value strings: numbers, JSON arrays and objects, comma-separated emails', () => {
    // Prepare
    const get = contextOf({
      project: 'riderapp',
      services: JSON.stringify([
        { service: 'riderapp-service', targetGroup: TG, loadBalancer: ALB },
        { cluster: 'riderapp-cluster', service: 'riderapp-worker', containerNames: ['worker'] },
      ]),
      notificationEmails: 'oncall@riderapp.example.com, lead@riderapp.example.com',
      pollIntervalSeconds: '20',
      probe: '{"attempts": 3}',
      unhealthyHostAlarm: '{"threshold": 2, "datapointsToAlarm": 1, "treatMissingData": "breaching"}',
    });

    // Act
    const config = loadConfig(get);

    // Assess
    expect(config.services).toEqual([
      {
        cluster: 'riderapp-cluster',
        service: 'riderapp-service',
        ecrRepository: 'riderapp',
        targetGroup: TG,
        loadBalancer: ALB,
        alarmNames: [],
      },
      {
        cluster: 'riderapp-cluster',
        service: 'riderapp-worker',
        ecrRepository: 'riderapp',
        containerNames: ['worker'],
        alarmNames: [],
      },
    ]);
    expect(config.notificationEmails).toEqual(['oncall@riderapp.example.com', 'lead@riderapp.example.com']);
    expect(config.pollIntervalSeconds).toBe(20);
    expect(config.probe).toEqual({ attempts: 3, intervalSeconds: 5, timeoutSeconds: 5 });
    expect(config.unhealthyHostAlarm).toEqual({
      threshold: 2,
      evaluationPeriods: 2,
      datapointsToAlarm: 1,
      periodSeconds: 60,
      treatMissingData: 'breaching',
    });
  });

  it('accepts target group and load balancer ARNs and keeps the ARN of the target group', () => {
    // Prepare
    const tgArn = `arn:aws:elasticloadbalancing:us-east-1:111122223333:${TG}`;
    const albArn = `arn:aws:elasticloadbalancing:us-east-1:111122223333:loadbalancer/${ALB}`;

    // Act
    const config = loadConfig(contextOf({ project: 'riderapp', services: [{ targetGroup: tgArn, loadBalancer: albArn }] }));

    // Assess
    expect(config.services[0]).toMatchObject({ targetGroup: TG, targetGroupArn: tgArn, loadBalancer: ALB });
  });

  it('reads a JSON file named by -c config=path, and -c keys win over the file', () => {
    // Prepare
    const files: Record<string, string> = {
      'riderapp.json': JSON.stringify({ project: 'riderapp', cooldownMinutes: 45, topicArn: 'arn:aws:sns:us-east-1:111122223333:ops' }),
    };
    const get = contextOf({ config: 'riderapp.json', cooldownMinutes: '10' });

    // Act
    const config = loadConfig(get, { readFile: (path) => files[path] as string });

    // Assess
    expect(config).toMatchObject({ project: 'riderapp', cooldownMinutes: 10, topicArn: 'arn:aws:sns:us-east-1:111122223333:ops' });
  });

  it('keeps the lock longer than the longest rollback when the stabilisation timeout is long', () => {
    // Act
    const config = loadConfig(contextOf({ project: 'riderapp', stabilizationTimeoutMinutes: 180 }));

    // Assess
    const { timeoutSeconds, lockedSeconds } = executionTimeout({
      stabilizationTimeoutSeconds: 180 * 60,
      pollIntervalSeconds: config.pollIntervalSeconds,
      probeBudgetSeconds: probeBudgetSeconds(config.probe),
    });
    expect(lockedSeconds).toBeGreaterThan(180 * 60 + probeBudgetSeconds(config.probe));
    // the lock is released before the digest wait that ends the longest execution
    expect(timeoutSeconds).toBeGreaterThan(lockedSeconds);
    expect(config.lockTtlSeconds).toBe(lockedSeconds + 1800);
  });

  it('takes region and account from the context before CDK_DEFAULT_REGION / CDK_DEFAULT_ACCOUNT', () => {
    // Prepare
    const env = { CDK_DEFAULT_REGION: 'eu-west-1', CDK_DEFAULT_ACCOUNT: '444455556666' };

    // Act
    const fromContext = loadConfig(contextOf({ project: 'riderapp', region: 'us-east-1', account: '111122223333' }), { env });
    const fromEnv = loadConfig(contextOf({ project: 'riderapp' }), { env });
    const none = loadConfig(contextOf({ project: 'riderapp' }), { env: {} });

    // Assess
    expect([fromContext.region, fromContext.account]).toEqual(['us-east-1', '111122223333']);
    expect([fromEnv.region, fromEnv.account]).toEqual(['eu-west-1', '444455556666']);
    expect([none.region, none.account]).toEqual([undefined, undefined]);
  });

  const riderapp = (extra: Record<string, unknown>): Record<string, unknown> => ({ project: 'riderapp', ...extra });
  const service = (extra: Record<string, unknown>): Record<string, unknown> =>
    riderapp({ services: [{ service: 'riderapp-service' }, extra] });

  const badConfigs: [string, Record<string, unknown>, string, string][] = [
    ['no project', {}, 'project', 'required'],
    ['an upper-case project', { project: 'RiderApp' }, 'project', '"RiderApp"'],
    ['an empty services list', riderapp({ services: [] }), 'services', 'got []'],
    ['services that are not JSON', riderapp({ services: '[{cluster:' }), 'services', 'expected JSON'],
    ['a service that is a string', riderapp({ services: ['riderapp-service'] }), 'services[0]', '"riderapp-service"'],
    ['an empty cluster name', service({ cluster: '' }), 'services[1].cluster', 'expected a cluster name, got ""'],
    ['a service name with a slash', service({ service: 'riderapp/api' }), 'services[1].service', '"riderapp/api"'],
    ['an ECR URI instead of a name', service({ ecrRepository: '111122223333.dkr.ecr.us-east-1.amazonaws.com/riderapp' }), 'services[1].ecrRepository', 'not a URI'],
    ['an unknown service setting', service({ clustr: 'x' }), 'services[1].clustr', 'unknown setting'],
    ['a duplicate service', riderapp({ services: [{}, {}] }), 'services[1]', 'duplicate of services[0]'],
    ['an empty container list', service({ containerNames: [] }), 'services[1].containerNames', 'got []'],
    ['a target group without its id', service({ targetGroup: 'targetgroup/riderapp-tg', loadBalancer: ALB }), 'services[1].targetGroup', '"targetgroup/riderapp-tg"'],
    ['a target group without a load balancer', service({ targetGroup: TG }), 'services[1].loadBalancer', 'app/riderapp-alb/<id>'],
    ['a load balancer without a target group', service({ loadBalancer: ALB }), 'services[1].targetGroup', 'required with loadBalancer'],
    ['a network load balancer', service({ targetGroup: TG, loadBalancer: 'net/riderapp-nlb/50dc6c495c0c9188' }), 'services[1].loadBalancer', '"net/riderapp-nlb/50dc6c495c0c9188"'],
    ['a health check URL without http', service({ healthCheckUrl: 'ftp://riderapp.example.com' }), 'services[1].healthCheckUrl', '"ftp://riderapp.example.com"'],
    ['alarm names that are not a list', service({ alarmNames: 'riderapp-5xx' }), 'services[1].alarmNames', '"riderapp-5xx"'],
    ['a task role that is not an ARN', service({ taskRoleArns: ['riderapp-task'] }), 'services[1].taskRoleArns[0]', '"riderapp-task"'],
    ['an execution role of another service', service({ executionRoleArns: ['arn:aws:s3:::riderapp'] }), 'services[1].executionRoleArns[0]', 'IAM role ARN'],
    ['a bad email', riderapp({ notificationEmails: ['oncall'] }), 'notificationEmails[0]', '"oncall"'],
    ['emails and a topic', riderapp({ notificationEmails: 'a@b.co', topicArn: 'arn:aws:sns:us-east-1:111122223333:ops' }), 'notificationEmails', 'not both'],
    ['a topic that is not an SNS ARN', riderapp({ topicArn: 'ops' }), 'topicArn', '"ops"'],
    ['a topic key without a topic', riderapp({ topicKmsKeyArn: 'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab' }), 'topicKmsKeyArn', 'only applies with topicArn'],
    ['a poll interval that is not a number', riderapp({ pollIntervalSeconds: 'fast' }), 'pollIntervalSeconds', '"fast"'],
    ['a poll interval of zero', riderapp({ pollIntervalSeconds: 0 }), 'pollIntervalSeconds', 'got 0'],
    ['a poll interval longer than the timeout', riderapp({ pollIntervalSeconds: 900, stabilizationTimeoutMinutes: 10 }), 'pollIntervalSeconds', 'got 900'],
    ['a fractional timeout', riderapp({ stabilizationTimeoutMinutes: '7.5' }), 'stabilizationTimeoutMinutes', 'expected a whole number, got 7.5'],
    ['a negative alarm window', riderapp({ alarmRollbackWindowMinutes: -5 }), 'alarmRollbackWindowMinutes', 'got -5'],
    ['a cool-down of two days', riderapp({ cooldownMinutes: 2880 }), 'cooldownMinutes', 'got 2880'],
    ['a cool-down of zero (the functions need a positive one)', riderapp({ cooldownMinutes: '0' }), 'cooldownMinutes', 'expected a number between 1 and 1440, got 0'],
    ['a lock shorter than a rollback', riderapp({ lockTtlSeconds: 60 }), 'lockTtlSeconds', 'got 60'],
    ['an unknown probe setting', riderapp({ probe: { retries: 3 } }), 'probe.retries', 'unknown setting'],
    ['zero probe attempts', riderapp({ probe: { attempts: 0 } }), 'probe.attempts', 'got 0'],
    ['a probe that cannot fit in a Lambda invocation', riderapp({ probe: { attempts: 50, intervalSeconds: 60 } }), 'probe', 'must fit in one Lambda invocation (900 s)'],
    ['an alarm period of 90 s', riderapp({ unhealthyHostAlarm: { periodSeconds: 90 } }), 'unhealthyHostAlarm.periodSeconds', 'got 90'],
    ['more datapoints than periods', riderapp({ unhealthyHostAlarm: { evaluationPeriods: 2, datapointsToAlarm: 3 } }), 'unhealthyHostAlarm.datapointsToAlarm', 'got 3'],
    ['an unknown missing-data mode', riderapp({ unhealthyHostAlarm: { treatMissingData: 'zero' } }), 'unhealthyHostAlarm.treatMissingData', '"zero"'],
    ['a log retention CloudWatch does not offer', riderapp({ logRetentionDays: 10 }), 'logRetentionDays', 'got 10'],
    ['a region that is not one', riderapp({ region: 'US East' }), 'region', '"US East"'],
    ['an account of 11 digits', riderapp({ account: '11112222333' }), 'account', '"11112222333"'],
  ];

  it.each(badConfigs.map(([name, context, field, detail]): [string, string, Record<string, unknown>, string] => [name, field, context, detail]))(
    'rejects %s, naming %s',
    (_name, field, context, detail) => {
      // Prepare
      const get = contextOf(context);

      // Act
      const act = (): unknown => loadConfig(get);

      // Assess
      expect(act).toThrow(ConfigError);
      expect(act).toThrow(new RegExp(`^${field.replace(/[[\].]/g, '\\$&')}: `));
      expect(act).toThrow(detail);
    },
  );

  it.each<[string, Record<string, unknown>, (path: string) => string, string]>([
    ['a config file that does not exist', { config: 'missing.json' }, () => { throw new Error('ENOENT'); }, 'cannot read "missing.json"'],
    ['a config file that is not JSON', { config: 'bad.json' }, () => '{ project: riderapp', 'is not valid JSON'],
    ['a config file with an unknown key', { config: 'typo.json' }, () => '{"project":"riderapp","cooldown":5}', 'cooldown: unknown setting'],
  ])('rejects %s', (_name, context, readFile, message) => {
    // Act
    const act = (): unknown => loadConfig(contextOf(context), { readFile });

    // Assess
    expect(act).toThrow(message);
  });
});

describe('one schema for the configuration and the construct props', () => {
  function messageOf(act: () => unknown): string {
    try {
      act();
    } catch (error) {
      if (error instanceof ConfigError) return error.message;
      throw error;
    }
    throw new Error('expected a ConfigError');
  }

  it.each<[string, Record<string, unknown>]>([
    ['a poll interval of zero', { pollIntervalSeconds: 0 }],
    ['a poll interval longer than the timeout', { pollIntervalSeconds: 900, stabilizationTimeoutMinutes: 10 }],
    ['a lock shorter than a rollback', { lockTtlSeconds: 60 }],
    ['an unknown probe setting', { probe: { retries: 3 } }],
    ['a probe that cannot fit in a Lambda invocation', { probe: { attempts: 50, intervalSeconds: 60 } }],
    ['more datapoints than periods', { unhealthyHostAlarm: { evaluationPeriods: 2, datapointsToAlarm: 3 } }],
    ['a log retention CloudWatch does not offer', { logRetentionDays: 10 }],
  ])('refuses %s with the same field and words as a prop and as context', (_name, settings) => {
    // Act
    const fromContext = messageOf(() => loadConfig(contextOf({ project: 'riderapp', ...settings })));
    const fromProps = messageOf(() => parseSettings(settings));

    // Assess
    expect(fromProps).toBe(fromContext);
  });

  it('fills in the same defaults for props as for context', () => {
    // Act
    const { project: _project, services: _services, notificationEmails: _n, operationsEmails: _o, ...fromContext } = loadConfig(
      contextOf({ project: 'riderapp' }),
    );

    // Assess
    expect(parseSettings({})).toEqual(fromContext);
  });

  it.each<[string, Record<string, unknown>, string, 'cluster' | 'service' | 'ecrRepository' | 'containerNames' | 'healthCheckUrl']>([
    ['an empty cluster name', { cluster: '' }, 'cluster', 'cluster'],
    ['a service name with a slash', { service: 'riderapp/api' }, 'service', 'service'],
    ['an ECR URI', { ecrRepository: '111122223333.dkr.ecr.us-east-1.amazonaws.com/riderapp' }, 'ecrRepository', 'ecrRepository'],
    ['a container name with a space', { containerNames: ['web app'] }, 'containerNames', 'containerNames'],
    ['a metadata health URL', { healthCheckUrl: 'http://169.254.169.254/latest/meta-data/' }, 'healthCheckUrl', 'healthCheckUrl'],
  ])('refuses %s in a service prop with the words the configuration uses', (_name, service, key, kind) => {
    // Prepare
    const value = service[key] as string | string[];

    // Act
    const fromContext = messageOf(() => loadConfig(contextOf({ project: 'riderapp', services: [service] })));
    const fromProps = messageOf(() => checkText(`services[0].${key}`, value, kind));

    // Assess
    expect(fromProps).toBe(fromContext);
  });

  it('passes a prop that is still a token at synth through unchecked', () => {
    // Act
    const cluster = checkText('services[0].cluster', '${Token[TOKEN.123]}', 'cluster');

    // Assess
    expect(cluster).toBe('${Token[TOKEN.123]}');
  });
});

describe('probeBudgetSeconds', () => {
  it.each<[string, { attempts: number; intervalSeconds: number; timeoutSeconds: number }, number]>([
    ['the defaults: waits of 5, 10, 20, 40 s', { attempts: 5, intervalSeconds: 5, timeoutSeconds: 5 }, 5 * (5 + 5) + 75 + 30],
    ['one attempt: no wait', { attempts: 1, intervalSeconds: 30, timeoutSeconds: 10 }, 1 * (10 + 5) + 0 + 30],
    ['waits capped at 60 s: 40, 60, 60', { attempts: 4, intervalSeconds: 40, timeoutSeconds: 5 }, 4 * (5 + 5) + 160 + 30],
  ])('covers %s', (_name, probe, expected) => {
    // Act
    const budget = probeBudgetSeconds(probe);

    // Assess
    expect(budget).toBe(expected);
  });
});

describe('unhealthyHostAlarmName', () => {
  const base = { cluster: 'riderapp-cluster', ecrRepository: 'riderapp', alarmNames: [] };

  it.each([
    ['riderapp-service', 'riderapp-unhealthy-hosts'],
    ['riderapp-worker-service', 'riderapp-worker-unhealthy-hosts'],
    ['payments', 'riderapp-payments-unhealthy-hosts'],
  ])('names the alarm of %s %s', (serviceName, expected) => {
    // Prepare
    const service = { ...base, service: serviceName };

    // Act
    const name = unhealthyHostAlarmName('riderapp', service, [service]);

    // Assess
    expect(name).toBe(expected);
  });

  it('adds the cluster when two clusters run a service of the same name', () => {
    // Prepare
    const blue = { ...base, cluster: 'blue', service: 'riderapp-service' };
    const green = { ...base, cluster: 'green', service: 'riderapp-service' };

    // Act
    const names = [blue, green].map((s) => unhealthyHostAlarmName('riderapp', s, [blue, green]));

    // Assess
    expect(names).toEqual(['riderapp-blue-unhealthy-hosts', 'riderapp-green-unhealthy-hosts']);
  });
});

describe('health check URL: only a public http(s) address, without credentials', () => {
  const withHealthUrl = (healthCheckUrl: string) =>
    contextOf({ project: 'riderapp', services: [{ service: 'riderapp-service' }, { service: 'riderapp-api', healthCheckUrl }] });
  function configErrorOf(load: () => unknown): ConfigError {
    try {
      load();
    } catch (error) {
      if (error instanceof ConfigError) return error;
      throw error;
    }
    throw new Error('expected a ConfigError');
  }

  it.each([
    ['the instance metadata address', 'http://169.254.169.254/latest/meta-data/', 'the instance metadata address'],
    ['the IPv6 instance metadata address', 'http://[fd00:ec2::254]/latest/meta-data/', 'the instance metadata address'],
    ['the ECS task metadata address', 'http://169.254.170.2/v2/credentials', 'the ECS task metadata address'],
    ['the Lambda runtime API on localhost', 'http://localhost:9001/2018-06-01/runtime/invocation/next', 'loopback'],
    ['a name under localhost', 'http://api.localhost/health', 'loopback'],
    ['127.0.0.1', 'http://127.0.0.1:8080/health', 'loopback'],
    ['another address of 127/8', 'http://127.3.2.1/health', 'loopback'],
    ['127.0.0.1 written as a number', 'http://2130706433/health', 'loopback'],
    ['IPv6 loopback', 'http://[::1]/health', 'loopback'],
    ['IPv4-mapped IPv6 loopback', 'http://[::ffff:127.0.0.1]/health', 'loopback'],
    ['0.0.0.0', 'http://0.0.0.0/health', 'unspecified'],
    ['a link-local address', 'http://169.254.10.20/health', 'link-local'],
    ['an IPv6 link-local address', 'http://[fe80::1]/health', 'link-local'],
    ['10/8', 'http://10.0.1.11/health', 'private'],
    ['172.16/12', 'http://172.20.0.5/health', 'private'],
    ['192.168/16', 'http://192.168.1.1/health', 'private'],
    ['an IPv6 unique local address', 'http://[fd12:3456::1]/health', 'private'],
    ['a user:password@ URL', 'https://admin:s3cret@riderapp.example.com/health', 'credentials'],
  ])('rejects %s at synth, naming the field', (_what, url, why) => {
    // Act
    const error = configErrorOf(() => loadConfig(withHealthUrl(url)));

    // Assess
    expect(error.field).toBe('services[1].healthCheckUrl');
    expect(error.message).toContain(why);
    expect(error.message).not.toContain('s3cret');
  });

  it.each([
    'https://riderapp.example.com/health',
    'https://riderapp.example.com:8443/health?probe=1',
    'http://203.0.113.10/health',
    'http://[2001:db8::10]/health',
    'http://172.32.0.1/health',
  ])('accepts %s', (url) => {
    // Act
    const config = loadConfig(withHealthUrl(url));

    // Assess
    expect(config.services[1]?.healthCheckUrl).toBe(url);
  });

  it('quotes a rejected URL without its query token', () => {
    // Act
    const error = configErrorOf(() => loadConfig(withHealthUrl('http://10.0.1.11/health?token=abc123')));

    // Assess
    expect(error.message).toContain('http://10.0.1.11/health?…');
    expect(error.message).not.toContain('abc123');
  });
});
