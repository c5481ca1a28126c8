import { describe, expect, test } from "bun:test";
import { assertContainerAllowed, DEFAULT_POLICY } from "../../../src/node/policy/index.ts";

const check = (capAdd: string[], capabilities: string[] = []) => {
  try {
    assertContainerAllowed("app", { name: "web", volumes: [], network: "", capAdd }, { srvRoot: "/srv", policy: { ...DEFAULT_POLICY, capabilities }, protectedPaths: [] });
    return "ok";
  } catch (err) {
    return (err as Error).message;
  }
};

describe("[policy] capabilities (review finding: cap_add was not limited)", () => {
  test("podman's default capabilities may be added back (after cap_drop = [\"ALL\"]), in any spelling", () => {
    expect(check(["NET_BIND_SERVICE", "cap_chown", "Setuid"])).toBe("ok");
  });

  test("anything else is refused by default, naming the component, the field and the capability", () => {
    for (const cap of ["SYS_MODULE", "DAC_READ_SEARCH", "SYS_ADMIN", "NET_RAW", "NET_ADMIN", "ALL", "CAP_SYS_PTRACE"]) {
      expect(check(["CHOWN", cap])).toMatch(/^service app, component web: cap_add\[1\]: the capability [A-Z_]+ /);
    }
  });

  test("the admin may allow more: named capabilities, or ALL", () => {
    expect(check(["NET_ADMIN"], ["net_admin"])).toBe("ok");
    expect(check(["SYS_ADMIN"], ["NET_ADMIN"])).toMatch(/SYS_ADMIN/);
    expect(check(["ALL", "SYS_MODULE"], ["ALL"])).toBe("ok");
  });
});
