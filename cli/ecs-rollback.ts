/**
 * `ecs-rollback`: start, follow and list rollbacks of an ECS service through the
 * ecs-auto-rollback state machine. Run with `npx tsx cli/ecs-rollback.ts --help`.
 */
import { SFNClient } from '@aws-sdk/client-sfn';
import { runCli } from './run';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

process.exitCode = await runCli(process.argv.slice(2), {
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  createClient: (region) => new SFNClient(region === undefined ? {} : { region }),
});
