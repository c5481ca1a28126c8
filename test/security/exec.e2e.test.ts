// Exec's attackers against a real agent in the production shape (the mcp
// user, rootless podman) and the CLI as a process: a CLI killed or
// interrupted mid-exec leaves nothing running (in the container or on the
// node), floods of stdin into a command that does not read and of output to
// a reader that does not read keep the agent's memory bounded, and a killed
// or stopped agent leaves no exec behind.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { $, type Subprocess } from "bun";
import { readFileSync } from "node:fs";
import { startTestAgent, writeServiceDef, type TestAgent } from "../support/agent.ts";
import { ensureTestImages, podmanAvailable, removeContainers, SLEEP_CMD, TEST_IMAGES, uniqueName } from "../support/image.ts";
import { mcpArgv, waitFor } from "../support/mcp.ts";
import { AGENT_USER, P } from "../support/shape.ts";

const podman = await podmanAvailable();
if (!podman.ok) console.warn(`exec attackers (e2e) SKIPPED: podman is not available (${podman.reason})`);

describe.skipIf(!podman.ok)("exec's attackers, for real", () => {
  let agent: TestAgent;
  const svc = uniqueName("exa");
  const ctr = `${svc}-api`;

  beforeAll(async () => {
    await ensureTestImages(P);
    agent = await startTestAgent({ user: AGENT_USER });
    writeServiceDef(agent, svc, `name = "${svc}"\nnode = "local"\n\n[[components]]\nname = "api"\nimage = "${TEST_IMAGES.v1}"\nuser = "1000:1000"\ncmd = ${JSON.stringify(SLEEP_CMD)}\n`);
    const r = await agent.cli(["deploy", svc]);
    if (r.code !== 0) throw new Error(r.stdout + r.stderr);
  }, 90_000);

  afterAll(async () => {
    await agent?.stop();
    await removeContainers(svc, P);
  });

  /** The CLI as a process: `mcp exec --config … <args>`. */
  const spawnExec = (args: string[], o: { stdin?: ReadableStream<Uint8Array> | "ignore"; terminal?: boolean } = {}) =>
    o.terminal
      ? Bun.spawn([...mcpArgv("source"), "exec", "--config", agent.cliConfig, ...args], { terminal: { cols: 80, rows: 24, data() {} } })
      // lazy: nothing reads the CLI's stdout until a test asks (a reader that does not read, when it never does).
      : Bun.spawn([...mcpArgv("source"), "exec", "--config", agent.cliConfig, ...args], { stdin: o.stdin ?? "ignore", stdout: "pipe", stderr: "pipe", lazy: true });
  /** What runs in the container (busybox ps). */
  const inContainer = async () => (await $`${P} exec ${ctr} ps -o args`.quiet()).stdout.toString();
  /** Host processes of exec sessions of this container: podman exec, and the subreaper around it. */
  const onHost = async () => (await $`ps -eo args`.quiet()).stdout.toString().split("\n").filter((l) => l.includes(`exec`) && l.includes(ctr) && !l.includes(" ps -o args"));
  const agentPid = async () => Number((await $`pgrep -f ${`agent --config ${agent.agentConfig}`}`.quiet()).stdout.toString().trim().split("\n")[0]);
  const rssMiB = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))![1]) / 1024;
  const nothingLeft = async (marker: RegExp, what: string) => {
    try {
      await waitFor(async () => !marker.test(await inContainer()), `${what}: nothing of it in the container`);
      await waitFor(async () => (await onHost()).length === 0, `${what}: no podman exec of it on the node`);
    } catch (err) {
      throw new Error(`${(err as Error).message}\ncontainer: ${await inContainer()}\nhost: ${(await onHost()).join("\n")}\nagent: ${agent.logs().slice(-3000)}`);
    }
  };

  test("a CLI killed (SIGKILL) mid-exec leaves nothing running: not its command nor their children, not podman exec", async () => {
    for (const terminal of [false, true]) {
      const n = terminal ? 61 : 51;
      const cli = spawnExec([...(terminal ? ["-it"] : []), svc, "--", "sh", "-c", `sleep 13${n} & sleep 13${n + 1}`], { terminal });
      await waitFor(async () => (await inContainer()).match(new RegExp(`sleep 13(${n}|${n + 1})`, "g"))?.length === 2, "both sleeps");
      cli.kill("SIGKILL");
      await cli.exited;
      await nothingLeft(new RegExp(`sleep 13(${n}|${n + 1})`), terminal ? "-it" : "plain");
    }
  }, 90_000);

  test("Ctrl-C (SIGINT) of a CLI without -t cancels: status 130, the command is killed", async () => {
    const cli = spawnExec([svc, "--", "sleep", "1371"]);
    await waitFor(async () => (await inContainer()).includes("sleep 1371"), "sleep");
    cli.kill("SIGINT");
    expect(await cli.exited).toBe(130);
    await nothingLeft(/sleep 1371/, "interrupted");
  }, 60_000);

  test("a stdin flood into a command that does not read: backpressure holds the CLI; the agent's memory stays bounded", async () => {
    const pid = await agentPid();
    const before = rssMiB(pid);
    let pulled = 0;
    const chunk = new Uint8Array(1 << 20).fill(120);
    const source = new ReadableStream<Uint8Array>({
      pull(c) {
        pulled += chunk.length;
        c.enqueue(chunk);
      },
    }, { highWaterMark: 0 });
    const cli = spawnExec(["-i", svc, "--", "sleep", "1381"], { stdin: source });
    let last = -1;
    // Stalled: something flowed, and nothing more between two polls.
    await waitFor(() => {
      const stalled = pulled >= 8 << 20 && pulled === last;
      last = pulled;
      return stalled;
    }, "the flood to stall", 60_000);
    const grew = rssMiB(pid) - before;
    console.log(`stdin flood: ${pulled >> 20} MiB taken before it stalled; agent RSS ${before.toFixed(0)} → +${grew.toFixed(0)} MiB`);
    expect(pulled).toBeLessThan(96 << 20);
    expect(grew).toBeLessThan(100);
    cli.kill("SIGKILL");
    await nothingLeft(/sleep 1381/, "flood");
  }, 120_000);

  test("an output flood to a reader that does not read (plain and -t): the agent's memory stays bounded", async () => {
    const pid = await agentPid();
    for (const tty of [false, true]) {
      const before = rssMiB(pid);
      // stdout is a pipe this test never reads: the CLI blocks writing it.
      const cli = spawnExec([...(tty ? ["-t"] : []), svc, "--", "cat", "/dev/zero"]) as Subprocess<"ignore", "pipe", "pipe">;
      await waitFor(async () => (await inContainer()).includes("cat /dev/zero"), "cat to run");
      let last = -1;
      await waitFor(() => {
        const rss = rssMiB(pid);
        const flat = Math.abs(rss - last) < 1;
        last = rss;
        return flat;
      }, "the agent's memory to settle", 60_000);
      const grew = rssMiB(pid) - before;
      console.log(`output flood (${tty ? "-t" : "plain"}): agent RSS ${before.toFixed(0)} → +${grew.toFixed(0)} MiB`);
      // In flight: the HTTP/2 window (16 MiB), a few chunks, and garbage not yet collected (seen +8 to +76 MiB);
      // without backpressure it would grow by the stream's rate, ≈ 58 MB/s here, and never settle.
      expect(grew).toBeLessThan(128);
      cli.kill("SIGKILL");
      await nothingLeft(/cat \/dev\/zero/, "output flood");
    }
  }, 180_000);

  test("an agent killed (SIGKILL) mid-exec: its next start ends the orphaned command", async () => {
    const cli = spawnExec([svc, "--", "sleep", "1391"]);
    await waitFor(async () => (await inContainer()).includes("sleep 1391"), "sleep");
    agent.signal("SIGKILL");
    await cli.exited;
    expect(await inContainer()).toContain("sleep 1391");
    await agent.restart();
    await nothingLeft(/sleep 1391/, "orphan");
    expect(agent.logs()).toContain("ending an exec a previous agent left running");
  }, 90_000);

  test("an agent stopped (SIGTERM) mid-exec tells the CLI at once and kills the command", async () => {
    const cli = spawnExec([svc, "--", "sleep", "1392"]);
    await waitFor(async () => (await inContainer()).includes("sleep 1392"), "sleep");
    const stopped = agent.restart();
    expect(await cli.exited).toBe(4);
    expect(await new Response(cli.stderr).text()).toMatch(/agent on node local is stopping/);
    await stopped;
    await nothingLeft(/sleep 1392/, "stopped agent");
  }, 90_000);
});
