/**
 * How `mcp deploy --all` shows itself: the summary (SERVICE NODE RESULT TIME
 * DETAIL, or JSON), the dry run's plan, and progress lines on a terminal.
 */
import type { CliIO } from "../../lib/io.ts";
import { note, paintState, printJson, renderTable } from "../../lib/output.ts";
import { printChanges } from "../report.ts";
import type { FleetPlan, PlannedService } from "./plan.ts";
import type { ServicePreview } from "./preview.ts";
import type { ServiceRun } from "./run.ts";

/** A deploy's time as the summary shows it: `850ms`, `1.2s`, `2m05s`. */
export function formatTook(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
}

const paint = (io: CliIO, result: string) => (result === "skipped" || result === "refused" ? (io.color ? `\x1b[33m${result}\x1b[0m` : result) : paintState(io, result));

/** The summary of a run, one row per planned service in plan order; inactive services named below the table. */
export function printFleetRuns(io: CliIO, plan: FleetPlan, runs: ServiceRun[], json: boolean): void {
  if (json) {
    printJson(io, {
      services: runs.map((r) => ({
        service: r.service, node: r.node, step: r.step, after: r.after, result: r.result, ms: Math.round(r.ms), detail: r.detail,
        sent: r.result !== "skipped" && r.sent !== false,
        components: r.components ?? [], warnings: r.warnings ?? [],
      })),
      inactive: plan.inactive,
    });
    return;
  }
  const rows = runs.map((r) => [r.service, r.node, paint(io, r.result), r.result === "skipped" || r.sent === false ? "-" : formatTook(r.ms), r.detail]);
  io.out(renderTable(["SERVICE", "NODE", "RESULT", "TIME", "DETAIL"], rows, io.color));
  if (plan.inactive.length > 0) note(io, `inactive, not deployed: ${plan.inactive.join(", ")}`);
}

/** One row of a dry run: a service's place in the plan and what its deploy would do (null: its node did not answer). */
export interface PlanRow {
  service: PlannedService;
  preview: ServicePreview | null;
  /** Why there is no preview (the node's error). */
  error?: string;
}

/** The dry run: the plan in order with what each deploy would change, then the field changes of each service that has some. */
export function printFleetPlan(io: CliIO, plan: FleetPlan, rows: PlanRow[], json: boolean): void {
  if (json) {
    printJson(io, {
      dry_run: true,
      services: rows.map((r) => ({
        service: r.service.name, node: r.service.node, step: r.service.step, after: r.service.after,
        change: r.preview?.change ?? "unknown", detail: r.preview?.detail ?? r.error ?? "", changes: r.preview?.changes ?? [],
      })),
      inactive: plan.inactive,
    });
    return;
  }
  const table = rows.map((r) => [
    String(r.service.step), r.service.name, r.service.node, r.service.after.join(",") || "-",
    r.preview?.change ?? "unknown", r.preview?.detail ?? r.error ?? "",
  ]);
  io.out(renderTable(["STEP", "SERVICE", "NODE", "AFTER", "CHANGE", "DETAIL"], table, io.color));
  for (const r of rows) {
    if (r.preview?.change === "update" && r.preview.changes.length > 0) {
      io.out("\n");
      printChanges(io, r.service.name, r.service.node, r.preview.changes);
    }
  }
  if (plan.inactive.length > 0) note(io, `inactive, not deployed: ${plan.inactive.join(", ")}`);
}

/** Progress on stderr, on a terminal only: each service as it starts and ends. */
export function fleetProgress(io: CliIO): { onStart: (s: PlannedService) => void; onEnd: (r: ServiceRun) => void } {
  return {
    onStart: (s) => {
      if (io.errIsTTY) note(io, `${s.name} on ${s.node}: deploying`);
    },
    onEnd: (r) => {
      if (io.errIsTTY) note(io, `${r.service} on ${r.node}: ${r.result}${r.result === "skipped" ? "" : ` (${formatTook(r.ms)})`}${r.detail ? `: ${r.detail}` : ""}`);
    },
  };
}
