/**
 * A process whose Temporal runtime exports its own metrics (telemetry/runtime.ts), with a worker
 * polling so the runtime has something to count. Configured by argv: BIND_ADDRESS TEMPORAL_ADDRESS.
 * Prints "ready" once the worker runs; stops on SIGTERM.
 */
import { NativeConnection, Worker } from '@temporalio/worker';
import { installRuntimeMetrics } from '../../telemetry/runtime';

const [bindAddress, address] = process.argv.slice(2);
if (!bindAddress || !address) {
  console.error('usage: runtime-metrics-process BIND_ADDRESS TEMPORAL_ADDRESS');
  process.exit(2);
}
installRuntimeMetrics(bindAddress);
const connection = await NativeConnection.connect({ address });
const worker = await Worker.create({
  connection,
  taskQueue: `runtime-metrics-${process.pid}`,
  activities: { noop: async () => undefined },
  shutdownGraceTime: '1s',
});
const running = worker.run();
console.log('ready');
await running;
await connection.close();
