/** The outcome class of one component's operation. */
export type ResultStatus = "ok" | "unchanged" | "rolled_back" | "failed";

/** The outcome of an operation (deploy, stop, start, restart) on one component. */
export interface ComponentResult {
  component: string;
  status: ResultStatus;
  /** For the operator: what happened or what went wrong. */
  message: string;
  version: string;
  containerName: string;
}

/** A deploy's result: every selected component, plus warnings. */
export interface DeployOutcome {
  results: ComponentResult[];
  warnings: string[];
}

/** A step worth showing while a deploy runs (lock waits, pulls). */
export interface Progress {
  component: string;
  message: string;
}

/** One line of a sync's report; `done` is false for a dry run or a step that failed (`what` says why). */
export interface SyncChange {
  service: string;
  component: string;
  what: string;
  done: boolean;
}
