import type { ContainerRuntime } from "../runtime/port.ts";
import type { ContainerDetails } from "../runtime/types.ts";

/**
 * Polls a container until it runs, exits, or the deadline passes. Returns the
 * last inspection (null when the container disappeared).
 */
export async function waitForStart(runtime: ContainerRuntime, name: string, deadlineMs: number): Promise<ContainerDetails | null> {
  const until = Date.now() + deadlineMs;
  let delay = 50;
  for (;;) {
    const c = await runtime.inspect(name);
    if (!c || c.state === "running" || c.state === "exited" || Date.now() >= until) return c;
    await Bun.sleep(delay);
    delay = Math.min(delay * 2, 500);
  }
}
