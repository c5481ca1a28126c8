/**
 * Service scopes (SPEC §7.1, `mcp agent token create --services a,b`): the
 * one table of how each RPC names services, next to the role table. The rpc
 * server applies it to every call of a scoped token; an RPC missing from the
 * table is refused to scoped tokens (default deny), and a test walks the
 * generated service descriptor so that a new RPC without an entry fails the
 * build.
 */
import { McpError } from "../lib/errors.ts";
import { isValidName } from "../lib/names.ts";

/** How one RPC names services. Every entry sets at least one of names, filter, node, unscopedOnly. */
export interface ScopeRule {
  /**
   * Where the request names services, as a path into the decoded request
   * (for a client stream, its first message): `service`, `service.name`, or
   * `services[].name` for a list whose every entry must be in scope.
   */
  names?: string;
  /** The name may be empty: "" means every service, and the answer is then filtered. */
  optional?: true;
  /** Request flags a scoped token may not set, each with why. */
  refuse?: Readonly<Record<string, string>>;
  /** The answer lists entries of several services: a scoped token sees only its own. */
  filter?: true;
  /** Names no service and answers node-wide facts only (counts, versions). */
  node?: true;
  /** Refused to every scoped token. */
  unscopedOnly?: true;
}

/** How each RPC names services, by method name. */
export const RPC_SCOPES: Readonly<Record<string, ScopeRule>> = {
  Deploy: { names: "service.name" },
  Rollback: { names: "service" },
  StopService: { names: "service" },
  StartService: { names: "service" },
  RestartService: { names: "service" },
  Logs: { names: "service" },
  // known_services only guides the name-prefix rule; nothing is done to them.
  AdoptContainers: { names: "service" },
  PushFile: { names: "service" },
  PullFile: { names: "service" },
  SnapshotService: { names: "service" },
  RestoreService: { names: "service" },
  // Sync also reports (and records as `ignore`) containers of no known service: the report is filtered.
  SyncDesiredState: { names: "services[].name", refuse: { prune: "sync --prune would forget services outside its scope" }, filter: true },
  GetServiceStatus: { names: "service", optional: true, filter: true },
  ListServices: { filter: true },
  LiveCheck: { filter: true },
  // Events of no service (node-wide) are shown to unscoped callers only.
  WatchEvents: { filter: true },
  NodeStatus: { node: true },
  SetSecret: { names: "service" },
  RemoveSecret: { names: "service" },
  ListSecrets: { names: "service", optional: true, filter: true },
  // For a client stream, the first message: the start.
  Exec: { names: "kind.value.service" },
  // Node-wide: images of every service.
  PruneImages: { unscopedOnly: true },
  // Admin-only by role, and admin tokens cannot be scoped: refused in depth.
  ListAudit: { unscopedOnly: true },
};

/** The scope rule of an RPC, or null when it has none (scoped tokens are refused). */
export function scopeRule(method: string): ScopeRule | null {
  return Object.hasOwn(RPC_SCOPES, method) ? RPC_SCOPES[method]! : null;
}

/** A caller as far as scopes go. */
export interface Scoped {
  name: string;
  /** Empty = every service. */
  services: readonly string[];
}

/** True when the caller is limited to some services. */
export function isScoped(who: Scoped): boolean {
  return who.services.length > 0;
}

/** True when the caller may see or act on `service`; "" (node-wide) only for unscoped callers. */
export function inScope(who: Scoped, service: string): boolean {
  return !isScoped(who) || (service !== "" && who.services.includes(service));
}

const shown = (name: string) => (isValidName(name) ? name : JSON.stringify(name.slice(0, 80)));
const scopeText = (who: Scoped) => `token "${who.name}" is scoped to services ${who.services.join(", ")}`;

/** The refusal for a scoped caller: permission_denied, named for the audit trail. */
export function scopeDenied(who: Scoped, what: string, hint: string): McpError {
  return new McpError("permission_denied", `${scopeText(who)}; ${what}`, hint, { identity: who.name });
}

/** The values at a path (`a.b`, `list[].key`) of a decoded request; missing parts read as "". */
export function namesAt(req: unknown, path: string): string[] {
  const get = (o: unknown, key: string): unknown => (o !== null && typeof o === "object" ? (o as Record<string, unknown>)[key] : undefined);
  let values: unknown[] = [req];
  for (const part of path.split(".")) {
    if (part.endsWith("[]")) {
      values = values.flatMap((v) => {
        const list = get(v, part.slice(0, -2));
        return Array.isArray(list) ? list : [];
      });
    } else {
      values = values.map((v) => get(v, part));
    }
  }
  return values.map((v) => (typeof v === "string" ? v : ""));
}

/**
 * Checks a request of a scoped caller against the RPC's scope rule (the
 * first message of a client stream; `undefined` when the stream carried
 * none). Unscoped callers always pass. Throws permission_denied for an RPC
 * without a rule, a service outside the scope, a request that names none
 * where one is needed, and a refused flag. Filtering an answer is the
 * caller's part (see `inScope`).
 */
export function assertInScope(who: Scoped, method: string, req: unknown): void {
  if (!isScoped(who)) return;
  const rule = scopeRule(method);
  if (!rule) throw scopeDenied(who, `${method} has no service scope, so it is refused to scoped tokens`, "use a token without --services");
  if (rule.unscopedOnly) throw scopeDenied(who, `${method} is refused to scoped tokens`, "use a token without --services");
  for (const [flag, why] of Object.entries(rule.refuse ?? {})) {
    if (req !== null && typeof req === "object" && (req as Record<string, unknown>)[flag] === true) {
      throw scopeDenied(who, `it cannot use ${flag}: ${why}`, `leave out --${flag}, or use a token without --services`);
    }
  }
  if (!rule.names) return;
  for (const n of namesAt(req, rule.names)) {
    if (n === "" && rule.optional) continue;
    if (n === "") throw scopeDenied(who, `${method} must name one of its services`, `name one of: ${who.services.join(", ")}`);
    if (!who.services.includes(n)) throw scopeDenied(who, `it cannot act on service ${shown(n)}`, `use a token whose --services include ${shown(n)}`);
  }
}
