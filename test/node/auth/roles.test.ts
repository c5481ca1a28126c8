import { describe, expect, test } from "bun:test";
import { isRole, requiredRole, roleAllows, RPC_ROLES } from "../../../src/node/auth/index.ts";
import { listRpcMethods } from "../../../src/rpc/index.ts";

describe("RPC → role table", () => {
  // Walks the generated service descriptor: an RPC added to the proto without
  // an entry in the table fails here (and is refused at run time: default deny).
  test("every RPC of the service descriptor has a least role", () => {
    const missing = listRpcMethods().map((m) => m.name).filter((n) => requiredRole(n) === null);
    expect(missing).toEqual([]);
  });

  test("the table names no RPC the service does not have", () => {
    const names = new Set(listRpcMethods().map((m) => m.name));
    expect(Object.keys(RPC_ROLES).filter((n) => !names.has(n))).toEqual([]);
  });

  test("the spec's role split: operator changes things, viewer reads", () => {
    for (const m of ["Deploy", "StopService", "StartService", "RestartService", "SyncDesiredState", "AdoptContainers", "PushFile", "PullFile", "Rollback", "SnapshotService", "RestoreService"]) {
      expect(requiredRole(m)).toBe("operator");
    }
    for (const m of ["ListServices", "LiveCheck", "GetServiceStatus", "NodeStatus", "Logs", "WatchEvents"]) expect(requiredRole(m)).toBe("viewer");
    expect(requiredRole("NoSuchRpc")).toBeNull();
    expect(requiredRole("toString")).toBeNull();
  });

  test("role order and refused roles", () => {
    expect(roleAllows("admin", "operator")).toBe(true);
    expect(roleAllows("operator", "operator")).toBe(true);
    expect(roleAllows("viewer", "operator")).toBe(false);
    expect(isRole("guest")).toBe(false);
    expect(isRole("root")).toBe(false);
  });
});
