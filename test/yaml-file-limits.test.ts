/**
 * The YAML reader against hostile files: many keys (the duplicate-key check must stay linear), alias bombs and
 * other errors raised while building the data (they get the file:line prefix like every other problem), and
 * problems that would quote the file's content (they quote at most the offending token, cut short).
 *
 * No wall-clock assertion: the parser is wrapped so that every key comparison its duplicate check makes is
 * counted. Before the fix that check compared each key with every earlier one (40,000 keys: 800 million
 * comparisons, 42 s); gantry now turns it off and finds duplicates itself in one pass over a Map per mapping.
 */
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { parseConfig } from '../src/config/load.js';
import { ConfigError } from '../src/errors.js';
import { parseYamlFile } from '../src/yaml-file.js';

/** Comparisons so far; past the budget the parse is stopped, so a quadratic check fails at once instead of hanging. */
const counter = vi.hoisted(() => ({ comparisons: 0, budget: 100_000 }));

vi.mock('yaml', async (importOriginal) => {
  const yaml = await importOriginal<typeof import('yaml')>();
  // The parser's own rule for "same key" when uniqueKeys is true (yaml/dist/compose/util-map-includes.js).
  const same = (a: unknown, b: unknown) => a === b || (yaml.isScalar(a) && yaml.isScalar(b) && a.value === b.value);
  return {
    ...yaml,
    parseDocument: (source: string, options: Parameters<typeof yaml.parseDocument>[1] = {}) => {
      const unique = options.uniqueKeys ?? true;
      if (unique === false) return yaml.parseDocument(source, options);
      return yaml.parseDocument(source, {
        ...options,
        uniqueKeys: (a, b) => {
          counter.comparisons++;
          if (counter.comparisons > counter.budget) throw new Error(`the YAML parser compared more than ${counter.budget} pairs of keys`);
          return typeof unique === 'function' ? unique(a, b) : same(a, b);
        },
      });
    },
  };
});

beforeEach(() => {
  counter.comparisons = 0;
});

const Loose = z.record(z.string(), z.unknown());

function keys(count: number, duplicateLast = false): string {
  const lines = ['top:'];
  for (let index = 0; index < count; index++) lines.push(`  k${index}: ${index}`);
  if (duplicateLast) lines.push(`  k${count - 1}: again`);
  return `${lines.join('\n')}\n`;
}

function problem(parse: () => unknown): string {
  try {
    parse();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('many keys: the duplicate-key check is one pass', () => {
  it('2,000 keys cost the parser no key comparisons (it used to make one per pair: 2 million)', () => {
    const { data } = parseYamlFile(keys(2_000), 'f.yml', Loose);
    expect(Object.keys(data.top as object)).toHaveLength(2_000);
    expect(counter.comparisons).toBeLessThanOrEqual(2_000);
  });

  it('40,000 keys with the last one repeated: the duplicate is found, at its line, still without comparisons', () => {
    expect(problem(() => parseYamlFile(keys(40_000, true), 'f.yml', Loose))).toBe('f.yml:40002:3: duplicate key "k39999"; each key may appear once');
    expect(counter.comparisons).toBeLessThanOrEqual(40_000);
  });

  it('the config reader the same way, with its own wording', () => {
    const text = `version: 1\nproject: orders\n${keys(40_000, true)}`;
    expect(problem(() => parseConfig(text, 'gantry.yml'))).toBe('gantry.yml:40004:3: duplicate key "k39999"; each key (and each environment) may appear once');
    expect(counter.comparisons).toBeLessThanOrEqual(40_000);
  });

  it('still finds a duplicate in a flow mapping, a nested mapping and after a merge key, and lets merge keys repeat', () => {
    expect(problem(() => parseYamlFile('top: { a: 1, b: 2, a: 3 }\n', 'f.yml', Loose))).toBe('f.yml:1:20: duplicate key "a"; each key may appear once');
    expect(problem(() => parseYamlFile('a:\n  b:\n    c: 1\n    c: 2\n', 'f.yml', Loose))).toBe('f.yml:4:5: duplicate key "c"; each key may appear once');
    // The first duplicate in the file is the one reported.
    expect(problem(() => parseYamlFile('a: 1\nx:\n  y: 1\n  y: 2\na: 2\n', 'f.yml', Loose))).toBe('f.yml:4:3: duplicate key "y"; each key may appear once');
    const merged = parseYamlFile('base: &b { x: 1 }\nmore: &m { y: 2 }\ntop:\n  <<: *b\n  <<: *m\n  z: 3\n', 'f.yml', Loose).data;
    expect(merged.top).toEqual({ x: 1, y: 2, z: 3 });
  });
});

describe('errors raised while building the data carry the file:line prefix', () => {
  const laughs = [
    'a: &a ["x","x","x","x","x","x","x","x","x"]',
    'b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]',
    'c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]',
    'd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]',
    'e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]',
    'f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]',
  ].join('\n');

  it('the alias-count refusal (an alias bomb)', () => {
    expect(problem(() => parseConfig(laughs, 'gantry.yml'))).toMatch(
      /^gantry\.yml:\d+:\d+: too many aliases: expanding them would make the file's data too large \(YAML's guard against resource exhaustion\); write the values out$/,
    );
  });

  it('an alias without its anchor, and a merge of something that is not a mapping', () => {
    expect(problem(() => parseConfig('version: 1\nproject: *nowhere\n', 'gantry.yml'))).toBe(
      'gantry.yml:2:10: alias *nowhere has no anchor (&nowhere) before it',
    );
    expect(problem(() => parseYamlFile('list: &l [1]\ntop:\n  <<: *l\n', 'f.yml', Loose))).toMatch(/^f\.yml:\d+:\d+: .*merge/);
  });
});

describe('problems quote at most the offending token, cut short', () => {
  it('a file that is not key: value lines (such as an environment dump) is not quoted at all', () => {
    const message = problem(() => parseConfig('AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG\nPATH=/usr/bin\n', '.env'));
    expect(message).toBe(
      '.env:1:1: expected a mapping with version, project, github, pullRequests, environments, got a single value, not key: value lines (not shown)',
    );
  });

  it('a long unknown key, a long duplicate key, a long value and a long alias name are cut to 60 characters', () => {
    // YAML itself refuses an implicit key longer than 1,024 characters.
    const long = `k${'x'.repeat(1_000)}`;
    const Strict = z.strictObject({ version: z.number().optional(), a: z.number().optional() });
    for (const text of [`${long}: 1\n`, `a: 1\n${long}: 1\n${long}: 2\n`, `version: "${long}"\n`, `version: *${long}\n`]) {
      const message = problem(() => parseYamlFile(text, 'gantry.yml', Strict));
      expect(message.length, message.slice(0, 200)).toBeLessThan(250);
      expect(message).toContain('kxxxx');
    }
  });
});
