/**
 * Literal strings in Terraform JSON are templates: Terraform reads `${…}` and `%{…}` in every JSON string,
 * so a buildspec's `${!name:-}` or `${X%/}` is a syntax error unless written `$${` / `%%{`.
 *
 * The one place gantry escapes: every stack of the app is an {@link EscapingStack}. Before cdktn resolves
 * tokens, the text each element (resource, data source, provider, backend, output) and each stack override
 * hands over has its literal `${` and `%{` escaped; cdktn's own token markers (`${TfToken[…]}`) are left
 * alone and still become the references and function calls it writes (`${aws_iam_role.x.arn}`). Expressions
 * are therefore written only through tokens (`ref`, `Fn.*`, an attribute of a resource): a hand-written
 * `"${aws_x.y.id}"` is escaped into the literal text it is.
 *
 * {@link templateFindings} checks the result: in a synthesized stack, every unescaped `${…}` must be a
 * reference or function call and there is no unescaped `%{` (tests run it on every stack).
 */
import { Aspects, type IAspect, TerraformElement, TerraformStack } from 'cdktn';
import type { Construct, IConstruct } from 'constructs';

/** cdktn's marker of a string token, `${TfToken[TOKEN.12]}`: never escaped. */
const TOKEN_MARKER = '${TfToken[';

/** Escapes `${` (other than a token marker) and `%{` in one string. */
export function escapeTemplateString(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if ((char === '$' || char === '%') && text[i + 1] === '{') {
      const end = char === '$' && text.startsWith(TOKEN_MARKER, i) ? text.indexOf(']}', i) : -1;
      if (end !== -1) {
        if (out.endsWith('$')) {
          // "$" + "${ref}" would read as the escape "$${": there is no way to write it as one template.
          throw new Error(`a literal "$" directly before a Terraform reference cannot be written unambiguously: ${JSON.stringify(text)}`);
        }
        out += text.slice(i, end + 2);
        i = end + 1;
        continue;
      }
      out += `${char}${char}{`;
      i += 1;
      continue;
    }
    out += char;
  }
  return out;
}

/** Escapes every string (object keys included) of an unresolved element's output; numbers, booleans and tokens as they are. */
export function escapeTemplateLiterals<T>(value: T): T {
  if (typeof value === 'string') return escapeTemplateString(value) as T;
  if (Array.isArray(value)) return value.map((item) => escapeTemplateLiterals(item)) as T;
  if (value === null || typeof value !== 'object') return value;
  // Only plain data: a token object (IResolvable) resolves later to what cdktn writes, never to a gantry literal.
  if (Object.getPrototypeOf(value) !== Object.prototype) return value;
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [escapeTemplateString(key), escapeTemplateLiterals(item)])) as T;
}

const escaped = new WeakSet<TerraformElement>();

/** Routes each element's Terraform output through {@link escapeTemplateLiterals}, once per element. */
class EscapeTemplateLiterals implements IAspect {
  visit(node: IConstruct): void {
    if (!TerraformElement.isTerraformElement(node) || escaped.has(node)) return;
    escaped.add(node);
    const toTerraform = node.toTerraform.bind(node);
    node.toTerraform = () => escapeTemplateLiterals(toTerraform());
  }
}

/** A stack whose literal strings reach Terraform as literals: the elements' output and the stack's overrides are escaped. */
export class EscapingStack extends TerraformStack {
  constructor(scope: Construct, id: string) {
    super(scope, id);
    Aspects.of(this).add(new EscapeTemplateLiterals());
  }

  override addOverride(path: string, value: unknown): void {
    super.addOverride(path, escapeTemplateLiterals(value));
  }
}

export interface TemplateFinding {
  /** Where the string is: `resource.aws_codebuild_project.x.source.buildspec`. */
  path: string;
  /** The offending sequence and what follows it, shortened. */
  text: string;
  reason: string;
}

/** Roots a reference may start with, besides a resource type the stack declares. */
const REFERENCE_ROOTS = new Set(['data', 'var', 'local', 'module', 'path', 'count', 'each', 'self', 'terraform']);

/**
 * Every unescaped template sequence of a synthesized stack that is not one cdktn writes: `%{` anywhere, and
 * `${…}` whose content is not a reference (`aws_x.y.attr`, `data.…`, `path.module`, `count.index`, with
 * `[n]`/`[*]`), a function call of such expressions, a number, a quoted string or a tuple. Empty when the
 * stack's literals are all escaped.
 */
export function templateFindings(stack: unknown): TemplateFinding[] {
  const resourceTypes = new Set(Object.keys(((stack as { resource?: object }).resource ?? {}) as object));
  const findings: TemplateFinding[] = [];
  const visit = (value: unknown, path: string): void => {
    if (typeof value === 'string') {
      for (const finding of scanTemplate(value, resourceTypes)) findings.push({ path, ...finding });
    } else if (Array.isArray(value)) {
      value.forEach((item, index) => {
        visit(item, `${path}[${index}]`);
      });
    } else if (value !== null && typeof value === 'object') {
      for (const [key, item] of Object.entries(value)) {
        for (const finding of scanTemplate(key, resourceTypes)) findings.push({ path: `${path} (key ${JSON.stringify(key)})`, ...finding });
        visit(item, path === '' ? key : `${path}.${key}`);
      }
    }
  };
  visit(stack, '');
  return findings;
}

