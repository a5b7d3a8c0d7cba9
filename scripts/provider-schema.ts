/**
 * Generates the schema extract of the AWS provider that `npm run validate:terraform` checks against for what an
 * older provider binary does not know (terraform/provider-schema/aws-<version>.json).
 *
 *   npx tsx scripts/provider-schema.ts --source DIR --version 6.66.0 [--ref TAG] [--commit FILE=SHA …] [--note TEXT] [--out FILE]
 *
 * DIR is a checkout (or a copy of the files below) of github.com/hashicorp/terraform-provider-aws. The script
 * reads Go source as text and keeps only facts: attribute and block names, their types, whether each is
 * required, optional or computed, nesting and item limits. It copies no code. The output has the same shape as
 * `terraform providers schema -json` (a resource's `block` with `attributes` and `block_types`), plus
 * `max_items` / `min_items` that the provider enforces through validators at `terraform validate`.
 *
 * What it understands is what these files use: Plugin Framework resources (`schema.Schema{…}` with attribute
 * and block literals, the provider's helpers such as `framework.ResourceOptionalComputedListOfObjectsAttribute`,
 * `tftags.TagsAttribute`, `timeouts.Block`, model structs with `tfsdk` tags) and Plugin SDK v2 resources
 * (`map[string]*schema.Schema{…}`). Anything else fails with the file and construct it did not understand.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { CtyType, SchemaAttribute, SchemaBlock, SchemaBlockType } from '../terraform/schema-check.js';

/** What the extract holds: whole resources, or the named attributes of a resource an older provider already has. */
export const EXTRACTED = [
  { resource: 'aws_lambda_capacity_provider', file: 'internal/service/lambda/capacity_provider.go' },
  { resource: 'aws_lambda_function_scaling_config', file: 'internal/service/lambda/function_scaling_config.go' },
  { resource: 'aws_lambda_function', file: 'internal/service/lambda/function.go', attributes: ['capacity_provider_config', 'publish_to'] },
] as const;
const NAME_FILES = ['names/attr_consts_gen.go', 'names/attr_consts.go'];

export interface ProviderSchemaExtract {
  '//': string;
  provider: string;
  version: string;
  source: { repository: string; ref: string; files: Array<{ path: string; commit?: string }>; note?: string };
  resource_schemas: Record<string, { block: SchemaBlock; partial?: string[] }>;
}

// ---------------------------------------------------------------------------------------------------------
// A Go reader just large enough for schema literals.

type Token = { kind: 'ident' | 'string' | 'number' | 'punct'; text: string; offset: number };

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < source.length) {
    const rest = source.slice(i, i + 3);
    const char = source[i] ?? '';
    if (/\s/.test(char)) i++;
    else if (rest.startsWith('//')) i = source.indexOf('\n', i) === -1 ? source.length : source.indexOf('\n', i);
    else if (rest.startsWith('/*')) i = source.indexOf('*/', i) + 2;
    else if (/[A-Za-z_]/.test(char)) {
      const match = /^[A-Za-z_][A-Za-z0-9_]*/.exec(source.slice(i, i + 200)) as RegExpExecArray;
      tokens.push({ kind: 'ident', text: match[0], offset: i });
      i += match[0].length;
    } else if (/[0-9]/.test(char)) {
      const match = /^[0-9][0-9a-fA-FxX._]*/.exec(source.slice(i, i + 60)) as RegExpExecArray;
      tokens.push({ kind: 'number', text: match[0], offset: i });
      i += match[0].length;
    } else if (char === '"' || char === "'") {
      let end = i + 1;
      while (end < source.length && source[end] !== char) end += source[end] === '\\' ? 2 : 1;
      tokens.push({ kind: 'string', text: goString(source.slice(i + 1, end)), offset: i });
      i = end + 1;
    } else if (char === '`') {
      const end = source.indexOf('`', i + 1);
      tokens.push({ kind: 'string', text: source.slice(i + 1, end), offset: i });
      i = end + 1;
    } else {
      const op = ['...', ':=', '&&', '||', '==', '!=', '<=', '>=', '<-', '++', '--'].find((candidate) => source.startsWith(candidate, i)) ?? char;
      tokens.push({ kind: 'punct', text: op, offset: i });
      i += op.length;
    }
  }
  return tokens;
}

