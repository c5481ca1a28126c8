import { describe, expect, test } from "bun:test";
import { assertInScope, inScope, namesAt, RPC_SCOPES, scopeRule, type ScopeRule } from "../../../src/node/auth/index.ts";
import { isMcpError } from "../../../src/lib/errors.ts";
import { listRpcMethods } from "../../../src/rpc/index.ts";
import { RESPONSE_FILTERS, scopeAnswer } from "../../../src/rpc/_scope.ts";

const ci = { name: "ci", services: ["a", "b"] as const };
const all = { name: "admin", services: [] as const };

/** The refusal of assertInScope, as "message | hint", or "ok". */
function check(who: { name: string; services: readonly string[] }, method: string, req: unknown): string {
  try {
    assertInScope(who, method, req);
    return "ok";
  } catch (err) {
    if (!isMcpError(err, "permission_denied")) throw err;
    return `${err.message} | ${err.hint}`;
  }
}

describe("RPC → service scope table", () => {
  // Walks the generated service descriptor: an RPC added to the proto without
  // a scope entry fails here (and is refused to scoped tokens at run time).
  test("every RPC of the service descriptor says how it names services", () => {
    expect(listRpcMethods().map((m) => m.name).filter((n) => scopeRule(n) === null)).toEqual([]);
  });

  test("the table names no RPC the service does not have, and every entry says something", () => {
    const names = new Set(listRpcMethods().map((m) => m.name));
    expect(Object.keys(RPC_SCOPES).filter((n) => !names.has(n))).toEqual([]);
    const says = (r: ScopeRule) => !!(r.names || r.filter || r.node || r.unscopedOnly);
    expect(Object.entries(RPC_SCOPES).filter(([, r]) => !says(r)).map(([n]) => n)).toEqual([]);
  });

  test("every RPC whose answer is filtered has a filter on the wire", () => {
    const filtered = Object.entries(RPC_SCOPES).filter(([, r]) => r.filter).map(([n]) => n).sort();
    expect(filtered).toEqual(["GetServiceStatus", "ListSecrets", "ListServices", "LiveCheck", "SyncDesiredState", "WatchEvents"]);
    expect(Object.keys(RESPONSE_FILTERS).sort()).toEqual(filtered);
  });

  test("an RPC missing from the table is refused to a scoped token, allowed to an unscoped one", () => {
    expect(check(ci, "NoSuchRpc", {})).toBe('token "ci" is scoped to services a, b; NoSuchRpc has no service scope, so it is refused to scoped tokens | use a token without --services');
    expect(check(ci, "toString", {})).toMatch(/has no service scope/);
    expect(check(all, "NoSuchRpc", {})).toBe("ok");
  });
});

describe("checking a request against a scope", () => {
  test("one service named by a field: in scope passes, another is refused with the service named", () => {
    expect(check(ci, "StopService", { service: "a" })).toBe("ok");
    expect(check(ci, "StopService", { service: "c" })).toBe('token "ci" is scoped to services a, b; it cannot act on service c | use a token whose --services include c');
    expect(check(ci, "Deploy", { service: { name: "b" } })).toBe("ok");
    expect(check(ci, "Deploy", { service: { name: "c" } })).toMatch(/cannot act on service c/);
    expect(check(ci, "Deploy", {})).toMatch(/Deploy must name one of its services \| name one of: a, b/);
    expect(check(ci, "PushFile", undefined)).toMatch(/PushFile must name one of its services/);
    // A name that breaks the naming rule is quoted, never printed raw.
    expect(check(ci, "Logs", { service: "x\n\u001b[2J" })).toContain('service "x\\n\\u001b[2J"');
  });

  test("sync: every service must be in scope, an empty list names none, prune is refused", () => {
    expect(check(ci, "SyncDesiredState", { services: [{ name: "a" }, { name: "b" }] })).toBe("ok");
    expect(check(ci, "SyncDesiredState", { services: [{ name: "a" }, { name: "c" }] })).toMatch(/cannot act on service c/);
    expect(check(ci, "SyncDesiredState", { services: [{ name: "" }] })).toMatch(/must name one of its services/);
    expect(check(ci, "SyncDesiredState", { services: [] })).toBe("ok");
    expect(check(ci, "SyncDesiredState", { services: [{ name: "a" }], prune: true })).toBe(
      'token "ci" is scoped to services a, b; it cannot use prune: sync --prune would forget services outside its scope | leave out --prune, or use a token without --services');
    expect(check(all, "SyncDesiredState", { services: [], prune: true })).toBe("ok");
  });

  test("status may name a service or none (then the answer is filtered); node status names none; the audit is unscoped only", () => {
    expect(check(ci, "GetServiceStatus", { service: "" })).toBe("ok");
    expect(check(ci, "GetServiceStatus", { service: "a" })).toBe("ok");
    expect(check(ci, "GetServiceStatus", { service: "c" })).toMatch(/cannot act on service c/);
    expect(check(ci, "NodeStatus", {})).toBe("ok");
    expect(check(ci, "ListServices", {})).toBe("ok");
    expect(check(ci, "ListAudit", {})).toMatch(/ListAudit is refused to scoped tokens/);
  });

  test("inScope: node-wide entries (no service) only for unscoped callers", () => {
    expect(inScope(ci, "a")).toBe(true);
    expect(inScope(ci, "c")).toBe(false);
    expect(inScope(ci, "")).toBe(false);
    expect(inScope(all, "")).toBe(true);
    expect(inScope(all, "c")).toBe(true);
  });

  test("namesAt reads dot paths and lists; missing parts read as empty", () => {
    expect(namesAt({ service: { name: "a" } }, "service.name")).toEqual(["a"]);
    expect(namesAt({}, "service.name")).toEqual([""]);
    expect(namesAt(undefined, "service")).toEqual([""]);
    expect(namesAt({ service: 7 }, "service")).toEqual([""]);
    expect(namesAt({ services: [{ name: "a" }, {}] }, "services[].name")).toEqual(["a", ""]);
    expect(namesAt({ services: "x" }, "services[].name")).toEqual([]);
  });
});

describe("filtering answers", () => {
  test("a scoped caller sees only its services; node-wide events are dropped; unscoped callers see everything", () => {
    const list = () => ({ node: "n", services: [{ name: "a" }, { name: "c" }] });
    expect(scopeAnswer(ci, "ListServices", list())!.services.map((s) => s.name)).toEqual(["a"]);
    expect(scopeAnswer(all, "ListServices", list())!.services.map((s) => s.name)).toEqual(["a", "c"]);
    const ev = (service: string) => ({ event: { service, kind: "x" } });
    expect(scopeAnswer(ci, "WatchEvents", ev("a"))).toEqual(ev("a"));
    expect(scopeAnswer(ci, "WatchEvents", ev("c"))).toBeNull();
    expect(scopeAnswer(ci, "WatchEvents", ev(""))).toBeNull();
    expect(scopeAnswer(all, "WatchEvents", ev(""))).toEqual(ev(""));
    const status = { components: [{ service: "a" }, { service: "c" }], events: [{ service: "" }, { service: "b" }], history: [{ service: "c" }] };
    expect(scopeAnswer(ci, "GetServiceStatus", status)).toEqual({ components: [{ service: "a" }], events: [{ service: "b" }], history: [] });
    // Answers of RPCs that name one service pass as they are.
    expect(scopeAnswer(ci, "StopService", { results: [1] })).toEqual({ results: [1] });
  });
});
