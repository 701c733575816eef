// Compiles the CLI into dist/ with the TypeScript compiler, and tells whether dist/ is current.
//   node scripts/build.mjs            build when a source is newer than the build (a few stat()s otherwise)
//   node scripts/build.mjs --force    build anyway
// scripts/ensure-deps.mjs runs it after installing; bin/remediate.js asks isBuildCurrent() first.
//
// The sources import each other without extensions (`./approve`, `./steps`), which Node's ESM loader
// does not resolve. The emit rewrites each such specifier to the file it names (`./approve.js`,
// `./steps/index.js`), as tsc's rewriteRelativeImportExtensions does for specifiers ending in `.ts`.
// Everything else is plain tsc output: one ES module per source file, so the CLI's lazy imports stay lazy.
//
// Plain Node, and typescript is imported only when building: the bin's check must stay cheap.
import { createRequire } from 'node:module';
import { mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CONFIG = join(ROOT, 'tsconfig.build.json');
export const DIST = join(ROOT, 'dist');
export const CLI_ENTRY = join(DIST, 'cli', 'main.js');
/** What the last build compiled and when it started (an edit during a build makes it stale). */
const BUILD_INFO = join(DIST, '.build-info.json');
/** Inputs besides the compiled sources: the compiler's settings and version, and this script. */
const BUILD_INPUTS = ['tsconfig.json', 'tsconfig.build.json', 'package-lock.json', 'scripts/build.mjs'];

const mtime = (path) => {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return Infinity; // a deleted input: stale
  }
};

/** True when dist/ was built from the sources as they are now. */
export function isBuildCurrent() {
  let info;
  try {
    info = JSON.parse(readFileSync(BUILD_INFO, 'utf8'));
  } catch {
    return false;
  }
  if (typeof info?.startedAt !== 'number' || !Array.isArray(info.sources)) return false;
  return [...BUILD_INPUTS, ...info.sources].every((file) => typeof file === 'string' && mtime(join(ROOT, file)) < info.startedAt);
}

/** Builds when stale (or always, with force); returns whether it built. */
export async function ensureBuild({ force = false, log = (line) => console.log(line) } = {}) {
  if (!force && isBuildCurrent()) return false;
  log('[build] compiling the CLI into dist/ (tsc, tsconfig.build.json)');
  await build();
  return true;
}

