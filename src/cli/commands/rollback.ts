import { defineCommand } from "citty";
import { findNode } from "../../config/index.ts";
import { McpError } from "../../lib/errors.ts";
import { loadServiceDef } from "../../servicedef/index.ts";
import type { DeploymentRecord } from "../../model/index.ts";
import { askAllNodes, commonArgs, connectNode, jsonArg, loadConfig, lockWaitFrom, parseTarget, waitArg } from "../context.ts";
import type { CliIO } from "../../lib/io.ts";
import { paintState, printJson, renderTable } from "../../lib/output.ts";
import { printResults, reportNodeFailures, showProgress } from "../report.ts";

const OUTCOME_WORDS: Record<DeploymentRecord["outcome"], string> = { ok: "ok", failed: "failed", rolled_back: "rolled back", pending: "pending" };

function time(ms: number): string {
  return ms ? new Date(ms).toISOString().replace("T", " ").slice(0, 19) : "-";
}

function clip(text: string, n: number): string {
  return text.length > n ? `${text.slice(0, n - 1)}…` : text;
}

export default (io: CliIO) =>
  defineCommand({
    meta: {
      name: "rollback",
      description: "Redeploy a service's (or component's) previous successful deployment, by image digest (no pull); --list shows the history",
    },
    args: {
      target: { type: "positional", description: "<service>[/<component>] (optional with --list: every service of every node)", required: false },
      list: { type: "boolean", description: "show the deployment history (when, version, digest, outcome) instead of rolling back" },
      lines: { type: "string", alias: "n", description: "with --list: deployments per component (default 10)", valueHint: "N" },
      ...waitArg,
      ...commonArgs,
      ...jsonArg,
    },
    async run({ args }) {
      const target = args.target ? parseTarget(args.target) : null;
      if (!args.list) {
        if (!target) throw new McpError("invalid_argument", "rollback needs a service", "for example: mcp rollback metacrypt (or mcp rollback --list)");
        if (args.json) throw new McpError("invalid_argument", "--json goes with --list", "mcp rollback --list --json");
        if (args.lines !== undefined) throw new McpError("invalid_argument", "-n goes with --list", `mcp rollback --list ${args.target} -n 20`);
      }
      const limit = args.lines === undefined ? 10 : Number(args.lines);
      if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
        throw new McpError("invalid_argument", `-n: "${args.lines}" is not a whole number from 1 to 1000`, "for example: mcp rollback --list -n 20");
      }
      const lockWaitMs = lockWaitFrom(args.wait);
      let cfg = await loadConfig(io, args.config);
      const def = target ? (await loadServiceDef(cfg.services.dir, target.service)).def : null;

      if (args.list) {
        if (def) cfg = { ...cfg, nodes: [findNode(cfg, def.node)] };
        const answers = await askAllNodes(cfg, (c) => c.getServiceStatus({ service: target?.service ?? "", eventLimit: 1, historyLimit: limit }));
        const rows = answers
          .flatMap((a) => (a.ok ? a.value.history.map((d) => ({ ...d, node: a.node })) : []))
          .filter((d) => !target?.component || d.component === target.component)
          .sort((x, y) => x.service.localeCompare(y.service) || x.component.localeCompare(y.component) || y.id - x.id);
        if (args.json) {
          printJson(io, {
            deployments: rows.map((d) => ({
              node: d.node, service: d.service, component: d.component, id: d.id, started_at: new Date(d.startedAt).toISOString(),
              finished_at: d.finishedAt ? new Date(d.finishedAt).toISOString() : null, version: d.version, image: d.spec.image,
              image_digest: d.imageDigest, outcome: d.outcome, message: d.message,
            })),
            unreachable: answers.filter((a) => !a.ok).map((a) => ({ node: a.node, error: a.ok ? "" : a.error.message })),
          });
        } else {
          io.out(renderTable(
            ["SERVICE", "COMPONENT", "NODE", "ID", "STARTED", "VERSION", "DIGEST", "OUTCOME", "DETAIL"],
            rows.map((d) => [
              d.service, d.component, d.node, String(d.id), time(d.startedAt), d.version || "-", d.imageDigest.slice(0, 19) || "-",
              paintState(io, OUTCOME_WORDS[d.outcome]), clip(d.message, 60) || "-",
            ]),
            io.color,
          ));
        }
        return reportNodeFailures(io, answers);
      }

      const client = connectNode(cfg, def!.node);
      try {
        const outcome = await client.rollback({ service: target!.service, component: target!.component, lockWaitMs }, (p) => showProgress(io, target!.service, p));
        return printResults(io, target!.service, outcome.results);
      } finally {
        client.close();
      }
    },
  });
