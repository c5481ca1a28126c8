import * as v from "valibot";
import type { RuntimeEvent } from "../runtime/types.ts";
import { parseTime } from "./parse.ts";

/** `podman events --format json`, one line each (kept apart from parse.ts: the stream is read line by line). */
const Event = v.looseObject({
  ID: v.string(),
  Name: v.string(),
  Status: v.string(),
  Time: v.string(),
  Type: v.optional(v.string()),
  Image: v.optional(v.string()),
  ContainerExitCode: v.optional(v.nullable(v.number())),
});

/** One line of `podman events --format json` → a RuntimeEvent, or null for a line that is not a container event. */
export function parseEvent(line: string): RuntimeEvent | null {
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch {
    return null;
  }
  const r = v.safeParse(Event, raw);
  if (!r.success || (r.output.Type !== undefined && r.output.Type !== "container")) return null;
  const e = r.output;
  return {
    name: e.Name,
    id: e.ID,
    status: e.Status,
    time: parseTime(e.Time),
    exitCode: e.ContainerExitCode ?? (e.Status === "died" ? 0 : null),
    image: e.Image ?? "",
  };
}
