// mcp logs against a real agent and real podman (k8s-file, the default log
// driver) for lines podman stores as partial records (issue 14): a 100 000
// byte line, a line printed in pieces a second apart (with a stderr line
// between the pieces), and a last line without a newline. `mcp logs` must give
// the container's lines byte for byte: with -n counting whole lines, and with
// -f while the pieces arrive. Podman 4.3.1's own `podman logs --tail 1` gives
// "firstno newline at the end" for the third.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { $ } from "bun";
import { startTestAgent, writeServiceDef, type TestAgent } from "../support/agent.ts";
import { ensureTestImages, podmanAvailable, removeContainers, TEST_IMAGES, uniqueName } from "../support/image.ts";
import { mcpArgv, waitFor } from "../support/mcp.ts";
import { AGENT_USER, P } from "../support/shape.ts";

const podman = await podmanAvailable();
if (!podman.ok) console.warn(`e2e logs (partial records) suite SKIPPED: podman is not available (${podman.reason})`);

const LONG = "L".repeat(100_000);

/**
 * Each component prints "boot" and "before", waits for /go (the test
 * makes it with podman exec, once its followers are in place), then prints
 * its case and stays up until SIGTERM.
 */
const GATED = "trap 'exit 0' TERM; echo boot; echo before; while [ ! -e /go ]; do sleep 0.1; done; ";
const STAY = "; sleep 3600 & wait";
const CASES = {
  long: `head -c ${LONG.length} /dev/zero | tr '\\0' L; echo; echo after`,
  pieces: "printf part1; sleep 1; echo oops >&2; printf part2; sleep 1; printf 'part3\\n'; echo after",
  nonl: "echo first; printf 'no newline at the end'",
} as const;
type Component = keyof typeof CASES;

/** The whole log of each component, as `mcp logs -n 0` prints it once the case has run. */
const WHOLE: Record<Component, string[]> = {
  long: ["boot", "before", LONG, "after"],
  pieces: ["boot", "before", "oops", "part1part2part3", "after"],
  nonl: ["boot", "before", "first", "no newline at the end"],
};
const text = (lines: string[]) => lines.map((l) => `${l}\n`).join("");
/** Output as compared: exact, but a run of L shows as its length, so a failure does not print 100 000 bytes. */
const shown = (out: string) => out.replace(/L{1000,}/g, (run) => `<${run.length} L>`);
const components = Object.keys(CASES) as Component[];

