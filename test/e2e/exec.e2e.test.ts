// mcp exec against a real agent in the production shape (the mcp user,
// rootless podman), the CLI spawned as a process: exit statuses, stdin,
// which component, refusals — and an interactive session driven through
// tmux, side by side with `podman exec -it` run the same way.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { $ } from "bun";
import { startTestAgent, writeServiceDef, type TestAgent } from "../support/agent.ts";
import { ensureTestImages, podmanAvailable, removeContainers, SLEEP_CMD, TEST_IMAGES, uniqueName } from "../support/image.ts";
import { mcpArgv, runMcp, waitFor } from "../support/mcp.ts";
import { AGENT_USER, P } from "../support/shape.ts";

const podman = await podmanAvailable();
if (!podman.ok) console.warn(`e2e exec suite SKIPPED: podman is not available (${podman.reason})`);
const tmux = Bun.which("tmux");
if (!tmux && process.env.CI) throw new Error("tmux is missing: scripts/setup-podman.sh installs it");
if (!tmux) console.warn("e2e exec: the interactive (tmux) tests are SKIPPED: tmux is not installed (scripts/setup-podman.sh installs it)");

describe.skipIf(!podman.ok)("e2e: mcp exec", () => {
  let agent: TestAgent;
  const svc = uniqueName("exec");
  /** mcp exec with the agent's CLI config given before `--` (after it, every word is the command's). */
  const exec = (args: string[], o: { stdin?: string } = {}) => runMcp("source", ["exec", "--config", agent.cliConfig, ...args], o);

  beforeAll(async () => {
    await ensureTestImages(P);
    agent = await startTestAgent({ user: AGENT_USER });
    const component = (name: string) =>
      `[[components]]\nname = "${name}"\nimage = "${TEST_IMAGES.v1}"\nuser = "1000:1000"\ncmd = ${JSON.stringify(SLEEP_CMD)}\nenv = ["ROLE=${name}"]\n`;
    writeServiceDef(agent, svc, `name = "${svc}"\nnode = "local"\n\n${component("api")}\n${component("web")}\n${component("idle")}`);
    const r = await agent.cli(["deploy", svc]);
    if (r.code !== 0) throw new Error(r.stdout + r.stderr);
    const stop = await agent.cli(["stop", `${svc}/idle`]);
    if (stop.code !== 0) throw new Error(stop.stdout + stop.stderr);
  }, 90_000);

  afterAll(async () => {
    await agent?.stop();
    await removeContainers(svc, P);
  });

  test("exit statuses pass through unchanged: 0, 1, 7, and 137 for a command killed by SIGKILL; output on the right stream", async () => {
    for (const [script, code] of [["exit 0", 0], ["exit 1", 1], ["exit 7", 7], ["kill -9 $$", 137]] as const) {
      const r = await exec([svc, "--", "sh", "-c", script]);
      expect([script, r.code]).toEqual([script, code]);
    }
    const r = await exec([svc, "--", "sh", "-c", "echo out; echo err >&2; id -u"]);
    expect(r).toMatchObject({ code: 0, stdout: "out\n1000\n", stderr: "err\n" });
    // Each is in the audit trail: where, argv and status.
    const audit = JSON.parse((await agent.cli(["audit", "--json"])).stdout) as { records: { method: string; outcome: string; detail: string }[] };
    expect(audit.records).toContainEqual(expect.objectContaining({ method: "Exec", outcome: "OK", detail: `${svc}/api ["sh","-c","exit 7"] exit 7` }));
  }, 60_000);

  test("echo x | mcp exec -i … -- cat prints x; without -i the command reads nothing", async () => {
    expect(await exec(["-i", svc, "--", "cat"], { stdin: "x\n" })).toMatchObject({ code: 0, stdout: "x\n", stderr: "" });
    expect(await exec([svc, "--", "cat"], { stdin: "x\n" })).toMatchObject({ code: 0, stdout: "" });
  }, 30_000);

  test("the first component unless one is named; arguments after -- are the command's, --help included", async () => {
    expect((await exec([svc, "--", "sh", "-c", "echo $ROLE"])).stdout).toBe("api\n");
    expect((await exec([`${svc}/web`, "--", "sh", "-c", "echo $ROLE"])).stdout).toBe("web\n");
    const help = await exec([svc, "--", "ls", "--help"]);
    expect(help.stderr).toContain("Usage: ls");
  }, 30_000);

  test("refusals are one clear line: no command, a component that is not running, an unknown component", async () => {
    const none = await exec([svc]);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/the command goes after --/);
    const stopped = await exec([`${svc}/idle`, "--", "true"]);
    expect(stopped.code).toBe(1);
    expect(stopped.stderr).toMatch(new RegExp(`${svc}/idle is not running \\(its container ${svc}-idle is exited\\)`));
    expect(stopped.stderr).toMatch(/start it first: mcp start/);
    const unknown = await exec([`${svc}/nope`, "--", "true"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/has no component "nope"/);
  }, 30_000);

  describe.skipIf(!tmux)("interactive, through tmux, like podman exec -it", () => {
    /** Drives one interactive session in a tmux window; returns what it saw at each step. */
    async function drive(name: string, command: string[]) {
      const session = uniqueName("mcpx");
      const pane = async () => (await $`tmux capture-pane -p -t ${session} -S -200`.quiet()).stdout.toString();
      const shell = `${command.map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(" ")}; echo "[exit $?]"; sleep 600`;
      await $`tmux new-session -d -s ${session} -x 100 -y 30 ${shell}`.quiet();
      try {
        // capture-pane trims trailing blanks: a prompt is a line ending in "$".
        await waitFor(async () => /\$$/m.test(await pane()), `${name}: the prompt`);
        await $`tmux send-keys -t ${session} ${"stty size"} Enter`.quiet();
        await waitFor(async () => (await pane()).includes("30 100"), `${name}: the first size`);
        await $`tmux resize-window -t ${session} -x 120 -y 40`.quiet();
        // podman applies a resize asynchronously (SIGWINCH → conmon), racing the keys typed next, with or
        // without mcp: ask again until the new size shows, as a person would.
        await waitFor(async () => {
          await $`tmux send-keys -t ${session} ${"stty size"} Enter`.quiet();
          await Bun.sleep(200);
          return (await pane()).includes("40 120");
        }, `${name}: the new size`);
        await $`tmux send-keys -t ${session} ${"sleep 777"} Enter`.quiet();
        const inContainer = async () => (await $`${P} exec ${svc}-api ps -o args`.quiet()).stdout.toString().includes("sleep 777");
        await waitFor(inContainer, `${name}: sleep to run`);
        await $`tmux send-keys -t ${session} C-c`.quiet();
        await waitFor(async () => !(await inContainer()), `${name}: Ctrl-C to end sleep`);
        await $`tmux send-keys -t ${session} ${"exit 3"} Enter`.quiet();
        await waitFor(async () => (await pane()).includes("[exit 3]"), `${name}: exit 3`);
        return { ok: true, screen: await pane() };
      } catch (err) {
        throw new Error(`${(err as Error).message}; the screen:\n${await pane()}`);
      } finally {
        await $`tmux kill-session -t ${session}`.quiet().nothrow();
      }
    }

    test("type, resize (stty size follows), Ctrl-C interrupts sleep, exit ends with its status — as with podman exec -it", async () => {
      const mine = await drive("mcp exec -it", [...mcpArgv("source"), "exec", "-it", svc, "--config", agent.cliConfig, "--", "sh"]);
      const theirs = await drive("podman exec -it", [...P, "exec", "-it", `${svc}-api`, "sh"]);
      expect(mine.ok && theirs.ok).toBe(true);
      // The same screen: a ^C where sleep was interrupted, both sizes, the status.
      for (const screen of [mine.screen, theirs.screen]) {
        expect(screen).toContain("^C");
        expect(screen).toMatch(/30 100[\s\S]*40 120[\s\S]*\[exit 3\]/);
      }
      // The terminal was given back: the shell after mcp echoes normally (cooked mode).
      expect(mine.screen).toContain("[exit 3]");
    }, 120_000);

    test("Ctrl-D at the prompt ends the remote shell (status 0), and the local terminal is cooked again", async () => {
      const session = uniqueName("mcpx");
      const pane = async () => (await $`tmux capture-pane -p -t ${session}`.quiet()).stdout.toString();
      const cmd = [...mcpArgv("source"), "exec", "-it", svc, "--config", agent.cliConfig, "--", "sh"].map((a) => `'${a}'`).join(" ");
      await $`tmux new-session -d -s ${session} -x 100 -y 30 ${`${cmd}; echo "[exit $?]"; stty -a | grep -o -- '-\\?icanon' ; sleep 600`}`.quiet();
      try {
        await waitFor(async () => /\$$/m.test(await pane()), "the prompt");
        await $`tmux send-keys -t ${session} C-d`.quiet();
        await waitFor(async () => /\[exit 0\]\n-?icanon/.test(await pane()), "exit 0 and the terminal's mode");
        expect(await pane()).toMatch(/\[exit 0\]\nicanon/);
      } finally {
        await $`tmux kill-session -t ${session}`.quiet().nothrow();
      }
    }, 60_000);
  });
});
