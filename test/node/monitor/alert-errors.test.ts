// Issue 15 (one bullet): the alert command's failures are worded for the
// alert command, not for podman (the process seam's errors said "install podman").
import { describe, expect, test } from "bun:test";
import { McpError } from "../../../src/lib/errors.ts";
import { createRunner } from "../../../src/node/podman/index.ts";
import { alertCommandError } from "../../../src/node/monitor/index.ts";

const run = async (argv: string[], timeoutMs = 5000) => {
  try {
    await createRunner({ bin: argv[0]! }).run(argv.slice(1), { timeoutMs });
    return null;
  } catch (err) {
    return err;
  }
};

describe("alert command failures", () => {
  test("not found, a non-zero exit, a hang: each named as the alert command, never podman", async () => {
    const missing = alertCommandError(["/nonexistent/notify"], await run(["/nonexistent/notify"]));
    expect(missing).toBe("[monitor] alert_command /nonexistent/notify cannot be run (not found or not executable): fix the command in the agent config");
    const exit = alertCommandError(["sh"], await run(["sh", "-c", "echo no route to pager >&2; exit 7"]));
    expect(exit).toBe("[monitor] alert_command sh exited 7: no route to pager");
    const hang = alertCommandError(["sleep"], await run(["sleep", "5"], 100));
    expect(hang).toBe("[monitor] alert_command sleep did not finish within 30s and was killed");
    for (const m of [missing, exit, hang]) expect(m).not.toMatch(/podman/);
    expect(alertCommandError(["x"], new McpError("internal", "boom"))).toBe("[monitor] alert_command x failed: boom");
  });
});
