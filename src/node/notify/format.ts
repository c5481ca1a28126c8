/**
 * What each kind of channel receives for one alert (SPEC §7.8), built
 * without I/O. A webhook gets the JSON that `alert_command` reads on stdin
 * (kind, node, service, component, desired, observed, previous, time,
 * message); ntfy gets the message as the body and Title, Priority and Tags
 * headers (https://docs.ntfy.sh/publish/).
 */
import { alertMessage, alertPayload, type AlertFacts } from "../monitor/index.ts";

export type ChannelKind = "webhook" | "ntfy";

/** One HTTP request to make: POST to the channel's URL. */
export interface NotifyRequest {
  headers: Record<string, string>;
  body: string;
}

/** ntfy's priority of an alert: recoveries are ordinary news, the rest wake someone. */
export function ntfyPriority(kind: string): "high" | "default" {
  return kind === "recovered" ? "default" : "high";
}

/** ntfy's tags of an alert: an emoji short code first (ntfy shows it before the title), then the kind. */
export function ntfyTags(kind: string): string {
  const emoji: Record<string, string> = { drift: "warning", flapping: "rotating_light", unhealthy: "face_with_thermometer", recovered: "white_check_mark" };
  return [emoji[kind] ?? "bell", kind.replace(/[^a-z0-9_-]/gi, ""), "mcp"].join(",");
}

/** Header-safe text (names are [a-z0-9-]; anything else would be refused by HTTP): printable ASCII only. */
const ascii = (s: string) => s.replace(/[^\x20-\x7e]/g, "?");

export function notifyRequest(kind: ChannelKind, facts: AlertFacts): NotifyRequest {
  if (kind === "webhook") return { headers: { "content-type": "application/json" }, body: alertPayload(facts).json };
  return {
    headers: {
      "content-type": "text/plain; charset=utf-8",
      title: ascii(`mcp ${facts.kind}: ${facts.service}/${facts.component} on ${facts.node}`),
      priority: ntfyPriority(facts.kind),
      tags: ascii(ntfyTags(facts.kind)),
    },
    body: alertMessage(facts),
  };
}
