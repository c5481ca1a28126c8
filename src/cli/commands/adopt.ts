import { defineCommand } from "citty";
import { readServiceDefs } from "../../servicedef/index.ts";
import { commonArgs, connect, jsonArg, loadConfig, nodeArg, nodeForService, serviceArg } from "../context.ts";
import type { CliIO } from "../../lib/io.ts";
import { note, paintState, printJson, renderTable } from "../../lib/output.ts";

export default (io: CliIO) =>
  defineCommand({
    meta: {
      name: "adopt",
      description: "Take a service's existing containers (by mcp labels, else named <service> or <service>-<component>) into the registry; they are not touched",
    },
    args: {
      ...serviceArg,
      ...nodeArg,
      ...commonArgs,
      ...jsonArg,
    },
    async run({ args }) {
      const cfg = await loadConfig(io, args.config);
      const node = await nodeForService(cfg, args.service, args.node);
      // The operator's other services own longer names (mc-proxy is not mc + proxy).
      const knownServices = await readServiceDefs(cfg.services.dir).then((r) => r.defs.map((d) => d.name), () => [] as string[]);
      const client = connect(cfg, node);
      try {
        const r = await client.adoptContainers({ service: args.service, knownServices: knownServices.filter((n) => n !== args.service) });
        if (args.json) {
          printJson(io, { node: r.node, service: args.service, components: r.components.map((c) => ({
            component: c.name, container: c.containerName, desired: c.desired, observed: c.observed, version: c.version, spec: c.spec,
          })) });
          return 0;
        }
        io.out(renderTable(["SERVICE", "COMPONENT", "NODE", "CONTAINER", "DESIRED", "OBSERVED", "IMAGE"],
          r.components.map((c) => [args.service, c.name, r.node, c.containerName, c.desired, paintState(io, c.observed), c.spec.image]), io.color));
        note(io, `adopted; write its definition file: mcp service export ${args.service}`);
        return 0;
      } finally {
        client.close();
      }
    },
  });