/** The unescaped sequences of one template string that are not cdktn expressions. */
export function scanTemplate(text: string, resourceTypes: ReadonlySet<string> = new Set()): Array<{ text: string; reason: string }> {
  const findings: Array<{ text: string; reason: string }> = [];
  const excerpt = (at: number) => text.slice(at, at + 40).replace(/\n/g, '\\n');
  let i = 0;
  while (i < text.length) {
    if (text.startsWith('$${', i) || text.startsWith('%%{', i)) {
      i += 3;
    } else if (text.startsWith('%{', i)) {
      findings.push({ text: excerpt(i), reason: 'unescaped template directive "%{" (write "%%{")' });
      i += 2;
    } else if (text.startsWith('${', i)) {
      const parsed = new ExpressionParser(text, i + 2, resourceTypes).interpolation();
      if (parsed.error !== undefined) {
        findings.push({
          text: excerpt(i),
          reason: `unescaped "\${" that is not a Terraform reference or function call (${parsed.error}; write "$\${" for a literal)`,
        });
        i += 2;
      } else {
        findings.push(...parsed.nested);
        i = parsed.end;
      }
    } else {
      i += 1;
    }
  }
  return findings;
}

/** A small recursive-descent reader of the expressions cdktn writes inside `${…}`. */
class ExpressionParser {
  readonly nested: Array<{ text: string; reason: string }> = [];

  constructor(
    private readonly text: string,
    private pos: number,
    private readonly resourceTypes: ReadonlySet<string>,
  ) {}

  /** Reads `expr }` from just after `${`; the position after the closing brace, or why it is not an expression. */
  interpolation(): { end: number; error?: string; nested: Array<{ text: string; reason: string }> } {
    try {
      this.expression();
      this.space();
      if (this.text[this.pos] !== '}') throw new Error(`unexpected ${this.describe()}`);
      return { end: this.pos + 1, nested: this.nested };
    } catch (error) {
      return { end: this.pos, error: (error as Error).message, nested: [] };
    }
  }

  private describe(): string {
    return this.pos >= this.text.length ? 'end of text' : JSON.stringify(this.text[this.pos]);
  }

  private space(): void {
    while (this.pos < this.text.length && /\s/.test(this.text[this.pos] ?? '')) this.pos++;
  }

  private identifier(): string {
    const match = /^[A-Za-z_][A-Za-z0-9_-]*/.exec(this.text.slice(this.pos, this.pos + 200));
    if (match === null) throw new Error(`expected a name, found ${this.describe()}`);
    this.pos += match[0].length;
    return match[0];
  }

  private expect(char: string): void {
    this.space();
    if (this.text[this.pos] !== char) throw new Error(`expected "${char}", found ${this.describe()}`);
    this.pos++;
  }

  private list(close: string): void {
    this.space();
    if (this.text[this.pos] === close) {
      this.pos++;
      return;
    }
    for (;;) {
      this.expression();
      this.space();
      if (this.text[this.pos] === ',') {
        this.pos++;
        continue;
      }
      this.expect(close);
      return;
    }
  }

  private expression(): void {
    this.space();
    const char = this.text[this.pos] ?? '';
    if (char === '"') {
      this.quoted();
      return;
    }
    if (char === '[') {
      this.pos++;
      this.list(']');
      return;
    }
    const number = /^-?[0-9]+(\.[0-9]+)?/.exec(this.text.slice(this.pos, this.pos + 40));
    if (number !== null) {
      this.pos += number[0].length;
      return;
    }
    const name = this.identifier();
    if (['true', 'false', 'null'].includes(name)) return;
    this.space();
    if (this.text[this.pos] === '(') {
      this.pos++;
      this.list(')');
      return;
    }
    if (!REFERENCE_ROOTS.has(name) && !this.resourceTypes.has(name)) throw new Error(`"${name}" is not a resource type of the stack or a reference root`);
    if (this.text[this.pos] !== '.') throw new Error(`"${name}" is not followed by an attribute`);
    this.traversal();
  }

  private traversal(): void {
    for (;;) {
      const char = this.text[this.pos];
      if (char === '.') {
        this.pos++;
        if (this.text[this.pos] === '*') this.pos++;
        else this.identifier();
      } else if (char === '[') {
        this.pos++;
        this.space();
        if (this.text[this.pos] === '*') this.pos++;
        else this.expression();
        this.expect(']');
      } else {
        return;
      }
    }
  }

  /** A quoted string inside an expression: itself a template, with `\"` escapes. */
  private quoted(): void {
    const start = this.pos++;
    while (this.pos < this.text.length && this.text[this.pos] !== '"') {
      if (this.text[this.pos] === '\\') {
        this.pos += 2;
      } else if (this.text.startsWith('$${', this.pos) || this.text.startsWith('%%{', this.pos)) {
        this.pos += 3;
      } else if (this.text.startsWith('%{', this.pos)) {
        this.nested.push({ text: this.text.slice(this.pos, this.pos + 40), reason: 'unescaped template directive "%{" in a quoted string' });
        this.pos += 2;
      } else if (this.text.startsWith('${', this.pos)) {
        const inner = new ExpressionParser(this.text, this.pos + 2, this.resourceTypes).interpolation();
        if (inner.error !== undefined) throw new Error(`in a quoted string: ${inner.error}`);
        this.nested.push(...inner.nested);
        this.pos = inner.end;
      } else {
        this.pos++;
      }
    }
    if (this.text[this.pos] !== '"') throw new Error(`unterminated string from offset ${start}`);
    this.pos++;
  }
}
