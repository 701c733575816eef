/** Pinned versions of the servers the project provisions itself. Change here, and only here. */
export const TEMPORAL_CLI_VERSION = 'v1.5.1';
export const TEMPORAL_CLI_MODULE = 'github.com/temporalio/cli/cmd/temporal';
export const TEMPORAL_TEST_SERVER_VERSION = '1.38.0';

/**
 * The local Kubernetes control plane (tests and the demo). kube-apiserver, kube-controller-manager and
 * kube-scheduler are built from k8s.io/kubernetes at this tag; its staging modules (k8s.io/api, ...)
 * are published as v0.<minor>.<patch>, see kubernetes-binaries.ts.
 */
export const KUBERNETES_VERSION = 'v1.36.3';
/** kwok: fake nodes and the pod lifecycle a kubelet would report. */
export const KWOK_VERSION = 'v0.8.0';
export const KWOK_MODULE = 'sigs.k8s.io/kwok/cmd/kwok';
/** etcd, a 3.6 patch release as Kubernetes 1.36 expects. */
export const ETCD_VERSION = 'v3.6.16';
export const ETCD_MODULE = 'go.etcd.io/etcd/server/v3';
/**
 * Prometheus (live verification). Its Go module tags 3.x releases as v0.3xx.y: v0.316.0 is
 * Prometheus 3.16.0. Built without the web UI's assets (the `builtinassets` tag): the query API,
 * which is all the engine and its tests use, is the same.
 */
export const PROMETHEUS_VERSION = 'v0.316.0';
export const PROMETHEUS_RELEASE = '3.16.0';
export const PROMETHEUS_MODULE = 'github.com/prometheus/prometheus/cmd/prometheus';
/**
 * Alertmanager (the closed-loop tests and the demo). v0.31.1 is the newest release `go install` can
 * build from the module proxy: from v0.35.0 ui/web.go embeds app/dist, which the module does not ship.
 */
export const ALERTMANAGER_VERSION = 'v0.31.1';
export const ALERTMANAGER_RELEASE = '0.31.1';
export const ALERTMANAGER_MODULE = 'github.com/prometheus/alertmanager/cmd/alertmanager';
