import { defineCommand } from "citty";
import { McpError } from "../../../lib/errors.ts";
import type { CliIO } from "../../../lib/io.ts";
import { printJson, renderTable } from "../../../lib/output.ts";
import type { PrunedImage, PruneReport } from "../../../rpc/index.ts";
import { commonArgs, connectNode, jsonArg, loadConfig } from "../../context.ts";
import { formatBytes } from "../../units.ts";

const short = (id: string) => id.replace(/^sha256:/, "").slice(0, 12);
const rows = (images: PrunedImage[]) => images.map((i) => [short(i.id), i.names.join(", ") || "<none>", formatBytes(i.size)]);
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

/** What `mcp node prune` prints: what went (or would go), how much, and what stays for rollbacks. */
export function pruneText(r: PruneReport, dryRun: boolean): string {
  const verb = dryRun ? "would remove" : "removed";
  const head = `${r.node}: ${verb} ${plural(r.removed.length, "image")}, ${formatBytes(r.reclaimedBytes)}${dryRun ? " (dry run: nothing was removed)" : ""}\n`;
  const removed = r.removed.length > 0 ? renderTable(["IMAGE", "NAMES", "SIZE"], rows(r.removed)) : "";
  const keptBytes = r.kept.reduce((n, i) => n + i.size, 0);
  const kept = r.kept.length > 0
    ? `\nkept for rollbacks and deployed versions (images in use are not listed): ${plural(r.kept.length, "image")}, ${formatBytes(keptBytes)}\n${renderTable(["IMAGE", "NAMES", "SIZE"], rows(r.kept))}`
    : "";
  return head + removed + kept;
}

export default (io: CliIO) =>
  defineCommand({
    meta: {
      name: "prune",
      description: "Remove images mcp deployed that no container uses and no rollback of the last --keep deployments per component needs",
    },
    args: {
      node: { type: "positional", description: "the node", required: true },
      "dry-run": { type: "boolean", description: "show what would be removed; remove nothing" },
      keep: { type: "string", description: "successful deployments per component whose images stay (default: the node's [prune] keep, 3)", valueHint: "N" },
      ...commonArgs,
      ...jsonArg,
    },
    async run({ args }) {
      const keep = args.keep === undefined ? 0 : Number(args.keep);
      if (args.keep !== undefined && (!/^\d+$/.test(args.keep.trim()) || keep < 1 || keep > 10_000)) {
        throw new McpError("invalid_argument", `--keep: ${JSON.stringify(args.keep)} is not a whole number from 1 to 10000`, "for example: mcp node prune rift --keep 5");
      }
      const cfg = await loadConfig(io, args.config);
      const client = connectNode(cfg, args.node);
      const dryRun = !!args["dry-run"];
      try {
        const r = await client.pruneImages({ dryRun, keep });
        if (args.json) {
          const img = (i: PrunedImage) => ({ id: i.id, names: i.names, size: i.size });
          printJson(io, { node: r.node, dry_run: dryRun, removed: r.removed.map(img), reclaimed_bytes: r.reclaimedBytes, kept: r.kept.map(img) });
        } else {
          io.out(pruneText(r, dryRun));
        }
        return 0;
      } finally {
        client.close();
      }
    },
  });
