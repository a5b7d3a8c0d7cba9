/**
 * The GitHub Actions expressions (`${{ … }}` and `if:`) that test/helpers/workflow-runner.ts evaluates, and
 * nothing more: anything else throws, naming the expression and where it is, so a reusable workflow that starts
 * to need more fails the consumer test loudly instead of being run differently from GitHub.
 *
 * Contexts: `inputs.<name>` (declared inputs only), `steps.<id>.outputs.<name>` / `.outcome` / `.conclusion`
 * (steps that already ran or were skipped in the job), `env.<NAME>`, `github.<…>`, `vars.<NAME>`,
 * `matrix.<key>`, `needs.<job>.outputs.<name>` / `.result` (jobs the job needs), and `job.workflow_repository` /
 * `job.workflow_sha` (the workflow's own repository and commit). Operators `!`, `==`, `!=`, `&&`, `||` and
 * parentheses; string, number, boolean and null literals. Functions: `success()`, `failure()`, `cancelled()`,
 * `always()` in conditions, and `fromJSON(<reference>)` only as a whole `strategy.matrix` value. No `<`, `>`,
 * indexing, wildcards, other functions (`contains`, `format`, `hashFiles`, …) or contexts (`secrets`, `runner`,
 * `strategy`, …).
 */

export type Value = string | number | boolean | null | Value[] | { [key: string]: Value };

export interface StepState {
  outputs: Record<string, string>;
  outcome: 'success' | 'failure' | 'skipped';
  conclusion: 'success' | 'failure' | 'skipped';
}

export interface NeedState {
  result: 'success' | 'failure' | 'skipped';
  /** Undefined for a job that calls a workflow: its outputs are not emulated. */
  outputs?: Record<string, string>;
}

/** What an expression can see. A context left undefined is not available where the expression is. */
export interface ExpressionContext {
  /** Where the expression is, for errors: `deploy.yml jobs.apply.steps[3].with.sha`. */
  where: string;
  inputs?: Record<string, Value>;
  steps?: Record<string, StepState>;
  env?: Record<string, string>;
  github: Record<string, Value>;
  vars?: Record<string, string>;
  matrix?: Record<string, Value>;
  needs?: Record<string, NeedState>;
  job?: { workflow_repository: string; workflow_sha: string };
  /** The job (for a step's condition) or its needs (for a job's condition) so far: what the status functions read. */
  status?: { success: boolean; failure: boolean };
}

export class ExpressionError extends Error {}

const EXPRESSION = /\$\{\{(.*?)\}\}/gs;
const STATUS_FUNCTIONS = ['success', 'failure', 'cancelled', 'always'];

function fail(context: ExpressionContext, expression: string, problem: string): never {
  throw new ExpressionError(`${context.where}: \${{ ${expression.trim()} }}: ${problem}`);
}

