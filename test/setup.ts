import { DefaultLogger, Runtime } from '@temporalio/worker';

// Worker lifecycle chatter drowns test output; warnings and errors still show.
try {
  Runtime.install({
    logger: new DefaultLogger(process.env.PRODOPS_TEST_LOG_LEVEL === 'debug' ? 'DEBUG' : 'WARN'),
  });
} catch {
  // Already installed in this process by an earlier file.
}
