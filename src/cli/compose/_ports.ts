/**
 * `ports:` of a compose service in both syntaxes → mcp's `ports`
 * (`[ip:][hostPort:]containerPort[/protocol]`, what podman's `-p` takes).
 */
import { parsePort } from "../../servicedef/index.ts";
import { describe, type ImportContext } from "./_context.ts";

const LONG_KEYS = new Set(["target", "published", "host_ip", "protocol", "mode", "name", "app_protocol"]);

/** Maps one service's ports; each one mcp cannot take is listed, never dropped. */
export function mapPorts(ctx: ImportContext, value: unknown, path: string): string[] {
  if (value === null || value === undefined) return [];
  if (!Array.isArray(value)) return ctx.fail(path, `must be a list, not ${describe(value)}`);
  const out: string[] = [];
  value.forEach((item, i) => {
    const at = `${path}[${i}]`;
    const text = item !== null && typeof item === "object" && !Array.isArray(item) ? longSyntax(ctx, item as Record<string, unknown>, at) : shortSyntax(ctx, item, at);
    if (text === null) return;
    const parsed = parsePort(text);
    if (typeof parsed === "string") ctx.unmap(at, `${JSON.stringify(text)} ${parsed}`);
    else if (parsed.ip && !parsed.hostPort) ctx.unmap(at, `${JSON.stringify(text)}: a host address with a random host port is not something mcp's ports take; name the host port`);
    else out.push(text);
  });
  return out;
}

function shortSyntax(ctx: ImportContext, item: unknown, at: string): string | null {
  if (typeof item === "number") {
    const raw = ctx.tree.at(at).raw ?? "";
    // YAML 1.1 reads 22:22 as the base-60 number 1342: what the author meant is not what compose reads.
    if (raw.includes(":")) return ctx.fail(at, `${raw} is read by YAML 1.1 as the number ${item}; quote it ("${raw}")`);
    return String(item);
  }
  if (typeof item !== "string") return ctx.fail(at, `must be a port mapping (a string or a map), not ${describe(item)}`);
  const text = ctx.text(item, at);
  // `ip::port` (a random host port on one address) is podman's too, but mcp's grammar names host ports.
  if (/^(\[[^\]]*\]|[^:[]+)::/.test(text)) {
    ctx.unmap(at, `${JSON.stringify(text)}: a host address with a random host port is not something mcp's ports take; name the host port`);
    return null;
  }
  return text;
}

function longSyntax(ctx: ImportContext, item: Record<string, unknown>, at: string): string | null {
  for (const key of Object.keys(item)) {
    if (!LONG_KEYS.has(key)) ctx.fail(`${at}.${key}`, `is not a key of a port (${[...LONG_KEYS].join(", ")})`);
  }
  if (item.target === undefined) return ctx.fail(at, "has no target (the container's port)");
  const target = ctx.text(item.target, `${at}.target`);
  const published = item.published === undefined || item.published === null ? "" : ctx.text(item.published, `${at}.published`);
  const hostIp = item.host_ip === undefined ? "" : ctx.text(item.host_ip, `${at}.host_ip`);
  const protocol = item.protocol === undefined ? "tcp" : ctx.text(item.protocol, `${at}.protocol`).toLowerCase();
  if (item.mode !== undefined && ctx.text(item.mode, `${at}.mode`) === "ingress") {
    ctx.note(`${at}.mode`, "ingress is swarm's routing mesh; on one host a published port is a host port, as mcp publishes it");
  }
  for (const key of ["name", "app_protocol"]) {
    if (item[key] !== undefined) ctx.note(`${at}.${key}`, "is a label for tools, not a setting of the container; left out");
  }
  if (hostIp && !published) {
    ctx.unmap(at, `host_ip ${hostIp} without published: a random host port on one address is not something mcp's ports take; name the host port`);
    return null;
  }
  const ip = hostIp.includes(":") ? `[${hostIp}]` : hostIp;
  return `${ip ? `${ip}:` : ""}${published ? `${published}:` : ""}${target}${protocol === "tcp" ? "" : `/${protocol}`}`;
}
