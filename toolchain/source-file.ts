/**
 * A data file of the checkout (runbooks, a build template), named relative to the module reading it.
 * The compiled CLI runs from dist/, which holds JavaScript only: its modules read their data files
 * from the source tree, so there is one copy to edit and the paths printed name that copy.
 */
import { dirname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(import.meta.url);
/** This module is toolchain/source-file.ts, or dist/toolchain/source-file.js when compiled. */
const ROOT = resolve(dirname(here), here.endsWith('.js') ? '../..' : '..');
const DIST = join(ROOT, 'dist') + sep;

export function sourceFile(relativePath: string, moduleUrl: string): string {
  const path = fileURLToPath(new URL(relativePath, moduleUrl));
  return path.startsWith(DIST) ? join(ROOT, path.slice(DIST.length)) : path;
}
