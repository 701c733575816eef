/**
 * The standard library of named checks, always in scope.
 *
 * A check that observes system state reads it live through a probe: pods and deployments from the
 * Kubernetes API, metrics through PromQL with the conventional names below (an operator whose
 * metrics are named otherwise replaces a query per check name: policy `prometheus.check_queries`).
 * A check about facts or policy (budget, time of day, a written record) reads the incident
 * context. `reads` lists the context fields a check's placeholders and condition use, with their
 * types, and nothing else (a test holds each check to that). A missing field fails the check
 * (`has(...)`) rather than erroring, so the reason names what was missing. A file's `checks:` may
 * still replace a name for that file; `plan` shows the override.
 *
 * Prometheus conventions (recording-rule style `level:metric:operations`; docs/runbooks.md):
 * - metrics_improved: `namespace_deployment:cpu_utilisation:ratio` below 0.8
 * - error_rate_normalized: `namespace_deployment:http_errors:ratio_rate1m` at most the baseline
 * - health_checks_pass: `probe_success` 1 for every target of the deployment
 * - replica_caught_up / primary_healthy: CloudNativePG's `cnpg_pg_replication_lag` (seconds) and
 *   `cnpg_pg_replication_in_recovery` of the replica instance's pod
 * - disk_usage_below_threshold: cAdvisor's `container_fs_usage_bytes / container_fs_limit_bytes`
 */
import type { RawProbe } from './runbook-schema';
import type { ParamType } from './types';

export interface StdlibCheck {
  description: string;
  /** Context fields the placeholders and the condition read, with their types. */
  reads: Record<string, ParamType>;
  /** What it reads from the live system; absent: the condition reads only the context. */
  probe?: RawProbe;
  condition: string;
}

/** current_replicas_below_max without context.max_replicas. */
export const DEFAULT_MAX_REPLICAS = 10;

const pod: RawProbe = { kubernetes: { op: 'get_pod', namespace: '{namespace}', name: '{pod_name}' } };
const deployment: RawProbe = { kubernetes: { op: 'get_deployment', namespace: '{namespace}', name: '{deployment}' } };
const POD_READS = { namespace: 'dns_label', pod_name: 'dns_subdomain' } as const;
const DEPLOYMENT_READS = { namespace: 'dns_label', deployment: 'dns_subdomain' } as const;
const REPLICA_READS = { namespace: 'dns_label', replica_instance: 'dns_subdomain' } as const;

const promql = (query: string): RawProbe => ({ prometheus: { query } });
const ofDeployment = (metric: string) => `${metric}{namespace="{namespace}",deployment="{deployment}"}`;
const ofPod = (metric: string, pod: string) => `${metric}{namespace="{namespace}",pod="{${pod}}"}`;

