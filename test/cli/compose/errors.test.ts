import { describe, expect, test } from "bun:test";
import { imp, impError } from "./_helper.ts";

describe("importCompose: what stops an import is located (file:line:col)", () => {
  test.each([
    ["YAML syntax", "services:\n  web:\n    image: [unclosed\n", /^compose\.yml:4:1: /],
    ["a tab where YAML wants spaces", "services:\n\tweb: {}\n", /^compose\.yml:2:1: /],
    ["a duplicate key", "services:\n  web:\n    image: a:1\n    image: b:1\n", /^compose\.yml:4:5: Map keys must be unique/],
    ["two documents", "services: {}\n---\nservices: {}\n", /^compose\.yml:2:1: /],
    ["an unknown top-level key", "services:\n  web: {image: a:1}\nservice:\n  oops: 1\n", /^compose\.yml:3:1: service: is not a top-level key of a compose file/],
    ["a service without image", "services:\n  web:\n    command: [x]\n", /^compose\.yml:2:3: services\.web: has no image/],
    ["a build section", "services:\n  web:\n    image: a:1\n    build: .\n", /^compose\.yml:4:5: services\.web\.build: build sections are not imported/],
    ["a build section without image", "services:\n  web:\n    build:\n      context: .\n", /^compose\.yml:3:5: services\.web\.build: /],
    ["an unknown service key", "services:\n  web:\n    image: a:1\n    imagee: b\n", /^compose\.yml:4:5: services\.web\.imagee: is not a key of a compose service/],
    ["an undeclared named volume", "services:\n  web:\n    image: a:1\n    volumes: [data:/data]\n", /^compose\.yml:4:15: services\.web\.volumes\[0\]: the named volume "data" is not declared/],
    ["a port YAML 1.1 reads as a number", "services:\n  ssh:\n    image: a:1\n    ports:\n      - 22:22\n", /^compose\.yml:5:9: services\.ssh\.ports\[0\]: 22:22 is read by YAML 1\.1 as the number 1342; quote it/],
    ["a dependency on no service", "services:\n  web:\n    image: a:1\n    depends_on: [dbb]\n", /^compose\.yml:4:18: services\.web\.depends_on\[0\]: "dbb" is not a service/],
    ["a dependency cycle", "services:\n  a: {image: x:1, depends_on: [b]}\n  b: {image: x:1, depends_on: [a]}\n", /services: depends_on goes round in a circle: a → b → a/],
    ["not a map", "- just\n- a list\n", /^compose\.yml:1:1: : is not a compose file/],
    ["no services", "volumes: {}\n", /services: there are no services to import/],
    ["a bad restart policy", "services:\n  web:\n    image: a:1\n    restart: sometimes\n", /services\.web\.restart: "sometimes" is not a restart policy/],
    ["a bad env key", "services:\n  web:\n    image: a:1\n    environment: {\"1BAD\": x}\n", /services\.web\.environment\.1BAD: key "1BAD" is not a valid name/],
    ["a malformed $", "services:\n  web:\n    image: a:1\n    command: echo ${\n", /services\.web\.command: has "\$\{" without a closing/],
    ["a required variable", "services:\n  web:\n    image: \"app:${TAG:?set TAG}\"\n", /services\.web\.image: needs TAG: set TAG/],
    ["an unclosed quote in a command", "services:\n  web:\n    image: a:1\n    command: sh -c 'oops\n", /services\.web\.command: has no closing quotation/],
    ["limits that disagree", "services:\n  web:\n    image: a:1\n    mem_limit: 1g\n    deploy: {resources: {limits: {memory: 512m}}}\n", /deploy\.resources\.limits\.memory: says 512m, but services\.web\.mem_limit says 1g/],
    ["a health test that is not CMD", "services:\n  web:\n    image: a:1\n    healthcheck: {test: [\"RUN\", \"x\"]}\n", /healthcheck\.test\[0\]: "RUN" is not CMD, CMD-SHELL or NONE/],
    ["a component name collision", "services:\n  a_b: {image: x:1}\n  a-b: {image: x:1}\n", /services\.a-b: becomes the component a-b, as services\.a_b does/],
    ["a service name mcp cannot use", "services:\n  \"-web\": {image: x:1}\n", /cannot be a component name/],
  ])("%s", (_what, yaml, pattern) => {
    expect(impError(yaml)).toMatch(pattern);
  });

  test("env_file problems name the compose position and the env file's line", () => {
    expect(impError("services:\n  web:\n    image: a:1\n    env_file: app.env\n", { files: { "app.env": "A=1\n=x\n" } }))
      .toBe("compose.yml:4:5: services.web.env_file: app.env:2: is not KEY=VALUE");
    expect(impError("services:\n  web:\n    image: a:1\n    env_file: [gone.env]\n")).toBe("compose.yml:4:16: the env_file gone.env does not exist");
  });
});

describe("importCompose: YAML features and bounds", () => {
  test("anchors and merge keys: the first source wins over later ones, explicit keys over every source", () => {
    const r = imp(`
x-a: &a {restart: always, user: "1:1", environment: {A: a}}
x-b: &b {restart: "no", user: "2:2", working_dir: /b}
services:
  web:
    <<: [*a, *b]
    image: w:1
    user: "3:3"
  api:
    <<: *b
    image: a:1
`);
    expect(r.def.components[0]).toMatchObject({ restart: "always", user: "3:3", workdir: "/b", env: ["A=a"] });
    expect(r.def.components[1]).toMatchObject({ restart: "no", user: "2:2", workdir: "/b" });
  });

  test("an error inside merged content is placed where it is written", () => {
    expect(impError("x-h: &h\n  restart: sometimes\nservices:\n  web:\n    <<: *h\n    image: a:1\n")).toMatch(/^compose\.yml:2:3: services\.web\.restart: /);
  });

  test("billion laughs: aliases of aliases are refused once they expand past the budget", () => {
    const levels = ["a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]"];
    for (let i = 1; i < 10; i++) levels.push(`${"abcdefghij"[i]}: &${"abcdefghij"[i]} [${Array(9).fill(`*${"abcdefghij"[i - 1]}`).join(",")}]`);
    const yaml = `x-bomb:\n${levels.map((l) => `  ${l}`).join("\n")}\nservices:\n  web: {image: a:1}\n`;
    const started = performance.now();
    expect(impError(yaml)).toMatch(/^compose\.yml:\d+:\d+: x-bomb\.\S+: the file expands to more than 100000 values/);
    // Bounded, not expanded: well under a second (not a timing claim, a sanity bound of minutes vs. milliseconds).
    expect(performance.now() - started).toBeLessThan(30_000);
  });

  test("deep nesting is refused with its place", () => {
    const yaml = `services:\n  web:\n    image: a:1\n    labels: ${"[".repeat(100)}${"]".repeat(100)}\n`;
    expect(impError(yaml)).toMatch(/nests deeper than 64 levels/);
  });

  test("an alias to itself is refused", () => {
    expect(impError("x: &x [*x]\nservices:\n  web: {image: a:1}\n")).toMatch(/the alias \*x|refers to itself|names no anchor/);
  });

  test("YAML 1.1 booleans: restart: no is the policy no", () => {
    expect(imp("services:\n  web:\n    image: a:1\n    restart: no\n").def.components[0]!.restart).toBe("no");
  });
});
