/**
 * Paths and addresses as written in the configs: `~` expansion, paths relative
 * to the config file, and `host:port`.
 */
import { isAbsolute, join, resolve } from "node:path";
import { mcpError } from "../lib/errors.ts";

/**
 * Expands a path from a config file: `~` and `~/…` use home; a relative path
 * is resolved against baseDir (the config file's directory). `~user` is not
 * supported and is treated as a relative path. "" stays "" (meaning unset).
 * Throws invalid_argument naming `key` when `~` is used and home is empty.
 */
export function expandPath(path: string, opts: { home: string; baseDir: string; key: string }): string {
  if (path === "") return "";
  if (path === "~" || path.startsWith("~/")) {
    if (!opts.home) throw mcpError("invalid_argument", `${opts.key}: cannot expand "~": HOME is not set`, "set HOME, or write the path in full");
    return join(opts.home, path.slice(1));
  }
  return isAbsolute(path) ? path : resolve(opts.baseDir, path);
}

/** A parsed `host:port`; host keeps no brackets (`::1`, not `[::1]`). */
export interface HostPort {
  host: string;
  port: number;
}

const HOST_PORT = /^(?:\[([0-9A-Fa-f:.]+(?:%[A-Za-z0-9_.-]+)?)\]|([A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?)):(\d{1,5})$/;

/**
 * Splits `host:port` (IPv6 in brackets: `[fd00::1]:9444`). Returns null when
 * the text is not of that form or the port is out of range; port 0 is
 * accepted only with allowZero (a listener that picks a free port).
 */
export function splitHostPort(text: string, opts: { allowZero?: boolean } = {}): HostPort | null {
  const m = HOST_PORT.exec(text);
  if (!m) return null;
  const port = Number(m[3]);
  if (port > 65535 || (port === 0 && !opts.allowZero)) return null;
  const host = m[1] ?? m[2]!;
  if (m[1] !== undefined && !host.includes(":")) return null;
  return { host, port };
}

/** The message for an address that is not `host:port`. */
export function hostPortProblem(text: string): string {
  return `${JSON.stringify(text)} is not host:port (e.g. "rift.example.net:9444", "100.95.252.120:9444", "[fd00::1]:9444")`;
}

/** True for an https URL, or an http URL to a loopback host (test servers). */
export function isServerUrl(text: string): boolean {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return false;
  }
  if (url.protocol === "https:") return true;
  return url.protocol === "http:" && ["localhost", "127.0.0.1", "[::1]"].includes(url.hostname);
}

/** A `host:port` that must be one: throws invalid_argument naming the field (a flag, a key). */
export function requireHostPort(text: string, field: string, opts: { allowZero?: boolean } = {}): HostPort {
  const hp = splitHostPort(text, opts);
  if (!hp) throw mcpError("invalid_argument", `${field}: ${hostPortProblem(text)}`, "for example 100.95.252.120:9444 or [::1]:9444");
  return hp;
}
