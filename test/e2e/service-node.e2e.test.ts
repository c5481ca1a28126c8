// mcp service edit (with a scripted $EDITOR) and mcp node list / node status
// against a real agent.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { startTestAgent, writeServiceDef, type TestAgent } from "../support/agent.ts";
import { podmanAvailable, TEST_IMAGES } from "../support/image.ts";
import { freePort, mcpArgv, tempDir, waitFor } from "../support/mcp.ts";

const podman = await podmanAvailable();
if (!podman.ok) console.warn(`e2e service/node suite SKIPPED: podman is not available (${podman.reason})`);

describe.skipIf(!podman.ok)("e2e: mcp service edit, node list, node status", () => {
  let agent: TestAgent;
  const dir = tempDir("mcp-edit-");
  const original = `# keep me\nname = "ed"\nnode = "local"\n\n[[components]]\nname = "api"\nimage = "${TEST_IMAGES.v1}"\n`;
  let file: string;
  /** $EDITOR that replaces the file with `text` (cp from a prepared file). */
  const editorWriting = (text: string) => {
    const src = join(dir, `edit-${Math.random().toString(36).slice(2)}.toml`);
    writeFileSync(src, text);
    return { EDITOR: `cp ${src}`, VISUAL: "" };
  };

  beforeAll(async () => {
    agent = await startTestAgent();
    file = writeServiceDef(agent, "ed", original);
  }, 60_000);

  afterAll(async () => {
    await agent?.stop();
  });

  test("edit: a valid edit is saved", async () => {
    const edited = original.replace("v1", "v2");
    const r = await agent.cli(["service", "edit", "ed"], { env: editorWriting(edited) });
    expect(r.stderr).toBe(`saved ${file}\n`);
    expect(r.code).toBe(0);
    expect(readFileSync(file, "utf8")).toBe(edited);
    writeFileSync(file, original);
  });

  test("edit: no change says so; an invalid edit (no terminal to ask) keeps the file and the rejected edit, exit 2", async () => {
    const same = await agent.cli(["service", "edit", "ed"], { env: { EDITOR: "true", VISUAL: "" } });
    expect([same.code, same.stderr]).toEqual([0, `no changes; ${file} is unchanged\n`]);

    const bad = original.replace('image = "', 'imgae = "');
    const r = await agent.cli(["service", "edit", "ed"], { env: editorWriting(bad) });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`^error: ${file}:7: components\\[0\\]`));
    expect(r.stderr).toContain(`error: the edit is not a valid definition; ${file} is unchanged\nhint: your edit is kept in ${file}.rejected\n`);
    expect(readFileSync(file, "utf8")).toBe(original);
    expect(readFileSync(`${file}.rejected`, "utf8")).toBe(bad);
    // No scratch file is left behind.
    expect(existsSync(join(agent.servicesDir, `.ed.edit-${process.pid}.toml`))).toBe(false);

    const renamed = await agent.cli(["service", "edit", "ed"], { env: editorWriting(original.replace('name = "ed"', 'name = "other"')) });
    expect(renamed.code).toBe(2);
    expect(renamed.stderr).toMatch(/name: "other" must match the file name \(ed\)/);
    expect((await agent.cli(["service", "edit", "nope"])).stderr).toMatch(/^error: no definition for service nope in .*\nhint: write one from the registry: mcp service export nope\n$/);
  });

  test.skipIf(!Bun.which("script"))("edit on a terminal: an invalid edit asks `edit again?`; y re-opens the editor, n keeps the rejected edit", async () => {
    // util-linux `script` gives the CLI a pseudo-terminal; the answers are typed into it.
    const count = join(dir, "editor-runs");
    const editor = join(dir, "bad-editor.sh");
    writeFileSync(editor, `echo run >> ${count}\nprintf 'name = "ed"\\nbogus = 1\\n' > "$1"\n`);
    const quote = (a: string) => `'${a.replaceAll("'", "'\\''")}'`;
    const cmd = [...mcpArgv("source"), "service", "edit", "ed", "--config", agent.cliConfig].map(quote).join(" ");
    const proc = Bun.spawn(["script", "-qec", cmd, "/dev/null"], {
      env: { ...process.env, EDITOR: `sh ${editor}`, VISUAL: "", NO_COLOR: "1" }, stdin: "pipe", stdout: "pipe", stderr: "pipe",
    });
    let out = "";
    void (async () => {
      for await (const c of proc.stdout) out += new TextDecoder().decode(c);
    })();
    // Answer each prompt once it is on the terminal (the editor, which shares the terminal, has ended by then).
    const typed = async (answer: string, prompts: number) => {
      await waitFor(() => (out.match(/edit again\? \[Y\/n\]/g) ?? []).length >= prompts, `prompt ${prompts}`, 20_000);
      proc.stdin.write(`${answer}\n`);
      proc.stdin.flush();
    };
    await typed("y", 1);
    await typed("n", 2);
    proc.stdin.end();
    const code = await proc.exited;
    await waitFor(() => out.includes("your edit is kept in"), "the last lines", 5_000);
    expect(code).toBe(2);
    expect(out.match(/edit again\? \[Y\/n\]/g)).toHaveLength(2);
    expect(out).toContain("your edit is kept in");
    expect(readFileSync(count, "utf8")).toBe("run\nrun\n");
    expect(readFileSync(file, "utf8")).toBe(original);
  }, 60_000);

  test("node list and node status: versions, counts, disk, memory; an unreachable node is shown as such (exit 4)", async () => {
    const list = await agent.cli(["node", "list"]);
    expect(list.code).toBe(0);
    // AGENT UPTIME is the agent's own (started for this suite: minutes at most), HOST UPTIME the host's.
    expect(list.stdout).toMatch(/^NAME\s+ADDRESS\s+STATE\s+AGENT\s+PODMAN\s+SVC\/COMP\/RUN\s+AGENT UPTIME\s+HOST UPTIME\nlocal\s+127\.0\.0\.1:\d+\s+up\s+\d+\.\d+\.\d+\s+\d+\.\d+\.\d+\s+0\/0\/0\s+(\d+m)?\d+s\s+\S+\n$/);
    const st = JSON.parse((await agent.cli(["node", "status", "--json"])).stdout).nodes[0];
    expect(st).toMatchObject({ node: "local", reachable: true, services: 0, components: 0, running: 0, srv_root: join(agent.dir, "srv") });
    expect(st.podman_version).toMatch(/^\d+\.\d+/);
    expect(st.disk_total_bytes).toBeGreaterThan(st.disk_free_bytes);
    expect(st.memory_total_bytes).toBeGreaterThan(0);
    expect(st.cpus).toBeGreaterThan(0);
    expect(Date.parse(st.cert_not_after)).toBeGreaterThan(Date.now() + 700 * 86_400_000);

    const cfg = agent.cliConfig;
    const before = readFileSync(cfg, "utf8");
    const dead = await freePort();
    writeFileSync(cfg, `${before}\n[[nodes]]\nname = "dead"\naddress = "127.0.0.1:${dead}"\nca_cert = "${agent.caPath}"\ntoken_path = "${join(agent.dir, "cli/tokens/local")}"\n`);
    try {
      const r = await agent.cli(["node", "status"]);
      expect(r.code).toBe(4);
      expect(r.stdout).toMatch(/^local \(127\.0\.0\.1:\d+\)\n  agent       \S+, up \S+\n  podman      \S+\n  services    0 \(0 components, 0 running\)\n  disk        .+ free of .+ \(\d+% used\)\n/);
      expect(r.stdout).toMatch(new RegExp(`\\n\\ndead \\(127\\.0\\.0\\.1:${dead}\\)\\n  unreachable .*unreachable`));
      const l = await agent.cli(["node", "list"]);
      expect(l.code).toBe(4);
      expect(l.stdout).toMatch(/dead\s+127\.0\.0\.1:\d+\s+unreachable\s+-/);
      const offline = await agent.cli(["node", "list", "--offline"]);
      expect(offline.code).toBe(0);
      expect(offline.stdout).toMatch(/^NAME\s+ADDRESS\s+SERVER NAME\s+CA\n/);
    } finally {
      writeFileSync(cfg, before);
    }
  });
});
