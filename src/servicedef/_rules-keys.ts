// The cross-field rules of the keys of SPEC §7.2, §7.3 and §7.5: what the
// schema cannot say about one value alone.
import type { Problem } from "../config/index.ts";
import type { ServiceDef } from "../model/index.ts";
import { parseVolume } from "./fields.ts";
import { findCycle } from "./order.ts";

/** Probes, `after` (components of this service, no cycle), secrets (one target each, no clashes), mount targets unique. */
export function checkComponentKeys(def: ServiceDef): Problem[] {
  const problems: Problem[] = [];
  const add = (path: (string | number)[], message: string) => problems.push({ path, message });
  const names = new Set(def.components.map((c) => c.name));
  def.components.forEach((c, i) => {
    const at = (...rest: (string | number)[]) => ["components", i, ...rest];
    if (c.health) {
      const probes = (["cmd", "http", "tcp"] as const).filter((k) => (k === "cmd" ? c.health!.cmd.length > 0 : c.health![k] !== undefined));
      if (probes.length === 0) add(at("health"), "needs exactly one probe: cmd (inside the container), http or tcp (from the agent)");
      if (probes.length > 1) add(at("health", probes[1]!), `is a second probe (${probes.join(" and ")}): give exactly one of cmd, http, tcp`);
    }
    (c.after ?? []).forEach((a, j) => {
      if (a === c.name) add(at("after", j), `${JSON.stringify(a)} is this component itself`);
      else if (!names.has(a)) add(at("after", j), `${JSON.stringify(a)} is not a component of service ${def.name} (its components: ${[...names].join(", ")})`);
      else if (c.after!.indexOf(a) !== j) add(at("after", j), `${JSON.stringify(a)} is named twice`);
    });
    const envKeys = new Set(c.env.map((e) => e.slice(0, e.indexOf("="))));
    const targets = new Map<string, number>();
    (c.secrets ?? []).forEach((r, j) => {
      if ((r.env === undefined) === (r.file === undefined)) {
        add(at("secrets", j), `secret ${r.name} needs exactly one of env (a variable) or file (a path in the container)`);
        return;
      }
      const target = r.env !== undefined ? `env ${r.env}` : `file ${r.file}`;
      const first = targets.get(target);
      if (first !== undefined) add(at("secrets", j, r.env !== undefined ? "env" : "file"), `${target} is already given by secrets[${first}]`);
      else targets.set(target, j);
      if (r.env !== undefined && envKeys.has(r.env)) add(at("secrets", j, "env"), `${r.env} is also set in env: give it one source`);
    });
    // podman refuses two mounts on one path: volumes, tmpfs and secret files.
    const mounts = new Map<string, string>();
    const mount = (target: string, where: (string | number)[], what: string) => {
      const first = mounts.get(target);
      if (first) add(where, `${target} is already mounted by ${first}`);
      else mounts.set(target, what);
    };
    c.volumes.forEach((text, j) => {
      const v = parseVolume(text);
      if (typeof v !== "string") mount(v.target, at("volumes", j), `volumes[${j}]`);
    });
    (c.tmpfs ?? []).forEach((t, j) => mount(t.split(":")[0]!, at("tmpfs", j), `tmpfs[${j}]`));
    (c.secrets ?? []).forEach((r, j) => {
      if (r.file === undefined || r.env !== undefined) return;
      mount(r.file, at("secrets", j, "file"), `secrets[${j}]`);
      // podman 4.3 cannot make the mount point of a secret file in a read-only root (not even below a /run tmpfs), only in a tmpfs of its own directory.
      const dir = r.file.slice(0, r.file.lastIndexOf("/")) || "/";
      if (c.readOnly && !(c.tmpfs ?? []).some((t) => t.split(":")[0] === dir)) {
        add(at("secrets", j, "file"), `with read_only = true podman can put a secret file only in a tmpfs of its own directory: add tmpfs = ["${dir}"]`);
      }
    });
  });
  // A component naming itself is reported above; any other cycle here.
  const cycle = findCycle(def.components.map((c) => ({ name: c.name, after: (c.after ?? []).filter((a) => a !== c.name) })));
  if (cycle) {
    const i = def.components.findIndex((c) => c.name === cycle[0]);
    add(["components", i, "after"], `after forms a cycle: ${cycle.join(" → ")}`);
  }
  (def.after ?? []).forEach((s, j) => {
    if (s === def.name) add(["after", j], `${JSON.stringify(s)} is this service itself`);
    else if (def.after!.indexOf(s) !== j) add(["after", j], `${JSON.stringify(s)} is named twice`);
  });
  return problems;
}
