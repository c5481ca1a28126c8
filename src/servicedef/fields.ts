/**
 * The grammar of the string fields of a component (ports, volumes, env,
 * users, networks) as pure parsers. The definition schema uses them for
 * located errors in files, the agent for every request it receives (the CLI
 * is not the boundary), and the container policy reads parsed volumes and
 * networks. Messages never quote an env value: only its key (SPEC §7.1).
 */

/** C0 control characters and DEL. */
const CONTROL = /[\u0000-\u001f\u007f]/;
/** Control characters except tab and newline (allowed in commands and env values: scripts, PEM blocks). */
const CONTROL_BUT_TEXT = /[\u0000-\u0008\u000b-\u001f\u007f]/;

/** True when s holds a control character (any, or any but tab and newline with `text`). */
export function hasControl(s: string, o: { text?: boolean } = {}): boolean {
  return (o.text ? CONTROL_BUT_TEXT : CONTROL).test(s);
}

/** The first control character of s, as `U+XXXX`, for a message that must not show s itself. */
export function controlName(s: string, o: { text?: boolean } = {}): string {
  const m = (o.text ? CONTROL_BUT_TEXT : CONTROL).exec(s);
  return m ? `U+${m[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, "0")}` : "";
}

/** Limits on sizes (a request is bounded by the gRPC message size too; these keep each field sane). */
export const LIMITS = {
  components: 64,
  ports: 256,
  volumes: 256,
  env: 1024,
  args: 1024,
  /** One string of a command or one env entry. */
  text: 65_536,
  /** Images, volumes, networks, users. */
  short: 4096,
} as const;

/** A port mapping `[ip:][hostPort:]containerPort[/proto]`, ranges as `a-b`. */
export interface PortMapping {
  ip: string;
  hostPort: string;
  containerPort: string;
  protocol: string;
}

const PORT_RANGE = /^(\d{1,5})(?:-(\d{1,5}))?$/;

function portRangeProblem(text: string, what: string): string | null {
  const m = PORT_RANGE.exec(text);
  if (!m) return `${what} ${JSON.stringify(text)} is not a port or a range (1-65535)`;
  const lo = Number(m[1]);
  const hi = m[2] === undefined ? lo : Number(m[2]);
  if (lo < 1 || hi > 65535 || hi < lo) return `${what} ${JSON.stringify(text)} is out of range (1-65535, low-high)`;
  return null;
}

/** Parses a port mapping; returns the mapping or the problem (a sentence). */
export function parsePort(text: string): PortMapping | string {
  if (text.length > 128 || hasControl(text) || /\s/.test(text)) return "is not a port mapping (e.g. \"127.0.0.1:8080:80\")";
  let rest = text;
  let protocol = "";
  const slash = rest.lastIndexOf("/");
  if (slash >= 0) {
    protocol = rest.slice(slash + 1);
    rest = rest.slice(0, slash);
    if (!["tcp", "udp", "sctp"].includes(protocol)) return `protocol ${JSON.stringify(protocol)} is not tcp, udp or sctp`;
  }
  let ip = "";
  const v6 = /^\[([0-9A-Fa-f:.]+)\]:(.*)$/.exec(rest);
  if (v6) {
    ip = v6[1]!;
    rest = v6[2]!;
  }
  const parts = rest.split(":");
  if (!v6 && parts.length === 3) ip = parts.shift()!;
  if (parts.length > 2 || (v6 && parts.length !== 2)) return "is not a port mapping ([ip:][hostPort:]containerPort[/protocol])";
  if (ip && !v6 && !/^\d{1,3}(\.\d{1,3}){3}$/.test(ip)) return `host address ${JSON.stringify(ip)} is not an IPv4 address (IPv6 goes in brackets)`;
  if (ip && !v6 && ip.split(".").some((o) => Number(o) > 255)) return `host address ${JSON.stringify(ip)} is not an IPv4 address`;
  const containerPort = parts.pop()!;
  const hostPort = parts.pop() ?? "";
  const problem = portRangeProblem(containerPort, "container port") ?? (hostPort || ip ? portRangeProblem(hostPort, "host port") : null);
  return problem ?? { ip, hostPort, containerPort, protocol };
}

