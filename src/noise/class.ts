/** How a difference is classified, as plain data (shared with the dashboard). */

/**
 * "real": a migration difference. "noise_secondary": legacy differs from itself about as often
 * (learned from legacy-secondary). "noise_generated": legacy's own value changes per request and
 * looks generated (learned without a secondary). Noise is shown apart, never dropped.
 */
export type NoiseClass = "real" | "noise_secondary" | "noise_generated";

export interface NoiseExplanation {
  class: NoiseClass;
  reason: string;
}
