/** The CDK context of the synth-scale benchmark: project riderapp with N services. */

const ACCOUNT = '111122223333';
const REGION = 'us-east-1';

/** A 16-hex-digit id, deterministic per index (target group and load balancer ids). */
export function hexId(index: number): string {
  return (0x73e2d6bc24d8a000 + index).toString(16).padStart(16, '0').slice(-16);
}

/**
 * riderapp-service plus riderapp-svc-2 … riderapp-svc-N in riderapp-cluster, each with its own ECR
 * repository and target group behind riderapp-alb (so each gets its UnHealthyHostCount alarm).
 */
export function synthContext(services: number): Record<string, unknown> {
  const loadBalancer = 'app/riderapp-alb/50dc6c495c0c9188';
  return {
    project: 'riderapp',
    account: ACCOUNT,
    region: REGION,
    services: Array.from({ length: services }, (_, i) => {
      const name = i === 0 ? 'riderapp-service' : `riderapp-svc-${i + 1}`;
      const tg = i === 0 ? 'riderapp-tg' : `riderapp-svc-${i + 1}-tg`;
      return {
        cluster: 'riderapp-cluster',
        service: name,
        ecrRepository: i === 0 ? 'riderapp' : `riderapp-svc-${i + 1}`,
        targetGroup: `arn:aws:elasticloadbalancing:${REGION}:${ACCOUNT}:targetgroup/${tg}/${hexId(i)}`,
        loadBalancer,
      };
    }),
    notificationEmails: ['oncall@riderapp.example.com'],
  };
}
