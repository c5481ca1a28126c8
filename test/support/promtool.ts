/**
 * Debian's promtool (package prometheus; scripts/setup-podman.sh installs
 * it): `promtool check metrics` reads an exposition on stdin and prints its
 * problems. Missing promtool fails in CI (CI=true) and is said loudly
 * elsewhere; it is never a silent skip.
 */

/** True when promtool is on PATH; in CI its absence throws. */
export function promtoolAvailable(): boolean {
  if (Bun.which("promtool")) return true;
  const why = "promtool is missing: install Debian's prometheus package (scripts/setup-podman.sh does, as root)";
  if (process.env.CI === "true") throw new Error(why);
  console.warn(`metrics checks SKIPPED: ${why}`);
  return false;
}

/** `promtool check metrics` of text: its exit code and combined output (empty when clean). */
export async function promtoolCheck(text: string): Promise<{ code: number; output: string }> {
  if (!promtoolAvailable()) throw new Error("promtool is missing (see the warning above)");
  const p = Bun.spawn(["promtool", "check", "metrics"], { stdin: new TextEncoder().encode(text), stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  return { code, output: (out + err).trim() };
}
