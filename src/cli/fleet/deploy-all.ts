/**
 * `mcp deploy --all [--dry-run]` (SPEC §7.6): every active definition, nodes
 * in parallel, services in `after` order (plan.ts, run.ts), a summary.
 * Definitions, `after` and nodes are checked before anything is sent.
 */
import { readFileSync } from "node:fs";
import { createKeyLocator, findNode, type CliConfig } from "../../config/index.ts";
import { isMcpError, McpError, messageOf } from "../../lib/errors.ts";
import type { CliIO } from "../../lib/io.ts";
import { note, warn } from "../../lib/output.ts";
import type { ServiceDef } from "../../model/index.ts";
import type { AgentClient, LiveReport, ServicesReport } from "../../rpc/index.ts";
import { isFloatingImage, readServiceDefs, serviceDefPath } from "../../servicedef/index.ts";
import { EXIT } from "../boundary.ts";
import { connect } from "../context.ts";
import { reportNodeFailures, showProgress } from "../report.ts";
import { planFleet, type FleetPlan, type LocateAfter } from "./plan.ts";
import { previewService } from "./preview.ts";
import { fleetProgress, printFleetPlan, printFleetRuns, type PlanRow } from "./report.ts";
import { runFleet, succeeded, type ServiceOutcome } from "./run.ts";

/** What the command line asked for. */
export interface DeployAllOptions {
  dryRun: boolean;
  force: boolean;
  lockWaitMs: number;
  json: boolean;
  /** Services deploying at once on one node. */
  parallel: number;
  /** Send every service, even those its node shows up to date (so each node compares images, pulling them). */
  checkImages: boolean;
}

/** Services deploying at once on one node unless --parallel says otherwise. */
export const DEFAULT_PARALLEL = 4;

/** `<file>:<line>` of a definition's `after` (entry), read only when an error needs it. */
function locateIn(dir: string): LocateAfter {
  return (service, index) => {
    const path = serviceDefPath(dir, service);
    try {
      const line = createKeyLocator(readFileSync(path, "utf8"))(index === undefined || index < 0 ? ["after"] : ["after", index]);
      return line > 0 ? `${path}:${line}` : path;
    } catch {
      return path;
    }
  };
}

/** Reads and checks everything, then deploys (or previews); returns the exit status. */
export async function deployAll(io: CliIO, cfg: CliConfig, o: DeployAllOptions): Promise<number> {
  const { defs, warnings } = await readServiceDefs(cfg.services.dir);
  for (const w of warnings) warn(io, w);
  const plan = planFleet(defs, locateIn(cfg.services.dir));
  for (const n of plan.notes) warn(io, n);
  // Every node an active definition names must be configured before anything is sent.
  const nodes = new Map([...new Set(plan.services.map((s) => s.node))].map((n) => [n, findNode(cfg, n)]));
  if (plan.services.length === 0) {
    if (o.json) printFleetRuns(io, plan, [], true);
    else note(io, `no active service is defined in ${cfg.services.dir}${plan.inactive.length > 0 ? ` (inactive: ${plan.inactive.join(", ")})` : ""}`);
    return EXIT.ok;
  }
  const byName = new Map(defs.map((d) => [d.name, d]));
  const fleet = openNodes(cfg, nodes);
  try {
    if (o.dryRun) return await preview(io, plan, byName, fleet, o);
    const progress = fleetProgress(io);
    const runs = await runFleet(plan, {
      perNode: o.parallel,
      ...progress,
      deploy: async (s) => {
        let view: NodeView;
        try {
          view = await fleet.view(s.node);
        } catch (err) {
          return outcomeOf(err);
        }
        const def = byName.get(s.name)!;
        if (!o.force && !o.checkImages && isUpToDate(def, view)) return { result: "unchanged", detail: "up to date on its node (not sent)", sent: false };
        return deployOne(io, view.client, def, o);
      },
    });
    printFleetRuns(io, plan, runs, o.json);
    for (const r of runs) for (const w of r.warnings ?? []) warn(io, `${r.service}: ${w}`);
    return runs.every((r) => succeeded(r.result)) ? EXIT.ok : EXIT.failed;
  } finally {
    fleet.close();
  }
}

/** What a node answered first: its registry and live view (from memory, no podman call). */
interface NodeView {
  client: AgentClient;
  services: ServicesReport;
  live: LiveReport;
}

