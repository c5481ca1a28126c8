/**
 * What `mcp deploy --all --dry-run` says a deploy would do to one service,
 * from what its node answered (the registry's record and the live view):
 * pure. It decides as the agent's deploy does (SPEC §2: the spec hash of each
 * component against the deployed one, and the container running), without
 * pulling: an image tag moved to a new image since the last deploy is not
 * seen (documented in docs/DECISIONS.md).
 */
import type { LiveComponent } from "../../rpc/index.ts";
import type { ServiceDef, ServiceRecord } from "../../model/index.ts";
import { diffService, specHash, type SpecChange } from "../../servicedef/index.ts";

/** The kind of change: a first deploy, new specs, containers to start again, or none. */
export type PreviewChange = "deploy" | "update" | "start" | "none";

/** What a deploy would do to one service. */
export interface ServicePreview {
  change: PreviewChange;
  /** One line for the table. */
  detail: string;
  /** Field by field, as `mcp diff` shows them. */
  changes: SpecChange[];
}

/**
 * The preview of deploying `def` to a node whose registry holds `rec`
 * (undefined: never deployed there) and whose live view shows `live` (the
 * service's components). With `force` every component would be replaced.
 */
export function previewService(def: ServiceDef, rec: ServiceRecord | undefined, live: readonly LiveComponent[], force: boolean): ServicePreview {
  if (!rec) {
    const n = def.components.length;
    return { change: "deploy", detail: `new on ${def.node}: ${n} component${n === 1 ? "" : "s"}`, changes: diffService(def, null) };
  }
  const changes = diffService(def, { active: rec.active, components: rec.components.map((c) => c.spec) });
  if (force) return { change: "update", detail: "every component replaced (--force)", changes };
  const parts: string[] = [];
  for (const c of def.components) {
    const r = rec.components.find((x) => x.name === c.name);
    if (!r) {
      parts.push(`${c.name}: new`);
      continue;
    }
    if (r.specHash === specHash(c) && !r.unverified) continue;
    const fields = [...new Set(changes.filter((x) => x.component === c.name).map((x) => x.field))];
    // The hash covers every key; the field diff may not name each (e.g. a secret's new version): say so rather than nothing.
    parts.push(`${c.name}: ${fields.length > 0 ? fields.join(", ") : r.unverified ? "unverified (its last deploy was cut short)" : "spec"}`);
  }
  if (parts.length > 0) return { change: "update", detail: parts.join("; "), changes };
  const stopped = def.components.flatMap((c) => {
    const l = live.find((x) => x.component === c.name);
    const state = l?.state ?? "removed";
    return state === "running" && l?.desired === "running" ? [] : [`${c.name}: ${state}${l && l.desired !== "running" ? ` (desired ${l.desired})` : ""}`];
  });
  if (stopped.length > 0) return { change: "start", detail: stopped.join("; "), changes };
  return { change: "none", detail: "up to date", changes };
}
