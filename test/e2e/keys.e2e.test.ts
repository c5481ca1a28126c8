// The keys of SPEC §7.2 on real podman, in the production shape (the agent as mcp, rootless podman):
// each key of a definition reaches `podman inspect`; a container made by hand with all of them (and a
// secret) → mcp adopt → mcp service export → removed → mcp deploy gives the same container.
// Rootless podman on a cgroups-v1 host ignores --memory, --cpus and --pids-limit (it says so) and lists
// no --device in HostConfig: there the test reads what the container was asked for (CreateCommand)
// and checks the device inside the container.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { $ } from "bun";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { AGENT_USER, P } from "../support/shape.ts";
import { startTestAgent, writeServiceDef, type TestAgent } from "../support/agent.ts";
import { ensureTestImages, podmanAvailable, removeContainers, TEST_IMAGES, uniqueName } from "../support/image.ts";
import { recordOutput, recordSecret } from "../support/scan.ts";

const podman = await podmanAvailable();
if (!podman.ok) console.warn(`e2e keys suite SKIPPED: podman is not available (${podman.reason})`);

const SCRIPT = "trap 'exit 0' TERM INT; sleep 3600 & wait";
const SECRET = `keys-secret-${crypto.randomUUID()}`;
recordSecret(SECRET);

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Inspect = any;
const inspect = async (name: string): Promise<Inspect> => JSON.parse(await $`${P} container inspect ${name}`.text())[0];

/** What podman made of a container, the parts a definition sets (ids, times and mcp's labels left out). */
async function shape(name: string) {
  const c = await inspect(name);
  const H = c.HostConfig;
  const added = new Set(["container=podman", "TERM=xterm", `HOSTNAME=${c.Config.Hostname}`]);
  return {
    image: c.ImageName, user: c.Config.User, process: [c.Path, ...c.Args], cmd: c.Config.Cmd, entrypoint: c.Config.Entrypoint,
    init: H.Init, stopSignal: c.Config.StopSignal, stopTimeout: c.Config.StopTimeout, readOnly: H.ReadonlyRootfs, tmpfs: H.Tmpfs,
    caps: c.BoundingCaps, hostname: c.Config.Hostname, workdir: c.Config.WorkingDir, memory: H.Memory, nanoCpus: H.NanoCpus, pids: H.PidsLimit,
    devices: H.Devices, secrets: (c.Config.Secrets ?? []).map((s: { Name: string }) => s.Name),
    labels: Object.fromEntries(Object.entries(c.Config.Labels ?? {}).filter(([k]) => !k.startsWith("mcp."))),
    env: (c.Config.Env as string[]).filter((e) => !added.has(e)).sort(),
  };
}

/** Inside the container: the device node, the secret's variable, the user. */
async function inside(name: string): Promise<string> {
  return (await $`${P} exec ${name} sh -c ${'test -c /dev/mynull && echo device; printf "%s\\n" "$PW"; id -u'}`.text()).trim();
}

