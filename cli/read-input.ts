/** Reading the user's JSON inputs (files or stdin) and runbooks, as usage errors when they cannot be used. */
import { readFile } from 'node:fs/promises';
import { compileCatalogue, type CompileOptions } from '../dsl/compile';
import { parseIncident } from '../dsl/incident';
import type { CompiledCatalogue, Incident } from '../dsl/types';
import { InvalidInputError, UsageError } from './errors';
import { loadRunbookFiles } from './load-runbooks';
import { formatCompileError } from './output';

/** A path as messages name it: `-` is stdin. */
export function inputName(path: string): string {
  return path === '-' ? '<stdin>' : path;
}

export async function readJson(path: string): Promise<unknown> {
  const text =
    path === '-'
      ? await readStdin()
      : await readFile(path, 'utf8').catch(() => {
          throw new UsageError(`${path}: no such file or directory`);
        });
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new InvalidInputError([`${inputName(path)}: invalid JSON: ${(error as Error).message}`]);
  }
}

export async function readIncident(path: string): Promise<Incident> {
  const parsed = parseIncident(await readJson(path));
  if (!parsed.ok) throw new InvalidInputError(parsed.errors.map((e) => `${inputName(path)}: ${e.field || 'incident'}: ${e.message}`));
  return parsed.incident;
}

/** Compiles a runbook file or folder; every compile error is one line of the usage error. */
export async function readCatalogue(path: string, options: CompileOptions = {}): Promise<CompiledCatalogue> {
  const result = compileCatalogue(await loadRunbookFiles([path]), options);
  if (!result.ok) throw new InvalidInputError(result.errors.map(formatCompileError));
  return result.catalogue;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
