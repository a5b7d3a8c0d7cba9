/**
 * `npm run sandbox`: starts, seeds from the example config and prints the variables to export; a real SDK
 * client configured only by those variables finds the seeded functions and projects.
 */
import { spawn, spawnSync } from 'node:child_process';
import { BatchGetProjectsCommand } from '@aws-sdk/client-codebuild';
import { ListFunctionsCommand } from '@aws-sdk/client-lambda';
import { afterEach, expect, it } from 'vitest';
import { createCodeBuildClient, createLambdaClient } from '../src/aws/clients.js';

const saved = { ...process.env };
const children: ReturnType<typeof spawn>[] = [];
afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGTERM');
  process.env = { ...saved };
});

it('prints export lines that point the real clients at the seeded sandbox', async () => {
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/sandbox/main.ts', '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  let output = '';
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('export GITHUB_REPOSITORY=')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`sandbox exited with ${code}: ${output}`)));
  });
  const exports = Object.fromEntries([...output.matchAll(/^export (\w+)=(.*)$/gm)].map((match) => [match[1]!, match[2]!]));
  expect(Object.keys(exports)).toEqual(
    expect.arrayContaining([
      'AWS_ENDPOINT_URL_LAMBDA',
      'AWS_ENDPOINT_URL_CODEBUILD',
      'AWS_ENDPOINT_URL_CLOUDWATCH_LOGS',
      'GITHUB_API_URL',
      'GITHUB_TOKEN',
      'AWS_REGION',
      // The AWS CLI v1 reads only this one.
      'AWS_DEFAULT_REGION',
    ]),
  );
  expect(exports.AWS_ENDPOINT_URL_LAMBDA).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  expect(output).toContain('orders-dev-router');

  Object.assign(process.env, exports);
  const lambda = createLambdaClient({ region: exports.AWS_REGION! });
  const { Functions } = await lambda.send(new ListFunctionsCommand({}));
  expect(Functions!.map((fn) => fn.FunctionName)).toEqual(expect.arrayContaining(['orders-dev-router', 'orders-prod-worker']));
  const codebuild = createCodeBuildClient({ region: exports.AWS_REGION! });
  const { projects } = await codebuild.send(new BatchGetProjectsCommand({ names: ['orders-qa-plan', 'orders-qa-apply'] }));
  expect(projects!.map((project) => project.logsConfig!.cloudWatchLogs!.groupName)).toEqual(['/aws/codebuild/orders-qa', '/aws/codebuild/orders-qa']);
}, 20_000);

it('prints its usage with --help, and refuses an unknown option in one line', () => {
  const run = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', 'scripts/sandbox/main.ts', ...args], { encoding: 'utf8' });
  const help = run('--help');
  expect(help.status).toBe(0);
  expect(help.stdout).toMatch(/^usage: npm run sandbox -- \[options\]\n/);
  expect(help.stdout).toContain('--clock-speed X');
  const unknown = run('--bogus');
  expect(unknown.status).toBe(2);
  expect(unknown.stderr).toBe(`error: Unknown option '--bogus'; run "npm run sandbox -- --help"\n`);
});
