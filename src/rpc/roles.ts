/**
 * Roles and the one table of RPC → least role (SPEC §5.2). An RPC missing
 * from the table is refused (default deny), and a test walks the generated
 * service descriptor so that a new RPC without an entry fails the build.
 */
export type Role = "admin" | "operator" | "viewer";

export const ROLES: readonly Role[] = ["admin", "operator", "viewer"];

const RANK: Record<Role, number> = { viewer: 1, operator: 2, admin: 3 };

/** The least role each RPC needs, by method name. */
export const RPC_ROLES: Readonly<Record<string, Role>> = {
  Deploy: "operator",
  StopService: "operator",
  StartService: "operator",
  RestartService: "operator",
  SyncDesiredState: "operator",
  AdoptContainers: "operator",
  PushFile: "operator",
  PullFile: "operator",
  Rollback: "operator",
  SnapshotService: "operator",
  RestoreService: "operator",
  SetSecret: "operator",
  RemoveSecret: "operator",
  Exec: "operator",
  PruneImages: "operator",
  ListServices: "viewer",
  // Names, sizes and dates only: never a value.
  ListSecrets: "viewer",
  LiveCheck: "viewer",
  GetServiceStatus: "viewer",
  NodeStatus: "viewer",
  Logs: "viewer",
  WatchEvents: "viewer",
  // Who did what is for admins (SPEC §5.2 lists the audit trail, not its readers).
  ListAudit: "admin",
};

/** True when role is one mcp accepts (`guest` and unknown roles are not). */
export function isRole(role: string): role is Role {
  return (ROLES as readonly string[]).includes(role);
}

/**
 * The least role for an RPC, or null when the RPC is not in the table
 * (callers must refuse it).
 */
export function requiredRole(method: string): Role | null {
  return Object.hasOwn(RPC_ROLES, method) ? RPC_ROLES[method]! : null;
}

/** True when `have` is at least `need`. */
export function roleAllows(have: Role, need: Role): boolean {
  return RANK[have] >= RANK[need];
}

/** Who made a request. */
export interface Identity {
  name: string;
  role: Role;
  /**
   * The services this caller may act on (SPEC §7.1, `--services`); empty =
   * every service (admins, MCIAS users and unscoped tokens).
   */
  services: readonly string[];
}
