// Parsing of layered config files. Errors report a position (line and column), never the text
// around it: a file's content is not echoed into logs.
import { parse as parseToml, stringify as stringifyToml, TomlError } from 'smol-toml';
import { jsonErrorOffset } from '../util/json-position.js';

export type StructuredKind = 'toml' | 'json';

/** Which files are parsed, validated and merged per key rather than copied. */
export function structuredKind(relPath: string): StructuredKind | undefined {
  if (relPath.endsWith('.toml')) return 'toml';
  if (relPath.endsWith('.json')) return 'json';
  return undefined;
}

export class ParseError extends Error {
  constructor(
    readonly kind: StructuredKind,
    readonly line: number | undefined,
    readonly column: number | undefined,
    readonly reason: string,
  ) {
    super(`invalid ${kind.toUpperCase()}${line !== undefined ? ` at line ${line}, column ${column ?? 1}` : ''}: ${reason}`);
    this.name = 'ParseError';
  }
}

/** ` (line L, column C)` for a parse error that knows where it failed; '' otherwise. Never quotes the text. */
export function positionOf(error: unknown): string {
  return error instanceof ParseError && error.line !== undefined ? ` (line ${error.line}, column ${error.column ?? 1})` : '';
}

const BOM = '\uFEFF';

/** Line and column (1-based) of a character offset. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, Math.max(0, offset));
  const lines = before.split('\n');
  return { line: lines.length, column: (lines.at(-1)?.length ?? 0) + 1 };
}

/** Parses JSON text (a leading BOM is allowed); on failure, reports where without quoting the input. */
export function parseJsonText(raw: string): unknown {
  const text = raw.startsWith(BOM) ? raw.slice(1) : raw;
  try {
    return JSON.parse(text);
  } catch {
    if (text.trim() === '') throw new ParseError('json', 1, 1, 'empty document');
    const offset = jsonErrorOffset(text) ?? text.length;
    const { line, column } = lineColumn(text, offset);
    throw new ParseError('json', line, column, offset >= text.length ? 'unexpected end of input' : 'syntax error');
  }
}

export function parseTomlText(text: string): Record<string, unknown> {
  try {
    return parseToml(text) as Record<string, unknown>;
  } catch (error) {
    if (error instanceof TomlError) {
      // smol-toml's message embeds the offending line; keep only its first sentence.
      const reason = error.message.split('\n')[0]?.replace(/^Invalid TOML document: /, '') ?? 'syntax error';
      throw new ParseError('toml', error.line, error.column, reason);
    }
    throw error;
  }
}

export function parseStructured(kind: StructuredKind, text: string): unknown {
  return kind === 'toml' ? parseTomlText(text) : parseJsonText(text);
}

export function serializeStructured(kind: StructuredKind, value: unknown): string {
  return kind === 'toml' ? `${stringifyToml(value as Record<string, unknown>)}\n` : `${JSON.stringify(value, null, 2)}\n`;
}
