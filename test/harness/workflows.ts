// The bundle the test workers run: the engine's workflows plus the harness's own proof workflows.
export * from '../../workflows';
export * from './proof-workflows';
