import { defineCommand } from "citty";
import { formatUptime } from "../../../lib/duration.ts";
import { askAllNodes, commonArgs, jsonArg, loadConfig, tokenPathFor } from "../../context.ts";
import type { CliIO } from "../../../lib/io.ts";
import { paintState, printJson, renderTable } from "../../../lib/output.ts";
import { reportNodeFailures } from "../../report.ts";
import { statusJson } from "./_status.ts";

export default (io: CliIO) =>
  defineCommand({
    meta: { name: "list", description: "The nodes in the CLI config, each asked for its agent and podman versions, counts, and the agent's and the host's uptime" },
    args: {
      offline: { type: "boolean", description: "only the config: ask no node" },
      ...commonArgs,
      ...jsonArg,
    },
    async run({ args }) {
      const cfg = await loadConfig(io, args.config);
      const nodes = cfg.nodes.map((n) => ({
        name: n.name, address: n.address, server_name: n.serverName, ca_cert: n.caCert || cfg.tls.caCert, token_path: tokenPathFor(cfg, n),
      }));
      if (args.offline || nodes.length === 0) {
        if (args.json) printJson(io, { nodes });
        else io.out(renderTable(["NAME", "ADDRESS", "SERVER NAME", "CA"], nodes.map((n) => [n.name, n.address, n.server_name, n.ca_cert]), io.color));
        return 0;
      }
      const answers = await askAllNodes(cfg, (c) => c.nodeStatus());
      if (args.json) {
        printJson(io, {
          nodes: nodes.map((n) => {
            const a = answers.find((x) => x.node === n.name)!;
            return { ...n, ...(a.ok ? { reachable: true, ...statusJson(a.value) } : { reachable: false, error: a.error.message }) };
          }),
        });
        return reportNodeFailures(io, answers);
      }
      const rows = nodes.map((n) => {
        const a = answers.find((x) => x.node === n.name)!;
        if (!a.ok) return [n.name, n.address, paintState(io, "unreachable"), "-", "-", "-", "-", "-"];
        const s = a.value;
        // Both from the agent's clock. The host's next to the agent's tells a reboot (both small) from an agent restart.
        const agentUptime = formatUptime(Math.max(0, s.now - s.agentStartedAt));
        return [n.name, n.address, paintState(io, "up"), s.agentVersion, s.podmanVersion, `${s.services}/${s.components}/${s.running}`, agentUptime, formatUptime(s.uptimeMs)];
      });
      io.out(renderTable(["NAME", "ADDRESS", "STATE", "AGENT", "PODMAN", "SVC/COMP/RUN", "AGENT UPTIME", "HOST UPTIME"], rows, io.color));
      return reportNodeFailures(io, answers);
    },
  });
