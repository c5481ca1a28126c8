/** The agent's Prometheus endpoint (SPEC §7.8): collection, the text format, podman call timing, the HTTPS listener. */
export { collectMetrics, DEPLOY_BOUNDS, PODMAN_BOUNDS, type MetricsSources, type NotifyFigures } from "./collect.ts";
export { EventCounters, type ComponentCounters } from "./counters.ts";
export { timePodmanCalls } from "./instrument.ts";
export { METRICS_METHOD, startMetricsServer, type MetricsServer, type MetricsServerOptions } from "./serve.ts";
export { Exposition, Histograms, type HistogramData, type Labels } from "./text.ts";
