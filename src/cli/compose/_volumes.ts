/**
 * `volumes:` of a compose service (short and long syntax) → mcp's `volumes`
 * and `tmpfs`. Named volumes get compose's own names (`<project>_<name>`,
 * the project being the mcp service), so data that `docker-compose -p
 * <service>` made is the data mcp mounts. Relative binds resolve against the
 * compose file's directory and move under `<srv_root>/<service>/` on the node
 * (the only host directory the node's policy lets a service mount); each is
 * remembered as data to copy there.
 */
import { isAbsolute, posix, relative, resolve } from "node:path";
import { parseVolume } from "../../servicedef/index.ts";
import { describe, type ImportContext } from "./_context.ts";
import { composeBytes, podmanSize } from "./_units.ts";

/** What volumes become: mounts and tmpfs entries. */
export interface MappedVolumes {
  volumes: string[];
  tmpfs: string[];
}

const LONG_KEYS = new Set(["type", "source", "target", "read_only", "bind", "volume", "tmpfs", "consistency", "image"]);
/** Options that mean nothing to podman on Linux (Docker Desktop's file sharing). */
const NO_EFFECT = new Set(["cached", "delegated", "consistent"]);
const PASSED = new Set(["ro", "rw", "z", "Z", "nocopy"]);

/** The podman names of the compose file's declared volumes (`volumes:` at the top), by compose name. */
export function declaredVolumes(ctx: ImportContext, value: unknown): Map<string, string> {
  const names = new Map<string, string>();
  for (const [name, raw] of Object.entries(ctx.map(value, "volumes"))) {
    const at = `volumes.${name}`;
    const v = ctx.map(raw, at);
    let podmanName = `${ctx.opts.service}_${name}`;
    for (const [key, val] of Object.entries(v)) {
      const kat = `${at}.${key}`;
      if (key === "name") podmanName = ctx.text(val, kat);
      else if (key === "external") {
        if (val !== null && typeof val === "object") podmanName = ctx.text(ctx.map(val, kat).name ?? name, `${kat}.name`);
        else if (ctx.bool(val, kat)) podmanName = typeof v.name === "string" ? ctx.text(v.name, `${at}.name`) : name;
      } else if (key === "driver") {
        if (ctx.text(val, kat) !== "local") ctx.unmap(kat, "a volume driver other than local is not created by mcp (podman makes a local volume on first use)");
      } else if (key === "driver_opts" || key === "labels") {
        if (Object.keys(ctx.map(val, kat)).length > 0) ctx.unmap(kat, "mcp does not create volumes with options; podman makes a plain local volume on first use (create it beforehand with podman volume create)");
      } else if (key.startsWith("x-")) ctx.note(kat, "an x- extension field: ignored by design");
      else ctx.fail(kat, `is not a key of a volume (name, external, driver, driver_opts, labels)`);
    }
    names.set(name, podmanName);
  }
  return names;
}

/** Maps one service's volumes; what mcp cannot mount is listed, never dropped. */
export function mapVolumes(ctx: ImportContext, value: unknown, path: string, declared: ReadonlyMap<string, string>): MappedVolumes {
  const out: MappedVolumes = { volumes: [], tmpfs: [] };
  if (value === null || value === undefined) return out;
  if (!Array.isArray(value)) return ctx.fail(path, `must be a list, not ${describe(value)}`);
  value.forEach((item, i) => {
    const at = `${path}[${i}]`;
    if (item !== null && typeof item === "object" && !Array.isArray(item)) longSyntax(ctx, item as Record<string, unknown>, at, declared, out);
    else shortSyntax(ctx, ctx.text(item, at), at, declared, out);
  });
  return out;
}

function shortSyntax(ctx: ImportContext, text: string, at: string, declared: ReadonlyMap<string, string>, out: MappedVolumes): void {
  const parts = text.split(":");
  if (parts.length === 1) {
    ctx.unmap(at, `${JSON.stringify(text)} is an anonymous volume, which mcp does not make (each deploy would start empty): name it (e.g. data:${text}) and declare it under volumes:`);
    return;
  }
  if (parts.length > 3) return ctx.fail(at, `${JSON.stringify(text)} is not source:target[:mode]`);
  const [source, target, mode = ""] = parts as [string, string, string?];
  const options = mode === "" ? [] : mode.split(",");
  add(ctx, { source, target, options, readOnly: false }, at, declared, out);
}

