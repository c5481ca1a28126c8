import type { Clock } from "../../lib/clock.ts";
import { messageOf } from "../../lib/errors.ts";
import type { Logger } from "../../lib/log.ts";
import type { DesiredState } from "../runtime/types.ts";
import { setObserved, type Db } from "../store/index.ts";
import type { Alerter } from "./alert.ts";
import type { Journal } from "./journal.ts";
import type { Action } from "./plan.ts";

export interface ApplyDeps {
  db: Db;
  journal: Journal;
  alerter: Alerter;
  clock: Clock;
  log: Logger;
  reconcile: (service: string, component: string, desired: DesiredState) => Promise<void>;
}

/**
 * Carries out the plan's actions. Never throws and never waits: alert
 * commands and reconciles run in the background and report their own
 * failures, so one failing action does not stop the others or the monitor.
 */
export function applyActions(actions: Action[], d: ApplyDeps): void {
  const now = d.clock.now();
  for (const a of actions) {
    try {
      switch (a.type) {
        case "record": {
          setObserved(d.db, a.service, a.component, a.to, a.containerId, now);
          const code = a.to === "exited" ? ` (exit code ${a.exitCode})` : "";
          d.journal.append({ time: now, service: a.service, component: a.component, kind: "observed", message: `${a.from} → ${a.to}${code}` });
          break;
        }
        case "alert":
          d.alerter.fire(a);
          break;
        case "suppress":
          d.log.info("alert suppressed", { kind: a.kind, service: a.service, component: a.component, why: a.why });
          break;
        case "reconcile":
          d.log.info("reconciling", { service: a.service, component: a.component, desired: a.desired, attempt: a.attempt });
          d.reconcile(a.service, a.component, a.desired).catch((err) =>
            d.log.warn("reconcile failed", { service: a.service, component: a.component, error: messageOf(err) }),
          );
          break;
      }
    } catch (err) {
      // A registry write that fails (disk full, locked) is logged; the next evaluation tries again.
      d.log.error("monitor action failed", { action: a.type, service: a.service, component: a.component, error: messageOf(err) });
    }
  }
}
