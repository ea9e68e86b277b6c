#!/usr/bin/env node
// package.json "bin" entry: loads the TypeScript CLI through tsx, no build step.
import { register } from 'tsx/esm/api';

register();
await import('./ecs-rollback.ts');
