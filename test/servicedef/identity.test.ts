import { describe, expect, test } from "bun:test";
import type { ComponentSpec } from "../../src/model/index.ts";
import { canonicalJson, containerName, isFloatingImage, specHash, versionOf } from "../../src/servicedef/index.ts";

describe("versionOf", () => {
  const digest = "sha256:" + "0123456789abcdef".repeat(4);
  const table: [string, string][] = [
    ["registry.example.net:8443/metacrypt:v1.0.0", "v1.0.0"],
    ["registry.example.net:8443/metacrypt", "latest"],
    ["registry.example.net:8443/team/metacrypt:2024.06", "2024.06"],
    ["metacrypt:v1", "v1"],
    ["metacrypt", "latest"],
    ["nginx:latest", "latest"],
    ["localhost/mcp-example/hello:v1", "v1"],
    ["localhost:5000/hello", "latest"],
    [`metacrypt@${digest}`, "sha256:0123456789ab"],
    [`registry.example.net:8443/metacrypt@${digest}`, "sha256:0123456789ab"],
    [`registry.example.net:8443/metacrypt:v1.0.0@${digest}`, "sha256:0123456789ab"],
  ];
  for (const [image, version] of table) {
    test(`${image} → ${version}`, () => expect(versionOf(image)).toBe(version));
  }

  test("isFloatingImage: untagged or latest, never a digest", () => {
    expect(isFloatingImage("nginx")).toBe(true);
    expect(isFloatingImage("registry.example.net:8443/nginx")).toBe(true);
    expect(isFloatingImage("nginx:latest")).toBe(true);
    expect(isFloatingImage("nginx:1.27")).toBe(false);
    expect(isFloatingImage(`nginx@${digest}`)).toBe(false);
  });
});

describe("containerName", () => {
  const table: [string, string, string][] = [
    ["metacrypt", "api", "metacrypt-api"],
    ["metacrypt", "web", "metacrypt-web"],
    ["mc-proxy", "mc-proxy", "mc-proxy"],
    ["mc", "proxy", "mc-proxy"],
    ["hello", "web", "hello-web"],
    ["db", "db", "db"],
  ];
  for (const [service, component, name] of table) {
    test(`${service}/${component} → ${name}`, () => expect(containerName(service, component)).toBe(name));
  }
});

describe("specHash", () => {
  const spec: ComponentSpec = {
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
  };

  test("is sha256 hex and stable", () => {
    expect(specHash(spec)).toMatch(/^[0-9a-f]{64}$/);
    expect(specHash(spec)).toBe(specHash(structuredClone(spec)));
  });

  test("does not depend on key order", () => {
    const reversed = Object.fromEntries(Object.entries(spec).reverse()) as unknown as ComponentSpec;
    reversed.health = { retries: 15, timeoutMs: 2000, intervalMs: 2000, cmd: spec.health!.cmd };
    expect(Object.keys(reversed)[0]).toBe("health");
    expect(specHash(reversed)).toBe(specHash(spec));
  });

  test("an unset health and an undefined one hash the same", () => {
    const { health: _, ...rest } = spec;
    expect(specHash({ ...rest, health: undefined })).toBe(specHash(rest));
    expect(specHash(rest)).not.toBe(specHash(spec));
  });

  test("changes with any field", () => {
    const base = specHash(spec);
    const variants: ComponentSpec[] = [
      { ...spec, name: "web" },
      { ...spec, image: "registry.example.net:8443/metacrypt:v1.0.1" },
      { ...spec, network: "" },
      { ...spec, user: "1000:1000" },
      { ...spec, restart: "always" },
      { ...spec, ports: [] },
      { ...spec, volumes: ["/srv/metacrypt:/srv/metacrypt:ro"] },
      { ...spec, cmd: ["server"] },
      { ...spec, cmd: ["--config", "server", "/srv/metacrypt/metacrypt.toml"] },
      { ...spec, env: ["LOG_LEVEL=debug"] },
      { ...spec, health: { ...spec.health!, retries: 14 } },
      { ...spec, health: { ...spec.health!, intervalMs: 2001 } },
      { ...spec, health: { ...spec.health!, timeoutMs: 1000 } },
      { ...spec, health: { ...spec.health!, cmd: ["true"] } },
    ];
    const hashes = new Set(variants.map(specHash));
    expect(hashes.size).toBe(variants.length);
    expect(hashes.has(base)).toBe(false);
  });

  test("canonicalJson sorts keys at every level", () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { y: 1, x: 2 }], c: "s" }, u: undefined })).toBe('{"a":{"c":"s","d":[3,{"x":2,"y":1}]},"b":1}');
  });
});
