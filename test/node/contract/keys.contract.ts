/**
 * The ContainerRuntime contract for the §7.2 keys and secrets (SPEC §7.2,
 * §7.3): registered inside describeRuntimeContract, so it runs against the
 * FakeRuntime and real podman alike. State is checked through the port only.
 */
import { expect, test } from "bun:test";
import { McpError } from "../../../src/lib/errors.ts";
import type { ContainerRuntime } from "../../../src/node/runtime/port.ts";
import type { ContainerSpec } from "../../../src/node/runtime/types.ts";
import { SLEEP_CMD } from "../../support/image.ts";

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    if (err instanceof McpError) return err.code;
    throw err;
  }
  return "resolved";
}

/** Registers the key and secret tests; `get` gives the runtime, an image with a shell and a prefix unique to the run. */
export function registerKeyContract(get: () => { runtime: ContainerRuntime; image: string; prefix: string }): void {
  const bytes = (s: string) => new TextEncoder().encode(s);
  const spec = (name: string, over: Partial<ContainerSpec>): ContainerSpec => ({
    name: `${get().prefix}-${name}`, image: get().image, labels: { "mcp.contract": get().prefix }, network: "", user: "", restart: "",
    ports: [], volumes: [], cmd: SLEEP_CMD, env: [], ...over,
  });

  test("secrets: created from bytes, listed by name (never a value), a taken name is already_exists, removal is idempotent", async () => {
    const rt = get().runtime;
    const name = `${get().prefix}.sec`;
    await rt.createSecret(name, bytes("s3cret-contract-value"), { "mcp.service": "contract" });
    const listed = (await rt.listSecrets()).filter((s) => s.name === name);
    expect(listed.length).toBe(1);
    expect(Object.keys(listed[0]!).sort()).toEqual(["id", "name"]);
    expect(await codeOf(rt.createSecret(name, bytes("other"), {}))).toBe("already_exists");
    expect(await rt.removeSecret(name)).toBe(true);
    expect(await rt.removeSecret(name)).toBe(false);
    expect((await rt.listSecrets()).some((s) => s.name === name)).toBe(false);
  });

  test("secrets: an empty value, a value of 512000 bytes and a name podman refuses fail failed_precondition", async () => {
    const rt = get().runtime;
    expect(await codeOf(rt.createSecret(`${get().prefix}.empty`, new Uint8Array(0), {}))).toBe("failed_precondition");
    expect(await codeOf(rt.createSecret(`${get().prefix}.big`, new Uint8Array(512_000), {}))).toBe("failed_precondition");
    expect(await codeOf(rt.createSecret(`${get().prefix}/bad`, bytes("x"), {}))).toBe("failed_precondition");
  });

  test("run naming a missing secret fails failed_precondition and leaves no container", async () => {
    const s = spec("nosecret", { secrets: [{ name: `${get().prefix}.missing`, env: "X" }] });
    expect(await codeOf(get().runtime.run(s))).toBe("failed_precondition");
    expect(await get().runtime.inspect(s.name)).toBeNull();
  });

  test("every §7.2 key and secret a container is run with comes back from inspect; a secret's env is never in env", async () => {
    const rt = get().runtime;
    const secret = `${get().prefix}.keys`;
    await rt.createSecret(secret, bytes("contract-secret-in-env"), {});
    const keys = {
      entrypoint: ["/bin/sh", "-c"], init: true, stopSignal: "SIGINT", stopTimeoutMs: 30_000, memory: "256m", cpus: 0.5, pidsLimit: 200, readOnly: true,
      tmpfs: ["/run/secrets", "/scratch:size=1m"], capDrop: ["ALL"], capAdd: ["NET_BIND_SERVICE"], hostname: "keys", workdir: "/www",
      devices: ["/dev/null:/dev/mynull"], secrets: [{ name: secret, env: "SECRET_X" }, { name: secret, file: "/run/secrets/x" }],
    };
    const s = spec("keys", { ...keys, cmd: ["trap 'exit 0' TERM; sleep 3600 & wait"], env: ["PLAIN=1"], labels: { "mcp.contract": get().prefix, tier: "gold" } });
    try {
      await rt.run(s);
      const d = (await rt.inspect(s.name))!;
      expect(d.settings).toEqual(keys);
      expect(d.labels.tier).toBe("gold");
      expect(d.env).toContain("PLAIN=1");
      expect(d.env.some((e) => e.startsWith("SECRET_X="))).toBe(false);
      expect(JSON.stringify(d)).not.toContain("contract-secret-in-env");
    } finally {
      await rt.remove(s.name);
      await rt.removeSecret(secret);
    }
  });
}
