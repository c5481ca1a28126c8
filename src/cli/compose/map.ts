/**
 * A compose file → an mcp service definition (SPEC §7.9): services become
 * components (in an order that puts each after what it depends on), and
 * everything compose says that mcp cannot is listed with its compose path.
 * Pure but for the env_file reads, which the caller supplies.
 */
import { NAME_RULE } from "../../lib/names.ts";
import { findCycle, orderByAfter } from "../../servicedef/index.ts";
import type { ComponentSpec, ServiceDef } from "../../model/index.ts";
import { ImportContext, type DataToCopy, type ImportItem, type ImportOptions } from "./_context.ts";
import { mapService } from "./_service.ts";
import { declaredVolumes } from "./_volumes.ts";
import { parseYamlTree } from "./_yaml.ts";

/** What an import made: the definition, and what the operator must know about it. */
export interface ComposeImport {
  def: ServiceDef;
  /** Not mapped: listed at the top of the file; nothing is written without --force. */
  unmapped: ImportItem[];
  /** Changed or left out by design (printed only). */
  notes: ImportItem[];
  /** Data that relative binds expect in the service's directory on the node. */
  copies: DataToCopy[];
}

const TOP_LEVEL = ["version", "name", "services", "volumes", "networks", "secrets", "configs"];
const CONDITIONS = new Set(["service_started", "service_healthy", "service_completed_successfully"]);

/** Maps the compose text; throws a located invalid_argument McpError for what stops an import (nothing is written then). */
export function importCompose(text: string, opts: ImportOptions): ComposeImport {
  const tree = parseYamlTree(text, opts.source);
  const ctx = new ImportContext(tree, opts);
  if (tree.value === null || typeof tree.value !== "object" || Array.isArray(tree.value)) {
    ctx.fail("", "is not a compose file (a map with services: at its top)");
  }
  const top = tree.value as Record<string, unknown>;
  for (const [key, value] of Object.entries(top)) {
    if (key.startsWith("x-")) ctx.note(key, "an x- extension field: ignored by design (anchors defined in it are used where they are referenced)");
    else if (!TOP_LEVEL.includes(key)) ctx.fail(key, `is not a top-level key of a compose file (${TOP_LEVEL.join(", ")}, or x-… extensions)`);
    else if (key === "version") ctx.note(key, "is informational (compose itself ignores it now)");
    else if (key === "name") ctx.note(key, `the project's name; the mcp service is named ${opts.service} (--service)`);
    else if ((key === "secrets" || key === "configs") && Object.keys(ctx.map(value, key)).length > 0) {
      for (const name of Object.keys(ctx.map(value, key))) {
        ctx.unmap(`${key}.${name}`, key === "secrets" ? `compose secrets are not imported: mcp secret set ${opts.service} ${name} stores it on the node` : "compose configs are not imported: copy the file into the service's directory (mcp push) and mount it");
      }
    } else if (key === "networks") networks(ctx, value);
  }
  const services = ctx.map(top.services, "services");
  if (top.services === undefined || Object.keys(services).length === 0) ctx.fail("services", "there are no services to import");
  const declared = declaredVolumes(ctx, top.volumes);
  const names = componentNames(ctx, Object.keys(services));
  const components = Object.entries(services).map(([key, raw]) => mapService(ctx, key, names.get(key)!, raw, declared));
  dependencies(ctx, services, names, components);
  const cycle = findCycle(components);
  if (cycle) ctx.fail("services", `depends_on goes round in a circle: ${cycle.join(" → ")}`);
  // Dependencies first, compose's order otherwise: the order a deploy takes them in.
  const def: ServiceDef = { name: opts.service, node: opts.node, active: true, components: orderByAfter(components, "services") };
  if (!opts.network && components.length > 1 && components.some((c) => c.network === "")) {
    ctx.note("services", "components on podman's default network do not reach each other by name, as they do on compose's network: pass --network <name> (an existing podman network) for that");
  }
  return { def, unmapped: ctx.unmapped, notes: ctx.notes, copies: ctx.copies };
}

