/** What `redact` can replace, each with its placeholder token. */
export const REDACTION_KINDS = ['email', 'url', 'ip', 'phone'] as const;
/** URLs go first: credentials in a URL (user:pass@host) would otherwise split it into an address and a leaked path. */
const ORDER = ['url', 'email', 'ip', 'phone'] as const;
export type RedactionKind = (typeof REDACTION_KINDS)[number];

const PATTERNS: Record<RedactionKind, RegExp> = {
  email: /(?<![\p{L}\p{N}._%+-])[\p{L}\p{N}._%+-]+@[\p{L}\p{N}-]+(?:\.[\p{L}\p{N}-]+)*\.\p{L}{2,}/gu,
  // A scheme or a leading "www."; the match stops at white space, quotes and angle brackets.
  url: /(?<![\p{L}\p{N}@._%+-])(?:(?:https?|ftp):\/\/|www\.)[^\s<>"'`]+/giu,
  ip: new RegExp(
    [
      // IPv4, each octet 0–255
      '(?<![\\d.])(?:(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)\\.){3}(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)(?![\\d.]*\\d)',
      // IPv6, full form
      '(?<![\\p{L}\\p{N}:])(?:[0-9a-f]{1,4}:){7}[0-9a-f]{1,4}(?![\\p{L}\\p{N}:])',
      // IPv6 with "::" compression (needs the "::", so clock times never match)
      '(?<![\\p{L}\\p{N}:])(?:[0-9a-f]{1,4}:){1,6}:(?:[0-9a-f]{1,4}(?::[0-9a-f]{1,4}){0,5})?(?![\\p{L}\\p{N}:])',
    ].join('|'),
    'giu',
  ),
  // Optional +country code, optional (area), then groups split by space, dot or dash; 7–15 digits in all.
  phone: /(?<![\p{L}\p{N}+])(?:\+\d{1,3}[\s.-]?)?(?:\(\d{1,4}\)[\s.-]?)?\d{2,4}(?:[\s.-]\d{2,4}){1,3}(?![\p{L}\p{N}])/gu,
};

/** Shapes a phone pattern also matches but that are dates: 2002-08-22, 22.08.2002, 8/22/02. */
const DATE = /^(?:\d{4}[-./]\d{1,2}[-./]\d{1,2}|\d{1,2}[-./]\d{1,2}[-./]\d{2,4})$/;

const TRAILING_PUNCTUATION = /[.,;:!?)\]}]+$/;

/** Replaces e-mail addresses, URLs, IP addresses and phone numbers with `__email__`, `__url__`, `__ip__`, `__phone__`. */
export function redactText(text: string, kinds: readonly RedactionKind[] = REDACTION_KINDS): { text: string; counts: Record<RedactionKind, number> } {
  const counts: Record<RedactionKind, number> = { email: 0, url: 0, ip: 0, phone: 0 };
  let out = text;
  for (const kind of ORDER) {
    if (!kinds.includes(kind)) continue;
    out = out.replace(PATTERNS[kind], (match: string) => {
      if (kind === 'phone') {
        const digits = match.replace(/\D/g, '').length;
        if (digits < 7 || digits > 15 || DATE.test(match)) return match;
      }
      // A URL or address at the end of a sentence keeps its full stop outside the placeholder.
      const tail = kind === 'url' ? (TRAILING_PUNCTUATION.exec(match)?.[0] ?? '') : '';
      counts[kind]++;
      return ` __${kind}__ ${tail}`;
    });
  }
  return { text: out, counts };
}
