/**
 * Podman's JSON, checked with valibot at the boundary (STYLE habit 5): extra
 * fields pass (looseObject), but a missing or mistyped field mcp relies on
 * fails loudly with an McpError naming the command and the field, so a podman
 * upgrade that changes a format is caught at the first call.
 * Shapes were captured from podman 4.3.1 (test/podman/fixtures/).
 */
import * as v from "valibot";
import { McpError } from "../../lib/errors.ts";
import type { ContainerDetails, ContainerState, ImageDefaults, ImageInfo, ObservedContainer, RuntimeEvent } from "../runtime/types.ts";
import { imageDefaultsOf, settingsOf } from "./_inspect-keys.ts";

const strings = v.array(v.string());
const labels = v.record(v.string(), v.string());

const PsEntry = v.looseObject({
  Id: v.string(),
  Names: strings,
  Image: v.string(),
  ImageID: v.string(),
  State: v.string(),
  Labels: v.nullish(labels),
  // An array of strings (SPEC §6.3); null when podman has none.
  Command: v.nullish(strings),
  // Unix seconds; Go's zero time (-62135596800) when never started.
  StartedAt: v.number(),
  ExitCode: v.number(),
});
const Ps = v.array(PsEntry);

const PortBinding = v.looseObject({ HostIp: v.nullish(v.string()), HostPort: v.nullish(v.string()) });
const Mount = v.looseObject({
  Type: v.string(),
  Name: v.nullish(v.string()),
  Source: v.string(),
  Destination: v.string(),
  RW: v.boolean(),
});
const HealthState = v.nullish(v.looseObject({ Status: v.string() }));

const InspectEntry = v.looseObject({
  Id: v.string(),
  Name: v.string(),
  Image: v.string(),
  ImageName: v.string(),
  State: v.looseObject({
    Status: v.string(),
    ExitCode: v.number(),
    StartedAt: v.string(),
    Health: HealthState,
    Healthcheck: HealthState,
  }),
  Config: v.looseObject({
    Hostname: v.nullish(v.string()),
    User: v.nullish(v.string()),
    Env: v.nullish(strings),
    Cmd: v.nullish(strings),
    Labels: v.nullish(labels),
  }),
  HostConfig: v.looseObject({
    NetworkMode: v.string(),
    PortBindings: v.nullish(v.record(v.string(), v.nullish(v.array(PortBinding)))),
    RestartPolicy: v.nullish(v.looseObject({ Name: v.string(), MaximumRetryCount: v.nullish(v.number()) })),
  }),
  NetworkSettings: v.nullish(v.looseObject({ Networks: v.nullish(v.record(v.string(), v.unknown())) })),
  Mounts: v.nullish(v.array(Mount)),
});
const Inspect = v.array(InspectEntry);

const ImageEntry = v.looseObject({
  Id: v.string(),
  Digest: v.nullish(v.string()),
  RepoDigests: v.nullish(strings),
  Config: v.nullish(v.looseObject({ Env: v.nullish(strings) })),
});
const ImageInspect = v.array(ImageEntry);

const Version = v.looseObject({ Client: v.looseObject({ Version: v.string() }) });

/** The hint of every format error: the format belongs to the podman version. */
const FORMAT_HINT = "mcp is tested with podman 4.3; check `podman version` on this node";

/** An issue's path as `[0].State.Status`. */
function pathOf(issue: v.BaseIssue<unknown>): string {
  let out = "";
  for (const item of issue.path ?? []) {
    const key: unknown = item.key;
    out += typeof key === "number" ? `[${key}]` : `${out === "" ? "" : "."}${String(key)}`;
  }
  return out;
}

/**
 * Parses podman's stdout of `what` (e.g. "ps") against schema. Empty output
 * fails `unavailable` (podman answered nothing); bad JSON or a shape mismatch
 * fails `internal` with the field's path, e.g. `[0].Command`.
 */
