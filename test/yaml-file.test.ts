import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigError } from '../src/errors.js';
import { parseYamlFile, type YamlFileOptions } from '../src/yaml-file.js';

const Schema = z.strictObject({
  name: z.string(),
  size: z.number().int().max(10).optional(),
  tags: z.array(z.string()).min(1).optional(),
  nested: z.strictObject({ a: z.string().optional(), b: z.string().optional() }).optional(),
});

function problem(text: string, options?: YamlFileOptions): string {
  try {
    parseYamlFile(text, 'f.yml', Schema, options);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('parseYamlFile', () => {
  it('returns the data and a locate for later checks', () => {
    const { data, locate } = parseYamlFile('name: x\nnested:\n  a: "1"\n', 'f.yml', Schema);
    expect(data).toEqual({ name: 'x', nested: { a: '1' } });
    expect(locate(['nested', 'a'])).toEqual({ file: 'f.yml', path: 'nested.a', line: 3, column: 6 });
    expect(locate(['nested', 'a'], true)).toEqual({ file: 'f.yml', path: 'nested.a', line: 3, column: 3 });
    // A path the file lacks stops at the deepest node it has.
    expect(locate(['nested', 'b'])).toEqual({ file: 'f.yml', path: 'nested.b', line: 3, column: 3 });
  });

  it.each([
    ['unknown key', 'name: x\nnested:\n  c: 1', 'f.yml:3:3: nested.c: unknown key "c"; expected one of a, b'],
    ['missing key', 'size: 1', 'f.yml:1:1: name: is required (expected a string)'],
    ['wrong type', 'name: x\nsize: big', 'f.yml:2:7: size: expected a number, got "big"'],
    ['too big', 'name: x\nsize: 11', 'f.yml:2:7: size: expected at most 10, got 11'],
    ['too few items', 'name: x\ntags: []', 'f.yml:2:7: tags: expected at least 1 item, got a list'],
    ['more problems', 'name: 1\nsize: big\nbogus: 1', 'f.yml:1:7: name: expected a string, got 1 (and 2 more problems)'],
    ['duplicate key', 'name: x\nname: y', 'f.yml:2:1: duplicate key "name"; each key may appear once'],
    ['not YAML', 'name: [x', 'f.yml:1:9: not valid YAML: '],
  ])('%s', (_name, text, expected) => {
    const message = problem(text);
    if (expected.endsWith(': ')) expect(message.startsWith(expected)).toBe(true);
    else expect(message).toBe(expected);
  });

  it('reads scalars as strings on request, an empty value reported at its key', () => {
    expect(parseYamlFile('name: 1.10', 'f.yml', Schema, { scalarsAsStrings: true }).data).toEqual({ name: '1.10' });
    expect(problem('name: x\nnested:\n', { scalarsAsStrings: true })).toBe('f.yml:2:1: nested: expected a mapping with a, b, got an empty value');
  });

  it('uses the schema messages when asked, and lets the caller reword a problem', () => {
    const Named = z.strictObject({ port: z.string({ error: 'expected a port' }) });
    const reword: YamlFileOptions['reword'] = (issue, described, { allowedKeysAt }) =>
      issue.code === 'unrecognized_keys'
        ? `"${issue.keys[0]}" is not supported here; supported: ${allowedKeysAt(issue.path).join(', ')}`
        : `${described.problem}!`;
    const parse = (text: string) => {
      try {
        parseYamlFile(text, 'f.yml', Named, { expected: 'schema', reword, duplicateKey: () => 'twice' });
      } catch (error) {
        return (error as Error).message;
      }
      return 'parsed';
    };
    expect(parse('port: [1]')).toBe('f.yml:1:7: port: expected a port, got a list!');
    expect(parse('port: "1"\nhost: x')).toBe('f.yml:2:1: host: "host" is not supported here; supported: port');
    expect(parse('port: "1"\nport: "2"')).toBe('f.yml:2:1: twice');
  });
});
