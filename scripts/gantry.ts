#!/usr/bin/env node
// Thin entry of the gantry CLI; see scripts/cli/main.ts.
import { ConsoleLogger } from '../src/logger.js';
import { runCli } from './cli/main.js';

// `gantry ... | head` closes stdout early; that is the reader's choice, not a failure.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});

process.exitCode = await runCli(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(`${text}\n`),
  logger: new ConsoleLogger(),
  env: process.env,
});
