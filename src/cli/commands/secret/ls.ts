import { defineCommand } from "citty";
import type { SecretInfo } from "../../../rpc/index.ts";
import { askAllNodes, commonArgs, jsonArg, loadConfig, nodeArg, nodeForService } from "../../context.ts";
import type { CliIO } from "../../../lib/io.ts";
import { printJson, renderTable } from "../../../lib/output.ts";
import { reportNodeFailures } from "../../report.ts";
import { formatBytes } from "../../units.ts";

const iso = (ms: number) => new Date(ms).toISOString().replace("T", " ").slice(0, 19);

export default (io: CliIO) =>
  defineCommand({
    meta: { name: "ls", description: "A service's secrets (or every node's): names, sizes, dates; never values" },
    args: {
      service: { type: "positional", description: "only this service (asks its node)", required: false },
      ...nodeArg,
      ...commonArgs,
      ...jsonArg,
    },
    async run({ args }) {
      let cfg = await loadConfig(io, args.config);
      if (args.service) cfg = { ...cfg, nodes: [await nodeForService(cfg, args.service, args.node)] };
      else if (args.node) cfg = { ...cfg, nodes: cfg.nodes.filter((n) => n.name === args.node) };
      const answers = await askAllNodes(cfg, (c) => c.listSecrets({ service: args.service ?? "" }));
      const rows: (SecretInfo & { node: string })[] = answers.flatMap((a) => (a.ok ? a.value.secrets.map((s) => ({ ...s, node: a.node })) : []));
      rows.sort((x, y) => x.service.localeCompare(y.service) || x.name.localeCompare(y.name) || x.node.localeCompare(y.node));
      if (args.json) {
        printJson(io, {
          secrets: rows.map((s) => ({
            service: s.service, name: s.name, node: s.node, size: s.size, version: s.version, missing: s.missing === true,
            created: new Date(s.createdAt).toISOString(), updated: new Date(s.updatedAt).toISOString(),
          })),
          unreachable: answers.filter((a) => !a.ok).map((a) => ({ node: a.node, error: a.ok ? "" : a.error.message })),
        });
      } else {
        io.out(renderTable(["SERVICE", "NAME", "SIZE", "UPDATED"], rows.map((s) => [s.service, s.name, s.missing ? "missing" : formatBytes(s.size), iso(s.updatedAt)]), io.color));
        for (const s of rows.filter((r) => r.missing)) {
          io.err(`warning: secret ${s.service}/${s.name} on node ${s.node} is recorded but podman no longer has it: its containers cannot start again and a deploy naming it fails; set it again: mcp secret set ${s.service} ${s.name}`);
        }
      }
      return reportNodeFailures(io, answers);
    },
  });
