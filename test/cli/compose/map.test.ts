import { describe, expect, test } from "bun:test";
import { imp, unmappedOf } from "./_helper.ts";

describe("importCompose: the keys of a service", () => {
  test("image, command and entrypoint in both forms, user, restart, workdir, hostname", () => {
    const r = imp(`
services:
  web:
    image: nginx:1.25
    entrypoint: /docker-entrypoint.sh --verbose
    command: ["nginx", "-g", "daemon off;"]
    user: 101
    restart: unless-stopped
    working_dir: /usr/share/nginx
    hostname: web1
  job:
    image: alpine:3.19
    command: sh -c 'echo "hi there"; sleep 1'
    entrypoint: []
    restart: "no"
`);
    const [web, job] = r.def.components;
    expect(web).toMatchObject({
      name: "web", image: "nginx:1.25", entrypoint: ["/docker-entrypoint.sh", "--verbose"], cmd: ["nginx", "-g", "daemon off;"],
      user: "101", restart: "unless-stopped", workdir: "/usr/share/nginx", hostname: "web1",
    });
    expect(job).toMatchObject({ cmd: ["sh", "-c", "echo \"hi there\"; sleep 1"], entrypoint: [], restart: "no" });
    expect(r.unmapped).toEqual([]);
    expect(r.def).toMatchObject({ name: "shop", node: "rift", active: true });
  });

  test("environment as a map and a list, env_file under it, values interpolated from .env", () => {
    const r = imp(`
services:
  api:
    image: app:1
    env_file: [base.env, local.env]
    environment:
      PORT: 8080
      DEBUG: "false"
      URL: http://db:\${DB_PORT}/x
      COST: "$$5"
  worker:
    image: app:1
    environment:
      - QUEUE=jobs
      - EMPTY=
`, { files: { "base.env": "A=1\nPORT=1\n", "local.env": "A=2\n" }, vars: { DB_PORT: "5432" } });
    expect(r.def.components[0]!.env).toEqual(["A=2", "PORT=8080", "DEBUG=false", "URL=http://db:5432/x", "COST=$5"]);
    expect(r.def.components[1]!.env).toEqual(["QUEUE=jobs", "EMPTY="]);
    expect(r.unmapped).toEqual([]);
  });

  test("a variable taken from the shell, or set nowhere, is listed with its path (never its value)", () => {
    const r = imp(`
services:
  api:
    image: app:1
    env_file: secrets.env
    environment:
      - FROM_SHELL
      - TOKEN=\${UNSET_TOKEN}
`, { files: { "secrets.env": "PASSWORD=hunter2\nALSO\nREF=\${HOME}/x\n" } });
    expect(unmappedOf(r)).toEqual([
      "services.api.env_file: ALSO (secrets.env:2) has no value: it takes one from the shell that runs compose; mcp has no such shell",
      "services.api.env_file: the value of REF (secrets.env:3) refers to other variables (${…}), which compose expands from its shell; write it out",
      "services.api.environment[0]: FROM_SHELL takes its value from the shell that runs compose; mcp has no such shell (write FROM_SHELL=<value>)",
      "services.api.environment[1]: ${UNSET_TOKEN} is set neither in the .env file beside the compose file nor by a default (compose would put \"\" there)",
    ]);
    expect(JSON.stringify(r.unmapped)).not.toContain("hunter2");
  });

  test("§7.2 keys: init, stop signal and grace, limits in both forms, read_only, caps, devices, labels", () => {
    const r = imp(`
services:
  api:
    image: app:1
    init: true
    stop_signal: SIGINT
    stop_grace_period: 1m30s
    mem_limit: 512M
    cpus: 0.5
    pids_limit: 200
    read_only: true
    cap_drop: [ALL]
    cap_add: [CAP_NET_BIND_SERVICE, chown]
    devices: ["/dev/fuse:/dev/fuse:rwm"]
    labels:
      com.example.tier: gold
      team: ""
  worker:
    image: app:1
    deploy:
      replicas: 1
      resources:
        limits: {cpus: "1.5", memory: 1g, pids: 100}
    labels: ["a=b", "flag"]
`);
    const [api, worker] = r.def.components;
    expect(api).toMatchObject({
      init: true, stopSignal: "SIGINT", stopTimeoutMs: 90_000, memory: "512m", cpus: 0.5, pidsLimit: 200, readOnly: true,
      capDrop: ["ALL"], capAdd: ["NET_BIND_SERVICE", "CHOWN"], devices: ["/dev/fuse:/dev/fuse:rwm"], labels: { "com.example.tier": "gold", team: "" },
    });
    expect(worker).toMatchObject({ cpus: 1.5, memory: "1g", pidsLimit: 100, labels: { a: "b", flag: "" } });
    expect(r.unmapped).toEqual([]);
  });

  test("depends_on: a list and conditions become after, in an order that starts dependencies first", () => {
    const r = imp(`
services:
  web:
    image: w:1
    depends_on:
      api: {condition: service_healthy}
      cache: {condition: service_started}
  api:
    image: a:1
    depends_on: [db]
    healthcheck: {test: ["CMD", "true"]}
  db:
    image: d:1
  cache:
    image: c:1
  migrate:
    image: m:1
    depends_on:
      db: {condition: service_completed_successfully, restart: true}
`);
    expect(r.def.components.map((c) => [c.name, c.after ?? []])).toEqual([
      ["db", []], ["api", ["db"]], ["cache", []], ["web", ["api", "cache"]], ["migrate", []],
    ]);
    expect(unmappedOf(r).map((l) => l.split(":")[0])).toEqual(["services.migrate.depends_on.db.restart", "services.migrate.depends_on.db.condition"]);
  });

  test("networks: --network maps them; without it explicit networks are listed; host and none are modes", () => {
    const yaml = `
services:
  a:
    image: x:1
    networks: [front, back]
  b:
    image: x:1
    network_mode: host
  c:
    image: x:1
    network_mode: "service:a"
  d:
    image: x:1
networks:
  front:
  back:
    driver: bridge
`;
    const without = imp(yaml);
    expect(without.def.components.map((c) => c.network)).toEqual(["", "host", "", ""]);
    expect(unmappedOf(without).map((l) => l.split(":")[0])).toEqual(["services.a.networks", "services.c.network_mode"]);
    const withNet = imp(yaml, { network: "shopnet" });
    expect(withNet.def.components.map((c) => c.network)).toEqual(["shopnet", "host", "", "shopnet"]);
    expect(unmappedOf(withNet).map((l) => l.split(":")[0])).toEqual(["services.c.network_mode"]);
    expect(withNet.notes.map((n) => n.path)).toContain("services.a.networks");
  });

  test("compose keys mcp has no counterpart for are listed; set to their defaults they are only noted", () => {
    const r = imp(`
services:
  app:
    image: app:1
    privileged: true
    logging: {driver: json-file}
    secrets: [db_password]
    extra_hosts: ["host.docker.internal:host-gateway"]
    tty: false
    profiles: []
    container_name: my-app
    expose: ["8080"]
    x-custom: {anything: goes}
secrets:
  db_password:
    file: ./db_password.txt
`);
    expect(unmappedOf(r).map((l) => l.split(":")[0])).toEqual([
      "secrets.db_password", "services.app.privileged", "services.app.logging", "services.app.secrets", "services.app.extra_hosts",
    ]);
    expect(r.notes.map((n) => n.path)).toEqual(expect.arrayContaining(["services.app.tty", "services.app.profiles", "services.app.container_name", "services.app.expose", "services.app.x-custom"]));
  });

  test("service names become component names (lower case, - for _ and .)", () => {
    const r = imp("services:\n  my_worker:\n    image: w:1\n  Cache.Redis:\n    image: r:1\n");
    expect(r.def.components.map((c) => c.name)).toEqual(["my-worker", "cache-redis"]);
  });
});

describe("importCompose: nothing dropped silently", () => {
  test("pids_limit -1 (no limit) is kept: podman's default is a limit", () => {
    expect(imp("services:\n  a:\n    image: x:1\n    pids_limit: -1\n").def.components[0]!.pidsLimit).toBe(-1);
  });

  test("x- fields inside a healthcheck are noted; env_file options mcp does not read are listed", () => {
    const r = imp("services:\n  a:\n    image: x:1\n    healthcheck: {test: [CMD, \"true\"], x-why: slow}\n    env_file: [{path: a.env, format: raw}]\n", { files: { "a.env": "A=1\n" } });
    expect(r.notes.map((n) => n.path)).toContain("services.a.healthcheck.x-why");
    expect(unmappedOf(r)).toEqual(["services.a.env_file[0].format: mcp reads env files in the dotenv format only (path, required)"]);
    expect(r.def.components[0]!.env).toEqual(["A=1"]);
  });
});
