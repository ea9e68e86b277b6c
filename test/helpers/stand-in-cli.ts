/** `ecs-rollback` run in-process with every SDK client pointed at a world's stand-in (DynamoDB: its dynalite). */
import { PassThrough } from 'node:stream';
import { SFNClient } from '@aws-sdk/client-sfn';
import type { CliIo } from '../../cli/run';
import type { World } from '../../local/harness/index';

/** A CliIo whose SDK clients all reach the stand-in (DynamoDB: the world's dynalite). */
export function standInCli(world: World): { io: CliIo; stdout: () => string; stderr: () => string } {
  let out = '';
  let err = '';
  const config = world.standIn.clientConfig({ maxAttempts: 1 });
  const io: CliIo = {
    stdin: new PassThrough(),
    stdout: { write: (text: string) => (out += text) },
    stderr: { write: (text: string) => (err += text) },
    env: { USER: 'alice' },
    createClient: () => new SFNClient(config),
    awsConfig: (service) => (service === 'dynamodb' ? { ...config, endpoint: world.stateTable.endpoint } : { ...config }),
    sleep: (milliseconds) => new Promise((resolve) => setTimeout(resolve, Math.min(milliseconds, 20))),
    randomSuffix: () => '3f9a',
  };
  return { io, stdout: () => out, stderr: () => err };
}

