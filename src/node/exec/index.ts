export { createExecRegistry, DEFAULT_TERM, EXEC_LIMITS, execTarget, runExec, type ExecDeps, type ExecInput, type ExecLimits, type ExecOutput, type ExecRegistry, type ExecRequest } from "./run.ts";
