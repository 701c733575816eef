/**
 * The standard library of named checks, always in scope.
 *
 * Until a Kubernetes executor exists, every standard check is a CEL condition
 * over the incident context the detection pipeline supplies: it reads the
 * fields listed in `reads` and nothing else (a test holds each check to that).
 * A missing field fails the check (`has(...)`) rather than erroring, so the
 * failure reason names what was missing. Post-checks evaluate the same
 * snapshot; a file that can observe the live system overrides them with a
 * probe (see `checks:` in runbook files, where a file's name wins over the
 * standard library's for that file, and `plan` shows the override).
 */
import type { ParamType } from './types';

export interface StdlibCheck {
  description: string;
  /** Context fields the condition reads, with their types. */
  reads: Record<string, ParamType>;
  condition: string;
}

export const STDLIB: Readonly<Record<string, StdlibCheck>> = {
  replicas_greater_than_one: {
    description: 'Not the only replica: context.replicas (replicas of the workload) is greater than 1.',
    reads: { replicas: 'int' },
    condition: 'has(context.replicas) && context.replicas > 1',
  },
  recent_restarts_less_than_three: {
    description: 'Not already restarting: context.restarts_last_hour (restarts in the last hour) is less than 3.',
    reads: { restarts_last_hour: 'int' },
    condition: 'has(context.restarts_last_hour) && context.restarts_last_hour < 3',
  },
  pod_becomes_ready: {
    description: 'The pod reports Ready: context.pod_ready is true.',
    reads: { pod_ready: 'bool' },
    condition: 'has(context.pod_ready) && context.pod_ready',
  },
  all_pods_ready: {
    description: 'Every desired replica is Ready: context.ready_replicas >= context.desired_replicas.',
    reads: { ready_replicas: 'int', desired_replicas: 'int' },
    condition: 'has(context.ready_replicas) && has(context.desired_replicas) && context.ready_replicas >= context.desired_replicas',
  },
  current_replicas_below_max: {
    description: 'Room to scale: context.current_replicas is below context.max_replicas.',
    reads: { current_replicas: 'int', max_replicas: 'int' },
    condition: 'has(context.current_replicas) && has(context.max_replicas) && context.current_replicas < context.max_replicas',
  },
  budget_available: {
    description: 'Spend is allowed: context.budget_remaining (remaining scaling budget) is positive.',
    reads: { budget_remaining: 'number' },
    condition: 'has(context.budget_remaining) && double(context.budget_remaining) > 0.0',
  },
  metrics_improved: {
    description: 'The triggering metric went down: context.metric_now is below context.metric_at_detection (same unit, e.g. CPU %).',
    reads: { metric_now: 'number', metric_at_detection: 'number' },
    condition:
      'has(context.metric_now) && has(context.metric_at_detection) && double(context.metric_now) < double(context.metric_at_detection)',
  },
  deployment_exists: {
    description: 'The deployment exists: context.deployment_exists is true.',
    reads: { deployment_exists: 'bool' },
    condition: 'has(context.deployment_exists) && context.deployment_exists',
  },
  previous_revision_available: {
    description: 'There is a revision to go back to: context.revision (current rollout revision) is greater than 1.',
    reads: { revision: 'int' },
    condition: 'has(context.revision) && context.revision > 1',
  },
  error_rate_normalized: {
    description: 'Errors are back to normal: context.error_rate is at or below context.baseline_error_rate.',
    reads: { error_rate: 'number', baseline_error_rate: 'number' },
    condition:
      'has(context.error_rate) && has(context.baseline_error_rate) && double(context.error_rate) <= double(context.baseline_error_rate)',
  },
  health_checks_pass: {
    description: "The service's health endpoint passes: context.health_check_passing is true.",
    reads: { health_check_passing: 'bool' },
    condition: 'has(context.health_check_passing) && context.health_check_passing',
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
  replica_caught_up: {
    description: 'The replica has the data: context.replication_lag_seconds is at most 5.',
    reads: { replication_lag_seconds: 'number' },
    condition: 'has(context.replication_lag_seconds) && double(context.replication_lag_seconds) <= 5.0',
  },
  primary_healthy: {
    description: 'The (new) primary accepts writes: context.primary_healthy is true.',
    reads: { primary_healthy: 'bool' },
    condition: 'has(context.primary_healthy) && context.primary_healthy',
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
  disk_usage_below_threshold: {
    description: 'Disk pressure is gone: context.disk_usage_percent is below 70.',
    reads: { disk_usage_percent: 'number' },
    condition: 'has(context.disk_usage_percent) && double(context.disk_usage_percent) < 70.0',
  },
  no_pods_running: {
    description: 'The workload is stopped: context.running_pods is 0.',
    reads: { running_pods: 'int' },
    condition: 'has(context.running_pods) && context.running_pods == 0',
  },
  incident_documented: {
    description: 'There is a written record: context.incident_doc_url is an https:// link.',
    reads: { incident_doc_url: 'string' },
    condition: 'has(context.incident_doc_url) && context.incident_doc_url.startsWith("https://")',
  },
};
