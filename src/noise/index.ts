/** Learned noise: which differences legacy also shows against itself, or that come from generated values. */
export { NoiseModel, type NoiseClass, type NoiseExplanation, type NoiseOptions, type NoiseSnapshot } from "./model.js";
export { DEFAULT_SECONDARY, type SecondaryThresholds } from "./secondary.js";
export { DEFAULT_GENERATED, type GeneratedLimits } from "./generated.js";
