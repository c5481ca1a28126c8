// The attacker of `mcp import compose` (issue 18): a hostile compose file —
// huge, a "billion laughs" of aliases, nested past reason, env_files that
// point outside its directory (/etc/shadow, a symlink out, a FIFO, a huge
// file), absurd values, control characters meant to break the definition or
// the terminal — is refused or bounded with a located error, writes nothing,
// and never puts a value of the operator's files in any output.
import { describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { parseServiceDef } from "../../src/servicedef/index.ts";
import { runMcp, tempDir } from "../support/mcp.ts";

function project(files: Record<string, string>): string {
  const dir = tempDir("mcp-import-attack-");
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, ".."), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

async function imp(dir: string, ...extra: string[]) {
  const r = await runMcp("source", ["import", "compose", join(dir, "compose.yml"), "--service", "shop", "--node", "rift", "--out", join(dir, "shop.toml"), ...extra]);
  return { ...r, written: existsSync(join(dir, "shop.toml")) };
}

const web = (extra: string) => `services:\n  web:\n    image: app:1\n${extra}`;

describe("hostile compose files", () => {
  test("a file over 1 MiB is refused before it is parsed", async () => {
    const dir = project({ "compose.yml": `${web("")}# ${"x".repeat(1024 * 1024)}\n` });
    const r = await imp(dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`the compose file ${join(dir, "compose.yml")} is larger than 1024 KiB; mcp refuses it`);
    expect(r.written).toBe(false);
  });

  test("billion laughs: refused at the alias that overruns the budget, quickly", async () => {
    const names = "abcdefghij";
    const lines = [`  a: &a [${Array(10).fill("\"lol\"").join(",")}]`];
    for (let i = 1; i < 10; i++) lines.push(`  ${names[i]}: &${names[i]} [${Array(10).fill(`*${names[i - 1]}`).join(",")}]`);
    const dir = project({ "compose.yml": `x-lol:\n${lines.join("\n")}\n${web("    labels: *j\n")}` });
    const r = await imp(dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/compose\.yml:\d+:\d+: x-lol\.\S+: the file expands to more than 100000 values/);
    expect(r.written).toBe(false);
  });

  test("nesting past 64 levels is refused with its place", async () => {
    const dir = project({ "compose.yml": web(`    labels: ${"{a: ".repeat(80)}1${"}".repeat(80)}\n`) });
    const r = await imp(dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/compose\.yml:4:\d+: services\.web\.labels(\.a)+: nests deeper than 64 levels/);
    expect(r.written).toBe(false);
  });

  test.each([
    ["an absolute path outside", "/etc/shadow"],
    ["a relative path out", "../../../../../../etc/passwd"],
    ["the directory itself", "."],
  ])("env_file as %s is refused, naming the compose position; nothing of the file is read into output", async (_what, target) => {
    const dir = project({ "compose.yml": web(`    env_file: ${JSON.stringify(target)}\n`) });
    const r = await imp(dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/compose\.yml:4:5: the env_file .* (resolves outside the compose file.s directory|is the compose file.s directory, not a file)/);
    expect(r.stderr).not.toContain("root:");
    expect(r.written).toBe(false);
  });

  test("env_file through a symlink that leaves the directory is refused", async () => {
    const dir = project({ "compose.yml": web("    env_file: innocent.env\n") });
    symlinkSync("/etc/passwd", join(dir, "innocent.env"));
    const r = await imp(dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("compose.yml:4:5: the env_file innocent.env resolves outside the compose file's directory");
    expect(r.stderr).not.toContain("root:");
    expect(r.written).toBe(false);
  });

  test("env_file that is a FIFO is refused at once (no read that waits forever); one over 1 MiB is refused", async () => {
    const dir = project({ "compose.yml": web("    env_file: [pipe.env, big.env]\n"), "big.env": `A=${"x".repeat(1024 * 1024)}\n` });
    execFileSync("mkfifo", [join(dir, "pipe.env")]);
    let r = await imp(dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("compose.yml:4:16: the env_file");
    expect(r.stderr).toContain("pipe.env is not a regular file");
    writeFileSync(join(dir, "compose.yml"), web("    env_file: [big.env]\n"));
    r = await imp(dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("big.env is larger than 1024 KiB");
    expect(r.written).toBe(false);
  });

  test.each([
    ["a memory limit past any machine", "    mem_limit: 99999999999999999999g\n", /services\.web\.mem_limit: .* is too large/],
    ["a negative cpu count", "    cpus: -4\n", /services\.web\.cpus: must be more than 0/],
    ["retries in the trillions", "    healthcheck: {test: [CMD, \"true\"], retries: 1000000000000}\n", /healthcheck\.retries: must be a whole number from 0 to 10000/],
    ["an interval of years", "    healthcheck: {test: [CMD, \"true\"], interval: 100000h}\n", /healthcheck\.interval: .* longer than mcp waits on a timer/],
    ["a stop grace of days", "    stop_grace_period: 100h\n", /refused by mcp's own rules: .*stop_timeout: must be at most 1h/],
    ["a signal that is not one", "    stop_signal: SIGNOPE\n", /refused by mcp's own rules: .*stop_signal: "SIGNOPE" is not a signal name/],
    ["a port past 65535", "    ports: [\"99999:80\"]\n", /not mapped: .*services\.web\.ports\[0\]: "99999:80" host port "99999" is out of range/],
    ["an image with a space", "    image: \"app:1 --privileged\"\n", /services\.web\.image: is not an image reference/],
  ])("absurd values: %s", async (_what, extra, pattern) => {
    const dir = project({ "compose.yml": web(extra).replace("    image: app:1\n    image:", "    image:") });
    const r = await imp(dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(pattern);
    expect(r.written).toBe(false);
  });

  test("a thousand services are refused by the definition's own limit; nothing written", async () => {
    const services = Array.from({ length: 1000 }, (_, i) => `  s${i}: {image: "app:1"}`).join("\n");
    const dir = project({ "compose.yml": `services:\n${services}\n` });
    const r = await imp(dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/refused by mcp's own rules: .*components: must have at most 64 entries/);
    expect(r.written).toBe(false);
  });

  test("an env value with a control character is refused naming the key only, never the value", async () => {
    const dir = project({ "compose.yml": web("    environment:\n      API_TOKEN: \"tok-\\u001b[2Jsecret-1234\"\n") });
    const r = await imp(dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("the value of API_TOKEN contains a control character (U+001B)");
    expect(r.stderr).not.toContain("secret-1234");
    expect(r.written).toBe(false);
  });

  test("keys written to break out of the comment header or the TOML are escaped; the file holds only what the compose file meant", async () => {
    const dir = project({ "compose.yml": `${web("")}secrets:\n  "db\\n[[components]]\\nname = \\"evil\\"\\nimage = \\"x:1\\"": {file: ./pw}\n` });
    const r = await imp(dir, "--force");
    expect(r.code).toBe(0);
    const text = readFileSync(join(dir, "shop.toml"), "utf8");
    expect(text).toContain("#   secrets.db\\n[[components]]\\nname = \"evil\"\\nimage = \"x:1\" (");
    const { def } = parseServiceDef(text, "shop.toml");
    expect(def.components.map((c) => c.name)).toEqual(["web"]);
    expect(r.stderr).not.toMatch(/\n\[\[components\]\]/);
  });

  test("a compose service name crafted as TOML is refused as a component name", async () => {
    const dir = project({ "compose.yml": "services:\n  \"web\\\"]\\nimage = \\\"evil\": {image: app:1}\n" });
    const r = await imp(dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("cannot be a component name");
    expect(r.stderr).not.toMatch(/\nimage = /);
    expect(r.written).toBe(false);
  });
});
