import type { ComponentResult, Progress } from "../model/index.ts";
import type { SpecChange } from "../servicedef/index.ts";
import { EXIT, exitCodeFor } from "./boundary.ts";
import type { NodeAnswer } from "./context.ts";
import type { CliIO } from "../lib/io.ts";
import { note, paintState, printError, renderTable } from "../lib/output.ts";

/**
 * Prints one error line per node that did not answer and returns the exit
 * status they call for (unreachable wins over auth over other failures);
 * 0 when every node answered.
 */
export function reportNodeFailures<T>(io: CliIO, answers: NodeAnswer<T>[]): number {
  let code: number = EXIT.ok;
  const rank = (c: number) => (c === EXIT.unreachable ? 3 : c === EXIT.auth ? 2 : c === EXIT.ok ? 0 : 1);
  for (const a of answers) {
    if (a.ok) continue;
    printError(io, a.error.message.startsWith("node ") ? a.error.message : `node ${a.node}: ${a.error.message}`, a.error.hint);
    const c = exitCodeFor(a.error.code);
    if (rank(c) > rank(code)) code = c;
  }
  return code;
}

const STATUS_WORDS: Record<ComponentResult["status"], string> = { ok: "ok", unchanged: "unchanged", rolled_back: "rolled back", failed: "failed" };

/** Prints per-component results as a table; returns 1 when any failed or was rolled back. */
export function printResults(io: CliIO, service: string, results: ComponentResult[]): number {
  const rows = results.map((r) => [service, r.component, paintState(io, STATUS_WORDS[r.status]), r.version || "-", r.message]);
  io.out(renderTable(["SERVICE", "COMPONENT", "RESULT", "VERSION", "DETAIL"], rows, io.color));
  return results.some((r) => r.status === "failed" || r.status === "rolled_back") ? EXIT.failed : EXIT.ok;
}

/** A service's changes as a table under a `<service> on <node>:` line (or "no differences"). */
export function printChanges(io: CliIO, service: string, node: string, changes: SpecChange[]): void {
  if (changes.length === 0) {
    io.out(`${service} on ${node}: no differences\n`);
    return;
  }
  io.out(`${service} on ${node}:\n`);
  const value = (c: SpecChange) => (c.kind === "changed" ? `${c.from || '""'} → ${c.to || '""'}` : c.kind === "added" ? c.to! : c.from!);
  const rows = changes.map((c) => [c.component || "(service)", c.field, c.kind, value(c)]);
  io.out(renderTable(["COMPONENT", "FIELD", "CHANGE", "VALUE"], rows, io.color).replace(/^(?=.)/gm, "  "));
}

/** A deploy's or rollback's progress on stderr: lock waits always, each step only on a terminal. */
export function showProgress(io: CliIO, service: string, p: Progress): void {
  if (p.component === "" || io.isTTY) note(io, `${service}${p.component ? "/" + p.component : ""}: ${p.message}`);
}