/** The value of an interpreted Go string literal's body (its escapes as JSON reads them; raw text otherwise). */
function goString(body: string): string {
  try {
    return JSON.parse(`"${body.replace(/\\"/g, '"').replace(/"/g, '\\"')}"`) as string;
  } catch {
    return body;
  }
}

/** A parsed Go expression, as much as a schema needs. */
export type GoValue =
  | { kind: 'composite'; type: string; elements: Array<{ key?: GoValue; value: GoValue }> }
  | { kind: 'call'; fn: string; typeArgs: string; args: GoValue[] }
  | { kind: 'name'; name: string }
  | { kind: 'string'; value: string }
  | { kind: 'number'; value: string }
  | { kind: 'opaque'; text: string };

class GoParser {
  private pos = 0;

  constructor(
    private readonly tokens: Token[],
    private readonly file: string,
  ) {}

  at(offset: number): this {
    this.pos = this.tokens.findIndex((token) => token.offset >= offset);
    if (this.pos === -1) throw new Error(`${this.file}: nothing to parse at offset ${offset}`);
    return this;
  }

  private peek(ahead = 0): Token | undefined {
    return this.tokens[this.pos + ahead];
  }

  private take(): Token {
    const token = this.tokens[this.pos++];
    if (token === undefined) throw new Error(`${this.file}: unexpected end of file`);
    return token;
  }

  /** Consumes tokens up to the bracket matching the one just before `pos`; returns their text joined. */
  private balanced(open: string, close: string): string {
    let depth = 1;
    const parts: string[] = [];
    while (depth > 0) {
      const token = this.take();
      if (token.text === open) depth++;
      else if (token.text === close) depth--;
      if (depth > 0) parts.push(token.text);
    }
    return parts.join('');
  }

  private isEnd(token: Token | undefined): boolean {
    return token === undefined || [',', '}', ')', ']', ':', ';'].includes(token.text);
  }

  expression(): GoValue {
    let value = this.primary();
    // Operators and method calls after a value (`10 * time.Minute`): kept as opaque text.
    if (!this.isEnd(this.peek())) {
      const parts: string[] = [];
      while (!this.isEnd(this.peek())) {
        const token = this.take();
        parts.push(token.text);
        if (token.text === '(') parts.push(this.balanced('(', ')'), ')');
        if (token.text === '{') parts.push(this.balanced('{', '}'), '}');
      }
      value = { kind: 'opaque', text: `${describe(value)}${parts.join('')}` };
    }
    return value;
  }

  private primary(): GoValue {
    const token = this.take();
    if (token.text === '&' || token.text === '*') return this.primary();
    if (token.kind === 'string') return { kind: 'string', value: token.text };
    if (token.kind === 'number') return { kind: 'number', value: token.text };
    if (token.text === '{') return { kind: 'composite', type: '', elements: this.elements() };
    if (token.text === 'func') {
      // A function literal: its signature, then its body.
      while (this.peek()?.text !== '{') {
        const part = this.take();
        if (part.text === '(') this.balanced('(', ')');
      }
      this.take();
      this.balanced('{', '}');
      return { kind: 'opaque', text: 'func literal' };
    }
    if (token.text === '[' || token.text === 'map') {
      // A composite literal of a slice or map type: `[]validator.List{…}`, `map[string]schema.Attribute{…}`.
      let type = token.text;
      while (this.peek()?.text !== '{') type += this.take().text;
      this.take();
      return { kind: 'composite', type, elements: this.elements() };
    }
    if (token.kind === 'ident') {
      let name = token.text;
      while (this.peek()?.text === '.' && this.peek(1)?.kind === 'ident') {
        this.take();
        name += `.${this.take().text}`;
      }
      let typeArgs = '';
      if (this.peek()?.text === '[') {
        this.take();
        typeArgs = this.balanced('[', ']');
      }
      if (this.peek()?.text === '(') {
        this.take();
        const args: GoValue[] = [];
        while (this.peek()?.text !== ')') {
          if (this.peek()?.text === '...') this.take();
          args.push(this.expression());
          if (this.peek()?.text === ',') this.take();
          if (this.peek()?.text === '...') this.take();
        }
        this.take();
        return { kind: 'call', fn: name, typeArgs, args };
      }
      if (this.peek()?.text === '{') {
        this.take();
        return { kind: 'composite', type: typeArgs === '' ? name : `${name}[${typeArgs}]`, elements: this.elements() };
      }
      return { kind: 'name', name: typeArgs === '' ? name : `${name}[${typeArgs}]` };
    }
    throw new Error(`${this.file}: unexpected "${token.text}" at offset ${token.offset}`);
  }

