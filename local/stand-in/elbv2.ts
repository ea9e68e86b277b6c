/**
 * Elastic Load Balancing v2 operations (AWS Query, version 2015-12-01): DescribeTargetHealth,
 * DescribeTargetGroups, DescribeTargetGroupAttributes. Results are XML in the ELBv2 namespace.
 */
import type { AwsModel, TargetGroupRecord, TargetRecord } from './model';
import { ApiError, queryList, queryStructList, unknownOperation } from './protocols';

/** XML namespace of ELBv2 answers. */
export const ELBV2_XMLNS = 'http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/';
/** API version ELBv2 clients send. */
export const ELBV2_VERSION = '2015-12-01';

/** What an operation handler receives besides its input. */
export interface Elbv2Context {
  readonly model: AwsModel;
  readonly notFound: boolean;
}

type Params = Map<string, string>;
type Handler = (params: Params, ctx: Elbv2Context) => Record<string, unknown>;

const targetGroupNotFound = (): ApiError => new ApiError('TargetGroupNotFound', 'One or more target groups not found');

function targetGroup(params: Params, { model, notFound }: Elbv2Context): TargetGroupRecord {
  const arn = params.get('TargetGroupArn');
  if (arn === undefined) throw new ApiError('ValidationError', 'TargetGroupArn is required');
  const tg = notFound ? undefined : model.findTargetGroup(arn);
  if (tg === undefined || tg.arn !== arn) throw targetGroupNotFound();
  return tg;
}

function renderHealth(target: TargetRecord): Record<string, unknown> {
  return {
    Target: { Id: target.id, Port: target.port, AvailabilityZone: target.availabilityZone },
    HealthCheckPort: String(target.port),
    TargetHealth: { State: target.state, Reason: target.reason, Description: target.description },
  };
}

const describeTargetHealth: Handler = (params, ctx) => {
  const tg = targetGroup(params, ctx);
  const wanted = queryStructList(params, 'Targets');
  if (wanted.length === 0) return { TargetHealthDescriptions: [...tg.targets.values()].map((t) => renderHealth(t)) };
  return {
    TargetHealthDescriptions: wanted.map((w) => {
      const port = Number(w['Port'] ?? tg.port);
      const target = tg.targets.get(`${w['Id']}:${port}`);
      if (target !== undefined) return renderHealth(target);
      return {
        Target: { Id: w['Id'], Port: port },
        HealthCheckPort: String(port),
        TargetHealth: { State: 'unused', Reason: 'Target.NotRegistered', Description: 'Target is not registered to the target group' },
      };
    }),
  };
};

function renderTargetGroup(tg: TargetGroupRecord): Record<string, unknown> {
  return {
    TargetGroupArn: tg.arn,
    TargetGroupName: tg.name,
    Protocol: tg.protocol,
    Port: tg.port,
    VpcId: tg.vpcId,
    HealthCheckProtocol: 'HTTP',
    HealthCheckPort: 'traffic-port',
    HealthCheckEnabled: true,
    HealthCheckIntervalSeconds: tg.healthCheckIntervalSeconds,
    HealthCheckTimeoutSeconds: tg.healthCheckTimeoutSeconds,
    HealthyThresholdCount: tg.healthyThresholdCount,
    UnhealthyThresholdCount: tg.unhealthyThresholdCount,
    HealthCheckPath: tg.healthCheckPath,
    Matcher: { HttpCode: '200' },
    LoadBalancerArns: tg.loadBalancerArns,
    TargetType: tg.targetType,
    ProtocolVersion: 'HTTP1',
    IpAddressType: 'ipv4',
  };
}

const describeTargetGroups: Handler = (params, { model, notFound }) => {
  const arns = queryList(params, 'TargetGroupArns');
  const names = queryList(params, 'Names');
  const loadBalancerArn = params.get('LoadBalancerArn');
  let groups: TargetGroupRecord[];
  if (arns.length > 0 || names.length > 0) {
    groups = [...arns, ...names].map((ref) => {
      const tg = notFound ? undefined : model.findTargetGroup(ref);
      if (tg === undefined) throw targetGroupNotFound();
      return tg;
    });
  } else if (loadBalancerArn !== undefined) {
    groups = notFound ? [] : model.listTargetGroups().filter((tg) => tg.loadBalancerArns.includes(loadBalancerArn));
    if (notFound || (groups.length === 0 && !model.listTargetGroups().some((tg) => tg.loadBalancerArns.includes(loadBalancerArn)))) {
      throw new ApiError('LoadBalancerNotFound', 'One or more load balancers not found');
    }
  } else {
    groups = notFound ? [] : [...model.listTargetGroups()];
  }
  const pageSize = Number(params.get('PageSize') ?? 400);
  const offset = Number(params.get('Marker') ?? 0);
  const items = groups.slice(offset, offset + pageSize);
  return {
    TargetGroups: items.map(renderTargetGroup),
    NextMarker: offset + pageSize < groups.length ? String(offset + pageSize) : undefined,
  };
};

const describeTargetGroupAttributes: Handler = (params, ctx) => {
  const tg = targetGroup(params, ctx);
  return {
    Attributes: [
      { Key: 'deregistration_delay.timeout_seconds', Value: String(tg.deregistrationDelaySeconds) },
      { Key: 'stickiness.enabled', Value: 'false' },
      { Key: 'stickiness.type', Value: 'lb_cookie' },
      { Key: 'load_balancing.algorithm.type', Value: 'round_robin' },
      { Key: 'slow_start.duration_seconds', Value: '0' },
    ],
  };
};

const HANDLERS: Record<string, Handler> = {
  DescribeTargetHealth: describeTargetHealth,
  DescribeTargetGroups: describeTargetGroups,
  DescribeTargetGroupAttributes: describeTargetGroupAttributes,
};

/** The ELBv2 operations the stand-in implements. */
export const ELBV2_OPERATIONS: readonly string[] = Object.keys(HANDLERS);

/** Runs one ELBv2 action; throws ApiError (including for actions it does not implement). */
export function handleElbv2(action: string, params: Params, ctx: Elbv2Context): Record<string, unknown> {
  const handler = HANDLERS[action];
  if (handler === undefined) throw unknownOperation('ELBv2', action, 'query');
  return handler(params, ctx);
}
