export { isDrift, observedStateOf } from "./state.ts";
export { refreshObserved } from "./refresh.ts";