  /** The elements of a composite literal, after its `{`, through its `}`. */
  private elements(): Array<{ key?: GoValue; value: GoValue }> {
    const elements: Array<{ key?: GoValue; value: GoValue }> = [];
    while (this.peek()?.text !== '}') {
      const first = this.expression();
      if (this.peek()?.text === ':') {
        this.take();
        elements.push({ key: first, value: this.expression() });
      } else {
        elements.push({ value: first });
      }
      if (this.peek()?.text === ',') this.take();
    }
    this.take();
    return elements;
  }
}

function describe(value: GoValue): string {
  switch (value.kind) {
    case 'composite':
      return `${value.type}{…}`;
    case 'call':
      return `${value.fn}${value.typeArgs === '' ? '' : `[${value.typeArgs}]`}(…)`;
    case 'name':
      return value.name;
    case 'string':
      return JSON.stringify(value.value);
    case 'number':
      return value.value;
    case 'opaque':
      return value.text;
  }
}

/** The fields of a composite literal with identifier keys (`Required: true`). */
function fieldsOf(value: GoValue, where: string): Map<string, GoValue> {
  if (value.kind !== 'composite') throw new Error(`${where}: expected a composite literal, found ${describe(value)}`);
  return new Map(value.elements.map(({ key, value: item }) => [key?.kind === 'name' ? key.name : '', item]));
}

const isTrue = (value: GoValue | undefined) => value?.kind === 'name' && value.name === 'true';
const flags = (fields: Map<string, GoValue>) => ({
  ...(isTrue(fields.get('Required')) ? { required: true } : {}),
  ...(isTrue(fields.get('Optional')) ? { optional: true } : {}),
  ...(isTrue(fields.get('Computed')) ? { computed: true } : {}),
});

// ---------------------------------------------------------------------------------------------------------
// The provider's conventions.

interface SourceFile {
  path: string;
  text: string;
  models: Map<string, Array<{ name?: string; type: string }>>;
}

function readModels(text: string): SourceFile['models'] {
  const models = new Map<string, Array<{ name?: string; type: string }>>();
  for (const match of text.matchAll(/^type (\w+) struct \{\n([\s\S]*?)^\}/gm)) {
    const fields: Array<{ name?: string; type: string }> = [];
    for (const line of (match[2] ?? '').split('\n')) {
      const field = /^\s*(\w+)\s+([\w.[\]]+)\s+`tfsdk:"([^"]+)"`/.exec(line);
      if (field !== null) {
        if (field[3] !== '-') fields.push({ name: field[3], type: field[2] ?? '' });
        continue;
      }
      const embedded = /^\s*([\w.]+(?:\[[\w.]+\])?)\s*$/.exec(line);
      if (embedded !== null) fields.push({ type: embedded[1] ?? '' });
    }
    models.set(match[1] ?? '', fields);
  }
  return models;
}

class Extractor {
  constructor(
    private readonly names: Map<string, string>,
    private readonly file: SourceFile,
  ) {}