async function build() {
  const startedAt = Date.now();
  const { default: ts } = await import('typescript');
  const config = ts.getParsedCommandLineOfConfigFile(CONFIG, undefined, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (diagnostic) => fail(ts, [diagnostic]),
  });
  if (config.errors.length > 0) fail(ts, config.errors);
  // Emitted into a staging folder and swapped in whole: no module left over from a source that is
  // gone, and a CLI started meanwhile sees the old build or the new one (or none: it then uses tsx).
  const staging = join(ROOT, `.dist-staging-${process.pid}`);
  const program = ts.createProgram({ rootNames: config.fileNames, options: { ...config.options, outDir: staging } });
  const syntaxErrors = [...program.getOptionsDiagnostics(), ...program.getSyntacticDiagnostics()];
  if (syntaxErrors.length > 0) fail(ts, syntaxErrors);

  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  try {
    // Type errors are tsc -p tsconfig.json's to report (npm test runs it); the emit needs only the syntax.
    const result = program.emit(undefined, undefined, undefined, false, { after: [rewriteSpecifiers(ts, config.options)] });
    if (result.emitSkipped) fail(ts, result.diagnostics);
    const sources = program
      .getSourceFiles()
      .map((file) => resolve(file.fileName))
      .filter((file) => file.startsWith(ROOT) && !file.includes(`${sep}node_modules${sep}`))
      .map((file) => relative(ROOT, file));
    writeFileSync(join(staging, '.build-info.json'), `${JSON.stringify({ startedAt, sources }, null, 2)}\n`);
    swapIn(staging);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

/** Replaces dist/ with the staged build; when a concurrent build swapped its own in first, that one stays. */
function swapIn(staging) {
  const retired = join(ROOT, `.dist-retired-${process.pid}`);
  try {
    renameSync(DIST, retired);
  } catch (error) {
    if (error.code !== 'ENOENT') throw error;
  }
  try {
    renameSync(staging, DIST);
  } catch (error) {
    if (error.code !== 'ENOTEMPTY' && error.code !== 'EEXIST') throw error;
  }
  rmSync(retired, { recursive: true, force: true });
}

function fail(ts, diagnostics) {
  const host = { getCanonicalFileName: (f) => f, getCurrentDirectory: () => ROOT, getNewLine: () => '\n' };
  process.stderr.write(ts.formatDiagnostics(diagnostics, host));
  throw new Error('[build] tsc could not compile the CLI (see above)');
}

/**
 * An emit transformer: each module specifier (import, export ... from, import()) that Node's ESM
 * resolver would not find as written gets the extension of the file it resolves to.
 */
function rewriteSpecifiers(ts, options) {
  return (context) => (sourceFile) => {
    const fileName = sourceFile.fileName;
    const visit = (node) => {
      if (
        (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) &&
        node.moduleSpecifier &&
        ts.isStringLiteral(node.moduleSpecifier)
      ) {
        const specifier = runtimeSpecifier(ts, options, node.moduleSpecifier.text, fileName);
        if (specifier === node.moduleSpecifier.text) return node;
        return ts.isImportDeclaration(node)
          ? ts.factory.updateImportDeclaration(
              node,
              node.modifiers,
              node.importClause,
              ts.factory.createStringLiteral(specifier),
              node.attributes,
            )
          : ts.factory.updateExportDeclaration(
              node,
              node.modifiers,
              node.isTypeOnly,
              node.exportClause,
              ts.factory.createStringLiteral(specifier),
              node.attributes,
            );
      }
      if (
        ts.isCallExpression(node) &&
        node.expression.kind === ts.SyntaxKind.ImportKeyword &&
        node.arguments[0] &&
        ts.isStringLiteral(node.arguments[0])
      ) {
        const [first, ...rest] = node.arguments;
        const specifier = runtimeSpecifier(ts, options, first.text, fileName);
        const call =
          specifier === first.text
            ? node
            : ts.factory.updateCallExpression(node, node.expression, node.typeArguments, [
                ts.factory.createStringLiteral(specifier),
                ...rest,
              ]);
        return ts.visitEachChild(call, visit, context);
      }
      return ts.visitEachChild(node, visit, context);
    };
    return ts.visitNode(sourceFile, visit);
  };
}

/** The specifier as Node's ESM loader needs it: relative ones name the emitted .js file, deep package paths their file. */
function runtimeSpecifier(ts, options, specifier, containingFile) {
  if (specifier.startsWith('./') || specifier.startsWith('../')) {
    const resolved = ts.resolveModuleName(specifier, containingFile, options, ts.sys).resolvedModule;
    if (!resolved || resolved.isExternalLibraryImport || !/\.tsx?$/.test(resolved.resolvedFileName)) {
      throw new Error(`[build] ${relative(ROOT, containingFile)}: cannot resolve '${specifier}' to a source file`);
    }
    const target = relative(dirname(containingFile), resolved.resolvedFileName)
      .replace(/\.tsx?$/, '.js')
      .split(sep)
      .join('/');
    return target.startsWith('.') ? target : `./${target}`;
  }
  // A bare subpath into a package without an exports map (`@temporalio/common/lib/proto-utils`) is
  // resolved by file name in ESM: give it the extension that require() would have found.
  const match = /^((?:@[^/]+\/)?[^/@][^/]*)\/(.+)$/.exec(specifier);
  if (!match || /\.[cm]?js$/.test(specifier) || specifier.startsWith('node:')) return specifier;
  const require = createRequire(containingFile);
  let manifest;
  try {
    manifest = require(`${match[1]}/package.json`);
  } catch {
    return specifier; // an exports map that hides package.json: Node resolves the specifier through it
  }
  if (manifest.exports !== undefined) return specifier;
  const file = require.resolve(specifier);
  const base = join(dirname(require.resolve(`${match[1]}/package.json`)), match[2]);
  return file.startsWith(base) ? `${specifier}${file.slice(base.length).split(sep).join('/')}` : specifier;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    const built = await ensureBuild({ force: process.argv.includes('--force') });
    if (!built) console.log('[build] dist/ is up to date');
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  }
}
