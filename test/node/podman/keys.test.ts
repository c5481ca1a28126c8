// The podman adapter and the §7.2 keys and secrets: each key → its run flag (and nothing for a spec
// without it), secrets by name and target only; inspect read back with podman's defaults left out
// (fixtures captured rootful and rootless by fixtures/capture-keys.ts), secret env values never passed on.
import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { containerKeyArgs, runArgs, secretArgs, secretCreateArgs, secretLsArgs } from "../../../src/node/podman/args.ts";
import { flagValues, formatMemory } from "../../../src/node/podman/_inspect-keys.ts";
import { parseSecretLs } from "../../../src/node/podman/_secrets.ts";
import { parseImageInspect, parseInspect } from "../../../src/node/podman/parse.ts";
import type { ContainerSpec } from "../../../src/node/runtime/index.ts";

const fixture = (name: string) => Bun.file(join(import.meta.dir, "fixtures", name)).text();

const base: ContainerSpec = {
  name: "svc-api", image: "localhost/x:v1", labels: { "mcp.service": "svc" }, network: "", user: "", restart: "", ports: [], volumes: [], cmd: ["serve"], env: [],
};

describe("the §7.2 keys as podman run flags", () => {
  test("a spec without them gives the argv it always gave", () => {
    expect(containerKeyArgs(base)).toEqual([]);
    expect(runArgs(base)).toEqual(["run", "-d", "--name", "svc-api", "--pull", "never", "--label", "mcp.service=svc", "localhost/x:v1", "serve"]);
  });

  test("every key, in one fixed order, before the image", () => {
    const spec: ContainerSpec = {
      ...base, entrypoint: ["/bin/app", "--x y"], init: true, stopSignal: "SIGINT", stopTimeoutMs: 30_000, memory: "256m", cpus: 0.5, pidsLimit: 200,
      readOnly: true, tmpfs: ["/tmp", "/run:size=1m"], capDrop: ["ALL"], capAdd: ["NET_BIND_SERVICE"], hostname: "api", workdir: "/app",
      devices: ["/dev/fuse"], after: ["db"], secrets: [{ name: "mcp.svc.pw", env: "PW" }, { name: "mcp.svc.key", file: "/run/secrets/key" }],
    };
    expect(runArgs(spec)).toEqual([
      "run", "-d", "--name", "svc-api", "--pull", "never", "--label", "mcp.service=svc",
      "--entrypoint", '["/bin/app","--x y"]', "--init", "--stop-signal", "SIGINT", "--stop-timeout", "30", "--memory", "256m", "--cpus", "0.5",
      "--pids-limit", "200", "--read-only", "--tmpfs", "/tmp", "--tmpfs", "/run:size=1m", "--cap-drop", "ALL", "--cap-add", "NET_BIND_SERVICE",
      "--hostname", "api", "--workdir", "/app", "--device", "/dev/fuse",
      "--secret", "mcp.svc.pw,type=env,target=PW", "--secret", "mcp.svc.key,type=mount,target=/run/secrets/key",
      "localhost/x:v1", "serve",
    ]);
  });

  test("entrypoint = [] clears the image's; false booleans are said; a stop timeout of 0 is 0", () => {
    expect(containerKeyArgs({ ...base, entrypoint: [], init: false, readOnly: false, stopTimeoutMs: 0 })).toEqual([
      "--entrypoint", "[]", "--init=false", "--stop-timeout", "0", "--read-only=false",
    ]);
  });

  test("secrets: names and targets only; a create takes the value on stdin (never argv), ls prints JSON lines", () => {
    expect(secretArgs(undefined)).toEqual([]);
    expect(secretCreateArgs("mcp.svc.pw", { "mcp.service": "svc", "mcp.secret": "pw" })).toEqual([
      "secret", "create", "--label", "mcp.secret=pw", "--label", "mcp.service=svc", "mcp.svc.pw", "/proc/self/fd/0",
    ]);
    expect(() => secretCreateArgs("-x", {})).toThrow();
    expect(secretLsArgs()).toEqual(["secret", "ls", "--format", "{{json .}}"]);
    expect(parseSecretLs('{"ID":"abc","Name":"mcp.a.b","Driver":"file","CreatedAt":"2 minutes ago"}\n{"ID":"def","Name":"other"}\n')).toEqual([
      { id: "abc", name: "mcp.a.b" }, { id: "def", name: "other" },
    ]);
    expect(parseSecretLs("")).toEqual([]);
    expect(() => parseSecretLs("json\n")).toThrow("did not print JSON lines");
  });
});

