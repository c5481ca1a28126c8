import { describe, expect, test } from "bun:test";
import { Deployment } from "kubernetes-models/apps/v1";
import { Pod } from "kubernetes-models/v1";
import { parse } from "yaml";
import { renderKube, serviceToKube } from "../../../src/cli/kube/index.ts";
import type { ComponentSpec, ServiceDef } from "../../../src/model/index.ts";

const base = (o: Partial<ComponentSpec> & { name: string }): ComponentSpec => ({
  image: "registry.example.net/app:1.0", network: "", user: "", restart: "", ports: [], volumes: [], cmd: [], env: [], ...o,
});

const shop: ServiceDef = {
  name: "shop", node: "rift", active: true,
  components: [
    base({
      name: "db", image: "postgres:16", user: "999:999", restart: "unless-stopped", volumes: ["shop_dbdata:/var/lib/postgresql/data"],
      env: ["POSTGRES_PASSWORD=pw", "PGDATA=/var/lib/postgresql/data"],
      health: { cmd: ["pg_isready"], intervalMs: 2000, timeoutMs: 1500, retries: 5, startPeriodMs: 10_000 },
      memory: "512m", cpus: 0.5, stopTimeoutMs: 30_000, tmpfs: ["/run:size=64m"],
    }),
    base({
      name: "web", image: "nginx:1.25", restart: "always", entrypoint: ["/docker-entrypoint.sh"], cmd: ["nginx", "-g", "daemon off;"],
      ports: ["127.0.0.1:18080:80", "9000-9002:9000-9002/udp", "8443"], volumes: ["/srv/shop/conf:/etc/nginx/conf.d:ro", "/srv/shop/www:/usr/share/nginx/html:ro,z"],
      readOnly: true, capDrop: ["ALL"], capAdd: ["NET_BIND_SERVICE"], workdir: "/usr/share/nginx", hostname: "web",
      health: { cmd: [], http: "http://127.0.0.1:18080/healthz", intervalMs: 5000, timeoutMs: 2000, retries: 3 },
      after: ["db"], init: true, stopSignal: "SIGQUIT", labels: { tier: "front" },
    }),
  ],
};

