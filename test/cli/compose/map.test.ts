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

  test("ports: short forms, ranges, IPv6, the long syntax", () => {
    const r = imp(`
services:
  web:
    image: nginx:1
    ports:
      - 3000
      - "8000:80"
      - "127.0.0.1:8443:443"
      - "9090-9091:8080-8081"
      - "6060:6060/udp"
      - "[::1]:6001:6001"
      - target: 80
        published: 8080
        host_ip: 127.0.0.1
      - target: 53
        published: "5353"
        protocol: udp
        mode: host
      - target: 9000
`);
    expect(r.def.components[0]!.ports).toEqual([
      "3000", "8000:80", "127.0.0.1:8443:443", "9090-9091:8080-8081", "6060:6060/udp", "[::1]:6001:6001",
      "127.0.0.1:8080:80", "5353:53/udp", "9000",
    ]);
    expect(r.unmapped).toEqual([]);
  });

  test("a random host port on one address is listed; ingress mode is noted", () => {
    const r = imp(`
services:
  web:
    image: nginx:1
    ports:
      - "127.0.0.1::80"
      - target: 81
        host_ip: 127.0.0.1
      - target: 82
        published: 8082
        mode: ingress
`);
    expect(r.def.components[0]!.ports).toEqual(["8082:82"]);
    expect(unmappedOf(r).map((l) => l.split(":")[0])).toEqual(["services.web.ports[0]", "services.web.ports[1]"]);
    expect(r.notes.map((n) => n.path)).toContain("services.web.ports[2].mode");
  });

  test("volumes: relative binds go under <srv_root>/<service>/, named volumes get compose's names, tmpfs both ways", () => {
    const r = imp(`
services:
  db:
    image: postgres:16
    volumes:
      - dbdata:/var/lib/postgresql/data
      - ./init:/docker-entrypoint-initdb.d:ro
      - ./conf/pg.conf:/etc/postgresql/postgresql.conf:ro,z
      - .:/project:cached
      - type: volume
        source: shared
        target: /shared
        read_only: true
        volume: {nocopy: true}
      - type: bind
        source: ./logs
        target: /logs
      - type: tmpfs
        target: /run/pg
        tmpfs: {size: 67108864, mode: 01777}
      - /etc/localtime:/etc/localtime:ro
      - outside:/mnt
    tmpfs: /tmp
volumes:
  dbdata:
  shared:
    external: true
  outside:
    name: legacy-data
`);
    const db = r.def.components[0]!;
    expect(db.volumes).toEqual([
      "shop_dbdata:/var/lib/postgresql/data",
      "/srv/shop/init:/docker-entrypoint-initdb.d:ro",
      "/srv/shop/conf/pg.conf:/etc/postgresql/postgresql.conf:ro,z",
      "/srv/shop:/project",
      "shared:/shared:nocopy,ro",
      "/srv/shop/logs:/logs",
      "/etc/localtime:/etc/localtime:ro",
      "legacy-data:/mnt",
    ]);
    expect(db.tmpfs).toEqual(["/tmp", "/run/pg:size=64m,mode=1777"]);
    expect(r.copies.map((c) => [c.local, c.remote])).toEqual([
      ["/work/app/init", "init"], ["/work/app/conf/pg.conf", "conf/pg.conf"], ["/work/app", ""], ["/work/app/logs", "logs"],
    ]);
    expect(r.unmapped).toEqual([]);
    const notes = r.notes.map((n) => `${n.path}: ${n.message}`);
    expect(notes).toContain("services.db.volumes[3]: the cached option has no effect on Linux (Docker Desktop's file sharing); left out");
    expect(notes.some((n) => n.startsWith("services.db.volumes[7]: the host path /etc/localtime lies outside /srv/shop/"))).toBe(true);
  });

  test("what mcp cannot mount is listed: anonymous volumes, binds out of the directory, home paths, propagation", () => {
    const r = imp(`
services:
  app:
    image: app:1
    volumes:
      - /data
      - ../shared:/shared
      - ~/cache:/cache
      - ./x:/x:rshared
volumes: {}
`);
    // With --force the mount is written without what could not be carried over (the list says what).
    expect(r.def.components[0]!.volumes).toEqual(["/srv/shop/x:/x"]);
    expect(unmappedOf(r).map((l) => l.split(":")[0])).toEqual([
      "services.app.volumes[0]", "services.app.volumes[1]", "services.app.volumes[2]", "services.app.volumes[3]",
    ]);
  });

  test("healthcheck: CMD, CMD-SHELL, a string, NONE, disable, compose's defaults written out", () => {
    const r = imp(`
services:
  a:
    image: x:1
    healthcheck:
      test: ["CMD", "pg_isready", "-U", "postgres"]
      interval: 10s
      timeout: 5s
      retries: 5
      start_period: 30s
  b:
    image: x:1
    healthcheck:
      test: ["CMD-SHELL", "curl -f http://localhost/ || exit 1"]
  c:
    image: x:1
    healthcheck:
      test: wget -qO- http://127.0.0.1:8080/health
      interval: 1m30s
      retries: 0
  d:
    image: x:1
    healthcheck:
      test: ["NONE"]
  e:
    image: x:1
    healthcheck:
      disable: true
`);
    const h = Object.fromEntries(r.def.components.map((c) => [c.name, c.health]));
    expect(h.a).toEqual({ cmd: ["pg_isready", "-U", "postgres"], intervalMs: 10_000, timeoutMs: 5000, retries: 5, startPeriodMs: 30_000 });
    expect(h.b).toEqual({ cmd: ["/bin/sh", "-c", "curl -f http://localhost/ || exit 1"], intervalMs: 30_000, timeoutMs: 30_000, retries: 3 });
    expect(h.c).toEqual({ cmd: ["/bin/sh", "-c", "wget -qO- http://127.0.0.1:8080/health"], intervalMs: 90_000, timeoutMs: 30_000, retries: 3 });
    expect(h.d).toBeUndefined();
    expect(h.e).toBeUndefined();
    expect(r.notes.filter((n) => n.message.startsWith("disables the image's HEALTHCHECK")).map((n) => n.path)).toEqual(["services.d.healthcheck", "services.e.healthcheck"]);
    expect(r.unmapped).toEqual([]);
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
