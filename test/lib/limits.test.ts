import { describe, expect, test } from "bun:test";
import { parseAgentConfig } from "../../src/config/index.ts";
import { isDuration, MAX_TIMER_MS, parseDuration } from "../../src/lib/duration.ts";
import { isMcpError } from "../../src/lib/errors.ts";
import { decodeUtf8 } from "../../src/lib/text.ts";
import { parseServiceDef } from "../../src/servicedef/index.ts";

// Found by the bad-input runs (issue 9): values that parsed but broke later.
describe("limits on input", () => {
  test("invalid UTF-8 is refused with the file, line and byte", () => {
    const bytes = new Uint8Array([...new TextEncoder().encode('name = "x"\nenv = ["A=hel'), 0xc3, ...new TextEncoder().encode('lo"]\n')]);
    expect(() => decodeUtf8(bytes, "/s/x.toml")).toThrow(/^\/s\/x\.toml:2: invalid UTF-8 \(byte 25\)$/);
    expect(decodeUtf8(new TextEncoder().encode("ünïcode ✓\n"), "f")).toBe("ünïcode ✓\n");
  });

  test("durations: at most ten years anywhere, and at most 24 days for what is waited on with a timer", () => {
    expect(isDuration("3650d")).toBe(true);
    expect(isDuration("3651d")).toBe(false);
    expect(isDuration("99999999999999999999s")).toBe(false);
    expect(() => parseDuration("5000000h", "interval")).toThrow(/interval: "5000000h" is longer than mcp takes/);
    expect(MAX_TIMER_MS).toBeLessThan(2 ** 31 - 1);
    const def = (interval: string) =>
      parseServiceDef(`name = "s"\nnode = "n"\n\n[[components]]\nname = "a"\nimage = "r/a:v1"\n\n[components.health]\ncmd = ["true"]\ninterval = "${interval}"\n`, "s.toml");
    expect(def("24d").def.components[0]!.health!.intervalMs).toBe(MAX_TIMER_MS);
    const err = (() => {
      try {
        def("25d");
      } catch (e) {
        return e;
      }
    })();
    expect(isMcpError(err, "invalid_argument") && /interval.*at most 24d/.test(err.message)).toBe(true);
    const cfg = (key: string, value: string) =>
      `[server]\nlisten = "127.0.0.1:9444"\ntls_cert = "/c"\ntls_key = "/k"\n\n[agent]\nnode_name = "n"\nsrv_root = "/srv"\n${key} = ${value}\n\n[database]\npath = "/d"\n`;
    expect(() => parseAgentConfig(cfg("podman_timeout", '"25d"'), "/a.toml", { home: "/h", env: {} })).toThrow(/podman_timeout.*at most 24d/);
    expect(() => parseAgentConfig(cfg("lock_wait", '"24d"'), "/a.toml", { home: "/h", env: {} })).not.toThrow();
  });
});