function parseOutput<S extends v.GenericSchema>(schema: S, text: string, what: string): v.InferOutput<S> {
  if (text.trim() === "") {
    throw new McpError("unavailable", `podman ${what} printed nothing`, FORMAT_HINT);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new McpError("internal", `podman's output format was not understood: podman ${what} did not print JSON`, FORMAT_HINT, {
      cause: err,
    });
  }
  const result = v.safeParse(schema, json);
  if (!result.success) {
    const issue = result.issues[0];
    const path = pathOf(issue);
    throw new McpError(
      "internal",
      `podman's output format was not understood: podman ${what} field ${path || "(top level)"}: ${issue.message}`,
      FORMAT_HINT,
    );
  }
  return result.output;
}

/**
 * Maps podman's state words to ContainerState: configured/initialized/created
 * → created, stopped/exited → exited, removing/stopping → stopping; anything
 * else (dead, unknown words) → unknown.
 */
export function mapState(state: string): ContainerState {
  switch (state.toLowerCase()) {
    case "running":
      return "running";
    case "configured":
    case "initialized":
    case "created":
      return "created";
    case "exited":
    case "stopped":
      return "exited";
    case "paused":
      return "paused";
    case "stopping":
    case "removing":
      return "stopping";
    default:
      return "unknown";
  }
}

/** Unix ms from an RFC 3339 time with nanoseconds; 0 for Go's zero time (0001-01-01) or garbage. */
export function parseTime(text: string): number {
  const ms = Date.parse(text.replace(/(\.\d{3})\d+/, "$1"));
  return Number.isFinite(ms) && ms > 0 ? ms : 0;
}

/** `podman ps -a --format json` → containers. Never-started containers have startedAt 0. */
export function parsePs(text: string): ObservedContainer[] {
  return parseOutput(Ps, text, "ps").map((c) => ({
    id: c.Id,
    name: c.Names[0] ?? "",
    image: c.Image,
    imageId: c.ImageID,
    state: mapState(c.State),
    labels: { ...(c.Labels ?? {}) },
    command: c.Command ?? [],
    startedAt: c.StartedAt > 0 ? c.StartedAt * 1000 : 0,
    exitCode: c.ExitCode,
  }));
}

type InspectEntry = v.InferOutput<typeof InspectEntry>;

/**
 * The network a container was created with: the user network name(s) for a
 * bridge container (podman 4.3 says NetworkMode "bridge" and lists names under
 * NetworkSettings.Networks), "" for podman's defaults ("podman" bridge,
 * rootless "slirp4netns"), else the mode itself (host, none, container:…).
 */
function networkOf(c: InspectEntry): string {
  const mode = c.HostConfig.NetworkMode;
  if (mode === "slirp4netns" || mode === "default" || mode === "") return "";
  if (mode !== "bridge") return mode;
  return Object.keys(c.NetworkSettings?.Networks ?? {})
    .filter((n) => n !== "podman")
    .sort()
    .join(",");
}

/** The restart policy as written on the command line: "" for none, `on-failure:N` with a count. */
function restartOf(c: InspectEntry): string {
  const policy = c.HostConfig.RestartPolicy;
  if (!policy || policy.Name === "" || policy.Name === "no") return "";
  const count = policy.MaximumRetryCount ?? 0;
  return policy.Name === "on-failure" && count > 0 ? `on-failure:${count}` : policy.Name;
}

/** Port bindings as `-p` values: `[hostIp:]hostPort:containerPort[/proto]`, `/tcp` left off. */
function portsOf(c: InspectEntry): string[] {
  const out: string[] = [];
  for (const [key, bindings] of Object.entries(c.HostConfig.PortBindings ?? {})) {
    const [port, proto = "tcp"] = key.split("/");
    const suffix = proto === "tcp" ? "" : `/${proto}`;
    for (const b of bindings ?? []) {
      const host = b.HostPort ?? "";
      const ip = b.HostIp ?? "";
      const target = `${port}${suffix}`;
      out.push(host === "" ? target : ip === "" ? `${host}:${target}` : `${ip}:${host}:${target}`);
    }
  }
  return out;
}

/** Bind mounts as `src:dst` and named volumes as `name:dst`, `:ro` when read-only; other mounts are not -v. */
function volumesOf(c: InspectEntry): string[] {
  const out: string[] = [];
  for (const m of c.Mounts ?? []) {
    const ro = m.RW ? "" : ":ro";
    if (m.Type === "bind") out.push(`${m.Source}:${m.Destination}${ro}`);
    else if (m.Type === "volume") out.push(`${m.Name ?? m.Source}:${m.Destination}${ro}`);
  }
  return out;
}

