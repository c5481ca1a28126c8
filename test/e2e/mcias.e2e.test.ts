// MCIAS mode end to end: `mcp login` driven through a pseudo-terminal (the
// password is never echoed), the token stored 0600, and an agent in mcias
// mode that validates it against the MCIAS-compatible server, caching the
// answer (issue 7 acceptance 3, and the MCIAS part of SPEC §5.2).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTomlKey, startTestAgent, type TestAgent } from "../support/agent.ts";
import { startMcias, type TestMcias } from "../support/mcias.ts";
import { podmanAvailable } from "../support/image.ts";
import { mcpArgv, waitFor } from "../support/mcp.ts";

const podman = await podmanAvailable();
const skip = !podman.ok ? `podman is not available (${podman.reason})` : !Bun.which("script") ? "script(1) is not installed" : "";
if (skip) console.warn(`e2e MCIAS suite SKIPPED: ${skip}`);

const PASSWORD = "pw-never-echoed-4711";

describe.skipIf(!!skip)("e2e: MCIAS mode", () => {
  let agent: TestAgent;
  let mcias: TestMcias;
  let tokenPath: string;

  beforeAll(async () => {
    mcias = startMcias({ alice: { password: PASSWORD, roles: ["operator"], totp: "123456" }, eve: { password: "x", roles: ["guest"] } });
    agent = await startTestAgent({
      settings: { auth: { mode: `"mcias"` } },
      appendToml: `[mcias]\nserver_url = "${mcias.url}"\nca_cert = "${mcias.caFile}"\ncache_ttl = "1m"`,
    });
    // The CLI: [mcias] for login; the MCIAS token at [auth] token_path serves every node (no per-node token file).
    rmSync(join(agent.dir, "cli", "tokens", "local"), { force: true });
    tokenPath = join(agent.dir, "cli", "mcias-token");
    let cfg = readFileSync(agent.cliConfig, "utf8");
    cfg = setTomlKey(cfg, "auth", "token_path", JSON.stringify(tokenPath));
    cfg += `\n[mcias]\nserver_url = "${mcias.url}"\nservice_name = "mcp"\nca_cert = "${mcias.caFile}"\n`;
    writeFileSync(agent.cliConfig, cfg);
  }, 60_000);

  afterAll(async () => {
    await agent?.stop();
    mcias?.stop();
  });

  test("login on a terminal: username echoed, password and TOTP code never; the token stored 0600", async () => {
    const quote = (a: string) => `'${a.replaceAll("'", "'\\''")}'`;
    const cmd = [...mcpArgv("source"), "login", "--config", agent.cliConfig].map(quote).join(" ");
    const proc = Bun.spawn(["script", "-qec", cmd, "/dev/null"], { env: { ...process.env, NO_COLOR: "1" }, stdin: "pipe", stdout: "pipe", stderr: "pipe" });
    let out = "";
    void (async () => {
      for await (const c of proc.stdout) out += new TextDecoder().decode(c);
    })();
    const answer = async (prompt: string, text: string) => {
      // The CLI shows a secret's prompt only once the terminal is in raw mode: typing after it is never echoed.
      await waitFor(() => out.includes(prompt), `the prompt ${JSON.stringify(prompt)}`, 15_000);
      proc.stdin.write(`${text}\r`);
      proc.stdin.flush();
    };
    await answer("username: ", "alice");
    await answer("password: ", PASSWORD);
    await answer("TOTP code: ", "123456");
    proc.stdin.end();
    expect(await proc.exited).toBe(0);
    await waitFor(() => out.includes("logged in as alice"), "the login to finish", 5_000);
    expect(out).toContain("alice"); // the username is echoed
    expect(out).not.toContain(PASSWORD);
    expect(out).not.toContain("123456");
    expect(existsSync(tokenPath)).toBe(true);
    expect(statSync(tokenPath).mode & 0o777).toBe(0o600);
    expect(readFileSync(tokenPath, "utf8")).toMatch(/^[0-9a-f]{48}\n$/);
  }, 30_000);

  test("the agent validates the MCIAS token (operator may deploy-level calls), caching the answer", async () => {
    const before = mcias.calls.validate;
    const ps = await agent.cli(["ps"]);
    expect(ps.stderr).toBe("");
    expect(ps.code).toBe(0);
    expect((await agent.cli(["list"])).code).toBe(0);
    expect(mcias.calls.validate - before).toBe(1);
    // An operator is not an admin.
    const audit = await agent.cli(["audit"]);
    expect(audit.code).toBe(3);
    expect(audit.stderr).toMatch(/ListAudit needs role admin; token "alice" has operator/);
    expect(agent.logs()).not.toContain(readFileSync(tokenPath, "utf8").trim());
  }, 30_000);

  test("a guest's token is refused; MCIAS down refuses a token it has not seen (fail closed)", async () => {
    writeFileSync(tokenPath, `${mcias.issue("eve")}\n`);
    const guest = await agent.cli(["ps"]);
    expect(guest.code).toBe(3);
    expect(guest.stderr).toMatch(/MCIAS user eve has no mcp role/);
    writeFileSync(tokenPath, `${mcias.issue("alice")}\n`);
    mcias.setDown(true);
    try {
      const down = await agent.cli(["ps"]);
      expect(down.code).not.toBe(0);
      expect(down.stderr).toMatch(/MCIAS could not validate the token|MCIAS .* cannot be reached/);
    } finally {
      mcias.setDown(false);
    }
  }, 30_000);

  test("login without [mcias] in the CLI config says what to do (exit 2)", async () => {
    const cfg = readFileSync(agent.cliConfig, "utf8");
    writeFileSync(agent.cliConfig, cfg.slice(0, cfg.indexOf("\n[mcias]")));
    try {
      const r = await agent.cli(["login"], { stdin: "" });
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/has no \[mcias\] section\nhint: add \[mcias\] server_url/);
    } finally {
      writeFileSync(agent.cliConfig, cfg);
    }
  });
});
