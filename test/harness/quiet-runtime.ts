// Keep test output readable: the SDK's worker lifecycle lines only at WARN and above.
import { DefaultLogger, Runtime } from '@temporalio/worker';

try {
  Runtime.install({ logger: new DefaultLogger('WARN') });
} catch {
  // Already installed by an earlier file in this worker process.
}
