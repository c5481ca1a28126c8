export { isDrift, observedStateOf } from "./state.ts";
export { createJournal, type Journal } from "./journal.ts";
export { LiveState } from "./live.ts";
export { plan, trackerKey, type Action, type AlertKind, type ComponentView, type Incident, type MonitorRules, type PlanInput, type PlanOutput, type Tracker } from "./plan.ts";
export { ALERT_TIMEOUT_MS, alertCommandError, alertMessage, alertPayload, createAlerter, type Alerter, type AlertFacts, type ExecFn } from "./alert.ts";
export { applyActions, type ApplyDeps } from "./apply.ts";
export { startMonitor, type Monitor, type MonitorDeps } from "./loop.ts";