/**
 * The container's environment without what podman adds to every container
 * (`container=podman`, `TERM=xterm`, `HOSTNAME=<its hostname>`): podman adds
 * them again on the next run, so a copied spec must not carry them. The order
 * is podman's: it does not keep the order of the run command's `-e` flags.
 */
function envOf(c: InspectEntry): string[] {
  const added = new Set(["container=podman", "TERM=xterm", `HOSTNAME=${c.Config.Hostname ?? ""}`]);
  return (c.Config.Env ?? []).filter((e) => !added.has(e));
}

/**
 * `podman container inspect --format json` → details, or null when podman
 * printed an empty list. imageEnv is [] here: the runtime fills it from the
 * image. Env, volume and port order follow podman's, not the run command's.
 */
export function parseInspect(text: string): ContainerDetails | null {
  const c = parseOutput(Inspect, text, "container inspect")[0];
  if (!c) return null;
  const cmd = c.Config.Cmd ?? [];
  // A secret given as env is in Config.Env in the clear: never passed on (and all env when a secret's use is unknown).
  const { settings, secretEnv, unknownSecrets } = settingsOf(c, cmd);
  const env = unknownSecrets ? [] : envOf(c).filter((e) => !secretEnv.has(e.slice(0, e.indexOf("="))));
  return {
    id: c.Id,
    name: c.Name,
    image: c.ImageName,
    imageId: c.Image,
    state: mapState(c.State.Status),
    labels: { ...(c.Config.Labels ?? {}) },
    command: cmd,
    startedAt: parseTime(c.State.StartedAt),
    exitCode: c.State.ExitCode,
    network: networkOf(c),
    user: c.Config.User ?? "",
    restart: restartOf(c),
    ports: portsOf(c),
    volumes: volumesOf(c),
    cmd,
    env,
    imageEnv: [],
    settings,
    health: c.State.Health?.Status ?? c.State.Healthcheck?.Status ?? "",
  };
}

const LogInspectEntry = v.looseObject({
  State: v.looseObject({ Status: v.string() }),
  HostConfig: v.looseObject({
    LogConfig: v.nullish(v.looseObject({ Type: v.nullish(v.string()), Path: v.nullish(v.string()) })),
  }),
});

/** Where a container's log is kept, and whether it can still grow. */
export interface LogTarget {
  /** The log driver: "k8s-file" (podman's default), "journald", …; "" when podman names none. */
  driver: string;
  /** The k8s-file driver's file; "" for other drivers. */
  path: string;
  state: ContainerState;
}

/**
 * `podman container inspect --format json` → the container's log driver, log
 * file and state, or null when podman printed an empty list.
 */
export function parseLogTarget(text: string): LogTarget | null {
  const c = parseOutput(v.array(LogInspectEntry), text, "container inspect")[0];
  if (!c) return null;
  return { driver: c.HostConfig.LogConfig?.Type ?? "", path: c.HostConfig.LogConfig?.Path ?? "", state: mapState(c.State.Status) };
}

/** A local image, its own environment (Config.Env) and what else it gives its containers. */
export interface ParsedImage {
  info: ImageInfo;
  env: string[];
  defaults: ImageDefaults;
}

/**
 * `podman image inspect --format json` → the image, or null for an empty list.
 * digest = the manifest Digest when podman has one, else the id as `sha256:…`.
 */
export function parseImageInspect(text: string): ParsedImage | null {
  const img = parseOutput(ImageInspect, text, "image inspect")[0];
  if (!img) return null;
  const digest = img.Digest || (img.Id.startsWith("sha256:") ? img.Id : `sha256:${img.Id}`);
  return { info: { id: img.Id, digest }, env: img.Config?.Env ?? [], defaults: imageDefaultsOf(img) };
}

/** `podman version --format json` → the client version, e.g. "4.3.1". */
export function parseVersion(text: string): string {
  return parseOutput(Version, text, "version").Client.Version;
}

export { parseEvent } from "./_parse-event.ts";
