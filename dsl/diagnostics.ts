/** Collects a file's compile errors, each located in the YAML source. */
import { formatPath } from './describe';
import type { CompileError } from './types';
import { locate, type PathSegment, type YamlSource } from './yaml-source';

export interface At {
  /** Point at the key rather than the value (unknown or misnamed fields). */
  key?: boolean;
  /** Offset inside a one-line string value (CEL and placeholder errors). */
  offset?: number;
}

export class Diagnostics {
  readonly errors: CompileError[] = [];
  private readonly seen = new Set<string>();

  constructor(
    readonly file: string,
    private readonly source: YamlSource,
  ) {}

  /** Records the error; returns it, or undefined if the same error was already recorded. */
  error(path: readonly PathSegment[], message: string, at: At = {}): CompileError | undefined {
    const { line, column } = locate(this.source, path, at);
    const error: CompileError = { file: this.file, line, column, path: formatPath(path), message };
    // A shared definition used twice must not report the same problem twice.
    const id = `${line}:${column}:${error.path}:${message}`;
    if (this.seen.has(id)) return undefined;
    this.seen.add(id);
    this.errors.push(error);
    return error;
  }

  get count(): number {
    return this.errors.length;
  }

  position(path: readonly PathSegment[], at: At = {}): { line: number; column: number } {
    return locate(this.source, path, at);
  }
}