/** A value as GitHub puts it into a string (an input, an environment variable, a script). */
function toText(context: ExpressionContext, expression: string, value: Value): string {
  if (value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return fail(context, expression, 'is an object or array; only strings, numbers and booleans are put into text here');
}

/** Every `${{ … }}` of `text` replaced by its value. */
export function interpolate(text: string, context: ExpressionContext): string {
  return text.replace(EXPRESSION, (_match, expression: string) => toText(context, expression, evaluate(expression, context)));
}

/** A `with:` or `env:` value: YAML's scalar as the runner receives it (true → "true"), then interpolated. */
export function interpolateValue(value: unknown, context: ExpressionContext): string {
  if (typeof value === 'string') return interpolate(value, context);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw new ExpressionError(`${context.where}: ${JSON.stringify(value)} is not a string, number or boolean`);
}

/** An `if:` condition, with or without `${{ }}`; one without a status function is `success() && (…)`, as on GitHub. */
export function condition(text: unknown, context: ExpressionContext): boolean {
  if (text === undefined) return context.status?.success ?? true;
  if (typeof text === 'boolean') return text && (context.status?.success ?? true);
  if (typeof text !== 'string') throw new ExpressionError(`${context.where}: if: ${JSON.stringify(text)} is not an expression`);
  const whole = /^\s*\$\{\{(.*)\}\}\s*$/s.exec(text);
  const expression = whole?.[1] ?? text;
  if (whole === null && /\$\{\{/.test(text)) fail(context, text, 'mixes plain text and an expression in a condition');
  const value = evaluate(expression, context);
  const usesStatus = STATUS_FUNCTIONS.some((name) => new RegExp(`\\b${name}\\s*\\(`).test(expression));
  return truthy(value) && (usesStatus || (context.status?.success ?? true));
}

/** A `strategy.matrix` value: a list, or `${{ fromJSON(<reference>) }}` of a JSON list. */
export function matrixValues(value: unknown, context: ExpressionContext): Value[] {
  if (Array.isArray(value)) return value as Value[];
  const call = typeof value === 'string' ? /^\s*\$\{\{\s*fromJSON\((.*)\)\s*\}\}\s*$/s.exec(value) : null;
  if (call === null) throw new ExpressionError(`${context.where}: ${JSON.stringify(value)}: a matrix value must be a list or \${{ fromJSON(<reference>) }}`);
  const text = evaluate(call[1] ?? '', context);
  if (typeof text !== 'string') fail(context, `fromJSON(${call[1]})`, 'fromJSON of something that is not a string');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    fail(context, `fromJSON(${call[1]})`, `${JSON.stringify(text)} is not JSON`);
  }
  if (!Array.isArray(parsed)) fail(context, `fromJSON(${call[1]})`, `${text} is not a JSON list`);
  return parsed as Value[];
}

export function truthy(value: Value): boolean {
  if (value === null || value === false || value === 0 || value === '') return false;
  return !(typeof value === 'number' && Number.isNaN(value));
}

/** GitHub's loose equality: strings case-insensitively, anything else compared as numbers. */
function equal(left: Value, right: Value): boolean {
  if (typeof left === 'string' && typeof right === 'string') return left.toLowerCase() === right.toLowerCase();
  if ((typeof left === 'object' && left !== null) || (typeof right === 'object' && right !== null)) return left === right;
  const number = (value: Value): number => {
    if (value === null) return 0;
    if (typeof value === 'boolean') return Number(value);
    if (typeof value === 'string') return value.trim() === '' ? 0 : Number(value);
    return typeof value === 'number' ? value : Number.NaN;
  };
  const [a, b] = [number(left), number(right)];
  return !Number.isNaN(a) && a === b;
}

type Token = { kind: 'op'; text: string } | { kind: 'literal'; value: Value } | { kind: 'name'; text: string };

function tokenize(expression: string, context: ExpressionContext): Token[] {
  const tokens: Token[] = [];
  let rest = expression.trimStart();
  for (; rest !== ''; rest = rest.trimStart()) {
    const op = /^(==|!=|&&|\|\||!|\(|\))/.exec(rest);
    if (op !== null) {
      tokens.push({ kind: 'op', text: op[1] ?? '' });
      rest = rest.slice(op[0].length);
      continue;
    }
    const string = /^'((?:[^']|'')*)'/.exec(rest);
    if (string !== null) {
      tokens.push({ kind: 'literal', value: (string[1] ?? '').replace(/''/g, "'") });
      rest = rest.slice(string[0].length);
      continue;
    }
    const number = /^-?\d+(\.\d+)?\b/.exec(rest);
    if (number !== null) {
      tokens.push({ kind: 'literal', value: Number(number[0]) });
      rest = rest.slice(number[0].length);
      continue;
    }
    const name = /^[A-Za-z_][A-Za-z0-9_-]*(\.[A-Za-z_][A-Za-z0-9_-]*)*/.exec(rest);
    if (name !== null) {
      const text = name[0];
      if (/^\s*\(/.test(rest.slice(text.length)) && !STATUS_FUNCTIONS.includes(text)) fail(context, expression, `function ${text}() is not supported`);
      if (text === 'true' || text === 'false') tokens.push({ kind: 'literal', value: text === 'true' });
      else if (text === 'null') tokens.push({ kind: 'literal', value: null });
      else tokens.push({ kind: 'name', text });
      rest = rest.slice(text.length);
      continue;
    }
    fail(context, expression, `unsupported syntax at "${rest.slice(0, 20)}" (the evaluator knows ! == != && || ( ) and literals)`);
  }
  return tokens;
}

