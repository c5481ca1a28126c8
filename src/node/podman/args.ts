/**
 * Every podman argv mcp ever runs, built here and nowhere else (STYLE habit 4).
 * Pure functions returning `string[]` without the leading "podman"; never a
 * shell string. Fragments (`labelArgs`, `portArgs`, …) compose into verbs
 * (`runArgs`, `psArgs`, …); an empty field produces no flag at all.
 */
import { McpError } from "../../lib/errors.ts";
import type { ContainerSpec } from "../runtime/types.ts";

/**
 * Throws invalid_argument unless value can stand as a positional operand:
 * empty, or starting with "-" (podman would read it as a flag), is refused.
 */
function operand(kind: string, value: string): string {
  if (value === "" || value.startsWith("-")) {
    throw new McpError(
      "invalid_argument",
      `${kind} ${JSON.stringify(value)} cannot be passed to podman`,
      `a ${kind} must be non-empty and must not start with "-"`,
    );
  }
  return value;
}

/** A stop/restart grace period as podman's whole seconds (negative → 0, fractions round up). */
function seconds(timeoutSec: number): string {
  return String(Number.isFinite(timeoutSec) ? Math.max(0, Math.ceil(timeoutSec)) : 0);
}

/** Repeats `flag value` for each value, keeping their order. */
function repeat(flag: string, values: readonly string[]): string[] {
  return values.flatMap((v) => [flag, v]);
}

/** `--label k=v` per label, sorted by key so equal specs give equal argv. */
export function labelArgs(labels: Readonly<Record<string, string>>): string[] {
  return Object.keys(labels)
    .sort()
    .flatMap((k) => ["--label", `${k}=${labels[k]}`]);
}

/** `-p <mapping>` per port mapping, in the spec's order. */
export function portArgs(ports: readonly string[]): string[] {
  return repeat("-p", ports);
}

/** `-v <mount>` per volume, in the spec's order. */
export function volumeArgs(volumes: readonly string[]): string[] {
  return repeat("-v", volumes);
}

/** `-e KEY=VALUE` per variable, in the spec's order (the runner redacts the values in logs). */
export function envArgs(env: readonly string[]): string[] {
  return repeat("-e", env);
}

/** `--network <name>`, or nothing for podman's default network. */
export function networkArgs(network: string): string[] {
  return network === "" ? [] : ["--network", network];
}

/** `--user <user>`, or nothing for the image's user. */
export function userArgs(user: string): string[] {
  return user === "" ? [] : ["--user", user];
}

/**
 * `--restart <policy>`, or nothing for podman's default ("no").
 * (Named restartPolicyArgs because `restartArgs` is the restart verb.)
 */
export function restartPolicyArgs(restart: string): string[] {
  return restart === "" ? [] : ["--restart", restart];
}

/** `--secret <name>,type=env,target=<VAR>` or `…,type=mount,target=<path>` per secret (runtime names; never a value). */
export function secretArgs(secrets: ContainerSpec["secrets"]): string[] {
  return (secrets ?? []).flatMap((r) => ["--secret", r.env !== undefined ? `${r.name},type=env,target=${r.env}` : `${r.name},type=mount,target=${r.file}`]);
}

/**
 * The keys of SPEC §7.2, each only when the spec sets it (a spec without
 * them gives the argv it always gave): `--entrypoint` in JSON form (`[]`
 * clears the image's), `--init`, `--stop-signal`, `--stop-timeout` in whole
 * seconds, `--memory`, `--cpus`, `--pids-limit`, `--read-only`, `--tmpfs`,
 * `--cap-drop`, `--cap-add`, `--hostname`, `--workdir`, `--device`.
 * (`after` orders starts and is no flag; labels are in labelArgs.)
 */
