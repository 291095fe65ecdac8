/** Redaction: nothing un-masked from captured traffic reaches a finding, an example or a report. */
export { cardMask, isCardNumber, luhn, maskCards } from "./cards.js";
export { isSensitiveHeader, redactHeaders, type RedactedHeaders } from "./headers.js";
export { redactJson, type RedactedJson } from "./json.js";
export { redactTarget } from "./url.js";
export { isSensitiveKey, looksLikeSecretValue, redactText, REDACTED, SENSITIVE_HEADERS } from "./keys.js";