function longSyntax(ctx: ImportContext, item: Record<string, unknown>, at: string, declared: ReadonlyMap<string, string>, out: MappedVolumes): void {
  for (const key of Object.keys(item)) if (!LONG_KEYS.has(key)) ctx.fail(`${at}.${key}`, `is not a key of a volume mount (${[...LONG_KEYS].join(", ")})`);
  const type = item.type === undefined ? "volume" : ctx.text(item.type, `${at}.type`);
  if (item.target === undefined) return ctx.fail(at, "has no target (the path in the container)");
  const target = ctx.text(item.target, `${at}.target`);
  if (type === "tmpfs") {
    const t = ctx.map(item.tmpfs, `${at}.tmpfs`);
    const opts: string[] = [];
    if (t.size !== undefined) {
      const b = composeBytes(typeof t.size === "number" ? t.size : ctx.text(t.size, `${at}.tmpfs.size`));
      if (typeof b === "string") return ctx.fail(`${at}.tmpfs.size`, b);
      opts.push(`size=${podmanSize(b)}`);
    }
    if (t.mode !== undefined) {
      const raw = (ctx.tree.at(`${at}.tmpfs.mode`).raw ?? String(t.mode)).replace(/^0o?/, "");
      if (!/^[0-7]{3,4}$/.test(raw)) return ctx.fail(`${at}.tmpfs.mode`, "is not an octal file mode (e.g. 1777)");
      opts.push(`mode=${raw}`);
    }
    for (const key of Object.keys(t)) if (key !== "size" && key !== "mode") ctx.unmap(`${at}.tmpfs.${key}`, "is not a tmpfs option mcp passes (size, mode)");
    out.tmpfs.push(opts.length > 0 ? `${target}:${opts.join(",")}` : target);
    return;
  }
  if (type !== "bind" && type !== "volume") {
    ctx.unmap(`${at}.type`, `${JSON.stringify(type)} mounts are not something mcp makes (bind, volume and tmpfs are)`);
    return;
  }
  const options: string[] = [];
  const b = ctx.map(item.bind, `${at}.bind`);
  for (const [key, val] of Object.entries(b)) {
    if (key === "selinux") options.push(ctx.text(val, `${at}.bind.selinux`));
    else if (key === "create_host_path") {
      if (!ctx.bool(val, `${at}.bind.create_host_path`)) ctx.note(`${at}.bind.create_host_path`, "false: mcp's deploy makes a missing service directory all the same");
    } else ctx.unmap(`${at}.bind.${key}`, "is not a bind option mcp passes (selinux)");
  }
  const vol = ctx.map(item.volume, `${at}.volume`);
  for (const [key, val] of Object.entries(vol)) {
    if (key === "nocopy") {
      if (ctx.bool(val, `${at}.volume.nocopy`)) options.push("nocopy");
    } else ctx.unmap(`${at}.volume.${key}`, "is not a volume option mcp passes (nocopy)");
  }
  if (item.consistency !== undefined) options.push(ctx.text(item.consistency, `${at}.consistency`));
  if (item.image !== undefined) ctx.unmap(`${at}.image`, "image mounts are not something mcp makes");
  const readOnly = item.read_only !== undefined && ctx.bool(item.read_only, `${at}.read_only`);
  if (item.source === undefined || item.source === null) {
    ctx.unmap(at, "has no source: an anonymous volume, which mcp does not make (each deploy would start empty); name it and declare it under volumes:");
    return;
  }
  const source = ctx.text(item.source, `${at}.source`);
  if (type === "volume" && /^[./~]/.test(source)) return ctx.fail(`${at}.source`, `${JSON.stringify(source)} is a path, but type is volume (use type: bind)`);
  if (type === "bind" && !/^[./~]/.test(source)) return ctx.fail(`${at}.source`, `${JSON.stringify(source)} is not a path, but type is bind (write ./${source} for a directory beside the compose file)`);
  add(ctx, { source, target, options, readOnly }, at, declared, out);
}

interface Mount {
  source: string;
  target: string;
  options: string[];
  readOnly: boolean;
}

function add(ctx: ImportContext, m: Mount, at: string, declared: ReadonlyMap<string, string>, out: MappedVolumes): void {
  const options: string[] = [];
  for (const o of m.options) {
    if (NO_EFFECT.has(o)) ctx.note(at, `the ${o} option has no effect on Linux (Docker Desktop's file sharing); left out`);
    else if (PASSED.has(o)) options.push(o);
    else ctx.unmap(at, `the mount option ${JSON.stringify(o)} is not one mcp passes (ro, rw, z, Z, nocopy)`);
  }
  if (m.readOnly && !options.includes("ro")) options.push("ro");
  const source = hostSource(ctx, m.source, at, declared);
  if (source === null) return;
  const text = `${source}:${m.target}${options.length > 0 ? `:${[...new Set(options)].join(",")}` : ""}`;
  const parsed = parseVolume(text);
  if (typeof parsed === "string") ctx.unmap(at, `${JSON.stringify(text)} ${parsed}`);
  else out.volumes.push(text);
}

/** The host side of a mount for the definition: a podman volume name, a path under the service's directory, or an absolute path as written. */
function hostSource(ctx: ImportContext, source: string, at: string, declared: ReadonlyMap<string, string>): string | null {
  if (source.startsWith("~")) {
    ctx.unmap(at, `${JSON.stringify(source)} names a home directory, which on the node is not the one meant; copy the data under ${serviceDir(ctx)}/ and mount it from there`);
    return null;
  }
  if (source.startsWith("/")) {
    const normal = posix.normalize(source).replace(/(.)\/$/, "$1");
    ctx.note(at, `the host path ${normal} lies outside ${serviceDir(ctx)}/: the node refuses it unless its [policy] host_paths allows it`);
    return normal;
  }
  if (source.startsWith(".")) {
    const local = resolve(ctx.opts.dir, source);
    const rel = relative(ctx.opts.dir, local);
    if (rel === ".." || rel.startsWith("../") || isAbsolute(rel)) {
      ctx.unmap(at, `${JSON.stringify(source)} resolves outside the compose file's directory; mcp mounts only ${serviceDir(ctx)}/… (copy the data there and mount it from there)`);
      return null;
    }
    ctx.copies.push({ local, remote: rel, path: at });
    return rel === "" ? serviceDir(ctx) : `${serviceDir(ctx)}/${rel}`;
  }
  const name = declared.get(source);
  if (name === undefined) return ctx.fail(at, `the named volume ${JSON.stringify(source)} is not declared under the top-level volumes:`);
  return name;
}

function serviceDir(ctx: ImportContext): string {
  return `${ctx.opts.srvRoot.replace(/\/+$/, "")}/${ctx.opts.service}`;
}