export function containerKeyArgs(spec: ContainerSpec): string[] {
  const flag = (name: string, value: string | number | undefined) => (value === undefined ? [] : [name, String(value)]);
  const on = (name: string, value: boolean | undefined) => (value === undefined ? [] : value ? [name] : [`${name}=false`]);
  return [
    ...(spec.entrypoint === undefined ? [] : ["--entrypoint", JSON.stringify(spec.entrypoint)]),
    ...on("--init", spec.init),
    ...flag("--stop-signal", spec.stopSignal),
    ...flag("--stop-timeout", spec.stopTimeoutMs === undefined ? undefined : seconds(spec.stopTimeoutMs / 1000)),
    ...flag("--memory", spec.memory),
    ...flag("--cpus", spec.cpus),
    ...flag("--pids-limit", spec.pidsLimit),
    ...on("--read-only", spec.readOnly),
    ...repeat("--tmpfs", spec.tmpfs ?? []),
    ...repeat("--cap-drop", spec.capDrop ?? []),
    ...repeat("--cap-add", spec.capAdd ?? []),
    ...flag("--hostname", spec.hostname),
    ...flag("--workdir", spec.workdir),
    ...repeat("--device", spec.devices ?? []),
  ];
}

/**
 * `podman run -d`: creates and starts a container from a spec.
 * `--pull never`: run never pulls behind mcp's back (pulls are explicit and
 * authenticated, see pullArgs); a missing image fails at once with
 * "image not known" instead of retrying a registry for seconds.
 */
export function runArgs(spec: ContainerSpec): string[] {
  return [
    "run",
    "-d",
    "--name",
    operand("container name", spec.name),
    "--pull",
    "never",
    ...labelArgs(spec.labels),
    ...networkArgs(spec.network),
    ...userArgs(spec.user),
    ...restartPolicyArgs(spec.restart),
    ...portArgs(spec.ports),
    ...volumeArgs(spec.volumes),
    ...envArgs(spec.env),
    ...containerKeyArgs(spec),
    ...secretArgs(spec.secrets),
    operand("image", spec.image),
    ...spec.cmd,
  ];
}

/** `podman pull --quiet` (prints only the image id), with an auth file and a directory of registry CA certificates when given. */
export function pullArgs(image: string, o: { authFile?: string; certDir?: string } = {}): string[] {
  return [
    "pull", "--quiet",
    ...(o.authFile ? ["--authfile", o.authFile] : []),
    ...(o.certDir ? ["--cert-dir", o.certDir] : []),
    operand("image", image),
  ];
}

/** `podman ps -a` as JSON; each label becomes a filter (podman ANDs them), sorted by key. */
export function psArgs(labels?: Readonly<Record<string, string>>): string[] {
  const filters = Object.keys(labels ?? {})
    .sort()
    .flatMap((k) => ["--filter", `label=${k}=${labels?.[k]}`]);
  return ["ps", "-a", "--format", "json", ...filters];
}

/** `podman container inspect` as JSON (containers only, never an image of the same name). */
export function inspectArgs(nameOrId: string): string[] {
  return ["container", "inspect", "--format", "json", operand("container name", nameOrId)];
}

/** `podman image inspect` as JSON. */
export function imageInspectArgs(ref: string): string[] {
  return ["image", "inspect", "--format", "json", operand("image", ref)];
}

/** `podman start`. */
export function startArgs(name: string): string[] {
  return ["start", operand("container name", name)];
}

/** `podman stop -t <s>`: SIGTERM, then SIGKILL after timeoutSec. */
export function stopArgs(name: string, timeoutSec: number): string[] {
  return ["stop", "-t", seconds(timeoutSec), operand("container name", name)];
}

/** `podman restart -t <s>`: stops (as stopArgs) then starts. */
export function restartArgs(name: string, timeoutSec: number): string[] {
  return ["restart", "-t", seconds(timeoutSec), operand("container name", name)];
}

/**
 * `podman rm -f -t <s>`: removes a container, stopping it first (SIGTERM,
 * SIGKILL after timeoutSec). Podman 4.3 refuses `-t` without `-f`, and with
 * `-f` exits 0 for a missing container, printing nothing on stdout (the
 * removed container's name otherwise).
 */
export function rmArgs(name: string, timeoutSec = 10): string[] {
  return ["rm", "-f", "-t", seconds(timeoutSec), operand("container name", name)];
}

/**
 * `podman secret create`: the value comes on stdin, never in argv; labels
 * name the service and secret it is. Podman 4.3 takes `-` only from a named
 * pipe and has no `--replace`; the runner's stdin is an in-memory file
 * (memfd), which podman reads by the path of its stdin, /proc/self/fd/0.
 */
export function secretCreateArgs(name: string, labels: Readonly<Record<string, string>>): string[] {
  return ["secret", "create", ...labelArgs(labels), operand("secret name", name), "/proc/self/fd/0"];
}