describe("serviceToKube", () => {
  test("a Pod that validates against the Kubernetes schema, with image, command, env, ports and volumes", () => {
    const { object, notes } = serviceToKube(shop, "pod");
    expect(() => new Pod(object as never).validate()).not.toThrow();
    const spec = object.spec as { containers: Record<string, unknown>[]; volumes: unknown[]; restartPolicy: string; terminationGracePeriodSeconds: number; hostname: string };
    const [db, web] = spec.containers;
    expect(db).toMatchObject({
      name: "db", image: "postgres:16",
      env: [{ name: "POSTGRES_PASSWORD", value: "pw" }, { name: "PGDATA", value: "/var/lib/postgresql/data" }],
      volumeMounts: [{ name: "db-v0", mountPath: "/var/lib/postgresql/data" }, { name: "db-t0", mountPath: "/run" }],
      securityContext: { runAsUser: 999, runAsGroup: 999 },
      resources: { limits: { memory: "512Mi", cpu: "0.5" } },
      readinessProbe: { exec: { command: ["pg_isready"] }, periodSeconds: 2, timeoutSeconds: 2, failureThreshold: 5, initialDelaySeconds: 10 },
    });
    expect(web).toMatchObject({
      command: ["/docker-entrypoint.sh"], args: ["nginx", "-g", "daemon off;"], workingDir: "/usr/share/nginx",
      ports: [
        { containerPort: 80, hostPort: 18080, hostIP: "127.0.0.1", protocol: "TCP" },
        { containerPort: 9000, hostPort: 9000, protocol: "UDP" }, { containerPort: 9001, hostPort: 9001, protocol: "UDP" },
        { containerPort: 9002, hostPort: 9002, protocol: "UDP" }, { containerPort: 8443, protocol: "TCP" },
      ],
      volumeMounts: [{ name: "web-v0", mountPath: "/etc/nginx/conf.d", readOnly: true }, { name: "web-v1", mountPath: "/usr/share/nginx/html", readOnly: true }],
      securityContext: { readOnlyRootFilesystem: true, capabilities: { add: ["NET_BIND_SERVICE"], drop: ["ALL"] } },
      readinessProbe: { httpGet: { path: "/healthz", port: 80, scheme: "HTTP" } },
    });
    expect(spec.volumes).toEqual([
      { name: "db-v0", persistentVolumeClaim: { claimName: "shop_dbdata" } },
      { name: "db-t0", emptyDir: { medium: "Memory", sizeLimit: "64Mi" } },
      { name: "web-v0", hostPath: { path: "/srv/shop/conf" } },
      { name: "web-v1", hostPath: { path: "/srv/shop/www" } },
    ]);
    expect(spec).toMatchObject({ restartPolicy: "Always", terminationGracePeriodSeconds: 30, hostname: "web" });
    const said = notes.join("\n");
    for (const what of ["init = true", "stop_signal = SIGQUIT", "after = [db]", "labels (tier)", "the claim shop_dbdata", "options z", "port 8443 is published on a random host port", "tmpfs /run"]) {
      expect(said).toContain(what);
    }
  });

  test("a Deployment of one replica that validates, restartPolicy Always, Recreate", () => {
    const { object } = serviceToKube(shop, "deployment");
    expect(() => new Deployment(object as never).validate()).not.toThrow();
    expect(object).toMatchObject({
      apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "shop", labels: { app: "shop" } },
      spec: { replicas: 1, selector: { matchLabels: { app: "shop" } }, strategy: { type: "Recreate" }, template: { metadata: { labels: { app: "shop" } }, spec: { restartPolicy: "Always" } } },
    });
  });

  test("the YAML text reads back as the object, with the notes as comments at its top", () => {
    const exp = serviceToKube(shop, "pod");
    const text = renderKube(exp, "from node rift");
    expect(text.startsWith("# exported by mcp service export --format kube from node rift\n#\n# NOT carried over into Kubernetes:\n#   ")).toBe(true);
    expect(parse(text)).toEqual(exp.object);
  });

  test("restart policies: one per pod, differences and on-failure:N noted; names, users and networks Kubernetes cannot take are noted", () => {
    const def: ServiceDef = {
      name: "mix", node: "n", active: true, after: ["db"],
      components: [
        base({ name: "a", restart: "on-failure:3", user: "app", network: "mcpnet" }),
        base({ name: "b", restart: "", entrypoint: [], secrets: [{ name: "token", env: "TOKEN" }, { name: "cert", file: "/run/secrets/cert" }] }),
      ],
    };
    const { object, notes } = serviceToKube(def, "pod");
    expect(() => new Pod(object as never).validate()).not.toThrow();
    expect((object.spec as { restartPolicy: string }).restartPolicy).toBe("OnFailure");
    const b = (object.spec as { containers: Record<string, unknown>[] }).containers[1]!;
    expect(b.env).toEqual([{ name: "TOKEN", valueFrom: { secretKeyRef: { name: "mix-secrets", key: "token" } } }]);
    expect(b.command).toBeUndefined();
    const said = notes.join("\n");
    for (const what of ["restartPolicy is OnFailure", "on-failure:N", "user = app", "network mcpnet", "entrypoint = []", "secret cert", "mix-secrets", "after db"]) expect(said).toContain(what);
  });

  test("host networking becomes hostNetwork", () => {
    const { object } = serviceToKube({ name: "h", node: "n", active: true, components: [base({ name: "a", network: "host" })] }, "pod");
    expect((object.spec as { hostNetwork?: boolean }).hostNetwork).toBe(true);
    expect(() => new Pod(object as never).validate()).not.toThrow();
  });
});
