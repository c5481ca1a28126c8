// `mcp import compose` as a process (issue 18, acceptance 3): bad input gets a
// located error (file:line:col), exit status 2 and writes nothing; what cannot
// be mapped is listed and stops the write unless --force, which puts the list
// at the top of the file; an existing definition is never overwritten.
import { describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseServiceDef } from "../../src/servicedef/index.ts";
import { runMcp, tempDir } from "../support/mcp.ts";

/** A compose file (and other files) in a fresh directory; returns the directory. */
function project(files: Record<string, string>): string {
  const dir = tempDir("mcp-import-");
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, ".."), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

const importArgs = (dir: string, ...extra: string[]) => ["import", "compose", join(dir, "compose.yml"), "--service", "shop", "--node", "rift", "--out", join(dir, "shop.toml"), ...extra];

describe("mcp import compose (the process)", () => {
  test.each([
    ["a YAML error", "services:\n  web:\n    image: [oops\n", /compose\.yml:4:1: /],
    ["an unknown top-level key", "services:\n  web: {image: a:1}\nservicez: {}\n", /compose\.yml:3:1: servicez: is not a top-level key/],
    ["a service without image", "services:\n  web:\n    command: [x]\n", /compose\.yml:2:3: services\.web: has no image/],
    ["a build section", "services:\n  web:\n    image: a:1\n    build:\n      context: .\n", /compose\.yml:4:5: services\.web\.build: build sections are not imported/],
  ])("%s: a located error, exit 2, nothing written", async (_what, yaml, pattern) => {
    const dir = project({ "compose.yml": yaml });
    const r = await runMcp("source", importArgs(dir));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(pattern);
    expect(r.stderr).toMatch(/\nhint: /);
    expect(r.stdout).toBe("");
    expect(existsSync(join(dir, "shop.toml"))).toBe(false);
  });

  test("what cannot be mapped is listed with its compose path; nothing is written without --force", async () => {
    const dir = project({ "compose.yml": "services:\n  web:\n    image: nginx:1.25\n    privileged: true\n    environment: [FROM_SHELL]\n" });
    const r = await runMcp("source", importArgs(dir));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("warning: not mapped: ");
    expect(r.stderr).toContain("compose.yml:4:5: services.web.privileged: mcp never runs privileged containers");
    expect(r.stderr).toContain("compose.yml:5:19: services.web.environment[0]: FROM_SHELL takes its value from the shell");
    expect(r.stderr).toContain("error: 2 item(s) of ");
    expect(r.stderr).toContain("nothing was written");
    expect(existsSync(join(dir, "shop.toml"))).toBe(false);
  });

  test("--force writes the definition with the list as a comment at its top; the file reads back", async () => {
    const dir = project({ "compose.yml": "services:\n  web:\n    image: nginx:1.25\n    privileged: true\n    ports: [\"127.0.0.1:8080:80\"]\n" });
    const r = await runMcp("source", importArgs(dir, "--force"));
    expect(r.code).toBe(0);
    const text = readFileSync(join(dir, "shop.toml"), "utf8");
    expect(text.split("\n").slice(0, 4)).toEqual([
      `# imported by mcp import compose from ${join(dir, "compose.yml")}`,
      "#",
      "# NOT carried over (written with --force; each needs a decision):",
      `#   services.web.privileged (${join(dir, "compose.yml")}:4:5): mcp never runs privileged containers`,
    ]);
    const { def } = parseServiceDef(text, "shop.toml", { expectName: "shop" });
    expect(def.components).toEqual([expect.objectContaining({ name: "web", image: "nginx:1.25", ports: ["127.0.0.1:8080:80"] })]);
    expect(r.stderr).toContain(`wrote ${join(dir, "shop.toml")} (1 component(s), 1 item(s) not carried over, listed at its top)`);
    expect(r.stderr).toContain("next: mcp deploy shop");
  });

  test("an existing definition is never overwritten (exit 2, file untouched), not even with --force", async () => {
    const dir = project({ "compose.yml": "services:\n  web: {image: a:1}\n", "shop.toml": "# mine\n" });
    const before = statSync(join(dir, "shop.toml"));
    for (const extra of [[], ["--force"]]) {
      const r = await runMcp("source", importArgs(dir, ...extra));
      expect(r.code).toBe(2);
      expect(r.stderr).toContain("exists; mcp import never overwrites a definition");
    }
    expect(readFileSync(join(dir, "shop.toml"), "utf8")).toBe("# mine\n");
    expect(statSync(join(dir, "shop.toml")).mtimeMs).toBe(before.mtimeMs);
  });

  test("notes say what changed by design; relative binds name what to copy; env values never appear in output", async () => {
    const dir = project({
      "compose.yml": "version: '3'\nservices:\n  my_app:\n    image: app:1\n    env_file: app.env\n    volumes: [./conf:/etc/app:ro, ./app.ini:/etc/app.ini:ro]\n    x-team: a\n",
      "app.ini": "[main]\n",
      "app.env": "TOKEN=hunter2-secret-value\n",
      "conf/app.ini": "x=1\n",
    });
    const r = await runMcp("source", importArgs(dir, "--srv-root", "/srv/data"));
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("note: ");
    expect(r.stderr).toContain("services.my_app: is the component my-app");
    expect(r.stderr).toContain("services.my_app.x-team: an x- extension field: ignored by design");
    expect(r.stderr).toContain(`services.my_app.volumes[0] mounts /srv/data/shop/conf: put it there before the first deploy (mcp push <file> shop conf/<file>, for each file of ${join(dir, "conf")})`);
    expect(r.stderr).toContain(`services.my_app.volumes[1] mounts /srv/data/shop/app.ini: put it there before the first deploy (mcp push ${join(dir, "app.ini")} shop app.ini); a deploy that does not find this file makes a directory of that name`);
    expect(r.stderr).toContain("mcp push needs /srv/data/shop on the node: make it once as the node's admin (install -d -o mcp -g mcp /srv/data/shop)");
    expect(r.stderr + r.stdout).not.toContain("hunter2");
    const text = readFileSync(join(dir, "shop.toml"), "utf8");
    expect(text).toContain(`volumes = ["/srv/data/shop/conf:/etc/app:ro", "/srv/data/shop/app.ini:/etc/app.ini:ro"]`);
    expect(statSync(join(dir, "shop.toml")).mode & 0o777).toBe(0o600); // it holds env values
  });

  test("flags are checked before anything is read", async () => {
    const dir = project({ "compose.yml": "services:\n  web: {image: a:1}\n" });
    for (const [args, message] of [
      [["--service", "Bad_Name"], /--service: "Bad_Name" is not a valid name/],
      [["--service", "mcp"], /--service: mcp is reserved/],
      [["--node", "-x"], /--node: "-x" is not a valid name/],
      [["--srv-root", "srv"], /--srv-root: "srv" is not an absolute path/],
      [["--network", "a b"], /--network: "a b" is not a podman network name/],
    ] as const) {
      const argv = importArgs(dir);
      const i = argv.indexOf(args[0]);
      if (i >= 0) argv.splice(i, 2, ...args);
      else argv.push(...args);
      const r = await runMcp("source", argv);
      expect({ args, code: r.code }).toEqual({ args, code: 2 });
      expect(r.stderr).toMatch(message);
    }
    expect(existsSync(join(dir, "shop.toml"))).toBe(false);
  });
});

describe("mcp import compose with the CLI config", () => {
  test("writes into <services.dir>/<service>.toml, and warns when the node is not configured", async () => {
    const dir = project({ "compose.yml": "services:\n  web: {image: a:1}\n" });
    const services = join(dir, "services");
    writeFileSync(join(dir, "mcp.toml"), `[services]\ndir = ${JSON.stringify(services)}\n`);
    const r = await runMcp("source", ["import", "compose", join(dir, "compose.yml"), "--service", "shop", "--node", "rift", "--config", join(dir, "mcp.toml")]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`warning: node rift is not in ${join(dir, "mcp.toml")}: add it before deploying`);
    expect(parseServiceDef(readFileSync(join(services, "shop.toml"), "utf8"), "shop.toml", { expectName: "shop" }).def.node).toBe("rift");
  });
});
