/**
 * Payment card numbers (PANs) in free text: 13–19 digits, optionally grouped by single spaces or
 * dashes (or `+`, `%20`, `%2D` in a URL), starting with a card network's first digit (2–6: Mastercard, Amex, Visa, Discover,
 * JCB, UnionPay) and passing the Luhn check. The first-digit rule keeps millisecond timestamps
 * (13 digits starting with 1) and most ids visible; the Luhn check keeps 9 in 10 other long
 * numbers visible. A masked number keeps its last four digits, as receipts do.
 */

// Separators: space, dash, plus, and their percent-encodings (a card number in a query string).
const CANDIDATE = /(?<![\d-])[2-6](?:(?:[ +-]|%20|%2[dD])?\d){12,18}(?!\d)/g;
const SEPARATORS = /%20|%2[dD]|[ +-]/g;

/** True when `digits` (digits only) passes the Luhn check. */
export function luhn(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return sum % 10 === 0;
}

/** The mask a card number is replaced by: `[card …1111]`. */
export function cardMask(digits: string): string {
  return `[card …${digits.slice(-4)}]`;
}

/** True when the whole string is a card number (digits, optional single space/dash groups). */
export function isCardNumber(s: string): boolean {
  if (s.length < 13 || s.length > 40) return false;
  CANDIDATE.lastIndex = 0;
  const m = CANDIDATE.exec(s);
  return m !== null && m.index === 0 && m[0].length === s.length && luhn(m[0].replace(SEPARATORS, ""));
}

/** Masks every Luhn-valid card number in `text`; returns the text and how many were masked. */
export function maskCards(text: string): { text: string; count: number } {
  // Fast path: most strings have no run of 13 digits.
  if (text.length < 13 || !/\d{4}/.test(text)) return { text, count: 0 };
  let count = 0;
  const out = text.replace(CANDIDATE, (m) => {
    const digits = m.replace(SEPARATORS, "");
    if (!luhn(digits)) return m;
    count++;
    return cardMask(digits);
  });
  return { text: count === 0 ? text : out, count };
}