describe.skipIf(!podman.ok)("e2e: the §7.2 keys on real podman", () => {
  let agent: TestAgent;
  const svc = uniqueName("keys");
  const outputs: string[] = [];
  const cli = async (args: string[], o?: { stdin?: string }) => {
    const r = await agent.cli(args, o);
    outputs.push(r.stdout, r.stderr);
    return r;
  };

  beforeAll(async () => {
    await ensureTestImages(P);
    // /dev/null only: the node's policy names the devices a component may have (SPEC §7.1).
    agent = await startTestAgent({ user: AGENT_USER, settings: { policy: { devices: '["/dev/null"]' } } });
  }, 120_000);

  afterAll(async () => {
    recordOutput("keys-cli", outputs.join("\n"));
    await agent?.stop();
    await removeContainers(svc, P);
    await $`${P} secret rm mcp.${svc}.pw`.nothrow().quiet();
  });

  test("each key of a definition reaches podman inspect", async () => {
    writeServiceDef(agent, svc, `name = "${svc}"
node = "local"

[[components]]
name = "api"
image = "${TEST_IMAGES.v1}"
user = "1000:1000"
entrypoint = ["/bin/sh", "-c"]
cmd = [${JSON.stringify(SCRIPT)}]
init = true
stop_signal = "SIGINT"
stop_timeout = "30s"
memory = "256m"
cpus = 0.5
pids_limit = 200
read_only = true
tmpfs = ["/tmp", "/scratch:size=1m,mode=1777"]
cap_drop = ["ALL"]
cap_add = ["NET_BIND_SERVICE"]
hostname = "api"
workdir = "/www"
devices = ["/dev/null:/dev/mynull"]

[components.labels]
tier = "gold"
`);
    const d = await cli(["deploy", svc]);
    expect(d.stdout + d.stderr).toMatch(/\bok\b/);
    expect(d.code).toBe(0);
    const c = await inspect(`${svc}-api`);
    expect([c.Path, ...c.Args]).toEqual(["/run/podman-init", "--", "/bin/sh", "-c", SCRIPT]);
    expect(c.HostConfig.Init).toBe(true);
    expect(c.Config.StopSignal).toBe(2);
    expect(c.Config.StopTimeout).toBe(30);
    expect(c.HostConfig.ReadonlyRootfs).toBe(true);
    expect(Object.keys(c.HostConfig.Tmpfs)).toEqual(expect.arrayContaining(["/tmp", "/scratch"]));
    expect(c.HostConfig.Tmpfs["/scratch"]).toStartWith("size=1m,mode=1777");
    expect(c.BoundingCaps).toEqual(["CAP_NET_BIND_SERVICE"]);
    expect(c.Config.Hostname).toBe("api");
    expect(c.Config.WorkingDir).toBe("/www");
    expect(c.Config.Labels.tier).toBe("gold");
    expect(c.Config.User).toBe("1000:1000");
    // Resource limits and devices: in HostConfig where podman applies them, else as asked (rootless on cgroups v1).
    const asked = c.Config.CreateCommand as string[];
    const applied = c.HostConfig.Memory !== 0;
    if (applied) {
      expect([c.HostConfig.Memory, c.HostConfig.NanoCpus, c.HostConfig.PidsLimit]).toEqual([268435456, 500000000, 200]);
    } else {
      expect(asked.join(" ")).toContain("--memory 256m --cpus 0.5 --pids-limit 200");
    }
    expect(asked.join(" ")).toContain("--device /dev/null:/dev/mynull");
    expect(await inside(`${svc}-api`)).toBe("device\n\n1000");
  }, 120_000);

  test("a container made by hand with every key and a secret → adopt → export → removed → deploy: the same container", async () => {
    const name = `${svc}-api`;
    await removeContainers(svc, P);
    const set = await cli(["secret", "set", svc, "pw"], { stdin: `${SECRET}\n` });
    expect(set.code).toBe(0);
    await $`${P} run -d --name ${name} --user 1000:1000 --entrypoint ${'["/bin/sh","-c"]'} --init --stop-signal SIGINT --stop-timeout 30 --memory 256m --cpus 0.5 --pids-limit 200 --read-only --tmpfs /tmp --tmpfs /scratch:size=1m,mode=1777 --cap-drop ALL --cap-add NET_BIND_SERVICE --hostname api --workdir /www --label tier=gold --device /dev/null:/dev/mynull --secret ${`mcp.${svc}.pw,type=env,target=PW`} -e MODE=hand ${TEST_IMAGES.v1} ${SCRIPT}`.quiet();
    const before = await shape(name);
    expect(await inside(name)).toBe(`device\n${SECRET}\n1000`);

    const adopted = await cli(["adopt", svc]);
    expect(adopted.code).toBe(0);
    const exported = await cli(["service", "export", svc, "--force"]);
    expect(exported.code).toBe(0);
    const text = readFileSync(join(agent.servicesDir, `${svc}.toml`), "utf8");
    for (const line of [
      'entrypoint = ["/bin/sh", "-c"]', "init = true", 'stop_signal = "SIGINT"', 'stop_timeout = "30s"', 'memory = "256m"', "cpus = 0.5", "pids_limit = 200",
      "read_only = true", 'tmpfs = ["/scratch:size=1m,mode=1777"]', 'cap_drop = ["ALL"]', 'cap_add = ["NET_BIND_SERVICE"]', 'hostname = "api"',
      'devices = ["/dev/null:/dev/mynull"]', '[components.labels]\ntier = "gold"', '[[components.secrets]]\nname = "pw"\nenv = "PW"', 'env = ["MODE=hand"]',
    ]) expect(text).toContain(line);
    // The workdir is the container's own (the image has none), so it is kept too.
    expect(text).toContain('workdir = "/www"');
    // No value is written anywhere: the secret by name, its variable left out of env.
    expect(text).not.toContain(SECRET);
    expect((await cli(["service", "show", svc])).stdout).toBe(text.split("\n").slice(1).join("\n"));

    await removeContainers(svc, P);
    const deployed = await cli(["deploy", svc]);
    expect(deployed.code).toBe(0);
    expect(await shape(name)).toEqual(before);
    expect(await inside(name)).toBe(`device\n${SECRET}\n1000`);
    const diff = await cli(["diff", svc]);
    expect(diff.stdout).toBe(`${svc} on local: no differences\n`);
    for (const o of outputs) expect(o).not.toContain(SECRET);
  }, 180_000);
});
