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
  /**
   * "real" so far, but on too little evidence: a value that legacy has answered fewer times than
   * the generated-value rule needs (and no legacy-secondary verdict). The judge leaves such a
   * comparison out of parity until the value has been seen enough; the finding is still kept.
   */
  undecided?: true;
}
