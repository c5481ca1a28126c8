// The keys of SPEC §7.2 and the secrets a container was created with, read
// from `podman container inspect` with what podman adds by default left out,
// and what an image gives its containers unless told otherwise. Shapes from
// podman 4.3.1 (test/node/podman/fixtures/inspect-keys-*.json): rootless
// podman on cgroups v1 ignores --memory, --cpus and --pids-limit and does not
// list --device in HostConfig, so those come from Config.CreateCommand (what
// the container was asked for) when inspect shows nothing.
import * as v from "valibot";
import { McpError } from "../../lib/errors.ts";
import { signalName } from "../../lib/signals.ts";
import type { ContainerSettings, ImageDefaults, SecretRef } from "../runtime/types.ts";

const strings = v.array(v.string());

const KeysEntry = v.looseObject({
  Id: v.string(),
  Path: v.nullish(v.string()),
  Args: v.nullish(strings),
  BoundingCaps: v.nullish(strings),
  Config: v.looseObject({
    Hostname: v.nullish(v.string()),
    WorkingDir: v.nullish(v.string()),
    StopSignal: v.nullish(v.union([v.number(), v.string()])),
    StopTimeout: v.nullish(v.number()),
    CreateCommand: v.nullish(strings),
    Secrets: v.nullish(v.array(v.looseObject({ Name: v.string() }))),
  }),
  HostConfig: v.looseObject({
    Init: v.nullish(v.boolean()),
    ReadonlyRootfs: v.nullish(v.boolean()),
    Tmpfs: v.nullish(v.record(v.string(), v.string())),
    Memory: v.nullish(v.number()),
    NanoCpus: v.nullish(v.number()),
    PidsLimit: v.nullish(v.number()),
    UTSMode: v.nullish(v.string()),
    Devices: v.nullish(v.array(v.looseObject({ PathOnHost: v.string(), PathInContainer: v.string(), CgroupPermissions: v.nullish(v.string()) }))),
  }),
});
type KeysEntry = v.InferOutput<typeof KeysEntry>;

/** podman 4.3's default capability set (containers.conf `default_capabilities`). */
export const PODMAN_DEFAULT_CAPS: readonly string[] = [
  "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "NET_BIND_SERVICE", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT",
];
/** What podman adds to every tmpfs mount's options. */
const TMPFS_DEFAULTS = new Set(["rw", "rprivate", "nosuid", "nodev", "tmpcopyup"]);
/** The tmpfs mounts podman adds to a read-only container. */
const READ_ONLY_TMPFS = new Set(["/run", "/tmp", "/var/tmp"]);
/** podman's defaults: stop timeout (s), pids limit of rootful containers. */
const DEFAULT_STOP_TIMEOUT = 10;
const DEFAULT_PIDS_LIMIT = 2048;

/** Values of the given flags in a `podman run` argv, up to the image (what follows is the command). */
export function flagValues(argv: readonly string[], cmd: readonly string[], flags: readonly string[]): string[] {
  const end = argv.length - (cmd.length > 0 && cmd.every((a, i) => argv[argv.length - cmd.length + i] === a) ? cmd.length : 0) - 1;
  const out: string[] = [];
  for (let i = 2; i < end; i++) {
    const a = argv[i]!;
    const eq = a.indexOf("=");
    if (a.startsWith("-") && eq > 0 && flags.includes(a.slice(0, eq))) out.push(a.slice(eq + 1));
    else if (flags.includes(a) && i + 1 < end) out.push(argv[++i]!);
  }
  return out;
}

/** Bytes as podman's `--memory` writes them: the largest exact unit. */
export function formatMemory(bytes: number): string {
  for (const [unit, size] of [["g", 1024 ** 3], ["m", 1024 ** 2], ["k", 1024]] as const) if (bytes % size === 0) return `${bytes / size}${unit}`;
  return String(bytes);
}

/** `--secret name[,type=env|mount][,target=…]` as a reference (name = the runtime's name), podman's defaults applied. */
function secretOf(text: string): SecretRef {
  const [name = "", ...opts] = text.split(",");
  const opt = (k: string) => opts.find((o) => o.startsWith(`${k}=`))?.slice(k.length + 1);
  if (opt("type") === "env") return { name, env: opt("target") ?? name };
  const target = opt("target") ?? name;
  return { name, file: target.startsWith("/") ? target : `/run/secrets/${target}` };
}

/** Capabilities as drops and adds from podman's default set: `ALL` + adds when most are dropped. */
function capsOf(bounding: readonly string[]): Pick<ContainerSettings, "capDrop" | "capAdd"> {
  const have = new Set(bounding.map((c) => c.replace(/^CAP_/, "")));
  const drop = PODMAN_DEFAULT_CAPS.filter((c) => !have.has(c));
  const add = [...have].filter((c) => !PODMAN_DEFAULT_CAPS.includes(c)).sort();
  if (drop.length * 2 > PODMAN_DEFAULT_CAPS.length) return { capDrop: ["ALL"], capAdd: [...have].sort() };
  return { ...(drop.length ? { capDrop: drop } : {}), ...(add.length ? { capAdd: add } : {}) };
}

function tmpfsOf(c: KeysEntry): string[] {
  const out: string[] = [];
  for (const [path, options] of Object.entries(c.HostConfig.Tmpfs ?? {}).sort(([a], [b]) => a.localeCompare(b))) {
    const own = options.split(",").filter((o) => o !== "" && !TMPFS_DEFAULTS.has(o));
    if (own.length === 0 && c.HostConfig.ReadonlyRootfs && READ_ONLY_TMPFS.has(path)) continue;
    out.push(own.length ? `${path}:${own.join(",")}` : path);
  }
  return out;
}

