/** Reading runbook files from disk for the pure compiler: files as given, folders recursively. */
import { readdir, readFile, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import type { SourceFile } from '../dsl/types';
import { UsageError } from './errors';

const RUNBOOK_EXTENSIONS = new Set(['.yaml', '.yml']);

/** Named as the user wrote them (plus the path inside a folder), in a stable order. */
export async function loadRunbookFiles(paths: readonly string[]): Promise<SourceFile[]> {
  const names: string[] = [];
  for (const path of paths) {
    const info = await stat(path).catch(() => {
      throw new UsageError(`${path}: no such file or directory`);
    });
    if (info.isDirectory()) {
      const found = await yamlFilesUnder(path);
      if (found.length === 0) throw new UsageError(`${path}: no .yaml or .yml files found`);
      names.push(...found);
    } else {
      names.push(path);
    }
  }
  const unique = [...new Set(names)];
  return Promise.all(
    unique.map(async (file) => ({
      file,
      text: await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
        throw new UsageError(`${file}: cannot read (${error.code ?? error.message})`);
      }),
    })),
  );
}

async function yamlFilesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const out: string[] = [];
  for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await yamlFilesUnder(path)));
    else if (RUNBOOK_EXTENSIONS.has(extname(entry.name))) out.push(path);
  }
  return out;
}
