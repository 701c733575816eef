/** Pinned versions of the servers the project provisions itself. Change here, and only here. */
export const TEMPORAL_CLI_VERSION = 'v1.5.1';
export const TEMPORAL_CLI_MODULE = 'github.com/temporalio/cli/cmd/temporal';
export const TEMPORAL_TEST_SERVER_VERSION = '1.38.0';