/** A volume: a bind mount of a host path, or a named podman volume, with options. */
export interface VolumeMount {
  kind: "bind" | "named";
  /** The host path (bind) or the volume's name (named). */
  source: string;
  target: string;
  options: string[];
}

/** Volume options mcp passes on (SELinux labels, read-only, ownership, no copy-up, mount flags). */
export const VOLUME_OPTIONS = new Set(["ro", "rw", "z", "Z", "U", "nocopy", "noexec", "exec", "nosuid", "nodev", "suid", "dev"]);
const VOLUME_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

/** Parses `source:target[:opts]`; returns the mount or the problem (a sentence). */
export function parseVolume(text: string): VolumeMount | string {
  if (text.length > LIMITS.short) return `is longer than ${LIMITS.short} characters`;
  if (hasControl(text)) return `contains a control character (${controlName(text)})`;
  const parts = text.split(":");
  if (parts.length < 2 || parts.length > 3) return "is not source:target[:options] (e.g. \"/srv/app:/data\" or \"appdata:/data:ro\")";
  const [source, target, opts] = parts as [string, string, string | undefined];
  if (!target.startsWith("/")) return `target ${JSON.stringify(target)} is not an absolute path in the container`;
  const options = opts === undefined ? [] : opts.split(",");
  const bad = options.find((o) => !VOLUME_OPTIONS.has(o));
  if (bad !== undefined) return `option ${JSON.stringify(bad)} is not one of ${[...VOLUME_OPTIONS].join(", ")}`;
  if (source.startsWith("/")) {
    // podman cleans `..` and `.` as text before the kernel resolves symlinks: only the normal form says where a mount goes.
    if (source !== "/" && (source.endsWith("/") || source.split("/").slice(1).some((p) => p === "" || p === "." || p === ".."))) {
      return `source ${JSON.stringify(source)} is not in normal form (no ".", "..", "//" or trailing "/"): write the directory it means`;
    }
    return { kind: "bind", source, target, options };
  }
  if (VOLUME_NAME.test(source)) return { kind: "named", source, target, options };
  return `source ${JSON.stringify(source)} is neither an absolute host path nor a volume name (letters, digits, _ . -)`;
}

/** The rule for env keys: what a shell and podman accept. */
export const ENV_KEY = /^[A-Za-z_][A-Za-z0-9_.-]{0,255}$/;

/** Checks `KEY=VALUE`; returns the problem (naming the key at most, never the value) or null. */
export function envProblem(entry: string): string | null {
  const eq = entry.indexOf("=");
  if (eq <= 0) return "is not KEY=VALUE";
  const key = entry.slice(0, eq);
  if (!ENV_KEY.test(key)) return `key ${JSON.stringify(key.slice(0, 64))} is not a valid name (letters, digits, _ . -; not starting with a digit)`;
  if (entry.length > LIMITS.text) return `the value of ${key} is longer than ${LIMITS.text} characters`;
  if (hasControl(entry, { text: true })) return `the value of ${key} contains a control character (${controlName(entry, { text: true })})`;
  return null;
}

/** `KEY=…`: an env entry as shown where values must not be (logs, errors, viewers). */
export function redactEnv(entry: string): string {
  const eq = entry.indexOf("=");
  return eq < 0 ? "…" : `${entry.slice(0, eq)}=…`;
}

/** True for an env entry as a viewer is sent it (`KEY=…`). */
export function isRedactedEnv(entry: string): boolean {
  return entry.endsWith("=…") && entry.indexOf("=") === entry.length - 2;
}

/** `user[:group]`, names or numbers. */
export const USER_RULE = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,63})?$/;

/** A network: a podman network name, or a mode (`bridge`, `none`, `host`, `container:x`, `ns:/path`, `slirp4netns[:opts]`, `pasta[:opts]`). */
export const NETWORK_RULE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}(:[^\s]{1,1024})?$/;
