// `devices` of a component against `[policy] devices` (SPEC §7.1, §7.2): only listed host devices,
// compared where they lead, refused with the policy key.
import { describe, expect, test } from "bun:test";
import { rmSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { isMcpError, type McpError } from "../../../src/lib/errors.ts";
import { assertContainerAllowed, DEFAULT_POLICY, pinDevices } from "../../../src/node/policy/index.ts";
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

const srv = tempDir("mcp-devices-");
const check = (devices: string[], allowed: string[]) =>
  assertContainerAllowed("app", { name: "web", volumes: [], network: "", devices }, { srvRoot: srv, policy: { ...DEFAULT_POLICY, devices: allowed }, protectedPaths: [] });

describe("[policy] devices", () => {
  test("by default no device is allowed", () => {
    const e = failure(() => check(["/dev/fuse"], []));
    expect(e.code).toBe("permission_denied");
    expect(e.message).toBe("service app, component web: devices[0]: the host device /dev/fuse is not allowed by the node's policy");
    expect(e.hint).toBe("no device is allowed on this node (an admin can allow it: [policy] devices in the agent config)");
  });

  test("a listed device is allowed, whatever the path inside and the permissions; others are not", () => {
    expect(() => check(["/dev/fuse", "/dev/fuse:/dev/f:rw", "/dev/fuse:r"], ["/dev/fuse"])).not.toThrow();
    const e = failure(() => check(["/dev/fuse", "/dev/null"], ["/dev/fuse"]));
    expect(e.message).toBe("service app, component web: devices[1]: the host device /dev/null is not allowed by the node's policy");
    expect(e.hint).toContain("allowed devices: /dev/fuse");
  });

  test("a symlink to a device is judged by the device it leads to", () => {
    const link = join(srv, "null-link");
    symlinkSync("/dev/null", link);
    // (A definition names /dev/… only; a symlink the admin lists allows what it points to.)
    expect(() => check(["/dev/null"], [link])).not.toThrow();
  });

  test("a malformed device is invalid_argument (the agent checks what the CLI sent)", () => {
    expect(failure(() => check(["/etc/shadow"], ["/etc/shadow"])).code).toBe("invalid_argument");
  });

  test.skipIf(process.getuid?.() !== 0)("podman gets a device where it resolved when judged, at the path the definition gave inside (a symlink re-pointed after the check hands over nothing else)", () => {
    const link = `/dev/mcp-test-${process.pid}`; // a definition names devices under /dev only
    symlinkSync("/dev/null", link);
    try {
      expect(pinDevices([link, `${link}:/dev/x:rw`, "/dev/fuse", "/dev/fuse:/dev/f"])).toEqual([`/dev/null:${link}`, "/dev/null:/dev/x:rw", "/dev/fuse", "/dev/fuse:/dev/f"]);
    } finally {
      rmSync(link);
    }
  });
});
