import { describe, expect, test } from "bun:test";
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { isMcpError, McpError } from "../../../src/lib/errors.ts";
import {
  assertContainerAllowed, assertLayout, assertMountsNotNested, assertNamedVolumesOwned, createStateGuard, DEFAULT_POLICY, resolveHostPath, type ContainerPolicy,
} from "../../../src/node/policy/index.ts";
import { tempDir } from "../../support/mcp.ts";

function failure(fn: () => void): McpError {
  try {
    fn();
  } catch (err) {
    if (isMcpError(err)) return err;
    throw err;
  }
  throw new Error("expected a refusal");
}

/** The production layout: the agent in <root>/srv/mcp, services under <root>/srv. */
function layout() {
  const root = tempDir("mcp-policy-");
  const srv = join(root, "srv");
  const agent = join(srv, "mcp");
  mkdirSync(join(agent, "certs"), { recursive: true });
  mkdirSync(join(srv, "app", "data"), { recursive: true });
  mkdirSync(join(srv, "other"), { recursive: true });
  writeFileSync(join(agent, "mcp.db"), "");
  const protectedPaths = [{ path: agent, what: "the agent's directory" }, { path: join(agent, "certs/key.pem"), what: "the agent's TLS key" }];
  return { root, srv, agent, protectedPaths };
}

const check = (l: ReturnType<typeof layout>, volumes: string[], network = "", policy: Partial<ContainerPolicy> = {}) =>
  assertContainerAllowed("app", { name: "web", volumes, network }, { srvRoot: l.srv, policy: { ...DEFAULT_POLICY, ...policy }, protectedPaths: l.protectedPaths });

