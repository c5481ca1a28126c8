/**
 * Runs a fleet plan (plan.ts): every node at once, on each node up to
 * `perNode` services at a time, each only once those it comes after
 * deployed (on whatever node); a failure skips its dependents. The deploy of
 * one service is handed in, so this holds no I/O of its own.
 */
import { createFleetSchedule, type FleetPlan, type PlannedService } from "./plan.ts";

/** A service's result in a fleet deploy's summary. */
export type FleetResult = "ok" | "unchanged" | "rolled back" | "failed" | "refused" | "skipped";

/** What deploying one service gave. */
export interface ServiceOutcome {
  result: Exclude<FleetResult, "skipped">;
  /** One line: what failed (a component's message, the node's error), or "". */
  detail: string;
  /** The deploy's per-component results, when the agent answered. */
  components?: { component: string; status: string; message: string; version: string }[];
  warnings?: string[];
  /** false: decided without a call to the node (it showed the service up to date). */
  sent?: boolean;
}

/** One row of the summary. */
export interface ServiceRun extends Omit<ServiceOutcome, "result"> {
  result: FleetResult;
  service: string;
  node: string;
  after: string[];
  step: number;
  /** How long its deploy took, ms (0 when skipped). */
  ms: number;
}

/** A run's options. */
export interface FleetRunOptions {
  /** Services deploying at once on one node (≥ 1). */
  perNode: number;
  /** Deploys one service; a throw counts as `failed` with its message. */
  deploy: (s: PlannedService) => Promise<ServiceOutcome>;
  now?: () => number;
  /** Told as each service starts and ends (progress). */
  onStart?: (s: PlannedService) => void;
  onEnd?: (run: ServiceRun) => void;
}

/** True for the results its dependents may follow. */
export const succeeded = (r: FleetResult): boolean => r === "ok" || r === "unchanged";

/**
 * Runs the plan to its end and returns one row per planned service, in
 * plan order. Never throws for a service's failure: that is its row.
 */
export async function runFleet(plan: FleetPlan, o: FleetRunOptions): Promise<ServiceRun[]> {
  const now = o.now ?? (() => performance.now());
  const schedule = createFleetSchedule(plan);
  const rows = new Map<string, ServiceRun>();
  const row = (s: PlannedService, out: Omit<ServiceOutcome, "result"> & { result: FleetResult }, ms: number): ServiceRun => ({ service: s.name, node: s.node, after: s.after, step: s.step, ms, ...out });
  // Workers with nothing ready wait for any service to end (that may make one ready, or skip theirs).
  let waiting: (() => void)[] = [];
  const wake = () => {
    const w = waiting;
    waiting = [];
    for (const f of w) f();
  };
  const runOne = async (s: PlannedService) => {
    o.onStart?.(s);
    const t0 = now();
    let out: ServiceOutcome;
    try {
      out = await o.deploy(s);
    } catch (err) {
      out = { result: "failed", detail: err instanceof Error ? err.message : String(err) };
    }
    const r = row(s, out, Math.max(0, now() - t0));
    rows.set(s.name, r);
    for (const name of schedule.finish(s.name, succeeded(out.result))) {
      const skipped = plan.services.find((x) => x.name === name)!;
      const sr = row(skipped, { result: "skipped", detail: schedule.reason(name) }, 0);
      rows.set(name, sr);
      o.onEnd?.(sr);
    }
    o.onEnd?.(r);
    wake();
  };
  const worker = async (node: string) => {
    for (;;) {
      const s = schedule.next(node);
      if (s) {
        await runOne(s);
        continue;
      }
      if (schedule.pending(node) === 0 || schedule.over()) return;
      await new Promise<void>((resolve) => waiting.push(resolve));
    }
  };
  const nodes = [...new Set(plan.services.map((s) => s.node))];
  const perNode = Math.max(1, Math.floor(o.perNode));
  await Promise.all(nodes.flatMap((n) => Array.from({ length: perNode }, () => worker(n))));
  return plan.services.map((s) => rows.get(s.name) ?? row(s, { result: "skipped", detail: "not reached" }, 0));
}