/** Evaluates one expression (the text between `${{` and `}}`). */
export function evaluate(expression: string, context: ExpressionContext): Value {
  const tokens = tokenize(expression, context);
  let position = 0;
  const peek = (): Token | undefined => tokens[position];
  const isOp = (text: string) => {
    const token = peek();
    return token?.kind === 'op' && token.text === text;
  };

  const primary = (): Value => {
    const token = tokens[position++];
    if (token === undefined) return fail(context, expression, 'ends too early');
    if (token.kind === 'literal') return token.value;
    if (token.kind === 'op') {
      if (token.text !== '(') return fail(context, expression, `unexpected "${token.text}"`);
      const value = or();
      if (!isOp(')')) fail(context, expression, 'a "(" is not closed');
      position++;
      return value;
    }
    if (isOp('(')) {
      position++;
      if (!isOp(')')) fail(context, expression, `${token.text}(…) with arguments is not supported`);
      position++;
      return call(token.text);
    }
    return reference(token.text, expression, context);
  };
  const call = (name: string): Value => {
    const status = context.status;
    if (!STATUS_FUNCTIONS.includes(name)) return fail(context, expression, `function ${name}() is not supported`);
    if (status === undefined) return fail(context, expression, `${name}() is only supported in an if: condition`);
    if (name === 'success') return status.success;
    if (name === 'failure') return status.failure;
    if (name === 'always') return true;
    return false; // cancelled(): nothing is cancelled here
  };
  const comparison = (): Value => {
    const left = primary();
    if (isOp('==') || isOp('!=')) {
      const negate = (tokens[position++] as { text: string }).text === '!=';
      const right = primary();
      return equal(left, right) !== negate;
    }
    return left;
  };
  const unary = (): Value => {
    if (isOp('!')) {
      position++;
      return !truthy(unary());
    }
    return comparison();
  };
  const and = (): Value => {
    let value = unary();
    while (isOp('&&')) {
      position++;
      const right = unary();
      value = truthy(value) ? right : value;
    }
    return value;
  };
  const or = (): Value => {
    let value = and();
    while (isOp('||')) {
      position++;
      const right = and();
      value = truthy(value) ? value : right;
    }
    return value;
  };

  const value = or();
  if (position !== tokens.length) fail(context, expression, 'has something after its end');
  return value;
}

function lookup(value: Value | undefined, path: string[]): Value {
  let current: Value | undefined = value;
  for (const key of path) {
    if (current === null || current === undefined || typeof current !== 'object' || Array.isArray(current)) return null;
    current = (current as Record<string, Value>)[key];
  }
  return current ?? null;
}

function reference(name: string, expression: string, context: ExpressionContext): Value {
  const [root = '', ...path] = name.split('.');
  const absent = (what: string) => fail(context, expression, `the ${what} context is not available here`);
  switch (root) {
    case 'inputs': {
      const inputs = context.inputs ?? absent('inputs');
      const [input = ''] = path;
      if (!(input in inputs)) fail(context, expression, `no input ${input} is declared (declared: ${Object.keys(inputs).join(', ') || 'none'})`);
      if (path.length !== 1) fail(context, expression, 'an input has no properties');
      return inputs[input] ?? null;
    }
    case 'steps': {
      const steps = context.steps ?? absent('steps');
      const [id = '', property, output, ...more] = path;
      const step = steps[id];
      if (step === undefined) return fail(context, expression, `no step with id ${id} has run or been skipped before this one in the job`);
      if (property === 'outputs' && output !== undefined && more.length === 0) return step.outputs[output] ?? null;
      if ((property === 'outcome' || property === 'conclusion') && output === undefined) return step[property];
      return fail(context, expression, 'only steps.<id>.outputs.<name>, .outcome and .conclusion are supported');
    }
    case 'needs': {
      const needs = context.needs ?? absent('needs');
      const [job = '', property, output, ...more] = path;
      const need = needs[job];
      if (need === undefined) return fail(context, expression, `job ${job} is not in this job's needs (${Object.keys(needs).join(', ') || 'none'})`);
      if (property === 'result' && output === undefined) return need.result;
      if (property === 'outputs' && output !== undefined && more.length === 0) {
        if (need.outputs === undefined) return fail(context, expression, `job ${job} calls a workflow, whose outputs are not emulated`);
        return need.outputs[output] ?? null;
      }
      return fail(context, expression, 'only needs.<job>.outputs.<name> and needs.<job>.result are supported');
    }
    case 'env':
      if (path.length !== 1) fail(context, expression, 'env.<NAME> has no properties');
      return (context.env ?? absent('env'))[path[0] ?? ''] ?? null;
    case 'vars':
      if (path.length !== 1) fail(context, expression, 'vars.<NAME> has no properties');
      return context.vars?.[path[0] ?? ''] ?? null;
    case 'github': {
      const [key = '', ...rest] = path;
      if (!(key in context.github)) fail(context, expression, `the test's github context has no ${key}; give it one`);
      return lookup(context.github[key], rest);
    }
    case 'matrix': {
      const matrix = context.matrix ?? absent('matrix');
      const [key = ''] = path;
      if (!(key in matrix) || path.length !== 1) fail(context, expression, `the job's matrix has no ${key}`);
      return matrix[key] ?? null;
    }
    case 'job': {
      const job = context.job ?? absent('job');
      const [key] = path;
      if (path.length !== 1 || (key !== 'workflow_repository' && key !== 'workflow_sha')) {
        fail(context, expression, 'only job.workflow_repository and job.workflow_sha of the job context are supported');
      }
      return job[key as 'workflow_repository' | 'workflow_sha'];
    }
    default:
      return fail(context, expression, `the ${root} context is not supported (inputs, steps, env, github, vars, matrix, needs, job are)`);
  }
}
