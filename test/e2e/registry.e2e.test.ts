// Registry credentials and rollback without a registry, against a real
// registry on loopback (Debian's docker-registry, TLS + htpasswd) and real
// podman: `[[registries]]` becomes a private auth file handed to every pull;
// a rollback takes the old image by digest and never pulls.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { $ } from "bun";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { startTestAgent, writeServiceDef, type TestAgent } from "../support/agent.ts";
import { tempDir } from "../support/mcp.ts";
import { ensureTestImages, podmanAvailable, removeContainers, SLEEP_CMD, uniqueName } from "../support/image.ts";
import { registryAvailable, startRegistry, type TestRegistry } from "../support/registry.ts";

const podman = await podmanAvailable();
const registry = registryAvailable();
const skip = !podman.ok ? `podman is not available (${podman.reason})` : !registry.ok ? registry.reason : "";
if (skip) console.warn(`e2e registry suite SKIPPED: ${skip}`);

describe.skipIf(!!skip)("e2e: registry credentials and rollback without the registry (real registry, real podman)", () => {
  let agent: TestAgent;
  let reg: TestRegistry;
  let passwordFile: string;
  const svc = uniqueName("reg");
  const refs = { v1: "", v2: "" };
  const def = (image: string) =>
    writeServiceDef(agent, svc, `name = "${svc}"\nnode = "local"\n\n[[components]]\nname = "api"\nimage = "${image}"\ncmd = ${JSON.stringify(SLEEP_CMD)}\n`);
  const versionInside = async () => (await $`podman exec ${svc}-api cat /VERSION`.text()).trim();
  const containerId = async () => (await $`podman inspect --format ${"{{.Id}}"} ${svc}-api`.text()).trim();
  const imageExists = async (ref: string) => (await $`podman image exists ${ref}`.nothrow().quiet()).exitCode === 0;

  beforeAll(async () => {
    const local = await ensureTestImages();
    reg = await startRegistry();
    refs.v1 = await reg.push(local.v1, `${svc}/app:v1`);
    refs.v2 = await reg.push(local.v2, `${svc}/app:v2`);
    passwordFile = join(tempDir("mcp-regpw-"), "registry-password");
    writeFileSync(passwordFile, `${reg.password}\n`, { mode: 0o600 });
    agent = await startTestAgent({
      appendToml: [
        "[[registries]]",
        `host = "${reg.host}"`,
        `username = "${reg.username}"`,
        `password_file = "${passwordFile}"`,
        `ca_cert = "${reg.caFile}"`,
      ].join("\n"),
    });
  }, 120_000);

  afterAll(async () => {
    await agent?.stop();
    await reg?.stop();
    await removeContainers(svc);
    for (const ref of Object.values(refs)) if (ref) await $`podman untag ${ref} ${ref}`.nothrow().quiet();
  });

  test("with good credentials the deploy pulls the image from the registry", async () => {
    expect(await imageExists(refs.v1)).toBe(false);
    def(refs.v1);
    const r = await agent.cli(["deploy", svc]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/api\s+ok\s+v1\s+running v1/);
    expect(await imageExists(refs.v1)).toBe(true);
    expect(await versionInside()).toBe("v1");
  }, 60_000);

  test("bad credentials fail the deploy with a clear message; the old container keeps running", async () => {
    const before = await containerId();
    // The password file is read before every pull: no restart needed.
    writeFileSync(passwordFile, "not-the-password\n");
    try {
      def(refs.v2);
      const r = await agent.cli(["deploy", svc]);
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(/api\s+failed\s+v2\s+pull failed: cannot pull .*app:v2: the registry refused access \(unauthorized\)/);
      expect(r.stdout + r.stderr).not.toContain("not-the-password");
      expect(await containerId()).toBe(before);
      expect(await versionInside()).toBe("v1");
      expect(await imageExists(refs.v2)).toBe(false);
    } finally {
      writeFileSync(passwordFile, `${reg.password}\n`);
    }
  }, 60_000);

  test("with the credentials fixed, v2 deploys", async () => {
    def(refs.v2);
    const r = await agent.cli(["deploy", svc]);
    expect(r.code).toBe(0);
    expect(await versionInside()).toBe("v2");
  }, 60_000);

  test("rollback with the registry stopped: v1 runs again by digest, no pull", async () => {
    await reg.stop();
    const r = await agent.cli(["rollback", svc]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/api\s+ok\s+v1\s+running v1 \(rollback to deployment #1\)/);
    expect(await versionInside()).toBe("v1");
    const image = (await $`podman inspect --format ${"{{.ImageName}}"} ${svc}-api`.text()).trim();
    expect(image).toBe(`${reg.host}/${svc}/app@${image.split("@")[1]}`);
    expect(image).toMatch(/@sha256:[0-9a-f]{64}$/);
    // A pull here would have failed (the registry is down) and said so; the fake-runtime tests count zero pulls.

    const list = JSON.parse((await agent.cli(["rollback", "--list", svc, "--json"])).stdout).deployments;
    expect(list.map((d: { id: number; version: string; outcome: string }) => [d.id, d.version, d.outcome])).toEqual([
      [3, "v1", "ok"], [2, "v2", "ok"], [1, "v1", "ok"],
    ]);
    expect(list[0].image_digest).toBe(list[2].image_digest);
    expect(list[0].message).toBe("rollback to deployment #1");
    // The failed pull of v2 changed nothing, so it is not a deployment.
  }, 60_000);
});