  private where(what: string): string {
    return `${this.file.path}: ${what}`;
  }

  key(value: GoValue | undefined): string {
    if (value?.kind === 'string') return value.value;
    if (value?.kind === 'name' && value.name.startsWith('names.')) {
      const name = this.names.get(value.name.slice('names.'.length));
      if (name !== undefined) return name;
    }
    throw new Error(this.where(`cannot resolve the attribute name ${value === undefined ? 'undefined' : describe(value)}`));
  }

  /** A model struct as a Terraform object type. */
  modelType(model: string): Record<string, CtyType> {
    const fields = this.file.models.get(model);
    if (fields === undefined) throw new Error(this.where(`no model struct ${model}`));
    const type: Record<string, CtyType> = {};
    for (const field of fields) if (field.name !== undefined) type[field.name] = this.goType(field.type, model);
    return type;
  }

  /** The model's embedded `framework.WithRegionModel` adds the `region` argument every regional resource has. */
  modelHasRegion(model: string): boolean {
    return (this.file.models.get(model) ?? []).some((field) => field.name === undefined && field.type === 'framework.WithRegionModel');
  }

  goType(type: string, where: string): CtyType {
    const generic = /^([\w.]+)\[([\w.]+)\]$/.exec(type);
    const base = generic?.[1] ?? type;
    const argument = generic?.[2] ?? '';
    if (['types.String', 'fwtypes.ARN', 'fwtypes.StringEnum', 'timetypes.RFC3339', 'fwtypes.Duration'].includes(base)) return 'string';
    if (['types.Int32', 'types.Int64', 'types.Float32', 'types.Float64', 'types.Number'].includes(base)) return 'number';
    if (base === 'types.Bool') return 'bool';
    if (['fwtypes.ListOfString', 'fwtypes.ListOfStringEnum', 'fwtypes.ListOfARN'].includes(base)) return ['list', 'string'];
    if (['fwtypes.SetOfString', 'fwtypes.SetOfStringEnum', 'fwtypes.SetOfARN'].includes(base)) return ['set', 'string'];
    if (['fwtypes.MapOfString', 'tftags.Map'].includes(base)) return ['map', 'string'];
    if (base === 'fwtypes.ListNestedObjectValueOf') return ['list', ['object', this.modelType(argument)]];
    if (base === 'fwtypes.SetNestedObjectValueOf') return ['set', ['object', this.modelType(argument)]];
    if (base === 'fwtypes.ObjectValueOf') return ['object', this.modelType(argument)];
    throw new Error(this.where(`${where}: no Terraform type known for Go type ${type}`));
  }

  private elementType(fields: Map<string, GoValue>, where: string): CtyType {
    const custom = fields.get('CustomType');
    if (custom !== undefined) {
      const text = describe(custom);
      if (/^fwtypes\.(ListOf|SetOf|MapOf)StringType$/.test(text) || /^fwtypes\.(ListOf|SetOf)StringEnumType/.test(text)) return 'string';
      if (custom.kind === 'call' && /^fwtypes\.New(List|Set)NestedObjectTypeOf$/.test(custom.fn)) return ['object', this.modelType(custom.typeArgs)];
    }
    const element = fields.get('ElementType');
    if (element?.kind === 'name') {
      const simple: Record<string, CtyType> = {
        'types.StringType': 'string',
        'types.Int64Type': 'number',
        'types.Int32Type': 'number',
        'types.Float64Type': 'number',
        'types.BoolType': 'bool',
      };
      const type = simple[element.name];
      if (type !== undefined) return type;
    }
    if (element?.kind === 'composite' && element.type === 'types.ObjectType') {
      const attrTypes = fieldsOf(element, where).get('AttrTypes');
      if (attrTypes?.kind === 'call' && attrTypes.fn === 'fwtypes.AttributeTypesMust') return ['object', this.modelType(attrTypes.typeArgs)];
    }
    throw new Error(this.where(`${where}: cannot tell the element type`));
  }

