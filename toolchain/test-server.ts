import { chmodSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cacheRoot, executableOverride, findOnPath, isExecutable, type ResolvedBinary } from './cache';
import { MissingToolError } from './errors';
import { runBuildStep } from './run-step';
import { sourceFile } from './source-file';
import { TEMPORAL_TEST_SERVER_VERSION } from './versions';

export const TEST_SERVER_OVERRIDE = 'TEMPORAL_TEST_SERVER_PATH';

function installDir(): string {
  return join(cacheRoot(), 'temporal-test-server', TEMPORAL_TEST_SERVER_VERSION);
}

function wrapperPath(dir = installDir()): string {
  return join(dir, 'temporal-test-server');
}

/** The time-skipping test server, without building: TEMPORAL_TEST_SERVER_PATH, then the pinned cached install. */
export function findTestServer(): ResolvedBinary | undefined {
  const override = executableOverride(TEST_SERVER_OVERRIDE);
  if (override) return { path: override, source: 'override', version: 'user-supplied' };
  const cached = wrapperPath();
  if (isExecutable(cached)) return { path: cached, source: 'cache', version: TEMPORAL_TEST_SERVER_VERSION };
  return undefined;
}

/**
 * The SDK starts a test server as `<executable> <port> [extra args]`. Maven Central publishes it as
 * io.temporal:temporal-test-server; we resolve its runtime classpath with Maven and put a wrapper in
 * front that execs java with the server's main class, the same contract as the SDK's own download.
 */
function wrapperScript(libDir: string): string {
  return [
    '#!/bin/sh',
    `# Temporal time-skipping test server ${TEMPORAL_TEST_SERVER_VERSION}, provisioned by remediate from Maven Central.`,
    `exec java \${TEMPORAL_TEST_SERVER_JAVA_OPTS:--Xss1m -XX:+UseSerialGC} -cp '${libDir}/*' io.temporal.testserver.TestServer "$@"`,
    '',
  ].join('\n');
}

export async function ensureTestServer(log: (line: string) => void): Promise<ResolvedBinary> {
  const found = findTestServer();
  if (found) return found;

  if (!findOnPath('java')) throw new MissingToolError('Java (17 or newer)', 'run the Temporal test server', TEST_SERVER_OVERRIDE);
  const mvn = findOnPath('mvn');
  if (!mvn) throw new MissingToolError('Maven', `the Temporal test server ${TEMPORAL_TEST_SERVER_VERSION}`, TEST_SERVER_OVERRIDE);

  const target = installDir();
  const staging = `${target}.staging-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  const pomTemplate = readFileSync(sourceFile('./test-server-pom.xml', import.meta.url), 'utf8');
  writeFileSync(join(staging, 'pom.xml'), pomTemplate.replace('@VERSION@', TEMPORAL_TEST_SERVER_VERSION));
  log(`Temporal test server ${TEMPORAL_TEST_SERVER_VERSION} is not cached; resolving it from Maven Central (first run only)`);
  await runBuildStep(
    'mvn copy-dependencies',
    mvn,
    ['-B', '-q', 'dependency:copy-dependencies', '-DincludeScope=runtime', `-DoutputDirectory=${join(staging, 'lib')}`],
    { cwd: staging, log },
  );
  // The wrapper names its final lib folder, so write it for the target and move the whole folder at once.
  writeFileSync(wrapperPath(staging), wrapperScript(join(target, 'lib')));
  chmodSync(wrapperPath(staging), 0o755);
  rmSync(target, { recursive: true, force: true });
  renameSync(staging, target);
  return { path: wrapperPath(target), source: 'built', version: TEMPORAL_TEST_SERVER_VERSION };
}