/** Checks that read the live system (Kubernetes API, Prometheus). */
const LIVE: Record<string, StdlibCheck> = {
  replicas_greater_than_one: {
    description:
      'Not the only replica: pod {pod_name} in {namespace} belongs to a Deployment that wants more than one replica (read live).',
    reads: POD_READS,
    probe: pod,
    condition: 'result.json.exists && has(result.json.deployment) && result.json.replicas > 1',
  },
  recent_restarts_less_than_three: {
    description:
      'Not already restarting: pod {pod_name} in {namespace}: its containers restarted fewer than 3 times in the last hour (read live).',
    reads: POD_READS,
    probe: pod,
    condition: 'result.json.exists && result.json.restartsLastHour < 3',
  },
  pod_becomes_ready: {
    description:
      'Pod {pod_name} in {namespace} is Ready and not terminating or, when it is gone (deleted and replaced under another name), the rollout of its Deployment is complete with every replica Ready (read live).',
    reads: POD_READS,
    probe: pod,
    condition:
      'result.json.exists ? result.json.ready && !result.json.terminating : has(result.json.replacedIn) && result.json.replacedIn.complete && result.json.replacedIn.readyReplicas >= result.json.replacedIn.replicas',
  },
  all_pods_ready: {
    description:
      'The rollout of deployment {deployment} in {namespace} is complete: every desired replica is updated, available and Ready (read live).',
    reads: DEPLOYMENT_READS,
    probe: deployment,
    condition: 'result.json.exists && result.json.complete && result.json.readyReplicas >= result.json.replicas',
  },
  current_replicas_below_max: {
    description: `Room to scale: the replicas of deployment {deployment} in {namespace} (read live) are below context.max_replicas (default ${DEFAULT_MAX_REPLICAS}).`,
    reads: { ...DEPLOYMENT_READS, max_replicas: 'int' },
    probe: deployment,
    condition: `result.json.exists && result.json.replicas < (has(context.max_replicas) ? context.max_replicas : ${DEFAULT_MAX_REPLICAS})`,
  },
  deployment_exists: {
    description: 'Deployment {deployment} exists in {namespace} (read live).',
    reads: DEPLOYMENT_READS,
    probe: deployment,
    condition: 'result.json.exists',
  },
  previous_revision_available: {
    description:
      'There is a revision to go back to: deployment {deployment} in {namespace} has a ReplicaSet older than its current revision (read live).',
    reads: DEPLOYMENT_READS,
    probe: deployment,
    condition: 'result.json.exists && has(result.json.previousRevision)',
  },
  no_pods_running: {
    description: 'The workload is stopped: deployment {deployment} in {namespace} wants zero replicas and has no pod left (read live).',
    reads: DEPLOYMENT_READS,
    probe: deployment,
    condition: 'result.json.exists && result.json.replicas == 0 && size(result.json.pods) == 0',
  },
  metrics_improved: {
    description:
      'The load went down: CPU utilisation of deployment {deployment} in {namespace} (Prometheus, namespace_deployment:cpu_utilisation:ratio) is below 0.8.',
    reads: DEPLOYMENT_READS,
    probe: promql(`max(${ofDeployment('namespace_deployment:cpu_utilisation:ratio')})`),
    condition: 'result.value < 0.8',
  },
  error_rate_normalized: {
    description:
      'Errors are back to normal: the error ratio of deployment {deployment} in {namespace} (Prometheus, namespace_deployment:http_errors:ratio_rate1m) is at most context.baseline_error_rate (default 0.01).',
    reads: { ...DEPLOYMENT_READS, baseline_error_rate: 'number' },
    probe: promql(`max(${ofDeployment('namespace_deployment:http_errors:ratio_rate1m')})`),
    condition: 'result.value <= (has(context.baseline_error_rate) ? double(context.baseline_error_rate) : 0.01)',
  },
  health_checks_pass: {
    description: 'Every health probe of deployment {deployment} in {namespace} passes (Prometheus, probe_success is 1).',
    reads: DEPLOYMENT_READS,
    probe: promql(`min(${ofDeployment('probe_success')})`),
    condition: 'result.value == 1.0',
  },
  replica_caught_up: {
    description:
      'The replica has the data: replication lag of {replica_instance} in {namespace} (Prometheus, cnpg_pg_replication_lag) is at most 5 seconds.',
    reads: REPLICA_READS,
    probe: promql(`max(${ofPod('cnpg_pg_replication_lag', 'replica_instance')})`),
    condition: 'result.value <= 5.0',
  },
  primary_healthy: {
    description:
      'The promoted instance {replica_instance} in {namespace} is no longer in recovery, so it accepts writes (Prometheus, cnpg_pg_replication_in_recovery is 0).',
    reads: REPLICA_READS,
    probe: promql(`max(${ofPod('cnpg_pg_replication_in_recovery', 'replica_instance')})`),
    condition: 'result.value == 0.0',
  },
  disk_usage_below_threshold: {
    description:
      'Disk pressure is gone: filesystem usage of pod {pod_name} in {namespace} (Prometheus, container_fs_usage_bytes / container_fs_limit_bytes) is below 0.7.',
    reads: POD_READS,
    probe: promql(`max(${ofPod('container_fs_usage_bytes', 'pod_name')} / ${ofPod('container_fs_limit_bytes', 'pod_name')})`),
    condition: 'result.value < 0.7',
  },
};

/** Facts and policy the detection pipeline supplies with the incident: not system state. */
const CONTEXT_ONLY: Record<string, StdlibCheck> = {
  budget_available: {
    description: 'Spend is allowed: context.budget_remaining (remaining scaling budget) is positive.',
    reads: { budget_remaining: 'number' },
    condition: 'has(context.budget_remaining) && double(context.budget_remaining) > 0.0',
  },
  off_peak_hours: {
    description: "Outside peak traffic: context.local_hour (0-23, the service's local time) is before 07:00 or from 22:00.",
    reads: { local_hour: 'int' },
    condition: 'has(context.local_hour) && (context.local_hour < 7 || context.local_hour >= 22)',
  },
  other_services_healthy: {
    description: 'Nothing else is on fire: context.other_unhealthy_services (unhealthy services besides this one) is 0.',
    reads: { other_unhealthy_services: 'int' },
    condition: 'has(context.other_unhealthy_services) && context.other_unhealthy_services == 0',
  },
  apps_reconnected: {
    description: 'Applications reach the database again: context.db_connection_errors (errors in the last minute) is 0.',
    reads: { db_connection_errors: 'int' },
    condition: 'has(context.db_connection_errors) && context.db_connection_errors == 0',
  },
  only_safe_directories: {
    description: 'Only scratch space is cleaned: context.cache_dir is exactly one of /tmp, /var/tmp, /var/cache.',
    reads: { cache_dir: 'string' },
    condition: 'has(context.cache_dir) && context.cache_dir in ["/tmp", "/var/tmp", "/var/cache"]',
  },
  incident_documented: {
    description: 'There is a written record: context.incident_doc_url is an https:// link.',
    reads: { incident_doc_url: 'string' },
    condition: 'has(context.incident_doc_url) && context.incident_doc_url.startsWith("https://")',
  },
};

export const STDLIB: Readonly<Record<string, StdlibCheck>> = { ...LIVE, ...CONTEXT_ONLY };

/** The standard checks that query Prometheus: the names whose query the operator may replace. */
export const STDLIB_PROMETHEUS_CHECKS: readonly string[] = Object.keys(LIVE).filter((name) => LIVE[name]!.probe?.prometheus !== undefined);
