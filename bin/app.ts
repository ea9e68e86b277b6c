#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { App } from 'aws-cdk-lib';
import { addRollbackStack } from '../lib/app';
import { ConfigError, loadConfig } from '../lib/config';

const app = new App();
try {
  const config = loadConfig((key) => app.node.tryGetContext(key), {
    env: process.env,
    readFile: (path) => readFileSync(path, 'utf8'),
  });
  addRollbackStack(app, config);
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(`Configuration error: ${error.message}`);
  process.exit(1);
}
app.synth();