/**
 * One client per node and its view, asked once for every node at the start
 * (in parallel): a node that is down fails fast, and the same way for each
 * of its services.
 */
function openNodes(cfg: CliConfig, nodes: Map<string, ReturnType<typeof findNode>>) {
  const clients: AgentClient[] = [];
  const views = new Map<string, Promise<NodeView>>();
  for (const [name, node] of nodes) {
    const view = (async () => {
      const client = connect(cfg, node);
      clients.push(client);
      const [services, live] = await Promise.all([client.listServices(), client.liveCheck()]);
      return { client, services, live };
    })();
    // Awaited by the node's services; one whose services were all skipped must not leave a rejection unhandled.
    view.catch(() => {});
    views.set(name, view);
  }
  return {
    view: (node: string) => views.get(node)!,
    close: () => {
      for (const c of clients) c.close();
    },
  };
}

/**
 * The node's registry and live view say a deploy would change nothing: the
 * spec hash of every component is the deployed one (secrets' versions are in
 * the agent's hash, so a service with secrets never matches here and is
 * always sent), it runs, is desired running and verified. A floating image
 * (`latest`, no tag) is always sent: its node pulls and compares digests.
 */
function isUpToDate(def: ServiceDef, view: NodeView): boolean {
  if (def.components.some((c) => isFloatingImage(c.image))) return false;
  const rec = view.services.services.find((x) => x.name === def.name);
  return previewService(def, rec, view.live.components.filter((c) => c.service === def.name), false).change === "none";
}

/** Deploys one service; an error of the call is its outcome (refused: the token may not; failed: anything else). */
async function deployOne(io: CliIO, client: AgentClient, def: ServiceDef, o: DeployAllOptions): Promise<ServiceOutcome> {
  try {
    const outcome = await client.deploy({ service: def, component: "", force: o.force, lockWaitMs: o.lockWaitMs }, (p) => showProgress(io, def.name, p));
    const bad = outcome.results.filter((r) => r.status === "failed" || r.status === "rolled_back");
    const result = outcome.results.some((r) => r.status === "failed") ? "failed" : bad.length > 0 ? "rolled back"
      : outcome.results.every((r) => r.status === "unchanged") ? "unchanged" : "ok";
    return {
      result,
      detail: bad.map((r) => `${r.component}: ${r.status === "rolled_back" ? "rolled back: " : ""}${r.message}`).join("; "),
      components: outcome.results.map((r) => ({ component: r.component, status: r.status, message: r.message, version: r.version })),
      warnings: outcome.warnings,
    };
  } catch (err) {
    return outcomeOf(err);
  }
}

/** A failed call as a service's outcome: refused (the token may not) or failed, with the error's message. */
function outcomeOf(err: unknown): ServiceOutcome {
  if (!isMcpError(err)) throw err;
  return { result: err.code === "permission_denied" || err.code === "unauthenticated" ? "refused" : "failed", detail: err.message };
}

/** The dry run: each node's registry and live view, once; each service's preview; nothing is changed. */
async function preview(io: CliIO, plan: FleetPlan, defs: Map<string, ServiceDef>, fleet: ReturnType<typeof openNodes>, o: DeployAllOptions): Promise<number> {
  const nodes = [...new Set(plan.services.map((s) => s.node))];
  type Answer = { services: ServicesReport; live: LiveReport } | McpError;
  const answers = new Map(await Promise.all(nodes.map(async (n): Promise<[string, Answer]> => {
    try {
      return [n, await fleet.view(n)];
    } catch (err) {
      return [n, isMcpError(err) ? err : new McpError("internal", messageOf(err))];
    }
  })));
  const rows: PlanRow[] = plan.services.map((s) => {
    const a = answers.get(s.node)!;
    if (a instanceof McpError) return { service: s, preview: null, error: `node ${s.node} did not answer` };
    const rec = a.services.services.find((x) => x.name === s.name);
    return { service: s, preview: previewService(defs.get(s.name)!, rec, a.live.components.filter((c) => c.service === s.name), o.force) };
  });
  printFleetPlan(io, plan, rows, o.json);
  note(io, "dry run: nothing was changed");
  return reportNodeFailures(io, [...answers].map(([node, a]) => (a instanceof McpError ? { node, ok: false, error: a } : { node, ok: true, value: a })));
}
