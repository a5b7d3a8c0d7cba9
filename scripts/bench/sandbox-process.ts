/**
 * The sandbox in a process of its own, for a benchmark that measures the CPU the sandbox and gantry each use:
 * run by {@link startSandboxProcess} (`node --import tsx scripts/bench/sandbox-process.ts`), it starts a
 * sandbox, seeds a fleet of functions over capacity providers of at most 100 versions, and answers over the
 * IPC channel:
 * - `{ type: 'cpu' }` → its own CPU time since the last `cpu-reset` (process.cpuUsage: everything the sandbox
 *   process does, its HTTP server included) and the Lambda calls it answered by operation;
 * - `{ type: 'cpu-reset' }` → starts counting again (after seeding);
 * - `{ type: 'stop' }` → stops the sandbox and exits.
 * Its first message is `{ type: 'ready', … }` with the variables that point a client at it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface SandboxProcessOptions {
  clockSpeed: number;
  functions: number;
  versions: number;
}

export interface SandboxReady {
  type: 'ready';
  env: Record<string, string>;
  functionNames: string[];
  capacityProviders: number;
  /** Real milliseconds the seeding took. */
  seedMs: number;
}

export interface SandboxCpu {
  type: 'cpu';
  /** User + system CPU microseconds since the last reset. */
  cpuMicros: number;
  calls: Record<string, number>;
}

type Request = { type: 'cpu' } | { type: 'cpu-reset' } | { type: 'stop' };

export interface SandboxProcess {
  ready: SandboxReady;
  cpuReset(): void;
  cpu(): Promise<SandboxCpu>;
  stop(): Promise<void>;
}

const SELF = fileURLToPath(import.meta.url);

/** Starts the sandbox process and waits for it to be seeded. */
export async function startSandboxProcess(options: SandboxProcessOptions): Promise<SandboxProcess> {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', SELF, JSON.stringify(options)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, NODE_NO_WARNINGS: '1' },
  });
  const next = <T>(type: string) =>
    new Promise<T>((resolve, reject) => {
      const onMessage = (message: { type?: string }) => {
        if (message.type !== type) return;
        child.off('exit', onExit);
        child.off('message', onMessage);
        resolve(message as T);
      };
      const onExit = (code: number | null) => reject(new Error(`the sandbox process exited (${code}) before answering ${type}`));
      child.on('message', onMessage);
      child.once('exit', onExit);
    });
  const send = (request: Request) => child.send(request);
  const ready = await next<SandboxReady>('ready');
  return {
    ready,
    cpuReset: () => send({ type: 'cpu-reset' }),
    cpu: () => {
      const answer = next<SandboxCpu>('cpu');
      send({ type: 'cpu' });
      return answer;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        send({ type: 'stop' });
      }),
  };
}

async function main(options: SandboxProcessOptions): Promise<void> {
  const { seedLambda } = await import('../sandbox/lambda/seed.js');
  const { startSandbox } = await import('../sandbox/sandbox.js');
  const sandbox = await startSandbox({ clockSpeed: options.clockSpeed });
  const started = performance.now();
  const seeded = seedLambda(sandbox.services.lambda, {
    capacityProvider: 'fleet-cp',
    namePrefix: 'fleet',
    functions: options.functions,
    versionsPerFunction: options.versions,
    functionsPerCapacityProvider: 'fill',
  });
  const seedMs = performance.now() - started;
  let since = process.cpuUsage();
  let from = sandbox.server.requests.length;
  process.on('message', (request: Request) => {
    if (request.type === 'cpu-reset') {
      since = process.cpuUsage();
      from = sandbox.server.requests.length;
    } else if (request.type === 'cpu') {
      const used = process.cpuUsage(since);
      const calls: Record<string, number> = {};
      for (const call of sandbox.server.requests.slice(from)) calls[call.operation] = (calls[call.operation] ?? 0) + 1;
      process.send?.({ type: 'cpu', cpuMicros: used.user + used.system, calls } satisfies SandboxCpu);
    } else if (request.type === 'stop') {
      void sandbox.stop().then(() => process.exit(0));
    }
  });
  process.send?.({
    type: 'ready',
    env: sandbox.env,
    functionNames: seeded.functionNames,
    capacityProviders: seeded.capacityProviderArns.length,
    seedMs,
  } satisfies SandboxReady);
}

if (process.argv[1] === SELF) await main(JSON.parse(process.argv[2] ?? '{}') as SandboxProcessOptions);
