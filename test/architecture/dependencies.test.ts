/**
 * Which way the folders depend on each other, read from every import (static, type-only, dynamic and
 * re-exports) of the project's own files: no import cycles, the adapters and entry points pointing one
 * way, and the worker assembled in one place (worker/build-worker.ts).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
// dist/ is the compiled copy of the sources (scripts/build.mjs), not more sources.
const SKIP = new Set(['node_modules', '.git', '.data', 'docs', 'schema', 'runbooks', 'dist']);

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    if (SKIP.has(name) || name.startsWith('.')) return [];
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return /\.(ts|mts|js|mjs)$/.test(name) && !name.endsWith('.d.ts') ? [path] : [];
  });
}

function resolveImport(from: string, specifier: string): string | undefined {
  if (!specifier.startsWith('.')) return undefined;
  const base = resolve(dirname(from), specifier);
  return [base, `${base}.ts`, base.replace(/\.js$/, '.ts'), join(base, 'index.ts')].find(
    (path) => existsSync(path) && statSync(path).isFile(),
  );
}

interface Imported {
  specifier: string;
  /** Erased when compiled (`import type`, or only `type` names): it cannot take part in a cycle at run time. */
  typeOnly: boolean;
}

function importsOf(file: string): Imported[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, false);
  const found: Imported[] = [];
  const visit = (node: ts.Node) => {
    if (
      (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) &&
      node.moduleSpecifier &&
      ts.isStringLiteral(node.moduleSpecifier)
    ) {
      found.push({ specifier: node.moduleSpecifier.text, typeOnly: isTypeOnly(node) });
    } else if (
      ts.isCallExpression(node) &&
      node.expression.kind === ts.SyntaxKind.ImportKeyword &&
      node.arguments[0] &&
      ts.isStringLiteral(node.arguments[0])
    ) {
      found.push({ specifier: node.arguments[0].text, typeOnly: false });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

function isTypeOnly(node: ts.ImportDeclaration | ts.ExportDeclaration): boolean {
  if (ts.isExportDeclaration(node))
    return (
      node.isTypeOnly ||
      (!!node.exportClause &&
        ts.isNamedExports(node.exportClause) &&
        node.exportClause.elements.length > 0 &&
        node.exportClause.elements.every((e) => e.isTypeOnly))
    );
  const clause = node.importClause;
  if (!clause) return false;
  if (clause.isTypeOnly) return true;
  const named = clause.namedBindings;
  return !clause.name && !!named && ts.isNamedImports(named) && named.elements.length > 0 && named.elements.every((e) => e.isTypeOnly);
}

/** Each file (relative to the root) and the project files it imports; `runtime` leaves out type-only imports. */
function importGraph(runtime: boolean): Map<string, Set<string>> {
  const graph = new Map<string, Set<string>>();
  for (const file of sourceFiles(ROOT)) {
    const targets = importsOf(file)
      .filter((imported) => !(runtime && imported.typeOnly))
      .map((imported) => resolveImport(file, imported.specifier))
      .filter((target) => target !== undefined);
    graph.set(relative(ROOT, file), new Set(targets.map((target) => relative(ROOT, target))));
  }
  return graph;
}

/** Strongly connected components with more than one file (Tarjan), or a file importing itself. */
function cycles(graph: ReadonlyMap<string, ReadonlySet<string>>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (file: string) => {
    index.set(file, next);
    low.set(file, next++);
    stack.push(file);
    onStack.add(file);
    for (const target of graph.get(file) ?? []) {
      if (!index.has(target)) {
        visit(target);
        low.set(file, Math.min(low.get(file)!, low.get(target)!));
      } else if (onStack.has(target)) low.set(file, Math.min(low.get(file)!, index.get(target)!));
    }
    if (low.get(file) !== index.get(file)) return;
    const component: string[] = [];
    let member: string;
    do {
      member = stack.pop()!;
      onStack.delete(member);
      component.push(member);
    } while (member !== file);
    if (component.length > 1 || graph.get(file)?.has(file)) found.push(component.sort());
  };
  for (const file of graph.keys()) if (!index.has(file)) visit(file);
  return found;
}

const graph = importGraph(false);
const under = (folder: string) => (file: string) => file.startsWith(`${folder}/`);

/** `from -> to` for every import from a file under `from` of a file under `to`. */
function imports(from: string, to: string): string[] {
  return [...graph].flatMap(([file, targets]) =>
    under(from)(file) ? [...targets].filter(under(to)).map((target) => `${file} -> ${target}`) : [],
  );
}

describe('dependencies', () => {
  it('reads the imports of every folder', () => {
    for (const folder of ['bench', 'cli', 'client', 'demo', 'dsl', 'kubernetes', 'sources', 'test', 'worker', 'workflows', 'activities']) {
      expect([...graph.keys()].some(under(folder)), folder).toBe(true);
    }
    expect(graph.get('sources/k8s-pod-watcher.ts')).toContain('kubernetes/pods.ts');
    expect(graph.get('cli/demo.ts')).toContain('demo/run.ts'); // a dynamic import
  });

  it('has no import cycles at run time', () => {
    expect(cycles(importGraph(true))).toEqual([]);
  });

  it('keeps the benchmark off the tests: what both use lives in toolchain/ or bench/', () => {
    expect(imports('bench', 'test')).toEqual([]);
  });

  it('lets cli/ run the demo, and never the demo use cli/', () => {
    expect(imports('demo', 'cli')).toEqual([]);
  });

  it('has sources/ and activities/ share the kubernetes/ adapter, which depends on neither', () => {
    expect(imports('sources', 'activities')).toEqual([]);
    const outside = [...graph].flatMap(([file, targets]) =>
      under('kubernetes')(file) ? [...targets].filter((target) => !under('kubernetes')(target)) : [],
    );
    expect(outside).toEqual([]);
  });

  it('keeps the payload codec (node:crypto, keys) out of the workflows and the pure dsl/, and codec/ on its own', () => {
    expect(imports('codec', 'dsl').filter((edge) => !edge.endsWith('-> dsl/user-facing-error.ts'))).toEqual([]);
    expect(imports('workflows', 'codec')).toEqual([]);
    expect(imports('dsl', 'codec')).toEqual([]);
    const users = new Set(
      [...graph]
        .filter(([file, targets]) => [...targets].some(under('codec')) && !under('codec')(file))
        .map(([file]) => file.split('/')[0]),
    );
    const allowed = new Set(['worker', 'client', 'cli', 'intake', 'approvals', 'test']);
    expect([...users].filter((folder) => !allowed.has(folder!))).toEqual([]);
    const outside = [...graph].flatMap(([file, targets]) =>
      under('codec')(file) ? [...targets].filter((target) => !under('codec')(target) && target !== 'dsl/user-facing-error.ts') : [],
    );
    expect(outside).toEqual([]);
  });

  it('assembles the engine worker in worker/build-worker.ts alone', () => {
    const assemblers = [...graph.keys()].filter(
      (file) =>
        !under('activities')(file) &&
        /\bcreate(Remediation|Guardrail|WorkerContext)Activities\(/.test(readFileSync(join(ROOT, file), 'utf8')),
    );
    expect(assemblers).toEqual(['worker/build-worker.ts']);
  });
});
