/**
 * A worker in its own process, so a test can kill it for real (SIGKILL) and start another.
 * Configured by argv: ADDRESS TASK_QUEUE BUNDLE_PATH.
 */
import { NativeConnection, Worker } from '@temporalio/worker';
import * as activities from './proof-activities';

const [address, taskQueue, codePath] = process.argv.slice(2);
if (!address || !taskQueue || !codePath) {
  console.error('usage: worker-process ADDRESS TASK_QUEUE BUNDLE_PATH');
  process.exit(2);
}
const connection = await NativeConnection.connect({ address });
const worker = await Worker.create({ connection, taskQueue, workflowBundle: { codePath }, activities });
console.log('worker-ready');
await worker.run();
await connection.close();
