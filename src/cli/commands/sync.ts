import { defineCommand } from "citty";
import { findNode } from "../../config/index.ts";
import { readServiceDefs } from "../../servicedef/index.ts";
import { askAllNodes, commonArgs, jsonArg, loadConfig } from "../context.ts";
import type { CliIO } from "../../lib/io.ts";
import { note, printJson, renderTable, warn } from "../../lib/output.ts";
import { EXIT } from "../boundary.ts";
import { reportNodeFailures } from "../report.ts";

export default (io: CliIO) =>
  defineCommand({
    meta: {
      name: "sync",
      description: "Record every definition's desired state on its node (one call per node); stops inactive services, starts nothing",
    },
    args: {
      "dry-run": { type: "boolean", description: "print what would change and change nothing" },
      prune: { type: "boolean", description: "also forget registry entries of services no definition names (their containers are left alone)" },
      ...commonArgs,
      ...jsonArg,
    },
    async run({ args }) {
      const cfg = await loadConfig(io, args.config);
      const { defs, warnings } = await readServiceDefs(cfg.services.dir);
      for (const w of warnings) warn(io, w);
      // Every node a definition names must be known before anything is sent.
      for (const d of defs) findNode(cfg, d.node);
      const dryRun = !!args["dry-run"];
      // Every configured node gets one call, with its definitions (maybe none): it records foreign containers, and --prune applies there too.
      const answers = await askAllNodes(cfg, (c) =>
        c.syncDesiredState({ services: defs.filter((d) => d.node === c.node), dryRun, prune: !!args.prune }));
      const rows = answers.flatMap((a) => (a.ok ? a.value.changes.map((ch) => ({ node: a.node, ...ch })) : []));
      const failed = rows.filter((r) => !dryRun && !r.done);
      if (args.json) {
        printJson(io, {
          dry_run: dryRun,
          changes: rows.map((r) => ({ node: r.node, service: r.service, component: r.component, change: r.what, done: r.done })),
          unreachable: answers.filter((a) => !a.ok).map((a) => ({ node: a.node, error: a.ok ? "" : a.error.message })),
        });
      } else {
        for (const a of answers) if (a.ok && a.value.changes.length === 0) io.out(`${a.node}: nothing to change\n`);
        if (rows.length > 0) {
          io.out(renderTable(["NODE", "SERVICE", "COMPONENT", "CHANGE"], rows.map((r) => [r.node, r.service || "-", r.component || "-", r.what]), io.color));
        }
        if (dryRun) note(io, "dry run: nothing was changed");
      }
      const code = reportNodeFailures(io, answers);
      return code !== EXIT.ok ? code : failed.length > 0 ? EXIT.failed : EXIT.ok;
    },
  });