describe.skipIf(!podman.ok)("e2e: mcp logs of lines stored as partial records", () => {
  let agent: TestAgent;
  const svc = uniqueName("plogs");

  beforeAll(async () => {
    await ensureTestImages(P);
    agent = await startTestAgent({ user: AGENT_USER });
    const def = [`name = "${svc}"`, `node = "local"`];
    for (const c of components) {
      def.push("", "[[components]]", `name = "${c}"`, `image = "${TEST_IMAGES.v1}"`, `cmd = ${JSON.stringify(["sh", "-c", GATED + CASES[c] + STAY])}`);
    }
    writeServiceDef(agent, svc, `${def.join("\n")}\n`);
    const r = await agent.cli(["deploy", svc]);
    if (r.code !== 0) throw new Error(r.stdout + r.stderr);
    for (const c of components) {
      await waitFor(async () => (await agent.cli(["logs", `${svc}/${c}`, "-n", "0"])).stdout === "boot\nbefore\n", `${c} waiting at the gate`);
    }
  }, 60_000);

  afterAll(async () => {
    await agent?.stop();
    await removeContainers(svc, P);
  }, 30_000);

  /** A running `mcp logs <svc>/<c> -n N -f`: its exit, and its stdout and stderr so far. */
  interface Follower {
    c: Component;
    proc: Bun.Subprocess<"ignore", "pipe", "pipe">;
    out: string;
    err: string;
  }
  const follow = (c: Component, n: number): Follower => {
    const proc = Bun.spawn([...mcpArgv("source"), "logs", `${svc}/${c}`, "-n", String(n), "-f", "--config", agent.cliConfig], { stdout: "pipe", stderr: "pipe" });
    const f: Follower = { c, proc, out: "", err: "" };
    void (async () => {
      const decoder = new TextDecoder();
      for await (const chunk of proc.stdout) f.out += decoder.decode(chunk, { stream: true });
    })();
    void new Response(proc.stderr).text().then((t) => (f.err = t));
    return f;
  };
  /** Waits until f printed exactly `want` and `waiting` agents' podman wait watch its container; a timeout shows what it printed. */
  const printed = async (f: Follower, want: string, waiting: number) => {
    try {
      await waitFor(async () => f.out === want && (await waiters(f.c)) === waiting, `${f.c}'s follower`, 20_000);
    } catch (err) {
      throw new Error(`${(err as Error).message}: it printed ${JSON.stringify(shown(f.out))}, not ${JSON.stringify(shown(want))}`);
    }
  };
  /** How many of the agent's `podman wait` (one per followed log) watch this component's container. */
  const waiters = async (c: Component) =>
    (await $`pgrep -f ${`podman wait ${svc}-${c}$`}`.nothrow().quiet()).stdout.toString().split("\n").filter(Boolean).length;

  test("-f: pieces arriving while following come out as whole lines, and so does a history of partial records; the unfinished last line when the container stops", async () => {
    const followers: Follower[] = [];
    try {
      // -n 1 before the case runs: the history is "before" alone, the rest arrives while following.
      for (const c of components) followers.push(follow(c, 1));
      for (const f of followers) await printed(f, "before\n", 1);
      for (const c of components) await $`${P} exec ${`${svc}-${c}`} touch /go`.quiet();
      const running: Record<Component, string> = {
        long: text(["before", LONG, "after"]),
        pieces: text(["before", "oops", "part1part2part3", "after"]),
        // The unfinished line is held while the container may still finish it.
        nonl: text(["before", "first"]),
      };
      for (const f of followers) await printed(f, running[f.c], 1);

      // -n 3 once the case has run: the history itself holds the partial records.
      const late = components.map((c) => follow(c, 3));
      followers.push(...late);
      const history: Record<Component, string> = {
        long: text(["before", LONG, "after"]),
        pieces: text(["oops", "part1part2part3", "after"]),
        nonl: text(["before", "first"]),
      };
      for (const f of late) await printed(f, history[f.c], 2);

      const stop = await agent.cli(["stop", svc]);
      expect(stop.code).toBe(0);
      expect(await Promise.all(followers.map((f) => f.proc.exited))).toEqual(followers.map(() => 0));
      const ended = (out: string, c: Component) => (c === "nonl" ? `${out}no newline at the end\n` : out);
      expect(followers.map((f) => [f.c, shown(f.out)])).toEqual([
        ...components.map((c) => [c, shown(ended(running[c], c))]),
        ...components.map((c) => [c, shown(ended(history[c], c))]),
      ]);
      expect(followers.map((f) => f.err)).toEqual(followers.map(() => ""));
    } finally {
      for (const f of followers) f.proc.kill();
    }
  }, 60_000);

  test("-n N counts whole lines and prints them byte for byte; -n 0 is the whole log", async () => {
    const cases: [Component, number, string[]][] = [
      ["long", 1, ["after"]],
      ["long", 2, [LONG, "after"]],
      ["pieces", 1, ["after"]],
      ["pieces", 2, ["part1part2part3", "after"]],
      ["pieces", 3, ["oops", "part1part2part3", "after"]],
      ["nonl", 1, ["no newline at the end"]],
      ["nonl", 2, ["first", "no newline at the end"]],
      ...components.map((c): [Component, number, string[]] => [c, 0, WHOLE[c]]),
      ...components.map((c): [Component, number, string[]] => [c, 50, WHOLE[c]]),
    ];
    for (const [c, n, lines] of cases) {
      const r = await agent.cli(["logs", `${svc}/${c}`, "-n", String(n)]);
      expect([c, n, r.code, shown(r.stdout), r.stderr]).toEqual([c, n, 0, shown(text(lines)), ""]);
    }
  }, 30_000);

  test("all components at once: each whole line once, prefixed with its component", async () => {
    const r = await agent.cli(["logs", svc, "-n", "1"]);
    expect(r.code).toBe(0);
    expect(r.stdout.split("\n").filter(Boolean).sort()).toEqual([`${svc}/long   | after`, `${svc}/nonl   | no newline at the end`, `${svc}/pieces | after`]);
  }, 30_000);
});
