/** How the CLI prints compile errors: `file:line:column: message`, or JSON objects. */
import type { CompileError } from '../dsl/types';

export function formatCompileError(error: CompileError): string {
  return `${error.file}:${error.line}:${error.column}: ${error.message}${error.path ? ` (at ${error.path})` : ''}`;
}

export function compileErrorsJson(errors: readonly CompileError[]): string {
  return JSON.stringify(
    errors.map(({ file, line, column, path, message }) => ({ file, line, column, path, message })),
    null,
    2,
  );
}

export interface Io {
  out(text: string): void;
  err(text: string): void;
}

export const processIo: Io = {
  out: (text) => process.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
  err: (text) => process.stderr.write(text.endsWith('\n') ? text : `${text}\n`),
};
