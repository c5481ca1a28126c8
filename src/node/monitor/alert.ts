import type { Clock } from "../../lib/clock.ts";
import { messageOf } from "../../lib/errors.ts";
import type { Logger } from "../../lib/log.ts";
import type { DesiredState } from "../runtime/types.ts";
import type { ShownState } from "./state.ts";
import type { Journal } from "./journal.ts";
import type { AlertKind } from "./plan.ts";

export interface AlertFacts {
  kind: AlertKind;
  node: string;
  service: string;
  component: string;
  desired: DesiredState;
  observed: ShownState;
  previous: ShownState;
  /** Unix ms */
  time: number;
}

/** The human line of an alert. */
export function alertMessage(a: AlertFacts): string {
  const who = `${a.service}/${a.component} on ${a.node}`;
  switch (a.kind) {
    case "drift":
      return `${who} drifted: desired ${a.desired}, observed ${a.observed} (was ${a.previous})`;
    case "flapping":
      return `${who} is flapping: its state keeps changing (now ${a.observed}, desired ${a.desired})`;
    case "unhealthy":
      return `${who} is unhealthy: it runs but its health probe keeps failing (was ${a.previous})`;
    case "recovered":
      return `${who} recovered: ${a.observed} as desired (was ${a.previous})`;
    default:
      // A kind added later (unhealthy, SPEC §7.5) still reads as a line until it has its own words.
      return `${who}: ${String(a.kind)} (desired ${a.desired}, observed ${a.observed}, was ${a.previous})`;
  }
}

/** The environment and the JSON (stdin) an alert command gets (SPEC §5.9). */
export function alertPayload(a: AlertFacts): { env: Record<string, string>; json: string } {
  const time = new Date(a.time).toISOString();
  const env = {
    MCP_ALERT_KIND: a.kind,
    MCP_NODE: a.node,
    MCP_SERVICE: a.service,
    MCP_COMPONENT: a.component,
    MCP_DESIRED: a.desired,
    MCP_OBSERVED: a.observed,
    MCP_PREVIOUS: a.previous,
    MCP_TIME: time,
  };
  const json = JSON.stringify({
    kind: a.kind, node: a.node, service: a.service, component: a.component, desired: a.desired,
    observed: a.observed, previous: a.previous, time, message: alertMessage(a),
  });
  return { env, json };
}

/** Runs an argv (no shell) with extra environment and stdin, under a timeout; rejects on failure. */
export type ExecFn = (argv: string[], env: Record<string, string>, stdin: string, timeoutMs: number) => Promise<void>;

export const ALERT_TIMEOUT_MS = 30_000;

/**
 * Why the alert command failed, in its own words (the process seam words its
 * errors for podman: "cannot run podman", "install podman").
 */
export function alertCommandError(command: readonly string[], err: unknown): string {
  const e = err as { code?: string; exitCode?: number; stderrTail?: string };
  const name = command[0] ?? "";
  if (e?.code === "unavailable") return `[monitor] alert_command ${name} cannot be run (not found or not executable): fix the command in the agent config`;
  if (e?.code === "deadline_exceeded") return `[monitor] alert_command ${name} did not finish within ${ALERT_TIMEOUT_MS / 1000}s and was killed`;
  if (typeof e?.exitCode === "number") return `[monitor] alert_command ${name} exited ${e.exitCode}${e.stderrTail ? `: ${e.stderrTail.trim().split("\n").at(-1)}` : ""}`;
  return `[monitor] alert_command ${name} failed: ${messageOf(err)}`;
}

/**
 * Sends alerts: records each as an event, hands it to the `[[notify]]`
 * channels (`notify`, which must return at once: src/node/notify/ queues),
 * then runs `alert_command` (if any) in the background. A failing or hanging
 * command or channel is logged and never holds up the monitor.
 */
export function createAlerter(o: { command: string[]; exec: ExecFn; journal: Journal; log: Logger; clock: Clock; node: string; notify?: (a: AlertFacts) => void }) {
  let running = 0;
  return {
    /** Commands still running (for tests and shutdown). */
    pending: () => running,
    fire(a: Omit<AlertFacts, "node" | "time">): void {
      const facts: AlertFacts = { ...a, node: o.node, time: o.clock.now() };
      const message = alertMessage(facts);
      o.journal.append({ time: facts.time, service: a.service, component: a.component, kind: a.kind, message });
      o.log.warn("alert", { kind: a.kind, service: a.service, component: a.component, desired: a.desired, observed: a.observed });
      try {
        o.notify?.(facts);
      } catch (err) {
        o.log.error("notify dispatch failed", { kind: a.kind, service: a.service, component: a.component, error: messageOf(err) });
      }
      if (o.command.length === 0) return;
      const { env, json } = alertPayload(facts);
      running++;
      o.exec(o.command, env, json, ALERT_TIMEOUT_MS)
        .catch((err) => o.log.error("alert command failed", { kind: a.kind, service: a.service, component: a.component, command: o.command[0], error: alertCommandError(o.command, err) }))
        .finally(() => running--);
    },
  };
}

export type Alerter = ReturnType<typeof createAlerter>;
