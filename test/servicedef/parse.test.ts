import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { isMcpError, type McpError } from "../../src/lib/errors.ts";
import { parseServiceDef } from "../../src/servicedef/index.ts";

const EXAMPLES = join(import.meta.dir, "../../examples/services");

/** Runs fn, expects an McpError, returns it. */
function failure(fn: () => unknown): McpError {
  try {
    fn();
  } catch (err) {
    if (isMcpError(err)) return err;
    throw err;
  }
  throw new Error("expected an McpError");
}

const MINIMAL = `name = "svc"
node = "rift"

[[components]]
name = "api"
image = "registry.example.net/svc:v1"
`;

describe("parseServiceDef: valid definitions", () => {
  test("examples/services/metacrypt.toml (SPEC §2)", () => {
    const text = readFileSync(join(EXAMPLES, "metacrypt.toml"), "utf8");
    const { def, warnings } = parseServiceDef(text, "examples/services/metacrypt.toml", { expectName: "metacrypt" });
    expect(warnings).toEqual([]);
    expect(def).toEqual({
      name: "metacrypt",
      node: "rift",
      active: true,
      components: [
        {
          name: "api",
          image: "registry.example.net:8443/metacrypt:v1.0.0",
          network: "mcpnet",
          user: "0:0",
          restart: "unless-stopped",
          ports: ["127.0.0.1:18443:8443"],
          volumes: ["/srv/metacrypt:/srv/metacrypt"],
          cmd: ["server", "--config", "/srv/metacrypt/metacrypt.toml"],
          env: ["LOG_LEVEL=info"],
          health: { cmd: ["wget", "-qO-", "http://127.0.0.1:8443/healthz"], intervalMs: 2000, timeoutMs: 2000, retries: 15 },
        },
      ],
    });
  });

  test("examples/services/hello.toml", () => {
    const text = readFileSync(join(EXAMPLES, "hello.toml"), "utf8");
    const { def, warnings } = parseServiceDef(text, "hello.toml", { expectName: "hello" });
    expect(warnings).toEqual([]);
    expect(def.name).toBe("hello");
    expect(def.node).toBe("local");
    expect(def.components).toEqual([
      {
        name: "web",
        image: "localhost/mcp-example/hello:v1",
        network: "",
        user: "",
        restart: "",
        ports: ["127.0.0.1:18080:8080"],
        volumes: [],
        cmd: ["sh", "-c", "trap 'exit 0' TERM; httpd -f -p 8080 -h /www & wait"],
        env: ["GREETING=hello"],
      },
    ]);
  });

  test("defaults: active true, unset strings empty, unset lists empty, no health", () => {
    const { def } = parseServiceDef(MINIMAL, "<stdin>");
    expect(def.active).toBe(true);
    expect(def.components[0]).toEqual({
      name: "api", image: "registry.example.net/svc:v1", network: "", user: "", restart: "", ports: [], volumes: [], cmd: [], env: [],
    });
    expect("health" in def.components[0]!).toBe(false);
  });

  test("health defaults and durations in ms", () => {
    const { def } = parseServiceDef(`${MINIMAL}\n[components.health]\ncmd = ["true"]\n`, "<stdin>");
    expect(def.components[0]!.health).toEqual({ cmd: ["true"], intervalMs: 2000, timeoutMs: 2000, retries: 15 });
    const other = parseServiceDef(`${MINIMAL}\n[components.health]\ncmd = ["true"]\ninterval = "500ms"\ntimeout = "1m"\nretries = 3\n`, "<stdin>");
    expect(other.def.components[0]!.health).toEqual({ cmd: ["true"], intervalMs: 500, timeoutMs: 60_000, retries: 3 });
  });

  test("active = false and several components keep their order", () => {
    const text = `name = "svc"\nnode = "rift"\nactive = false\n\n[[components]]\nname = "db"\nimage = "pg:16"\n\n[[components]]\nname = "api"\nimage = "api:v2"\nrestart = "on-failure:5"\n`;
    const { def } = parseServiceDef(text, "<stdin>");
    expect(def.active).toBe(false);
    expect(def.components.map((c) => c.name)).toEqual(["db", "api"]);
    expect(def.components[1]!.restart).toBe("on-failure:5");
  });

  test("every restart policy podman accepts", () => {
    for (const policy of ["no", "always", "on-failure", "on-failure:3", "unless-stopped"]) {
      const { def } = parseServiceDef(MINIMAL + `restart = "${policy}"\n`, "<stdin>");
      expect(def.components[0]!.restart).toBe(policy);
    }
  });
});

