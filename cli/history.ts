/**
 * `remediate history export ID [-o FILE]`: the workflow history in the format of
 * `temporal workflow show --output json`, its payloads as stored: encrypted ones stay encrypted, so
 * an exported file is no less protected than the server (docs/encryption.md). `remediate replay FILE|DIR`: replays such histories with
 * the current workflow code (decrypting encrypted payloads with the key ring); exit 1 on any
 * non-determinism, naming the file and the error.
 */
import type { Command } from 'commander';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import type { HistoryFile } from '../client/replay';
import { EXIT, InvalidInputError, UsageError } from './errors';
import { json } from './format';
import { processIo, type Io } from './output';
import { remediationHandle, withSession } from './session';

export async function runExport(incidentId: string, options: { output?: string }, io: Io = processIo): Promise<number> {
  const { historyToJSON } = await import('@temporalio/common/lib/proto-utils');
  return await withSession(async (session) => {
    const { handle } = await remediationHandle(session, incidentId);
    const text = `${json(JSON.parse(historyToJSON(await handle.fetchHistory())))}\n`;
    if (!options.output) {
      io.out(text);
      return EXIT.OK;
    }
    await writeFile(options.output, text).catch((error: NodeJS.ErrnoException) => {
      throw new UsageError(`${options.output}: cannot write (${error.code ?? error.message})`);
    });
    io.err(`wrote the history of ${handle.workflowId} to ${options.output}`);
    return EXIT.OK;
  });
}

async function readHistoryFiles(path: string): Promise<HistoryFile[]> {
  const info = await stat(path).catch(() => {
    throw new UsageError(`${path}: no such file or directory`);
  });
  const files = info.isDirectory()
    ? (await readdir(path))
        .filter((name) => extname(name) === '.json')
        .sort()
        .map((name) => join(path, name))
    : [path];
  if (files.length === 0) throw new UsageError(`${path}: no .json history files found`);
  return Promise.all(
    files.map(async (file) => {
      const text = await readFile(file, 'utf8');
      try {
        return { file, json: JSON.parse(text) as unknown };
      } catch (error) {
        throw new InvalidInputError([`${file}: invalid JSON: ${(error as Error).message}`]);
      }
    }),
  );
}

export async function runReplay(path: string, options: { json?: boolean }, io: Io = processIo): Promise<number> {
  const files = await readHistoryFiles(path);
  const { replayHistories, HistoryFileError } = await import('../client/replay');
  const { WORKFLOWS_PATH } = await import('../worker/build-worker');
  const { dataConverterFromEnvironment } = await import('../codec/data-converter');
  const codecs = dataConverterFromEnvironment()?.payloadCodecs ?? [];
  const outcomes = await replayHistories(files, WORKFLOWS_PATH, codecs).catch((error: unknown) => {
    throw error instanceof HistoryFileError ? new InvalidInputError([error.message]) : error;
  });
  const failed = outcomes.filter((o) => !o.ok);
  if (options.json) {
    io.out(json(outcomes));
  } else {
    for (const outcome of outcomes) io.out(outcome.ok ? `ok    ${outcome.file}` : `FAIL  ${outcome.file}: ${outcome.error}`);
    io.out(`${outcomes.length} replayed with the current workflow code, ${failed.length} failed`);
  }
  return failed.length > 0 ? EXIT.FAILED : EXIT.OK;
}

export function registerHistory(program: Command): void {
  const history = program.command('history').description('Workflow histories of remediations.');
  history
    .command('export')
    .description(
      'Write the workflow history of an incident as JSON (the format of `temporal workflow show --output json`); encrypted payloads stay encrypted.',
    )
    .argument('<incident-id>', 'the incident id')
    .option('-o, --output <file>', 'write to this file instead of stdout')
    .action(async (incidentId: string, options: { output?: string }) => {
      process.exitCode = await runExport(incidentId, options);
    });
}

export function registerReplay(program: Command): void {
  program
    .command('replay')
    .description('Replay exported histories with the current workflow code; exit 1 if any would behave differently (non-determinism).')
    .argument('<path>', 'a history JSON file, or a folder of them')
    .option('--json', 'print [{file, ok, error}]')
    .action(async (path: string, options: { json?: boolean }) => {
      process.exitCode = await runReplay(path, options);
    });
}