  private sizeLimits(fields: Map<string, GoValue>): { min_items?: number; max_items?: number } {
    const limits: { min_items?: number; max_items?: number } = {};
    const validators = fields.get('Validators');
    if (validators?.kind !== 'composite') return limits;
    for (const { value } of validators.elements) {
      if (value.kind !== 'call') continue;
      const number = (index: number) => Number((value.args[index] as { value?: string } | undefined)?.value);
      if (value.fn === 'listvalidator.IsRequired' || value.fn === 'setvalidator.IsRequired') limits.min_items = Math.max(limits.min_items ?? 0, 1);
      if (/^(list|set)validator\.SizeAtLeast$/.test(value.fn)) limits.min_items = number(0);
      if (/^(list|set)validator\.SizeAtMost$/.test(value.fn)) limits.max_items = number(0);
      if (/^(list|set)validator\.SizeBetween$/.test(value.fn)) Object.assign(limits, { min_items: number(0), max_items: number(1) });
    }
    return limits;
  }

  /** One Plugin Framework attribute. */
  frameworkAttribute(value: GoValue, name: string): SchemaAttribute {
    const where = `attribute ${name}`;
    if (value.kind === 'call') {
      // The provider's helpers (internal/framework, internal/tags).
      const listOfObjects = /^framework\.Resource(Optional|OptionalComputed|Computed)ListOfObjectsAttribute$/.exec(value.fn);
      if (listOfObjects !== null) {
        const mode = listOfObjects[1];
        const max = value.args[1]?.kind === 'number' ? Number(value.args[1].value) : undefined;
        return {
          type: ['list', ['object', this.modelType(value.typeArgs)]],
          ...(mode !== 'Computed' ? { optional: true } : {}),
          ...(mode !== 'Optional' ? { computed: true } : {}),
          ...(max !== undefined && mode !== 'Computed' ? { max_items: max } : {}),
        };
      }
      if (value.fn === 'framework.ARNAttributeComputedOnly' || value.fn === 'framework.IDAttribute') return { type: 'string', computed: true };
      if (value.fn === 'tftags.TagsAttribute') return { type: ['map', 'string'], optional: true };
      if (value.fn === 'tftags.TagsAttributeComputedOnly') return { type: ['map', 'string'], computed: true };
      throw new Error(this.where(`${where}: unknown helper ${value.fn}`));
    }
    if (value.kind !== 'composite') throw new Error(this.where(`${where}: unexpected ${describe(value)}`));
    const fields = fieldsOf(value, where);
    const scalar: Record<string, CtyType> = {
      'schema.StringAttribute': 'string',
      'schema.Int32Attribute': 'number',
      'schema.Int64Attribute': 'number',
      'schema.Float32Attribute': 'number',
      'schema.Float64Attribute': 'number',
      'schema.NumberAttribute': 'number',
      'schema.BoolAttribute': 'bool',
    };
    const collection: Record<string, string> = { 'schema.ListAttribute': 'list', 'schema.SetAttribute': 'set', 'schema.MapAttribute': 'map' };
    const type =
      scalar[value.type] ?? (collection[value.type] === undefined ? undefined : ([collection[value.type], this.elementType(fields, where)] as CtyType));
    if (type === undefined) throw new Error(this.where(`${where}: unknown attribute kind ${value.type}`));
    const { max_items } = this.sizeLimits(fields);
    return { type, ...flags(fields), ...(max_items === undefined ? {} : { max_items }) };
  }

