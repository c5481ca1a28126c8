// The command lines of `mcp deploy --all` and `mcp logs` (issue 17) that are
// wrong before any config or node is read: exit 2, one line of what and one
// of what to do.
import { describe, expect, test } from "bun:test";
import { runMcp } from "../support/mcp.ts";

describe("deploy --all and logs: usage errors", () => {
  const cases: [string[], string][] = [
    [["deploy", "--all", "web"], '--all deploys every active service: do not name one ("web")'],
    [["deploy"], "name the service to deploy, or --all"],
    [["deploy", "web", "--parallel", "2"], "--parallel and --check-images go with --all"],
    [["deploy", "web", "--check-images"], "--parallel and --check-images go with --all"],
    [["deploy", "--all", "--parallel", "0"], '--parallel: "0" is not a whole number from 1 to 64'],
    [["deploy", "--all", "--parallel", "x"], '--parallel: "x" is not a whole number from 1 to 64'],
    [["logs", "web", "--since", "yesterday"], '--since: "yesterday" is neither a duration nor a time'],
    [["logs", "web", "-n", "-1"], '-n: "-1" is not a whole number'],
  ];
  for (const [args, message] of cases) {
    test(`mcp ${args.join(" ")}`, async () => {
      const r = await runMcp("source", [...args, "--config", "/nonexistent/mcp.toml"]);
      expect({ code: r.code, stdout: r.stdout }).toEqual({ code: 2, stdout: "" });
      expect(r.stderr.split("\n")[0]).toBe(`error: ${message}`);
      expect(r.stderr).toMatch(/\nhint: \S/);
    });
  }
});
