/**
 * Checks Terraform JSON against a provider schema the way Terraform decodes it, for the resources and
 * attributes the provider binary at hand does not know (see terraform/validate.ts): unknown arguments are
 * rejected, required ones must be present, computed-only ones must not be set, blocks respect their item
 * limits, and a value of an object type (such as each element of a `list(object)` attribute) has every key of
 * the type, null for the ones it leaves unset, and no other.
 *
 * Schemas have the shape `terraform providers schema -json` prints, so the same code reads the binary's own
 * schema and the committed extract (terraform/provider-schema/).
 */
/** A Terraform type as the schema JSON spells it: `"string"`, `["list", "string"]`, `["object", {…}]`. */
export type CtyType = string | [string, CtyType] | ['object', Record<string, CtyType>];
export interface SchemaAttribute {
  type: CtyType;
  required?: boolean;
  optional?: boolean;
  computed?: boolean;
  /** A list or set attribute's size limit (a provider validator). */
  max_items?: number;
}
export interface SchemaBlockType {
  nesting_mode: 'list' | 'set' | 'single';
  min_items?: number;
  max_items?: number;
  block: SchemaBlock;
}
export interface SchemaBlock {
  attributes?: Record<string, SchemaAttribute>;
  block_types?: Record<string, SchemaBlockType>;
}

export interface SchemaFinding {
  /** `resource.aws_lambda_capacity_provider.x.instance_requirements[0]` */
  path: string;
  message: string;
}

/** Arguments every resource and data block may carry besides its schema's. */
export const META_ARGUMENTS = new Set(['count', 'for_each', 'depends_on', 'provider', 'lifecycle', 'connection', 'provisioner']);

/** True when the JSON string is, or contains, an interpolation (its value is known only at plan). */
function isExpression(value: string): boolean {
  return /(^|[^$])\$\{/.test(value);
}

/** True when the whole string is one interpolation: its type is whatever the expression yields. */
function isWholeExpression(value: string): boolean {
  return /^\$\{[\s\S]*\}$/.test(value) && !/^\$\$\{/.test(value);
}

const typeName = (type: CtyType): string => (typeof type === 'string' ? type : type[0] === 'object' ? 'object' : `${type[0]}(${typeName(type[1] as CtyType)})`);

/** Type-checks one value against a Terraform type, as Terraform converts JSON values. */
export function checkValue(value: unknown, type: CtyType, path: string): SchemaFinding[] {
  if (value === null || value === undefined) return [];
  if (typeof value === 'string' && isExpression(value)) {
    if (isWholeExpression(value)) return [];
    return typeof type === 'string' ? [] : [{ path, message: `a string template cannot be a ${typeName(type)}` }];
  }
  if (type === 'string') {
    return ['string', 'number', 'boolean'].includes(typeof value) ? [] : [{ path, message: `expected a string, found ${describe(value)}` }];
  }
  if (type === 'number') {
    if (typeof value === 'number' || (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value)))) return [];
    return [{ path, message: `expected a number, found ${describe(value)}` }];
  }
  if (type === 'bool') {
    return typeof value === 'boolean' || value === 'true' || value === 'false' ? [] : [{ path, message: `expected a bool, found ${describe(value)}` }];
  }
  if (type === 'dynamic') return [];
  if (typeof type === 'string') return [{ path, message: `unknown type ${type}` }];
  const [kind, element] = type;
  if (kind === 'list' || kind === 'set') {
    if (!Array.isArray(value)) return [{ path, message: `expected a ${typeName(type)}, found ${describe(value)}` }];
    return value.flatMap((item, index) => checkValue(item, element as CtyType, `${path}[${index}]`));
  }
  if (kind === 'map') {
    if (!isObject(value)) return [{ path, message: `expected a ${typeName(type)}, found ${describe(value)}` }];
    return Object.entries(value).flatMap(([key, item]) => checkValue(item, element as CtyType, `${path}["${key}"]`));
  }
  if (kind === 'object') {
    if (!isObject(value)) return [{ path, message: `expected an object, found ${describe(value)}` }];
    const attributes = element as Record<string, CtyType>;
    const findings: SchemaFinding[] = [];
    for (const key of Object.keys(attributes)) {
      if (!(key in value)) findings.push({ path, message: `attribute "${key}" is required (every key of the object type, null when unset)` });
    }
    for (const [key, item] of Object.entries(value)) {
      const attribute = attributes[key];
      if (attribute === undefined)
        findings.push({ path, message: `unsupported attribute "${key}" (the object type has ${Object.keys(attributes).join(', ')})` });
      else findings.push(...checkValue(item, attribute, `${path}.${key}`));
    }
    return findings;
  }
  return [{ path, message: `unknown type ${JSON.stringify(type)}` }];
}

