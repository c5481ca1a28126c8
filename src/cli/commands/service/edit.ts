import { existsSync } from "node:fs";
import { readFile, rm, writeFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { defineCommand } from "citty";
import { isMcpError, McpError, messageOf } from "../../../lib/errors.ts";
import { parseServiceDef, serviceDefPath, writeFileAtomic } from "../../../servicedef/index.ts";
import { printError } from "../../../lib/output.ts";
import { runEditor } from "../../editor.ts";
import { commonArgs, loadConfig, serviceArg } from "../../context.ts";
import type { CliIO } from "../../../lib/io.ts";
import { note, warn } from "../../../lib/output.ts";

/** Why an edited text is refused, or null when it is a valid definition of `service`. */
function check(text: string, path: string, service: string): McpError | null {
  try {
    const { def } = parseServiceDef(text, path);
    if (def.name !== service) return new McpError("invalid_argument", `${path}: name: "${def.name}" must match the file name (${service})`, `keep name = "${service}"`);
    return null;
  } catch (err) {
    return isMcpError(err) ? err : new McpError("invalid_argument", messageOf(err));
  }
}

export default (io: CliIO) =>
  defineCommand({
    meta: {
      name: "edit",
      description: "Open a service's definition file in $VISUAL/$EDITOR; saved only when it is valid (asks to edit again, or keeps the rejected edit)",
    },
    args: {
      ...serviceArg,
      ...commonArgs,
    },
    async run({ args }) {
      const cfg = await loadConfig(io, args.config);
      const path = serviceDefPath(cfg.services.dir, args.service);
      if (!existsSync(path)) {
        throw new McpError("invalid_argument", `no definition for service ${args.service} in ${cfg.services.dir}`,
          `write one from the registry: mcp service export ${args.service}`);
      }
      const original = await readFile(path, "utf8");
      // A hidden file beside it (definition readers skip it), ending in .toml for the editor's syntax mode.
      const scratch = join(dirname(path), `.${basename(path, ".toml")}.edit-${process.pid}.toml`);
      let text = original;
      try {
        for (;;) {
          await writeFile(scratch, text, { mode: 0o600 });
          const code = await runEditor(io.env, scratch);
          if (code !== 0) throw new McpError("failed_precondition", `the editor exited with status ${code}; ${path} is unchanged`, "check $VISUAL / $EDITOR");
          text = await readFile(scratch, "utf8");
          if (text === original) {
            note(io, `no changes; ${path} is unchanged`);
            return 0;
          }
          const problem = check(text, path, args.service);
          if (!problem) {
            await writeFileAtomic(path, text);
            for (const w of parseServiceDef(text, path).warnings) warn(io, w);
            note(io, `saved ${path}`);
            return 0;
          }
          printError(io, problem.message, problem.hint);
          if (io.stdinIsTTY) {
            io.err("edit again? [Y/n] ");
            const answer = ((await io.readLine()) ?? "n").trim().toLowerCase();
            if (answer === "" || answer === "y" || answer === "yes") continue;
          }
          const kept = `${path}.rejected`;
          await writeFile(kept, text, { mode: 0o600 });
          throw new McpError("invalid_argument", `the edit is not a valid definition; ${path} is unchanged`, `your edit is kept in ${kept}`);
        }
      } finally {
        await rm(scratch, { force: true });
      }
    },
  });