describe("parseServiceDef: warnings", () => {
  test("an image without a tag, or with latest, is warned about with file, line and key", () => {
    const text = `name = "svc"\nnode = "rift"\n\n[[components]]\nname = "a"\nimage = "nginx"\n\n[[components]]\nname = "b"\nimage = "registry.example.net:8443/b:latest"\n\n[[components]]\nname = "c"\nimage = "registry.example.net:8443/c"\n`;
    const { warnings } = parseServiceDef(text, "svc.toml");
    expect(warnings).toEqual([
      `svc.toml:6: components[0].image: "nginx" has no tag, so it means latest; deploys are not reproducible (pin a version tag or a digest)`,
      `svc.toml:10: components[1].image: "registry.example.net:8443/b:latest" uses the moving tag latest; deploys are not reproducible (pin a version tag or a digest)`,
      `svc.toml:14: components[2].image: "registry.example.net:8443/c" has no tag, so it means latest; deploys are not reproducible (pin a version tag or a digest)`,
    ]);
  });

  test("tagged and digest images are not warned about", () => {
    const text = MINIMAL.replace("svc:v1", "svc@sha256:" + "a".repeat(64));
    expect(parseServiceDef(text, "<stdin>").warnings).toEqual([]);
    expect(parseServiceDef(MINIMAL, "<stdin>").warnings).toEqual([]);
  });
});

