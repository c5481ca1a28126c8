import { defineCommand } from "citty";
import { askAllNodes, commonArgs, jsonArg, loadConfig } from "../context.ts";
import type { CliIO } from "../../lib/io.ts";
import { printJson, renderTable } from "../../lib/output.ts";
import { reportNodeFailures } from "../report.ts";

export default (io: CliIO) =>
  defineCommand({
    meta: { name: "list", description: "The registry of every node: services, components, desired state, deployed spec" },
    args: { ...commonArgs, ...jsonArg },
    async run({ args }) {
      const cfg = await loadConfig(io, args.config);
      const answers = await askAllNodes(cfg, (c) => c.listServices());
      const services = answers.flatMap((a) => (a.ok ? a.value.services.map((s) => ({ ...s, node: a.node })) : []));
      services.sort((x, y) => x.name.localeCompare(y.name) || x.node.localeCompare(y.node));
      if (args.json) {
        printJson(io, {
          services: services.map((s) => ({
            name: s.name, node: s.node, active: s.active,
            components: s.components.map((c) => ({
              name: c.name, desired: c.desired, observed: c.observed, version: c.version, image_digest: c.imageDigest,
              container: c.containerName, container_id: c.containerId, deployed_at: c.deployedAt ? new Date(c.deployedAt).toISOString() : null, spec: c.spec,
            })),
          })),
          unreachable: answers.filter((a) => !a.ok).map((a) => ({ node: a.node, error: a.ok ? "" : a.error.message })),
        });
      } else {
        io.out(renderTable(
          ["SERVICE", "COMPONENT", "NODE", "ACTIVE", "DESIRED", "VERSION", "IMAGE"],
          services.flatMap((s) => s.components.map((c) => [s.name, c.name, s.node, s.active ? "yes" : "no", c.desired, c.version || "-", c.spec.image])),
          io.color,
        ));
      }
      return reportNodeFailures(io, answers);
    },
  });
