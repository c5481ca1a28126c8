/**
 * Resource limits: `mem_limit`, `cpus`, `pids_limit` and their `deploy:`
 * forms (`deploy.resources.limits`) → `memory`, `cpus`, `pids_limit`. Where
 * both forms are set they must agree (compose refuses a conflict too). The
 * rest of `deploy:` is swarm's: replicas, placement, update policies.
 */
import type { ComponentSpec } from "../../model/index.ts";
import type { ImportContext } from "./_context.ts";
import { composeBytes, podmanSize } from "./_units.ts";

const DEPLOY_KEYS = new Set(["resources", "replicas", "mode", "placement", "restart_policy", "update_config", "rollback_config", "labels", "endpoint_mode"]);

/** Sets memory, cpus and pidsLimit of spec from the service `s` at path. */
export function mapLimits(ctx: ImportContext, s: Record<string, unknown>, path: string, spec: ComponentSpec): void {
  const limits = deployLimits(ctx, s.deploy, `${path}.deploy`);
  const memory = pick(ctx, [[s.mem_limit, `${path}.mem_limit`], [limits.memory, `${path}.deploy.resources.limits.memory`]], (v, at) => {
    const b = composeBytes(typeof v === "number" ? v : ctx.text(v, at));
    if (typeof b === "string") return ctx.fail(at, b);
    if (b < 6 * 1024 ** 2) return ctx.fail(at, `${podmanSize(b)} is less than podman's minimum of 6m`);
    return podmanSize(b);
  });
  if (memory !== undefined) spec.memory = memory;
  const cpus = pick(ctx, [[s.cpus, `${path}.cpus`], [limits.cpus, `${path}.deploy.resources.limits.cpus`]], (v, at) => {
    const n = ctx.number(v, at);
    if (n <= 0 || n > 1024) return ctx.fail(at, "must be more than 0 and at most 1024");
    return n;
  });
  if (cpus !== undefined) spec.cpus = cpus;
  const pids = pick(ctx, [[s.pids_limit, `${path}.pids_limit`], [limits.pids, `${path}.deploy.resources.limits.pids`]], (v, at) => {
    const n = ctx.number(v, at);
    if (!Number.isInteger(n) || n === 0 || n < -1 || n > 4_194_304) return ctx.fail(at, "must be a whole number from 1 to 4194304 (or -1: no limit)");
    return n;
  });
  // -1 is "no limit", which is not podman's default (containers.conf pids_limit): kept.
  if (pids !== undefined) spec.pidsLimit = pids;
}

/** The value of the first set source, checked to agree with every other set one. */
function pick<T>(ctx: ImportContext, sources: [unknown, string][], parse: (v: unknown, at: string) => T): T | undefined {
  let chosen: { value: T; at: string } | undefined;
  for (const [raw, at] of sources) {
    if (raw === undefined || raw === null) continue;
    const value = parse(raw, at);
    if (!chosen) chosen = { value, at };
    else if (chosen.value !== value) ctx.fail(at, `says ${String(value)}, but ${chosen.at} says ${String(chosen.value)}: keep one`);
  }
  return chosen?.value;
}

function deployLimits(ctx: ImportContext, value: unknown, path: string): Record<string, unknown> {
  if (value === undefined || value === null) return {};
  const d = ctx.map(value, path);
  let limits: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(d)) {
    const at = `${path}.${k}`;
    if (k.startsWith("x-")) ctx.note(at, "an x- extension field: ignored by design");
    else if (!DEPLOY_KEYS.has(k)) ctx.fail(at, "is not a key of deploy");
    else if (k === "resources") limits = resources(ctx, v, at);
    else if (k === "replicas") {
      const n = ctx.number(v, at);
      if (n !== 1) ctx.unmap(at, "mcp runs one container per component; make more components for more copies");
    } else if (k === "mode" && ctx.text(v, at) === "replicated") ctx.note(at, "replicated with one replica is what mcp runs");
    else ctx.unmap(at, "is swarm's; mcp has no counterpart (restart policies go in restart:)");
  }
  return limits;
}

function resources(ctx: ImportContext, value: unknown, path: string): Record<string, unknown> {
  const r = ctx.map(value, path);
  let limits: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(r)) {
    const at = `${path}.${k}`;
    if (k === "limits") {
      limits = ctx.map(v, at);
      for (const lk of Object.keys(limits)) {
        if (lk !== "memory" && lk !== "cpus" && lk !== "pids") ctx.unmap(`${at}.${lk}`, "is not a limit mcp sets (memory, cpus, pids)");
      }
    } else if (k === "reservations") ctx.unmap(at, "reservations are a scheduler's; mcp sets limits only");
    else ctx.fail(at, "is not a key of deploy.resources (limits, reservations)");
  }
  return limits;
}