/** `podman secret rm`. */
export function secretRmArgs(name: string): string[] {
  return ["secret", "rm", operand("secret name", name)];
}

/** `podman secret ls`, one JSON object per line (podman 4.3's `--format json` prints the word json). */
export function secretLsArgs(): string[] {
  return ["secret", "ls", "--format", "{{json .}}"];
}

/** `podman version` as JSON. */
export function versionArgs(): string[] {
  return ["version", "--format", "json"];
}

/** Runs cmd inside a container (no shell is added). */
export function execArgs(name: string, cmd: string[]): string[] {
  return ["exec", operand("container name", name), ...cmd];
}

/**
 * `podman logs`: the last `tail` lines (0 = all, no flag) and, with follow,
 * new lines until the container stops. Podman 4.3's `--tail` mis-joins the
 * k8s-file driver's partial records, so the runtime reads that driver's file
 * itself (_log-file.ts) and runs this only for other log drivers.
 * `since` (Unix ms, > 0) → `--since <RFC 3339>`; `timestamps` → `--timestamps`.
 */
export function logsArgs(name: string, o: { tail: number; follow: boolean; since?: number; timestamps?: boolean }): string[] {
  const tail = Number.isFinite(o.tail) ? Math.floor(o.tail) : 0;
  const since = o.since && Number.isFinite(o.since) && o.since > 0 ? ["--since", new Date(o.since).toISOString()] : [];
  return ["logs", ...(tail > 0 ? ["--tail", String(tail)] : []), ...(o.follow ? ["--follow"] : []), ...since, ...(o.timestamps ? ["--timestamps"] : []),
    operand("container name", name)];
}

/** `podman wait`: ends when the container is not running (at once for one that is not), printing its exit code. */
export function waitArgs(name: string): string[] {
  return ["wait", operand("container name", name)];
}

/**
 * The live container event stream, one JSON object per line, from `sinceMs`
 * on: without it podman's file event logger replays old events (seen when
 * it rotates its log).
 */
export function eventsArgs(sinceMs: number): string[] {
  return ["events", "--format", "json", "--filter", "type=container", "--since", new Date(sinceMs).toISOString()];
}

/** `podman images` as JSON: every local image (one entry per name; intermediate build layers left out). */
export function imagesArgs(): string[] {
  return ["images", "--format", "json"];
}

/**
 * `podman image rm` of one image by its names (podman refuses an id that
 * has several), or by id when it has none; never `--force`, which would
 * remove the containers using it.
 */
export function imageRmArgs(refs: readonly string[]): string[] {
  if (refs.length === 0) throw new McpError("invalid_argument", "no image to remove", "name an image");
  return ["image", "rm", ...refs.map((r) => operand("image", r))];
}

// mcp exec (SPEC §7.4): an attached `podman exec`, and the kill of what it left in the container.

/**
 * `podman exec [-i] [-t] --detach-keys "" <name> <argv…>`. The detach keys
 * are off: a detached session would be an orphan nobody can attach to again,
 * and Ctrl-P reaches the command as with any terminal. podman stops reading
 * its own flags at the container name, so argv may hold anything.
 */
export function execSessionArgs(name: string, argv: readonly string[], o: { stdin: boolean; tty: boolean }): string[] {
  if (name === "" || name.startsWith("-")) {
    throw new McpError("invalid_argument", `container name ${JSON.stringify(name)} cannot be passed to podman`, 'a container name must be non-empty and must not start with "-"');
  }
  if (argv.length === 0) throw new McpError("invalid_argument", "exec needs a command", "mcp exec <service> -- <cmd> [args…]");
  return ["exec", ...(o.stdin ? ["-i"] : []), ...(o.tty ? ["-t"] : []), "--detach-keys", "", name, ...argv];
}

/**
 * Sends a signal to host processes from inside rootless podman's user
 * namespace, where the agent may signal what runs as the containers'
 * subordinate ids: `podman unshare kill -s <SIG> -- <pid>…`.
 */
export function unshareKillArgs(signal: "STOP" | "KILL", pids: readonly number[]): string[] {
  return ["unshare", "kill", "-s", signal, "--", ...pids.map((p) => String(Math.trunc(p)))];
}
