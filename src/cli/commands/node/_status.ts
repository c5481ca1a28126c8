import { formatUptime } from "../../../lib/duration.ts";
import type { NodeStatusReport } from "../../../rpc/index.ts";
import { formatBytes } from "../../units.ts";

/** The lines of `mcp node status` for one node that answered. */
export function statusLines(s: NodeStatusReport): [string, string][] {
  const usedPct = s.diskTotalBytes > 0 ? Math.round(((s.diskTotalBytes - s.diskFreeBytes) / s.diskTotalBytes) * 100) : 0;
  const certDays = s.certNotAfter ? Math.floor((s.certNotAfter - s.now) / 86_400_000) : null;
  return [
    ["agent", `${s.agentVersion || "?"}, up ${formatUptime(s.now - s.agentStartedAt)}`],
    ["podman", s.podmanVersion || "?"],
    ["services", `${s.services} (${s.components} components, ${s.running} running)`],
    ["disk", `${s.srvRoot}: ${formatBytes(s.diskFreeBytes)} free of ${formatBytes(s.diskTotalBytes)} (${usedPct}% used)`],
    ["memory", `${formatBytes(s.memoryFreeBytes)} available of ${formatBytes(s.memoryTotalBytes)}`],
    ["cpu", `${s.cpus} cores, load ${s.load1.toFixed(2)}`],
    ["host uptime", formatUptime(s.uptimeMs)],
    ["certificate", certDays === null ? "unknown" : `expires ${new Date(s.certNotAfter).toISOString().slice(0, 10)} (${certDays} days)`],
    ["reclaimable", `${formatBytes(s.reclaimableBytes ?? 0)} of images (mcp node prune ${s.node})`],
  ];
}

/** The JSON of one node's status. */
export function statusJson(s: NodeStatusReport): Record<string, unknown> {
  return {
    agent_version: s.agentVersion, podman_version: s.podmanVersion, services: s.services, components: s.components, running: s.running,
    srv_root: s.srvRoot, disk_total_bytes: s.diskTotalBytes, disk_free_bytes: s.diskFreeBytes, memory_total_bytes: s.memoryTotalBytes,
    memory_available_bytes: s.memoryFreeBytes, load1: s.load1, cpus: s.cpus,
    // uptime_ms is the host's (kept for scripts that read it); the agent's is its own field.
    uptime_ms: s.uptimeMs, host_uptime_ms: s.uptimeMs, agent_uptime_ms: s.now - s.agentStartedAt,
    agent_started_at: new Date(s.agentStartedAt).toISOString(), cert_not_after: s.certNotAfter ? new Date(s.certNotAfter).toISOString() : null,
    reclaimable_bytes: s.reclaimableBytes ?? 0,
  };
}
