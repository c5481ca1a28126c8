/**
 * Runs the operator's editor on a file and waits for it, with the terminal
 * handed over. `$VISUAL`, else `$EDITOR`, else `vi`; like git, the value is
 * given to `sh -c` so that it may carry arguments (`code --wait`).
 * The one place the CLI spawns a process.
 */
export async function runEditor(env: Record<string, string | undefined>, file: string): Promise<number> {
  const editor = env.VISUAL || env.EDITOR || "vi";
  const proc = Bun.spawn(["sh", "-c", `${editor} "$@"`, editor, file], {
    stdin: "inherit",
    stdout: "inherit",
    stderr: "inherit",
    env: env as Record<string, string>,
  });
  return proc.exited;
}
