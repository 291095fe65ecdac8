// Pure statistical primitives used by the rollout judge. No I/O, no ambient randomness.
export * from "./special.js";
export * from "./binomial.js";
export * from "./intervals.js";
export * from "./sequential.js";
export * from "./contingency.js";
export * from "./multiple.js";
export * from "./cluster.js";
export * from "./sample-size.js";
export * from "./histogram.js";
export * from "./user-sample.js";
export * from "./rng.js";
export * from "./capped.js";
export * from "./noninferiority.js";
