/**
 * The grammar of the component keys of SPEC §7.2 and §7.3 (memory, tmpfs,
 * capabilities, devices, labels, secrets, probes) as pure checks: each
 * returns the problem as a sentence, or null. The definition schema uses
 * them for located errors, the agent (through the same schema) for every
 * request. Canonical forms (`canonical*`) are what normalization keeps.
 */
import { canonicalSignal } from "../lib/signals.ts";
import { hasControl, controlName } from "./fields.ts";

/** Linux capabilities by their podman names (without `CAP_`). */
export const CAPABILITIES: ReadonlySet<string> = new Set([
  "AUDIT_CONTROL", "AUDIT_READ", "AUDIT_WRITE", "BLOCK_SUSPEND", "BPF", "CHECKPOINT_RESTORE", "CHOWN", "DAC_OVERRIDE",
  "DAC_READ_SEARCH", "FOWNER", "FSETID", "IPC_LOCK", "IPC_OWNER", "KILL", "LEASE", "LINUX_IMMUTABLE", "MAC_ADMIN",
  "MAC_OVERRIDE", "MKNOD", "NET_ADMIN", "NET_BIND_SERVICE", "NET_BROADCAST", "NET_RAW", "PERFMON", "SETFCAP", "SETGID",
  "SETPCAP", "SETUID", "SYS_ADMIN", "SYS_BOOT", "SYS_CHROOT", "SYS_MODULE", "SYS_NICE", "SYS_PACCT", "SYS_PTRACE",
  "SYS_RAWIO", "SYS_RESOURCE", "SYS_TIME", "SYS_TTY_CONFIG", "SYSLOG", "WAKE_ALARM",
]);

/** A capability as podman takes it: upper case, without `CAP_`; `ALL` stays `ALL`. */
export function canonicalCapability(text: string): string {
  const upper = text.trim().toUpperCase();
  return upper.startsWith("CAP_") ? upper.slice(4) : upper;
}

/** Checks a capability name (`NET_BIND_SERVICE`, `cap_chown`, `ALL`). */
export function capabilityProblem(text: string): string | null {
  const c = canonicalCapability(text);
  if (c === "ALL" || CAPABILITIES.has(c)) return null;
  return `${JSON.stringify(text.slice(0, 64))} is not a Linux capability (e.g. NET_BIND_SERVICE, CHOWN, or ALL)`;
}

/** A stop signal's canonical name, or null (see canonicalSignal). */
export { canonicalSignal };

const MEMORY = /^(\d{1,15})([bkmg]?)$/;
const MEMORY_UNITS: Record<string, number> = { "": 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };
/** podman refuses less. */
const MIN_MEMORY = 6 * 1024 ** 2;

/** Bytes of a memory limit (`256m`, `1g`, `1048576`; any case), or NaN. */
export function memoryBytes(text: string): number {
  const m = MEMORY.exec(text.trim().toLowerCase());
  return m ? Number(m[1]) * MEMORY_UNITS[m[2]!]! : Number.NaN;
}

/** Checks a memory limit as podman's `--memory` takes it. */
export function memoryProblem(text: string): string | null {
  const bytes = memoryBytes(text);
  if (Number.isNaN(bytes)) return `${JSON.stringify(text.slice(0, 64))} is not a memory size (a whole number with b, k, m or g: 256m, 1g)`;
  if (bytes < MIN_MEMORY) return `${JSON.stringify(text)} is less than podman's minimum of 6m`;
  return null;
}

/** True when p is an absolute path in normal form (no `.`, `..`, `//` or trailing `/`; `/` itself is not). */
function isNormalAbsolute(p: string): boolean {
  return p.startsWith("/") && p !== "/" && !p.endsWith("/") && !p.split("/").slice(1).some((s) => s === "" || s === "." || s === "..");
}

/** Checks a path inside the container (workdir): absolute, at most 4096 characters, no control characters. */
export function containerPathProblem(text: string): string | null {
  if (hasControl(text)) return `contains a control character (${controlName(text)})`;
  if (text.length > 4096) return "is longer than 4096 characters";
  if (!text.startsWith("/")) return `${JSON.stringify(text)} is not an absolute path in the container`;
  return null;
}

const TMPFS_FLAGS = new Set([
  "ro", "rw", "noexec", "exec", "nosuid", "suid", "nodev", "dev", "tmpcopyup", "notmpcopyup", "noatime", "atime", "nodiratime",
  "diratime", "relatime", "norelatime", "strictatime", "rprivate", "private", "rshared", "shared", "rslave", "slave",
]);
const TMPFS_VALUE = /^(size=\d{1,15}[kmgKMG%]?|nr_inodes=\d{1,15}[kmgKMG]?|mode=[0-7]{3,4}|uid=\d{1,10}|gid=\d{1,10})$/;