describe("inspect read back (real podman 4.3.1 output)", () => {
  const ALL = {
    entrypoint: ["/bin/sh", "-c"], workdir: "/www", init: true, stopSignal: "SIGINT", stopTimeoutMs: 30_000, memory: "256m", cpus: 0.5, pidsLimit: 200,
    readOnly: true, tmpfs: ["/run/secrets", "/run/x:size=1m,mode=1777"], capDrop: ["ALL"], capAdd: ["NET_BIND_SERVICE"], hostname: "api",
    devices: ["/dev/null:/dev/mynull"], secrets: [{ name: "mcpfixkeys-s", env: "DB_PW" }, { name: "mcpfixkeys-s", file: "/run/secrets/pw" }],
  };

  for (const shape of ["rootful", "rootless"]) {
    test(`${shape}: every key as it was asked, podman's own tmpfs of a read-only root left out`, async () => {
      const d = parseInspect(await fixture(`inspect-keys-${shape}-all.json`))!;
      expect(d.settings).toEqual(ALL);
      expect(d.labels).toEqual({ tier: "gold" });
    });

    test(`${shape}: a plain container has only podman's defaults (nothing set)`, async () => {
      expect(parseInspect(await fixture(`inspect-keys-${shape}-plain.json`))!.settings).toEqual({ entrypoint: [], workdir: "/", stopSignal: "SIGTERM" });
    });

    test(`${shape}: the value of a secret given as env is in podman's Config.Env, never in what the adapter returns`, async () => {
      const text = await fixture(`inspect-keys-${shape}-all.json`);
      expect(text).toContain("not-the-value-in-a-fixture");
      const d = parseInspect(text)!;
      expect(JSON.stringify(d)).not.toContain("not-the-value-in-a-fixture");
      expect(d.env).toEqual(["PATH=/bin"]);
    });
  }

  test("a secret whose use inspect cannot tell (no create command): all env is dropped, the use marked unknown", async () => {
    const raw = JSON.parse(await fixture("inspect-keys-rootless-all.json"));
    delete raw[0].Config.CreateCommand;
    const d = parseInspect(JSON.stringify(raw))!;
    expect(d.env).toEqual([]);
    expect(d.settings!.secrets).toEqual([{ name: "mcpfixkeys-s" }]);
    // Without the create command, what rootless podman does not show is not there.
    expect(d.settings!.memory).toBeUndefined();
    expect(d.settings!.devices).toBeUndefined();
  });

  test("the image's defaults: entrypoint, workdir, stop signal, labels", async () => {
    expect(parseImageInspect(await fixture("image-inspect-keys.json"))!.defaults).toEqual({
      entrypoint: ["/bin/sh", "-c"], workdir: "/www", stopSignal: "SIGQUIT", labels: { team: "core" },
    });
    expect(parseImageInspect(await fixture("image-inspect.json"))!.defaults).toEqual({ entrypoint: [], workdir: "/", stopSignal: "SIGTERM", labels: {} });
  });

  test("flags of a create command stop at the image: the command's own words are not flags", () => {
    const argv = ["podman", "run", "--memory=64m", "--cpus", "2", "img", "stress", "--memory", "1g"];
    expect(flagValues(argv, ["stress", "--memory", "1g"], ["--memory", "-m"])).toEqual(["64m"]);
    expect(flagValues(argv, ["stress", "--memory", "1g"], ["--cpus"])).toEqual(["2"]);
    expect(formatMemory(268435456)).toBe("256m");
    expect(formatMemory(1024 ** 3)).toBe("1g");
    expect(formatMemory(1000)).toBe("1000");
  });
});
