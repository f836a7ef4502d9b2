import { BaseError } from './errors.ts';

/**
 * A strict RFC 8259 JSON parser for untrusted headers (safetensors). Unlike
 * `JSON.parse` it rejects duplicate object keys (which `JSON.parse` silently
 * resolves to the last one), rejects lone surrogates in strings, bounds the
 * nesting depth and number length, and keeps integers exact as `bigint`.
 *
 * Values: `null`, booleans, strings, integers as `bigint`, numbers with a
 * fraction or exponent as `number`, arrays, and objects as `Map` (so a key
 * such as `__proto__` is plain data).
 */
export type JsonValue = null | boolean | string | bigint | number | JsonValue[] | JsonObject;

/** A parsed JSON object, keys in document order. */
export type JsonObject = Map<string, JsonValue>;

/** The text is not valid JSON (or exceeds a parser bound). */
export class JsonSyntaxError extends BaseError {
  override name = 'JsonSyntaxError';
  constructor(problem: string, offset: number) {
    super(`Invalid JSON at character ${offset}: ${problem}.`, { hint: 'Write strict RFC 8259 JSON.' });
  }
}

/** An object has the same key twice. */
export class JsonDuplicateKeyError extends BaseError {
  override name = 'JsonDuplicateKeyError';
  /** The repeated key. */
  readonly key: string;
  /** Nesting depth of the object holding it (1 for the outermost object). */
  readonly depth: number;
  constructor(key: string, depth: number) {
    super(`JSON object has the key ${JSON.stringify(key)} more than once.`, {
      hint: 'Each key may appear once per object.',
    });
    this.key = key;
    this.depth = depth;
  }
}

/** Options of `parseStrictJson`. */
export type ParseStrictJsonOptions = {
  /** Deepest nesting of arrays and objects accepted (default 16). */
  maxDepth?: number;
};

/** Longest number lexeme accepted; bounds the cost of converting it. */
const MAX_NUMBER_CHARS = 64;

const NUMBER = /-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/y;

/** Parses `text` as one JSON value surrounded by optional whitespace. */
export function parseStrictJson(text: string, options: ParseStrictJsonOptions = {}): JsonValue {
  const parser = new Parser(text, options.maxDepth ?? 16);
  parser.skipWhitespace();
  const value = parser.value(0);
  parser.skipWhitespace();
  if (parser.at < text.length) parser.fail('unexpected text after the value');
  return value;
}

class Parser {
  at = 0;
  constructor(
    private readonly text: string,
    private readonly maxDepth: number,
  ) {}

  fail(problem: string): never {
    throw new JsonSyntaxError(problem, this.at);
  }

  skipWhitespace(): void {
    const text = this.text;
    let c = text.charCodeAt(this.at);
    while (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) c = text.charCodeAt(++this.at);
  }

  value(depth: number): JsonValue {
    const c = this.text[this.at];
    if (c === '{') return this.object(depth + 1);
    if (c === '[') return this.array(depth + 1);
    if (c === '"') return this.string();
    if (c === 't') return this.literal('true', true);
    if (c === 'f') return this.literal('false', false);
    if (c === 'n') return this.literal('null', null);
    return this.number();
  }

  private enter(depth: number): void {
    if (depth > this.maxDepth) this.fail(`nesting deeper than ${this.maxDepth}`);
    this.at++;
    this.skipWhitespace();
  }

  private object(depth: number): JsonObject {
    this.enter(depth);
    const out: JsonObject = new Map();
    if (this.text[this.at] === '}') {
      this.at++;
      return out;
    }
    for (;;) {
      if (this.text[this.at] !== '"') this.fail('expected a string key');
      const key = this.string();
      if (out.has(key)) throw new JsonDuplicateKeyError(key, depth);
      this.skipWhitespace();
      this.expect(':');
      this.skipWhitespace();
      out.set(key, this.value(depth));
      if (this.endOfList('}')) return out;
    }
  }

  private array(depth: number): JsonValue[] {
    this.enter(depth);
    const out: JsonValue[] = [];
    if (this.text[this.at] === ']') {
      this.at++;
      return out;
    }
    for (;;) {
      out.push(this.value(depth));
      if (this.endOfList(']')) return out;
    }
  }

  /** After a list item: consumes `,` (returns false) or the closing bracket (returns true). */
  private endOfList(close: string): boolean {
    this.skipWhitespace();
    const c = this.text[this.at];
    if (c === close) {
      this.at++;
      return true;
    }
    this.expect(',');
    this.skipWhitespace();
    return false;
  }

  private expect(c: string): void {
    if (this.text[this.at] !== c) this.fail(`expected "${c}"`);
    this.at++;
  }

  private literal<T>(word: string, value: T): T {
    if (!this.text.startsWith(word, this.at)) this.fail('unknown literal');
    this.at += word.length;
    return value;
  }

  private number(): bigint | number {
    NUMBER.lastIndex = this.at;
    const match = NUMBER.exec(this.text);
    if (match === null) this.fail('unexpected character');
    const lexeme = match[0];
    if (lexeme.length > MAX_NUMBER_CHARS) this.fail(`number longer than ${MAX_NUMBER_CHARS} characters`);
    this.at += lexeme.length;
    if (match[1] === undefined && match[2] === undefined) return BigInt(lexeme);
    const value = Number(lexeme);
    if (!Number.isFinite(value)) this.fail('number out of range');
    return value;
  }

  private string(): string {
    const text = this.text;
    this.at++;
    let out = '';
    let start = this.at;
    for (;;) {
      const c = text.charCodeAt(this.at);
      if (c === 0x22) break;
      if (Number.isNaN(c)) this.fail('unterminated string');
      if (c < 0x20) this.fail('control character in string');
      if (c === 0x5c) {
        out += text.slice(start, this.at) + this.escape();
        start = this.at;
      } else this.at++;
    }
    out += text.slice(start, this.at);
    this.at++;
    if (hasLoneSurrogate(out)) this.fail('lone surrogate in string');
    return out;
  }

  /** Reads one escape sequence starting at the backslash and returns the text it stands for. */
  private escape(): string {
    const c = this.text[this.at + 1];
    this.at += 2;
    const simple = c === undefined ? undefined : SIMPLE_ESCAPES[c];
    if (simple !== undefined) return simple;
    if (c !== 'u') this.fail('invalid escape');
    const digits = this.text.slice(this.at, this.at + 4);
    if (!/^[0-9a-fA-F]{4}$/.test(digits)) this.fail('invalid \\u escape');
    this.at += 4;
    return String.fromCharCode(Number.parseInt(digits, 16));
  }
}

const SIMPLE_ESCAPES: Readonly<Record<string, string>> = {
  '"': '"',
  '\\': '\\',
  '/': '/',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
};

/** True when `text` holds a UTF-16 surrogate that is not part of a pair (so it has no UTF-8 form). */
export function hasLoneSurrogate(text: string): boolean {
  // With the `u` flag a surrogate range only matches surrogates that are not part of a pair.
  return /[\uD800-\uDFFF]/u.test(text);
}
