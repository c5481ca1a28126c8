// docs/bootstrap.md, followed (acceptance 4 of issue 8): every fenced block
// marked `<!-- bootstrap:node -->`, `<!-- bootstrap:agent -->` or
// `<!-- bootstrap:workstation -->` runs in order, each in its own bash with
// the doc's variables, until `mcp ps` shows the first service running. So the
// document cannot rot: a changed flag, path or output in it fails here.
//
// Stand-ins, as the document says: the `bootstrap:vars` block is replaced by
// this test's values (a temporary directory, a free port, `as_mcp` = run as
// the current user, so rootful podman when run as root; `scp` = a local copy
// from the node's directory); the agent block runs in the background.
// Unmarked blocks (apt-get, install.sh, systemctl) are not run here.
import { $ } from "bun";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, readFileSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { podmanAvailable } from "../support/image.ts";
import { BINARY, ensureBinary, freePort, ROOT, runMcp, tempDir, waitFor } from "../support/mcp.ts";
import { docBlocks, endProcessTree } from "../support/ops.ts";

const DOC = "docs/bootstrap.md";
const blocks = docBlocks(readFileSync(join(ROOT, DOC), "utf8")).filter((b) => b.marker?.startsWith("bootstrap:"));

async function unavailable(): Promise<string | null> {
  const podman = await podmanAvailable();
  if (!podman.ok) return podman.reason;
  if (!Bun.which("/bin/busybox")) return "/bin/busybox is missing (the example image is built from it; apt-get install busybox-static)";
  return null;
}
const reason = await unavailable();
if (reason) console.warn(`${DOC} walk-through SKIPPED: ${reason}`);

/** The names a vars block defines (`NAME=` and `name()`). */
function definedNames(code: string): string[] {
  return [...code.matchAll(/^([A-Za-z_][A-Za-z0-9_]*)(?:=|\(\))/gm)].map((m) => m[1]!).sort();
}

describe("the document's marked blocks", () => {
  test("one vars block, one agent block, node and workstation blocks, all sh", () => {
    const kinds = blocks.map((b) => b.marker);
    expect(kinds.filter((k) => k === "bootstrap:vars")).toHaveLength(1);
    expect(kinds.filter((k) => k === "bootstrap:agent")).toHaveLength(1);
    expect(kinds).toContain("bootstrap:node");
    expect(kinds).toContain("bootstrap:workstation");
    expect(new Set(kinds)).toEqual(new Set(["bootstrap:vars", "bootstrap:agent", "bootstrap:node", "bootstrap:workstation"]));
    expect(blocks.every((b) => b.info === "sh")).toBe(true);
  });

  test("the vars block defines what this test stands in for", () => {
    const vars = blocks.find((b) => b.marker === "bootstrap:vars")!;
    expect(definedNames(vars.code)).toEqual(["LISTEN", "MCP_HOME", "MCP_SRC", "NODE", "SRV_ROOT", "as_mcp"]);
  });
});

describe.skipIf(reason !== null)(`${DOC}, followed on a temporary directory`, () => {
  const dir = tempDir("mcp-bootstrap-");
  const nodeHome = join(dir, "node");
  const wsHome = join(dir, "workstation");
  const bin = join(dir, "bin");
  const service = /^mcp deploy (\S+)$/m.exec(blocks.map((b) => b.code).join("\n"))?.[1] ?? "";
  let agent: ReturnType<typeof Bun.spawn> | null = null;
  let agentLog = "";
  let vars = "";

  beforeAll(async () => {
    ensureBinary();
    for (const d of [nodeHome, wsHome, bin]) mkdirSync(d, { recursive: true });
    symlinkSync(BINARY, join(bin, "mcp"));
    mkdirSync(join(nodeHome, "srv"), { recursive: true });
    const port = await freePort();
    vars = [
      "NODE=boot",
      `LISTEN=127.0.0.1:${port}`,
      `MCP_HOME=${nodeHome}/srv/mcp`,
      `SRV_ROOT=${nodeHome}/srv`,
      `MCP_SRC=${ROOT}`,
      'as_mcp() { "$@"; }',
      `scp() { local src=\${1#*:}; case $src in /*) ;; *) src=${nodeHome}/$src ;; esac; cp "$src" "$2"; }`,
      "",
    ].join("\n");
    await $`podman rm -f -t 0 ${`${service}-web`}`.nothrow().quiet();
  });

  afterAll(async () => {
    // The agent block runs in bash: the agent is bash's child, ended first.
    if (agent) await endProcessTree(agent);
    await $`podman rm -f -t 0 ${`${service}-web`}`.nothrow().quiet();
  });

  const envFor = (where: "node" | "workstation"): Record<string, string> => {
    const env: Record<string, string> = { ...(process.env as Record<string, string>), PATH: `${bin}:${process.env.PATH}`, NO_COLOR: "1" };
    delete env.XDG_CONFIG_HOME;
    env.HOME = where === "node" ? nodeHome : wsHome;
    return env;
  };

  test("every marked block runs, in order, and the service runs", async () => {
    expect(service).toBe("welcome");
    for (const b of blocks) {
      if (b.marker === "bootstrap:vars") continue;
      const where = b.marker === "bootstrap:workstation" ? "workstation" : "node";
      const script = `set -euo pipefail\n${vars}\n${b.code}`;
      if (b.marker === "bootstrap:agent") {
        const proc = Bun.spawn(["bash", "-c", script], { cwd: nodeHome, env: envFor("node"), stdin: "ignore", stdout: "pipe", stderr: "pipe" });
        agent = proc;
        const decoder = new TextDecoder();
        for (const s of [proc.stdout, proc.stderr]) void (async () => { for await (const c of s) agentLog += decoder.decode(c); })();
        await waitFor(() => agentLog.includes("agent serving") || proc.exitCode !== null, "the agent to serve", 20_000);
        if (proc.exitCode !== null) throw new Error(`${DOC}:${b.line}: the agent exited (${proc.exitCode}):\n${agentLog}`);
        continue;
      }
      const r = Bun.spawnSync(["bash", "-c", script], { cwd: where === "node" ? nodeHome : wsHome, env: envFor(where), stdout: "pipe", stderr: "pipe" });
      if (r.exitCode !== 0) {
        throw new Error(`${DOC}:${b.line} (${b.marker}) failed with exit ${r.exitCode}:\n${r.stdout.toString()}${r.stderr.toString()}\nagent log:\n${agentLog}`);
      }
      if (/^mcp deploy /m.test(b.code)) {
        // The block ends with `mcp ps`: its table shows the service running.
        expect(r.stdout.toString()).toMatch(new RegExp(`^${service}\\s+web\\s+boot\\s+running\\s+v1\\s`, "m"));
      }
    }

    const ps = await runMcp("binary", ["ps", "--json"], { env: { ...envFor("workstation"), XDG_CONFIG_HOME: undefined }, cwd: wsHome });
    expect(ps.code).toBe(0);
    expect(JSON.parse(ps.stdout).components).toEqual([expect.objectContaining({ service, component: "web", node: "boot", state: "running" })]);
    // The CLI's files are where the document says.
    expect(readFileSync(join(wsHome, ".config/mcp/mcp.toml"), "utf8")).toContain('name = "boot"');
    expect(readFileSync(join(wsHome, ".config/mcp/tokens/boot"), "utf8").trim()).toMatch(/^[A-Za-z0-9_-]{40,}$/);
  }, 180_000);
});
