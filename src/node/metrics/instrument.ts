/**
 * Podman call latency (SPEC §7.8) without touching the adapter: the agent's
 * podman runner wrapped so that every finished call is observed by verb and
 * outcome. Long-running streams (events, followed logs) are not calls and
 * are not timed.
 */
import type { Histograms } from "./text.ts";

/** The part of a runner that is timed (src/node/podman/runner.ts's Runner). */
interface Runs {
  run(argv: string[], opts: never): Promise<unknown>;
}

/** The runner with every `run` observed into hist as `{verb, outcome}` seconds; outcome ok, error or timeout. */
export function timePodmanCalls<R extends Runs>(runner: R, verbOf: (argv: readonly string[]) => string, hist: Histograms): R {
  const run = async (argv: string[], opts: never) => {
    const started = performance.now();
    let outcome = "ok";
    try {
      return await runner.run(argv, opts);
    } catch (err) {
      outcome = (err as { code?: string })?.code === "deadline_exceeded" ? "timeout" : "error";
      throw err;
    } finally {
      hist.observe({ verb: verbOf(argv), outcome }, (performance.now() - started) / 1000);
    }
  };
  return { ...runner, run } as R;
}