/** Checks one attribute's value: settable, typed, within its item limit. */
export function checkAttribute(value: unknown, attribute: SchemaAttribute, path: string): SchemaFinding[] {
  if (attribute.computed === true && attribute.optional !== true && attribute.required !== true) {
    return [{ path, message: 'is computed by the provider and cannot be set' }];
  }
  const findings = checkValue(value, attribute.type, path);
  if (attribute.max_items !== undefined && Array.isArray(value) && value.length > attribute.max_items) {
    findings.push({ path, message: `at most ${attribute.max_items} element${attribute.max_items === 1 ? '' : 's'}, found ${value.length}` });
  }
  return findings;
}

/** Checks the blocks given for one block type: JSON shape, item limits, each body. */
export function checkBlockType(value: unknown, blockType: SchemaBlockType, path: string): SchemaFinding[] {
  if (blockType.nesting_mode === 'single') {
    if (!isObject(value)) return [{ path, message: `expected one block (a JSON object), found ${describe(value)}` }];
    return checkBody(value, blockType.block, path);
  }
  const items = Array.isArray(value) ? value : [value];
  const findings: SchemaFinding[] = [];
  if (blockType.max_items !== undefined && items.length > blockType.max_items)
    findings.push({ path, message: `at most ${blockType.max_items} block(s), found ${items.length}` });
  if (blockType.min_items !== undefined && items.length < blockType.min_items)
    findings.push({ path, message: `at least ${blockType.min_items} block(s), found ${items.length}` });
  items.forEach((item, index) => {
    const at = Array.isArray(value) ? `${path}[${index}]` : path;
    if (!isObject(item)) findings.push({ path: at, message: `expected a block (a JSON object), found ${describe(item)}` });
    else findings.push(...checkBody(item, blockType.block, at));
  });
  return findings;
}

/** Checks a block body: every argument known, required ones present, nested blocks as their types say. */
export function checkBody(body: Record<string, unknown>, block: SchemaBlock, path: string, options: { topLevel?: boolean } = {}): SchemaFinding[] {
  const findings: SchemaFinding[] = [];
  for (const [key, value] of Object.entries(body)) {
    if (key === '//' || (options.topLevel === true && META_ARGUMENTS.has(key))) continue;
    const attribute = block.attributes?.[key];
    const blockType = block.block_types?.[key];
    if (attribute !== undefined) findings.push(...checkAttribute(value, attribute, `${path}.${key}`));
    else if (blockType !== undefined) findings.push(...checkBlockType(value, blockType, `${path}.${key}`));
    else findings.push({ path: `${path}.${key}`, message: 'unsupported argument: the schema has no attribute or block of this name' });
  }
  for (const [name, attribute] of Object.entries(block.attributes ?? {})) {
    if (attribute.required === true && (body[name] === undefined || body[name] === null))
      findings.push({ path, message: `missing required argument "${name}"` });
  }
  for (const [name, blockType] of Object.entries(block.block_types ?? {})) {
    if ((blockType.min_items ?? 0) > 0 && body[name] === undefined)
      findings.push({ path, message: `missing required block "${name}" (at least ${blockType.min_items})` });
  }
  return findings;
}

/** Whether a block's schema has an attribute or nested block of this name. */
export function hasMember(block: SchemaBlock | undefined, name: string): boolean {
  return block?.attributes?.[name] !== undefined || block?.block_types?.[name] !== undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return 'a list';
  if (value === null) return 'null';
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${JSON.stringify(value).slice(0, 40)}`;
}