  /** One Plugin Framework block. */
  frameworkBlock(value: GoValue, name: string): SchemaBlockType {
    const where = `block ${name}`;
    if (value.kind === 'call' && value.fn === 'timeouts.Block') {
      // terraform-plugin-framework-timeouts: a single nested block of optional duration strings.
      const options = value.args[1] === undefined ? new Map<string, GoValue>() : fieldsOf(value.args[1], where);
      const attributes: Record<string, SchemaAttribute> = {};
      for (const operation of ['Create', 'Read', 'Update', 'Delete'])
        if (isTrue(options.get(operation))) attributes[operation.toLowerCase()] = { type: 'string', optional: true };
      return { nesting_mode: 'single', block: { attributes } };
    }
    if (value.kind !== 'composite') throw new Error(this.where(`${where}: unexpected ${describe(value)}`));
    const fields = fieldsOf(value, where);
    const nesting = { 'schema.ListNestedBlock': 'list', 'schema.SetNestedBlock': 'set', 'schema.SingleNestedBlock': 'single' }[value.type] as
      | SchemaBlockType['nesting_mode']
      | undefined;
    if (nesting === undefined) throw new Error(this.where(`${where}: unknown block kind ${value.type}`));
    const body = nesting === 'single' ? fields : fieldsOf(fields.get('NestedObject') ?? { kind: 'composite', type: '', elements: [] }, where);
    return { nesting_mode: nesting, ...this.sizeLimits(fields), block: this.frameworkBody(body) };
  }

  frameworkBody(fields: Map<string, GoValue>): SchemaBlock {
    const block: SchemaBlock = {};
    const attributes = fields.get('Attributes');
    if (attributes?.kind === 'composite') {
      block.attributes = {};
      for (const { key, value } of attributes.elements) {
        const name = this.key(key);
        block.attributes[name] = this.frameworkAttribute(value, name);
      }
    }
    const blocks = fields.get('Blocks');
    if (blocks?.kind === 'composite') {
      block.block_types = {};
      for (const { key, value } of blocks.elements) {
        const name = this.key(key);
        block.block_types[name] = this.frameworkBlock(value, name);
      }
    }
    return block;
  }

  /** A Plugin SDK v2 schema map, as attributes and blocks. */
  sdkBody(map: GoValue, only?: readonly string[]): SchemaBlock {
    if (map.kind !== 'composite') throw new Error(this.where(`expected a schema map, found ${describe(map)}`));
    const attributes: Record<string, SchemaAttribute> = {};
    const blockTypes: Record<string, SchemaBlockType> = {};
    for (const { key, value } of map.elements) {
      const name = this.key(key);
      if (only !== undefined && !only.includes(name)) continue;
      const where = `attribute ${name}`;
      if (value.kind === 'call') {
        if (value.fn === 'tftags.TagsSchema' || value.fn === 'tftags.TagsSchemaForceNew') attributes[name] = { type: ['map', 'string'], optional: true };
        else if (value.fn === 'tftags.TagsSchemaComputed') attributes[name] = { type: ['map', 'string'], optional: true, computed: true };
        else throw new Error(this.where(`${where}: unknown helper ${value.fn}`));
        continue;
      }
      const fields = fieldsOf(value, where);
      const kind = describe(fields.get('Type') ?? { kind: 'opaque', text: 'none' });
      const scalar: Record<string, CtyType> = {
        'schema.TypeString': 'string',
        'schema.TypeInt': 'number',
        'schema.TypeFloat': 'number',
        'schema.TypeBool': 'bool',
      };
      const elem = fields.get('Elem');
      const number = (field: string) => {
        const item = fields.get(field);
        return item?.kind === 'number' ? Number(item.value) : undefined;
      };
      if (scalar[kind] !== undefined) {
        attributes[name] = { type: scalar[kind], ...flags(fields) };
      } else if (kind === 'schema.TypeList' || kind === 'schema.TypeSet' || kind === 'schema.TypeMap') {
        const collection = kind.slice('schema.Type'.length).toLowerCase();
        if (elem?.kind === 'composite' && elem.type === 'schema.Resource' && collection !== 'map') {
          const nested = this.sdkBody(fieldsOf(elem, where).get('Schema') ?? { kind: 'opaque', text: 'none' });
          const computedOnly = isTrue(fields.get('Computed')) && !isTrue(fields.get('Optional')) && !isTrue(fields.get('Required'));
          if (computedOnly) {
            attributes[name] = { type: [collection, ['object', objectType(nested)]] as CtyType, computed: true };
          } else {
            const min = number('MinItems') ?? (isTrue(fields.get('Required')) ? 1 : undefined);
            const max = number('MaxItems');
            blockTypes[name] = {
              nesting_mode: collection as 'list' | 'set',
              ...(min !== undefined && min > 0 ? { min_items: min } : {}),
              ...(max !== undefined ? { max_items: max } : {}),
              block: nested,
            };
          }
        } else {
          const element = elem === undefined ? 'string' : scalar[describe(fieldsOf(elem, where).get('Type') ?? { kind: 'opaque', text: 'none' })];
          if (element === undefined) throw new Error(this.where(`${where}: cannot tell the element type`));
          const max = number('MaxItems');
          attributes[name] = { type: [collection, element], ...flags(fields), ...(max !== undefined ? { max_items: max } : {}) };
        }
      } else {
        throw new Error(this.where(`${where}: unknown Type ${kind}`));
      }
    }
    for (const name of only ?? []) {
      if (attributes[name] === undefined && blockTypes[name] === undefined) throw new Error(this.where(`no schema entry ${name}`));
    }
    return {
      ...(Object.keys(attributes).length === 0 ? {} : { attributes }),
      ...(Object.keys(blockTypes).length === 0 ? {} : { block_types: blockTypes }),
    };
  }
}