/** The command as run: [Path, ...Args] without podman's init in front and the container's cmd behind. */
function entrypointOf(c: KeysEntry, cmd: readonly string[]): string[] {
  let run = [c.Path ?? "", ...(c.Args ?? [])].filter((a, i) => i > 0 || a !== "");
  if (c.HostConfig.Init && run[0] === "/run/podman-init") run = run.slice(run[1] === "--" ? 2 : 1);
  const tail = cmd.length > 0 && run.length >= cmd.length && cmd.every((a, i) => run[run.length - cmd.length + i] === a);
  return tail ? run.slice(0, run.length - cmd.length) : run;
}

/**
 * The §7.2 keys and secrets of one inspected container (element of `podman
 * container inspect`), podman's defaults left out; entrypoint, workdir and
 * stop signal as they are (the image's defaults are the caller's to compare).
 * `unknownSecrets`: secrets whose use (env or file) inspect does not tell.
 * Fails `internal` naming the field when podman's format changed.
 */
export function settingsOf(raw: unknown, cmd: readonly string[]): { settings: ContainerSettings; secretEnv: Set<string>; unknownSecrets: boolean } {
  const r = v.safeParse(KeysEntry, raw);
  if (!r.success) {
    const path = (r.issues[0].path ?? []).map((p) => String(p.key)).join(".");
    throw new McpError("internal", `podman's output format was not understood: podman container inspect field ${path}: ${r.issues[0].message}`,
      "mcp is tested with podman 4.3; check `podman version` on this node");
  }
  const c = r.output;
  const H = c.HostConfig;
  const asked = c.Config.CreateCommand ?? null;
  const flags = (...names: string[]) => (asked ? flagValues(asked, cmd, names) : []);
  const s: ContainerSettings = { entrypoint: entrypointOf(c, cmd), workdir: c.Config.WorkingDir || "/" };
  if (H.Init) s.init = true;
  const sig = c.Config.StopSignal;
  s.stopSignal = typeof sig === "number" ? signalName(sig) || String(sig) : sig ? (sig.startsWith("SIG") ? sig : `SIG${sig}`) : "SIGTERM";
  if ((c.Config.StopTimeout ?? DEFAULT_STOP_TIMEOUT) !== DEFAULT_STOP_TIMEOUT) s.stopTimeoutMs = c.Config.StopTimeout! * 1000;
  const memory = H.Memory ? formatMemory(H.Memory) : flags("--memory", "-m").at(-1)?.toLowerCase();
  if (memory) s.memory = memory;
  const cpus = H.NanoCpus ? H.NanoCpus / 1e9 : Number(flags("--cpus").at(-1) ?? Number.NaN);
  if (Number.isFinite(cpus) && cpus > 0) s.cpus = cpus;
  const pids = asked ? Number(flags("--pids-limit").at(-1) ?? Number.NaN) : H.PidsLimit && H.PidsLimit !== DEFAULT_PIDS_LIMIT ? H.PidsLimit : Number.NaN;
  if (Number.isInteger(pids) && pids !== 0) s.pidsLimit = pids;
  if (H.ReadonlyRootfs) s.readOnly = true;
  const tmpfs = tmpfsOf(c);
  if (tmpfs.length) s.tmpfs = tmpfs;
  Object.assign(s, capsOf(c.BoundingCaps ?? PODMAN_DEFAULT_CAPS));
  if (c.Config.Hostname && c.Config.Hostname !== c.Id.slice(0, 12) && H.UTSMode !== "host") s.hostname = c.Config.Hostname;
  const devices = (H.Devices ?? []).length
    ? H.Devices!.map((d) => `${d.PathOnHost}${d.PathInContainer !== d.PathOnHost || d.CgroupPermissions ? `:${d.PathInContainer}` : ""}${d.CgroupPermissions ? `:${d.CgroupPermissions}` : ""}`)
    : flags("--device");
  if (devices.length) s.devices = devices;
  // Config.Secrets lists mount secrets only (podman 4.3 shows env secrets nowhere but in the create command):
  // a container made through podman's API with an env secret is indistinguishable from one with that env.
  const used = c.Config.Secrets ?? [];
  const refs = flags("--secret").map(secretOf);
  let unknownSecrets = false;
  for (const u of used) {
    if (refs.some((x) => x.name === u.Name)) continue;
    refs.push({ name: u.Name });
    unknownSecrets = true;
  }
  if (refs.length) s.secrets = refs;
  return { settings: s, secretEnv: new Set(refs.flatMap((x) => (x.env ? [x.env] : []))), unknownSecrets };
}

const ImageKeys = v.looseObject({
  Labels: v.nullish(v.record(v.string(), v.string())),
  Config: v.nullish(v.looseObject({
    Entrypoint: v.nullish(strings),
    WorkingDir: v.nullish(v.string()),
    StopSignal: v.nullish(v.string()),
    Labels: v.nullish(v.record(v.string(), v.string())),
  })),
});

/** What an image gives its containers unless told otherwise (element of `podman image inspect`). */
export function imageDefaultsOf(raw: unknown): ImageDefaults {
  const r = v.safeParse(ImageKeys, raw);
  const img = r.success ? r.output : { Labels: null, Config: null };
  const sig = (img.Config?.StopSignal ?? "").toUpperCase();
  return {
    entrypoint: img.Config?.Entrypoint ?? [],
    workdir: img.Config?.WorkingDir || "/",
    stopSignal: sig === "" ? "SIGTERM" : sig.startsWith("SIG") ? sig : /^\d+$/.test(sig) ? signalName(Number(sig)) || sig : `SIG${sig}`,
    labels: { ...(img.Labels ?? {}), ...(img.Config?.Labels ?? {}) },
  };
}