/** Checks a tmpfs mount `/path[:opt,opt…]` (size=64m, mode=1777, uid=, gid=, noexec, …). */
export function tmpfsProblem(text: string): string | null {
  if (hasControl(text)) return `contains a control character (${controlName(text)})`;
  if (text.length > 4096) return "is longer than 4096 characters";
  const colon = text.indexOf(":");
  const path = colon < 0 ? text : text.slice(0, colon);
  if (!isNormalAbsolute(path)) return `${JSON.stringify(path)} is not an absolute path in normal form (e.g. "/tmp")`;
  if (colon < 0) return null;
  const bad = text.slice(colon + 1).split(",").find((o) => !TMPFS_FLAGS.has(o) && !TMPFS_VALUE.test(o));
  return bad === undefined ? null : `option ${JSON.stringify(bad.slice(0, 64))} is not a tmpfs option (size=64m, mode=1777, uid=N, gid=N, nr_inodes=N, noexec, nosuid, nodev, ro, …)`;
}

/** A device mapping: host path, path in the container, cgroup permissions. */
export interface DeviceMapping {
  host: string;
  container: string;
  permissions: string;
}

/** Parses `host[:container][:permissions]` (podman's `--device`); returns the mapping or the problem. */
export function parseDevice(text: string): DeviceMapping | string {
  if (hasControl(text) || /\s/.test(text)) return "contains a space or a control character";
  if (text.length > 1024) return "is longer than 1024 characters";
  const parts = text.split(":");
  if (parts.length > 3) return "is not host[:container][:permissions] (e.g. \"/dev/fuse\" or \"/dev/ttyUSB0:/dev/ttyUSB0:rw\")";
  const [host, second, third] = parts as [string, string | undefined, string | undefined];
  const perms = /^[rwm]{1,3}$/;
  let container = host;
  let permissions = "";
  if (third !== undefined) {
    container = second!;
    permissions = third;
  } else if (second !== undefined) {
    if (perms.test(second)) permissions = second;
    else container = second;
  }
  if (!host.startsWith("/dev/") || !isNormalAbsolute(host)) return `host device ${JSON.stringify(host)} is not a path under /dev in normal form`;
  if (!isNormalAbsolute(container)) return `container path ${JSON.stringify(container)} is not an absolute path in normal form`;
  if (permissions && !perms.test(permissions)) return `permissions ${JSON.stringify(permissions)} are not some of r, w, m`;
  return { host, container, permissions };
}

const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/** Checks a hostname (RFC 1123 labels, dots between them). */
export function hostnameProblem(text: string): string | null {
  return HOSTNAME.test(text) ? null : `${JSON.stringify(text.slice(0, 64))} is not a hostname (letters, digits and dashes, dot-separated)`;
}

/** Label names: what podman and the OCI conventions use (`tier`, `org.example.team`, `app/role`). */
export const LABEL_KEY = /^[A-Za-z0-9]([A-Za-z0-9._/-]{0,253}[A-Za-z0-9])?$/;

/** Checks a label name; `mcp.*` is mcp's own (SPEC §7.2). */
export function labelKeyProblem(key: string): string | null {
  if (!LABEL_KEY.test(key)) return `${JSON.stringify(key.slice(0, 64))} is not a label name (letters, digits and . _ / -)`;
  if (key.toLowerCase().startsWith("mcp.")) return `${JSON.stringify(key)} is reserved: mcp.* labels are mcp's own (mcp.node, mcp.service, mcp.component, mcp.spec)`;
  return null;
}

/** The rule for secret names (SPEC §7.3): no dot, no slash, so a name never reaches another service's secret or a path. */
export const SECRET_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
export const SECRET_NAME_TEXT = "letters, digits, _ and -, 1-64 characters, starting with a letter or digit";

/** The largest secret value podman 4.3 takes (it takes 1 to 511999 bytes). */
export const MAX_SECRET_BYTES = 511_999;

/** Checks a secret's name; the message shows it escaped and cut short. */
export function secretNameProblem(name: string): string | null {
  return SECRET_NAME.test(name) ? null : `${JSON.stringify(name.slice(0, 64))} is not a secret name (${SECRET_NAME_TEXT})`;
}

/** Checks where a secret goes as a file: an absolute path in normal form of plain characters (no comma: podman's option separator). */
export function secretFileProblem(path: string): string | null {
  if (!/^[A-Za-z0-9._@+/-]{2,1024}$/.test(path) || !isNormalAbsolute(path)) {
    return `${JSON.stringify(path.slice(0, 200))} is not an absolute path in normal form of letters, digits and . _ @ + - (e.g. "/run/secrets/db_password")`;
  }
  return null;
}

/** Checks an http probe: an http(s) URL without credentials (a definition is shown to viewers). */
export function httpProbeProblem(text: string): string | null {
  if (text.length > 2048 || hasControl(text) || /\s/.test(text)) return "is not a URL (no spaces or control characters, at most 2048 characters)";
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return `${JSON.stringify(text.slice(0, 200))} is not a URL (e.g. "http://127.0.0.1:8080/healthz")`;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return `${JSON.stringify(text.slice(0, 200))} is not an http or https URL`;
  if (url.username || url.password) return "must not carry credentials (user:password@): a definition is shown to viewers";
  return null;
}

/** Checks a tcp probe `host:port` (IPv6 in brackets). */
export function tcpProbeProblem(text: string): string | null {
  const m = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]{1,253}):(\d{1,5})$/.exec(text);
  if (!m || Number(m[2]) < 1 || Number(m[2]) > 65535) return `${JSON.stringify(text.slice(0, 200))} is not host:port (e.g. "127.0.0.1:5432")`;
  return null;
}
