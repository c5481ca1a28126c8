import { describe, expect, test } from "bun:test";
import { imp, unmappedOf } from "./_helper.ts";

describe("importCompose: ports, volumes and health checks", () => {
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
});