/** Compose service names → component names (lower case, `_` and `.` → `-`), which must stay distinct and valid. */
function componentNames(ctx: ImportContext, keys: string[]): Map<string, string> {
  const out = new Map<string, string>();
  const taken = new Map<string, string>();
  for (const key of keys) {
    const name = key.toLowerCase().replace(/[_.]/g, "-");
    if (!NAME_RULE.test(name)) ctx.fail(`services.${key}`, `${JSON.stringify(key)} cannot be a component name (lower-case letters, digits and -, at most 63): rename the service`);
    const other = taken.get(name);
    if (other !== undefined) ctx.fail(`services.${key}`, `becomes the component ${name}, as services.${other} does: rename one`);
    if (name !== key) ctx.note(`services.${key}`, `is the component ${name} (component names are lower case, with - for _ and .)`);
    taken.set(name, key);
    out.set(key, name);
  }
  return out;
}

/** depends_on (list or map with conditions) → each component's `after`. */
function dependencies(ctx: ImportContext, services: Record<string, unknown>, names: Map<string, string>, comps: ComponentSpec[]): void {
  const after = new Map<string, string[]>();
  const byName = new Map(comps.map((c) => [c.name, c]));
  for (const [key, raw] of Object.entries(services)) {
    const path = `services.${key}.depends_on`;
    const dep = (ctx.map(raw, `services.${key}`)).depends_on;
    if (dep === undefined || dep === null) continue;
    const list: string[] = [];
    const add = (other: string, at: string) => {
      const name = names.get(other);
      if (name === undefined) return ctx.fail(at, `${JSON.stringify(other)} is not a service of this file`);
      if (other === key) return ctx.fail(at, "a service cannot depend on itself");
      if (!list.includes(name)) list.push(name);
    };
    if (Array.isArray(dep)) dep.forEach((d, i) => add(ctx.text(d, `${path}[${i}]`), `${path}[${i}]`));
    else {
      for (const [other, v] of Object.entries(ctx.map(dep, path))) {
        const at = `${path}.${other}`;
        const o = ctx.map(v, at);
        const condition = o.condition === undefined ? "service_started" : ctx.text(o.condition, `${at}.condition`);
        if (!CONDITIONS.has(condition)) ctx.fail(`${at}.condition`, `${JSON.stringify(condition)} is not service_started, service_healthy or service_completed_successfully`);
        for (const k of Object.keys(o)) {
          if (k === "restart" || k === "required") ctx.unmap(`${at}.${k}`, "mcp orders starts only; it does not restart or skip by dependency");
          else if (k !== "condition") ctx.fail(`${at}.${k}`, "is not a key of a dependency (condition, restart, required)");
        }
        if (condition === "service_completed_successfully") {
          ctx.unmap(`${at}.condition`, "mcp has no one-shot components: a component that exits is down, not done");
          continue;
        }
        add(other, at);
        const target = byName.get(names.get(other)!);
        if (condition === "service_started" && target?.health) ctx.note(at, `mcp waits until ${target.name} is healthy too (its probe gates its start)`);
        if (condition === "service_healthy" && !target?.health) ctx.note(at, `${target?.name} has no healthcheck: mcp waits until it runs`);
      }
    }
    if (list.length > 0) after.set(names.get(key)!, list);
  }
  for (const c of comps) {
    const a = after.get(c.name);
    if (a) c.after = a;
  }
}

/** Top-level networks: made by compose, not by mcp. */
function networks(ctx: ImportContext, value: unknown): void {
  for (const [name, raw] of Object.entries(ctx.map(value, "networks"))) {
    const n = ctx.map(raw, `networks.${name}`);
    const settings = Object.keys(n).filter((k) => !k.startsWith("x-") && k !== "name" && k !== "external");
    if (settings.length > 0) ctx.note(`networks.${name}`, `mcp makes no networks: ${settings.join(", ")} describe one it will not make (components join --network's, which must exist)`);
  }
}
