/**
 * YAML parsing that keeps positions: syntax errors come back with line and
 * column, and any path in the parsed data can be mapped back to where it was
 * written, so every compiler message points at the source.
 */
import { isAlias, isMap, isPair, isScalar, isSeq, parseDocument, Scalar, type Document, type Node } from 'yaml';

export type PathSegment = string | number;

export interface Position {
  line: number;
  column: number;
}

export interface YamlSource {
  readonly text: string;
  readonly doc: Document.Parsed;
  readonly lineStarts: readonly number[];
}

export type YamlParse = { ok: true; source: YamlSource; value: unknown } | { ok: false; errors: { position: Position; message: string }[] };

/** Aliases may not expand into huge documents (billion laughs). */
const MAX_ALIAS_COUNT = 100;

export function parseYaml(text: string): YamlParse {
  const lineStarts = computeLineStarts(text);
  const doc = parseDocument(text, { prettyErrors: false, uniqueKeys: true, strict: true, schema: 'core' });
  // Warnings (unknown tags, ...) are errors here: a runbook must mean exactly what it says.
  const problems = [...doc.errors, ...doc.warnings];
  if (problems.length > 0) {
    return {
      ok: false,
      errors: problems.map((problem) => ({
        position: offsetToPosition(lineStarts, problem.pos[0]),
        message: describeYamlProblem(problem.code, problem.message),
      })),
    };
  }
  try {
    const value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    return { ok: true, source: { text, doc, lineStarts }, value };
  } catch (error) {
    return {
      ok: false,
      errors: [{ position: { line: 1, column: 1 }, message: `invalid YAML: ${(error as Error).message}` }],
    };
  }
}

function describeYamlProblem(code: string, message: string): string {
  const first = message.split('\n')[0] ?? message;
  switch (code) {
    case 'DUPLICATE_KEY':
      return `duplicate key: ${first}`;
    case 'TAB_AS_INDENT':
      return `tab used for indentation: indent YAML with spaces (${first})`;
    case 'BAD_INDENT':
      return `bad indentation: ${first}`;
    case 'MULTIPLE_DOCS':
      return 'expected one YAML document per file, found a second one (---)';
    case 'TAG_RESOLVE_FAILED':
      return `unsupported YAML tag: ${first}`;
    default:
      return `invalid YAML: ${first}`;
  }
}

function computeLineStarts(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) starts.push(i + 1);
  return starts;
}

function offsetToPosition(lineStarts: readonly number[], offset: number): Position {
  let low = 0;
  let high = lineStarts.length - 1;
  while (low < high) {
    const mid = (low + high + 1) >> 1;
    if (lineStarts[mid]! <= offset) low = mid;
    else high = mid - 1;
  }
  return { line: low + 1, column: offset - lineStarts[low]! + 1 };
}

/**
 * Where the value at `path` was written; with `key`, where its key was written
 * (for unknown fields and bad names). `offset` points inside a one-line scalar
 * (a CEL or placeholder error). Missing nodes fall back to the nearest ancestor.
 */
export function locate(source: YamlSource, path: readonly PathSegment[], opts: { key?: boolean; offset?: number } = {}): Position {
  let node: unknown = source.doc.contents;
  let position = nodeStart(node) ?? 0;
  for (let i = 0; i < path.length; i++) {
    const segment = path[i]!;
    const last = i === path.length - 1;
    if (isAlias(node)) node = node.resolve(source.doc);
    if (isMap(node)) {
      const pair = node.items.find((item) => isPair(item) && isScalar(item.key) && String(item.key.value) === String(segment));
      if (!pair) break;
      const keyStart = nodeStart(pair.key);
      if (keyStart !== undefined) position = keyStart;
      if (last && opts.key) return offsetToPosition(source.lineStarts, position);
      node = pair.value;
    } else if (isSeq(node)) {
      node = node.items[Number(segment)];
    } else {
      break;
    }
    position = nodeStart(node) ?? position;
    if (last && opts.offset !== undefined && isScalar(node)) position = scalarOffset(source, node, position, opts.offset);
  }
  return offsetToPosition(source.lineStarts, position);
}

function nodeStart(node: unknown): number | undefined {
  if (node && typeof node === 'object' && 'range' in node) {
    const range = (node as Node).range;
    if (range) return range[0];
  }
  return undefined;
}

/** An offset inside a scalar's value, when the value is written on one line as-is. */
function scalarOffset(source: YamlSource, node: Scalar, start: number, offset: number): number {
  const end = node.range?.[1] ?? start;
  const raw = source.text.slice(start, end);
  if (raw.includes('\n')) return start;
  if (node.type === Scalar.PLAIN) return start + offset;
  if (node.type === Scalar.QUOTE_SINGLE || node.type === Scalar.QUOTE_DOUBLE) return start + 1 + offset;
  return start;
}