describe("container policy (SPEC §7.1)", () => {
  test("the service's own directory, below it, and named volumes are allowed", () => {
    const l = layout();
    check(l, [`${l.srv}/app:/data`, `${l.srv}/app/data:/d:ro`, `${l.srv}/app/new/dir:/n`, "appdata:/var/lib/x:Z"]);
  });

  test("another service's directory, the srv root, /, /etc, the agent's directory and `..` tricks are refused with the policy key", () => {
    const l = layout();
    for (const v of [`${l.srv}/other:/x`, `${l.srv}:/x`, "/:/host", "/etc:/etc", "/run/podman/podman.sock:/s"]) {
      const err = failure(() => check(l, [v]));
      expect(err.code).toBe("permission_denied");
      expect(`${err.message} ${err.hint}`).toMatch(/\[policy\] host_paths|agent's/);
    }
    const err = failure(() => check(l, [`${l.srv}/other:/x`]));
    expect(err.message).toBe(`service app, component web: volumes[0]: the host path ${l.srv}/other is not allowed by the node's policy`);
    expect(err.hint).toContain("[policy] host_paths");
  });

  test("symlinks are resolved: a link in the service's directory to the agent's state or elsewhere is refused", () => {
    const l = layout();
    symlinkSync(l.agent, join(l.srv, "app", "agent"));
    symlinkSync("../../other", join(l.srv, "app", "data", "up"));
    symlinkSync("data", join(l.srv, "app", "inside"));
    expect(failure(() => check(l, [`${l.srv}/app/agent:/x`])).message).toContain("reaches the agent's directory");
    expect(failure(() => check(l, [`${l.srv}/app/agent/certs:/x`])).message).toContain("reaches the agent's directory");
    expect(failure(() => check(l, [`${l.srv}/app/data/up:/x`])).message).toContain(`goes through a symlink (it resolves to ${l.srv}/other)`);
    // Even a link that stays inside: a container that writes the directory could point it elsewhere before the next start.
    expect(failure(() => check(l, [`${l.srv}/app/inside:/x`])).message).toContain("goes through a symlink");
    expect(resolveHostPath(`${l.srv}/app/data/up/../app`)).toBe(`${l.srv}/app`);
  });

  test("a source not in normal form is refused as written (podman cleans `..` as text, the kernel follows symlinks first)", () => {
    const l = layout();
    for (const v of [`${l.srv}/app/../mcp:/x`, `${l.srv}/app/./data:/x`, `${l.srv}//app:/x`, `${l.srv}/app/:/x`]) {
      const err = failure(() => check(l, [v]));
      expect(err.code).toBe("invalid_argument");
      expect(err.message).toContain("is not in normal form");
    }
  });

  test("a mount below another component's writable mount of the service is refused (it could be swapped before the next start)", () => {
    const err = failure(() => assertMountsNotNested("app", [
      { name: "web", volumes: ["/srv/app:/data"] }, { name: "job", volumes: ["/srv/app/d:/m:ro"] },
    ]));
    expect(err.code).toBe("permission_denied");
    expect(err.message).toBe("service app: component job mounts /srv/app/d (volumes[0]) below /srv/app, which component web mounts writable (volumes[0])");
    expect(failure(() => assertMountsNotNested("app", [{ name: "web", volumes: ["/srv/app:/data", "/srv/app/d:/m"] }])).message).toContain("component web mounts /srv/app/d");
    assertMountsNotNested("app", [{ name: "web", volumes: ["/srv/app:/data:ro", "/srv/app/d:/m"] }, { name: "job", volumes: ["/srv/app/e:/e", "/srv/app/d:/d"] }]);
  });

  test("a scoped token may use only its own service's named volumes", () => {
    assertNamedVolumesOwned("app", { name: "web", volumes: ["app:/a", "app-data:/b", "app_cache:/c", "/srv/app:/d"] });
    const err = failure(() => assertNamedVolumesOwned("app", { name: "web", volumes: ["other-data:/x"] }));
    expect(err.code).toBe("permission_denied");
    expect(err.message).toContain("the named volume other-data is not this service's");
    expect(failure(() => assertNamedVolumesOwned("app", { name: "web", volumes: ["apple:/x"] })).code).toBe("permission_denied");
  });

  test("host_paths opens a directory, but never the agent's state, whatever the policy", () => {
    const l = layout();
    check(l, [`${l.srv}/other:/x`], "", { hostPaths: [`${l.srv}/other`] });
    check(l, ["/etc/ssl/certs:/certs:ro"], "", { hostPaths: ["/etc/ssl/certs"] });
    const err = failure(() => check(l, ["/:/host"], "", { hostPaths: ["/"] }));
    expect(err.message).toContain("reaches the agent's directory");
    expect(failure(() => check(l, [`${l.srv}:/all`], "", { hostPaths: [l.srv] })).message).toContain("reaches the agent's directory");
  });

  test("host network and shared namespaces need host_network", () => {
    const l = layout();
    for (const n of ["host", "container:db", "ns:/proc/1/ns/net", "slirp4netns:allow_host_loopback=true", "pasta:-T,9444", "pasta"]) {
      const err = failure(() => check(l, [], n));
      expect(err.code).toBe("permission_denied");
      expect(err.hint).toContain("[policy] host_network");
    }
    check(l, [], "mcpnet");
    check(l, [], "hostnet");
    check(l, [], "none");
    check(l, [], "host", { hostNetwork: true });
  });
});

describe("layout (SPEC §7.1: the agent's directory is never a service's)", () => {
  test("the install layout (agent in <srv>/mcp) is accepted", () => {
    const l = layout();
    assertLayout(l.srv, l.protectedPaths);
  });

  test("a srv root inside the agent's directory, or agent state under another service name, is refused", () => {
    const l = layout();
    expect(failure(() => assertLayout(join(l.agent, "services"), l.protectedPaths)).message).toContain("lies inside the agent's directory");
    expect(failure(() => assertLayout(l.agent, l.protectedPaths)).code).toBe("failed_precondition");
    const e = failure(() => assertLayout(l.srv, [{ path: join(l.srv, "agent"), what: "the agent's directory" }]));
    expect(e.message).toContain("which a service named agent would own");
    expect(failure(() => assertLayout(l.root, l.protectedPaths)).message).toContain("which a service named srv would own");
  });

  test("the state guard refuses a service directory that is the agent's by symlink or holds it", () => {
    const l = layout();
    const guard = createStateGuard(l.srv, l.protectedPaths);
    guard.assertServiceDir("app");
    guard.assertServiceDir("missing");
    symlinkSync(l.agent, join(l.srv, "evil"));
    expect(failure(() => guard.assertServiceDir("evil")).code).toBe("permission_denied");
    const g2 = createStateGuard(l.root, [{ path: l.agent, what: "the agent's directory" }]);
    expect(failure(() => g2.assertServiceDir("srv")).message).toContain("would reach the agent's directory");
  });
});