describe("parseServiceDef: errors name the file, line and key", () => {
  test("unknown top-level key", () => {
    const err = failure(() => parseServiceDef(`name = "svc"\nnode = "rift"\nactiv = false\n\n[[components]]\nname = "a"\nimage = "a:v1"\n`, "svc/svc.toml"));
    expect(err.code).toBe("invalid_argument");
    expect(err.message).toBe("svc/svc.toml:3: activ: unknown key");
    expect(err.hint).toBe("fix the definition and run the command again");
  });

  test("unknown key in a component (the SPEC example: a typo of image)", () => {
    const text = readFileSync(join(EXAMPLES, "metacrypt.toml"), "utf8").replace("\nimage = ", "\nimagee = ");
    const err = failure(() => parseServiceDef(text, "svc/metacrypt.toml"));
    expect(err.message).toBe("svc/metacrypt.toml:8: components[0].imagee: unknown key");
    // The typo also leaves image missing: counted in the hint.
    expect(err.hint).toBe("1 more problem after this one; fix the definition and run the command again");
  });

  test("unknown key in the second component's health table", () => {
    const text = `${MINIMAL}\n[[components]]\nname = "web"\nimage = "web:v1"\n\n[components.health]\ncmd = ["true"]\nretry = 3\n`;
    const err = failure(() => parseServiceDef(text, "svc.toml"));
    expect(err.message).toBe("svc.toml:14: components[1].health.retry: unknown key");
  });

  test("unknown table", () => {
    const err = failure(() => parseServiceDef(`${MINIMAL}\n[components.healthcheck]\ncmd = ["true"]\n`, "svc.toml"));
    expect(err.message).toBe("svc.toml:8: components[0].healthcheck: unknown key");
  });

  test("invalid TOML reports line and column", () => {
    const err = failure(() => parseServiceDef(`name = "svc"\nnode = "rift\n`, "svc.toml"));
    expect(err.code).toBe("invalid_argument");
    expect(err.message).toMatch(/^svc\.toml:2:\d+: /);
    expect(err.message).not.toContain("\n");
  });

  test("a redefined key is a TOML error with its line", () => {
    const err = failure(() => parseServiceDef(`name = "svc"\nnode = "rift"\nnode = "vade"\n`, "svc.toml"));
    expect(err.message).toMatch(/^svc\.toml:3:\d+: /);
  });

  test("bad names: service, node, component", () => {
    const text = (svc: string, node: string, comp: string) =>
      `name = "${svc}"\nnode = "${node}"\n\n[[components]]\nname = "a"\nimage = "a:v1"\n\n[[components]]\nname = "${comp}"\nimage = "b:v1"\n`;
    expect(failure(() => parseServiceDef(text("Svc", "rift", "b"), "s.toml")).message).toBe(
      `s.toml:1: name: "Svc" is not a valid name (lowercase letters, digits and dashes, 1-63 characters, starting and ending with a letter or digit)`,
    );
    expect(failure(() => parseServiceDef(text("svc", "rift-", "b"), "s.toml")).message).toStartWith(`s.toml:2: node: "rift-" is not a valid name (`);
    expect(failure(() => parseServiceDef(text("svc", "rift", "Bad_Name"), "s.toml")).message).toStartWith(
      `s.toml:9: components[1].name: "Bad_Name" is not a valid name (lowercase letters`,
    );
  });

  test("duplicate component names point at the second one", () => {
    const text = `${MINIMAL}\n[[components]]\nname = "api"\nimage = "other:v1"\n`;
    const err = failure(() => parseServiceDef(text, "svc.toml"));
    expect(err.message).toBe(`svc.toml:9: components[1].name: "api" is already used by components[0]`);
  });

  test("missing required fields", () => {
    expect(failure(() => parseServiceDef(`node = "rift"\n\n[[components]]\nname = "a"\nimage = "a:v1"\n`, "s.toml")).message).toBe("s.toml: name is required");
    expect(failure(() => parseServiceDef(`name = "s"\n\n[[components]]\nname = "a"\nimage = "a:v1"\n`, "s.toml")).message).toBe("s.toml: node is required");
    expect(failure(() => parseServiceDef(`name = "s"\nnode = "rift"\n`, "s.toml")).message).toBe("s.toml: components is required");
    expect(failure(() => parseServiceDef(`name = "s"\nnode = "rift"\ncomponents = []\n`, "s.toml")).message).toBe(
      "s.toml:3: components: at least one [[components]] entry is needed",
    );
    expect(failure(() => parseServiceDef(`name = "s"\nnode = "rift"\n\n[[components]]\nname = "a"\n`, "s.toml")).message).toBe(
      "s.toml:4: components[0].image is required",
    );
    expect(failure(() => parseServiceDef(`${MINIMAL}\n[components.health]\ninterval = "1s"\n`, "s.toml")).message).toBe(
      // SPEC §7.5: a probe is cmd, http or tcp; none is located at the table.
      "s.toml:8: components[0].health: needs exactly one probe: cmd (inside the container), http or tcp (from the agent)",
    );
  });

  test("several problems: the first by line, the rest counted", () => {
    const err = failure(() => parseServiceDef(`name = "S"\nnode = "R"\nfoo = 1\n\n[[components]]\nname = "a"\nimage = "a:v1"\n`, "s.toml"));
    expect(err.message).toStartWith("s.toml:1: name: ");
    expect(err.hint).toBe("2 more problems after this one; fix the definition and run the command again");
  });

  test("wrong types", () => {
    const cases: [string, string][] = [
      [`active = "yes"`, `s.toml:3: active: expected true or false, got "yes"`],
      [`[[components]]\nname = "b"\nimage = 5`, `s.toml:8: components[1].image: expected a string, got 5`],
      [`[[components]]\nname = "b"\nimage = "b:v1"\nports = "80:80"`, `s.toml:9: components[1].ports: expected an array, got "80:80"`],
      [`[[components]]\nname = "b"\nimage = "b:v1"\ncmd = ["a", 1]`, `s.toml:9: components[1].cmd[1]: expected a string, got 1`],
      [`[[components]]\nname = "b"\nimage = "b:v1"\n[components.health]\ncmd = ["true"]\nretries = "3"`, `s.toml:11: components[1].health.retries: expected a number, got "3"`],
    ];
    for (const [extra, message] of cases) {
      const text = extra.startsWith("[[")
        ? `name = "s"\nnode = "r"\n[[components]]\nname = "a"\nimage = "a:v1"\n${extra}\n`
        : `name = "s"\nnode = "r"\n${extra}\n[[components]]\nname = "a"\nimage = "a:v1"\n`;
      expect(failure(() => parseServiceDef(text, "s.toml")).message).toBe(message);
    }
  });

  test("field rules: image, restart, env, durations, retries", () => {
    const comp = (extra: string) => `name = "s"\nnode = "r"\n[[components]]\nname = "a"\n${extra}\n`;
    const msg = (extra: string) => failure(() => parseServiceDef(comp(extra), "s.toml")).message;
    expect(msg(`image = ""`)).toBe("s.toml:5: components[0].image: must not be empty");
    expect(msg(`image = "a b:v1"`)).toBe(`s.toml:5: components[0].image: "a b:v1" must not contain whitespace`);
    expect(msg(`image = "a:v1"\nrestart = "sometimes"`)).toBe(
      `s.toml:6: components[0].restart: "sometimes" is not a restart policy (no, always, on-failure, on-failure:N, unless-stopped)`,
    );
    expect(msg(`image = "a:v1"\nrestart = "on-failure:0"`)).toStartWith(`s.toml:6: components[0].restart: "on-failure:0" is not`);
    expect(msg(`image = "a:v1"\nenv = ["A=1",\n  "JUSTKEY"]`)).toBe(`s.toml:7: components[0].env[1]: is not KEY=VALUE`);
    // Never the value, not even a piece of it (SPEC §7.1): only the key.
    expect(msg(`image = "a:v1"\nenv = ["PW=s3cr\\u0000t"]`)).toBe(`s.toml:6: components[0].env[0]: the value of PW contains a control character (U+0000)`);
    expect(msg(`image = "a:v1"\nenv = "PW=s3cret"`)).toBe(`s.toml:6: components[0].env: expected an array, got a string`);
    expect(msg(`image = "a:v1"\nports = ["8080:80:90"]`)).toStartWith(`s.toml:6: components[0].ports[0]: "8080:80:90": host address`);
    expect(msg(`image = "a:v1"\nports = ["99999:80"]`)).toBe(`s.toml:6: components[0].ports[0]: "99999:80": host port "99999" is out of range (1-65535, low-high)`);
    expect(msg(`image = "a:v1"\nvolumes = ["/a:/b:rshared"]`)).toStartWith(`s.toml:6: components[0].volumes[0]: "/a:/b:rshared": option "rshared" is not one of`);
    expect(msg(`image = "a:v1"\nvolumes = ["./rel:/b"]`)).toStartWith(`s.toml:6: components[0].volumes[0]: "./rel:/b": source "./rel" is neither`);
    expect(msg(`image = "a:v1"\nuser = "0:0 --privileged"`)).toStartWith(`s.toml:6: components[0].user:`);
    expect(msg(`image = "a:v1"\ncmd = ["a\\u001b[2J"]`)).toBe(`s.toml:6: components[0].cmd[0]: contains a control character (U+001B)`);
    expect(msg(`image = "a:v1"\n[components.health]\ncmd = []`)).toBe("s.toml:7: components[0].health.cmd: must name a command to run");
    expect(msg(`image = "a:v1"\n[components.health]\ncmd = ["x"]\ninterval = "2 seconds"`)).toBe(
      `s.toml:8: components[0].health.interval: "2 seconds" is not a duration (write it as 500ms, 2s, 15m, 24h, 30d)`,
    );
    expect(msg(`image = "a:v1"\n[components.health]\ncmd = ["x"]\ntimeout = "0s"`)).toBe("s.toml:8: components[0].health.timeout: must be longer than 0");
    expect(msg(`image = "a:v1"\n[components.health]\ncmd = ["x"]\nretries = 0`)).toBe("s.toml:8: components[0].health.retries: must be at least 1");
    expect(msg(`image = "a:v1"\n[components.health]\ncmd = ["x"]\nretries = 1.5`)).toBe("s.toml:8: components[0].health.retries: must be a whole number");
  });

  test("the file name must match name when expectName is given", () => {
    const err = failure(() => parseServiceDef(MINIMAL, "svc/other.toml", { expectName: "other" }));
    expect(err.message).toBe(`svc/other.toml:1: name: "svc" does not match the file name other.toml; rename the file or change the name`);
    // Without expectName (e.g. <stdin>) there is no file name to match.
    expect(parseServiceDef(MINIMAL, "<stdin>").def.name).toBe("svc");
  });

  test("an inline health table is located at its key", () => {
    const text = `${MINIMAL}health = { cmd = ["true"], retry = 2 }\n`;
    expect(failure(() => parseServiceDef(text, "s.toml")).message).toBe("s.toml:7: components[0].health.retry: unknown key");
  });
});