/** A block's attributes and nested blocks as one object type (how a computed-only block is exposed). */
function objectType(block: SchemaBlock): Record<string, CtyType> {
  const type: Record<string, CtyType> = {};
  for (const [name, attribute] of Object.entries(block.attributes ?? {})) type[name] = attribute.type;
  for (const [name, nested] of Object.entries(block.block_types ?? {}))
    type[name] = nested.nesting_mode === 'single' ? ['object', objectType(nested.block)] : [nested.nesting_mode, ['object', objectType(nested.block)]];
  return type;
}

function readNames(source: string): Map<string, string> {
  const names = new Map<string, string>();
  for (const file of NAME_FILES) {
    let text: string;
    try {
      text = readFileSync(join(source, file), 'utf8');
    } catch {
      continue;
    }
    for (const match of text.matchAll(/^\s*(Attr\w+)\s*=\s*"([^"]+)"/gm)) names.set(match[1] ?? '', match[2] ?? '');
  }
  if (names.size === 0) throw new Error(`${source}: no attribute name constants in ${NAME_FILES.join(' or ')}`);
  return names;
}

/** Extracts one resource's schema (or the named attributes of it) from its Go source. */
export function extractResource(
  source: string,
  names: Map<string, string>,
  entry: { resource: string; file: string; attributes?: readonly string[] },
): { block: SchemaBlock; partial?: string[] } {
  const text = readFileSync(join(source, entry.file), 'utf8');
  const file: SourceFile = { path: entry.file, text, models: readModels(text) };
  const extractor = new Extractor(names, file);
  const tokens = tokenize(text);
  const framework = new RegExp(`@FrameworkResource\\("${entry.resource}"`).test(text);
  const sdk = new RegExp(`@SDKResource\\("${entry.resource}"`).test(text);
  if (framework) {
    const schemaFunc = /func \(\w+ \*(\w+)\) Schema\(ctx/.exec(text);
    if (schemaFunc === null) throw new Error(`${entry.file}: no Schema method`);
    const literal = text.indexOf('schema.Schema{', schemaFunc.index);
    const parsed = new GoParser(tokens, entry.file).at(literal).expression();
    const block = extractor.frameworkBody(fieldsOf(parsed, `${entry.resource} schema`));
    const struct = new RegExp(`type ${schemaFunc[1]} struct \\{[\\s\\S]*?framework\\.ResourceWithModel\\[(\\w+)\\]`).exec(text);
    if (struct?.[1] !== undefined && extractor.modelHasRegion(struct[1])) {
      block.attributes = { ...block.attributes, region: { type: 'string', optional: true, computed: true } };
    }
    return entry.attributes === undefined ? { block } : { block: pick(block, entry.attributes, entry.file), partial: [...entry.attributes] };
  }
  if (sdk) {
    const start = text.indexOf('Schema: map[string]*schema.Schema{', text.search(new RegExp(`@SDKResource\\("${entry.resource}"`)));
    if (start === -1) throw new Error(`${entry.file}: no schema map after @SDKResource("${entry.resource}")`);
    const parsed = new GoParser(tokens, entry.file).at(start + 'Schema: '.length).expression();
    const block = extractor.sdkBody(parsed, entry.attributes);
    return entry.attributes === undefined ? { block } : { block, partial: [...entry.attributes] };
  }
  throw new Error(`${entry.file}: no @FrameworkResource or @SDKResource annotation for ${entry.resource}`);
}

function pick(block: SchemaBlock, names: readonly string[], file: string): SchemaBlock {
  const picked: SchemaBlock = {};
  for (const name of names) {
    if (block.attributes?.[name] !== undefined) picked.attributes = { ...picked.attributes, [name]: block.attributes[name] };
    else if (block.block_types?.[name] !== undefined) picked.block_types = { ...picked.block_types, [name]: block.block_types[name] };
    else throw new Error(`${file}: no schema entry ${name}`);
  }
  return picked;
}

export function generateExtract(options: {
  source: string;
  version: string;
  ref?: string;
  commits?: Record<string, string>;
  note?: string;
}): ProviderSchemaExtract {
  const names = readNames(options.source);
  const resources: ProviderSchemaExtract['resource_schemas'] = {};
  for (const entry of EXTRACTED) resources[entry.resource] = extractResource(options.source, names, entry);
  const files = [...EXTRACTED.map((entry) => entry.file), ...NAME_FILES.filter((file) => names.size > 0 && existsIn(options.source, file))];
  return {
    '//': 'Generated by scripts/provider-schema.ts from the public Go source of hashicorp/terraform-provider-aws (facts only: names, types, required/optional/computed, nesting). Do not edit; regenerate.',
    provider: 'registry.terraform.io/hashicorp/aws',
    version: options.version,
    source: {
      repository: 'https://github.com/hashicorp/terraform-provider-aws',
      ref: options.ref ?? `v${options.version}`,
      files: files.map((path) => ({ path, ...(options.commits?.[path] === undefined ? {} : { commit: options.commits[path] }) })),
      ...(options.note === undefined ? {} : { note: options.note }),
    },
    resource_schemas: resources,
  };
}

function existsIn(source: string, file: string): boolean {
  try {
    readFileSync(join(source, file));
    return true;
  } catch {
    return false;
  }
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { values } = parseArgs({
    options: {
      source: { type: 'string' },
      version: { type: 'string' },
      ref: { type: 'string' },
      commit: { type: 'string', multiple: true },
      note: { type: 'string' },
      out: { type: 'string' },
    },
    strict: true,
  });
  if (values.source === undefined || values.version === undefined) {
    process.stderr.write(
      'usage: npx tsx scripts/provider-schema.ts --source DIR --version X.Y.Z [--ref REF] [--commit FILE=SHA …] [--note TEXT] [--out FILE]\n',
    );
    process.exit(2);
  }
  const commits = Object.fromEntries((values.commit ?? []).map((pair) => pair.split('=', 2) as [string, string]));
  const extract = generateExtract({
    source: values.source,
    version: values.version,
    ...(values.ref === undefined ? {} : { ref: values.ref }),
    ...(values.note === undefined ? {} : { note: values.note }),
    commits,
  });
  const out = values.out ?? `terraform/provider-schema/aws-${values.version}.json`;
  writeFileSync(out, `${JSON.stringify(extract, null, 2)}\n`);
  process.stdout.write(`${relative('.', out)}: ${Object.keys(extract.resource_schemas).join(', ')}\n`);
}
