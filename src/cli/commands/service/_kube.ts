import { existsSync } from "node:fs";
import { resolve } from "node:path";
import type { CliConfig } from "../../../config/index.ts";
import { McpError } from "../../../lib/errors.ts";
import type { CliIO } from "../../../lib/io.ts";
import { note } from "../../../lib/output.ts";
import { isRedactedEnv, writeFileAtomic } from "../../../servicedef/index.ts";
import { renderKube, serviceToKube, type KubeKind } from "../../kube/index.ts";
import { deployedDefinition } from "./_registry.ts";

/** The flags of `mcp service export` that the kube branch reads. */
export interface KubeExportArgs {
  service: string;
  node?: string;
  output?: string;
  force?: boolean;
  "kube-kind"?: string;
}

/**
 * `mcp service export <service> --format kube`: the registry's spec of the
 * service as Kubernetes YAML (SPEC §7.9), on stdout, or written to -o
 * (never over an existing file without --force).
 */
export async function exportKube(io: CliIO, cfg: CliConfig, args: KubeExportArgs): Promise<number> {
  const kind = (args["kube-kind"] ?? "pod") as KubeKind;
  if (kind !== "pod" && kind !== "deployment") {
    throw new McpError("invalid_argument", `--kube-kind: ${JSON.stringify(String(kind).slice(0, 40))} is not pod or deployment`, "write --kube-kind pod (the default) or --kube-kind deployment");
  }
  const path = args.output ? resolve(io.cwd, args.output) : undefined;
  if (path && existsSync(path) && !args.force) {
    throw new McpError("invalid_argument", `${path} exists`, "overwrite it with --force, or write elsewhere with -o <file>");
  }
  const def = await deployedDefinition(cfg, args.service, args.node);
  if (def.components.some((c) => c.env.some(isRedactedEnv))) {
    throw new McpError("permission_denied", `node ${def.node} sent the env values of ${args.service} as KEY=… (this token is a viewer's)`,
      "export with an operator token; a viewer may read the spec with mcp service show");
  }
  const exp = serviceToKube(def, kind);
  const text = renderKube(exp, `from node ${def.node}`);
  if (!path) {
    io.out(text);
  } else {
    await writeFileAtomic(path, text, { createDir: true, mode: def.components.some((c) => c.env.length > 0) ? 0o600 : 0o644 });
    note(io, `wrote ${path}`);
  }
  if (exp.notes.length > 0) note(io, `${exp.notes.length} setting(s) did not carry over into Kubernetes; they are listed at the top of the YAML`);
  return 0;
}
