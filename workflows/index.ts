// Every workflow the worker registers. Workflow code imports only pure modules (dsl/, this folder).
export { remediateIncident } from './remediation';
export { guardrailCoordinator } from './coordinator/coordinator';
