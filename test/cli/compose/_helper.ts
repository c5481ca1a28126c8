import { McpError } from "../../../src/lib/errors.ts";
import { importCompose, type ComposeImport } from "../../../src/cli/compose/index.ts";

/** Imports a compose text as service `shop` on node `rift` from /work/app, with env files from `files`. */
export function imp(yaml: string, o: { files?: Record<string, string>; vars?: Record<string, string>; network?: string } = {}): ComposeImport {
  return importCompose(yaml, {
    source: "compose.yml", dir: "/work/app", service: "shop", node: "rift", srvRoot: "/srv", network: o.network,
    vars: new Map(Object.entries(o.vars ?? {})),
    readEnvFile: (file, where) => {
      const text = o.files?.[file];
      if (text === undefined) throw new McpError("invalid_argument", `${where}: the env_file ${file} does not exist`);
      return text;
    },
  });
}

/** The message of the error imp throws (fails the test when none). */
export function impError(yaml: string, o: Parameters<typeof imp>[1] = {}): string {
  try {
    imp(yaml, o);
  } catch (err) {
    if (err instanceof McpError) return err.message;
    throw err;
  }
  throw new Error("the import did not fail");
}

/** `path: message` of each unmapped item. */
export const unmappedOf = (r: ComposeImport) => r.unmapped.map((u) => `${u.path}: ${u.message}`);
