import { readFileSync, statfsSync } from "node:fs";
import { cpus, freemem, loadavg, totalmem, uptime } from "node:os";
import type { NodeStatusReport } from "../../rpc/index.ts";
import type { ReclaimableEstimate } from "../images/index.ts";
import type { LiveState } from "../monitor/index.ts";
import { listServices, type Db } from "../store/index.ts";

/** What NodeStatus needs beside the registry and the live view; fixed at agent start. */
export interface NodeFacts {
  node: string;
  agentVersion: string;
  podmanVersion: string;
  srvRoot: string;
  /** When this agent process started (Unix ms): its uptime is measured from here. */
  startedAt: number;
  /** The agent certificate's expiry (Unix ms); 0 when unknown. */
  certNotAfter: number;
  /** Image pruning (SPEC §7.6): `[prune] keep`, and the estimate of what a prune would free; absent in tests that do not need it. */
  images?: { keep: number; estimate: ReclaimableEstimate };
}

/** Memory the kernel says is available to new work (MemAvailable), else free memory. */
function availableMemory(): number {
  try {
    const m = /^MemAvailable:\s+(\d+) kB$/m.exec(readFileSync("/proc/meminfo", "utf8"));
    if (m) return Number(m[1]) * 1024;
  } catch {
    // not Linux: fall through
  }
  return freemem();
}

/** The disk holding the services' data (the srv root, or its nearest existing parent). */
function disk(path: string): { total: number; free: number } {
  for (let p = path; ; p = p.slice(0, Math.max(1, p.lastIndexOf("/")))) {
    try {
      const s = statfsSync(p);
      return { total: s.blocks * s.bsize, free: s.bavail * s.bsize };
    } catch {
      if (p === "/") return { total: 0, free: 0 };
    }
  }
}

/**
 * NodeStatus (SPEC §4): the node, its agent and podman, counts from the
 * registry and the live view, disk, memory, load, and two uptimes that must
 * not be confused: `uptimeMs` is the host's (since boot), the agent's own is
 * `now - agentStartedAt` (both on this clock, so the CLI's clock does not enter).
 */
export async function nodeStatus(facts: NodeFacts, db: Db, live: LiveState, now: number): Promise<NodeStatusReport> {
  // Computed in the background and cached; only the first call waits for it (3 s at most: a hung podman leaves it out).
  const reclaimableBytes = await facts.images?.estimate.get(3000);
  const services = listServices(db);
  const components = services.flatMap((s) => s.components);
  const d = disk(facts.srvRoot);
  return {
    node: facts.node,
    agentVersion: facts.agentVersion,
    podmanVersion: facts.podmanVersion,
    services: services.length,
    components: components.length,
    running: components.filter((c) => live.get(c.containerName)?.state === "running").length,
    srvRoot: facts.srvRoot,
    diskTotalBytes: d.total,
    diskFreeBytes: d.free,
    memoryTotalBytes: totalmem(),
    memoryFreeBytes: availableMemory(),
    load1: loadavg()[0] ?? 0,
    cpus: cpus().length,
    // The host's uptime (os.uptime: since boot), not the agent's.
    uptimeMs: Math.round(uptime() * 1000),
    agentStartedAt: facts.startedAt,
    certNotAfter: facts.certNotAfter,
    now,
    ...(reclaimableBytes !== undefined ? { reclaimableBytes } : {}),
  };
}
