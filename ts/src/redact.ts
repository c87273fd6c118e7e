/**
 * Secret redaction for everything the CLI prints, logs or records: the values of configured
 * secrets (API keys in the environment) and the values after typical auth header names, as an
 * exchange's error body may echo the request headers.
 */

/** Environment variables that hold secrets by name (any ending like these is treated the same). */
const SECRET_ENV = /(^|_)(KEY|KEY_ID|SECRET|SECRET_KEY|TOKEN|PASSWORD|PASSPHRASE|API_KEY|APIKEY)$/i;
/** Known secret variables, redacted whatever their length. */
const KNOWN_ENV = ["APCA_API_KEY_ID", "APCA_API_SECRET_KEY", "ALPACA_API_KEY", "ALPACA_SECRET_KEY", "BINANCE_API_KEY", "BINANCE_API_SECRET"];

/** Header (or JSON key) names whose values are credentials. */
export const SECRET_HEADER_NAMES = [
  "apca-api-key-id",
  "apca-api-secret-key",
  "x-mbx-apikey",
  "x-api-key",
  "api-key",
  "apikey",
  "api_key",
  "api-secret",
  "secret",
  "secret-key",
  "authorization",
  "proxy-authorization",
  "cookie",
  "set-cookie",
  "x-auth-token",
  "access_token",
  "password",
  "signature",
];

export const REDACTED = "[REDACTED]";

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

// `"name": "value"`, `name: value`, `name=value` (quotes optional; the value runs to a quote,
// comma, brace, ampersand or line end).
const HEADER_RE = new RegExp(
  `((?:["']?)(?:${SECRET_HEADER_NAMES.map(escapeRe).join("|")})(?:["']?)\\s*[:=]\\s*)("(?:[^"\\\\]|\\\\.)*"|'[^']*'|(?:Bearer |Basic )?[^\\s"',;&}\\]]+)`,
  "gi",
);

let extra: string[] = [];

/** Adds secret values to redact (e.g. read from a config file). Values shorter than 4 characters are ignored. */
export function addSecrets(values: readonly string[]): void {
  extra = [...new Set([...extra, ...values.filter((v) => v.length >= 4)])];
}

/** The secret values currently configured: known variables and any `*_KEY`/`*_SECRET`/`*_TOKEN` variable. */
export function configuredSecrets(env: NodeJS.ProcessEnv = process.env): string[] {
  const out = new Set<string>(extra);
  for (const [k, v] of Object.entries(env)) {
    if (!v || v.length < 4) continue;
    if (KNOWN_ENV.includes(k) || SECRET_ENV.test(k)) out.add(v);
  }
  // Longest first, so a secret containing another is replaced whole.
  return [...out].sort((a, b) => b.length - a.length);
}

/** Replaces secret values and credential header values in `text` with `[REDACTED]`. */
export function redact(text: string, secrets: readonly string[] = configuredSecrets()): string {
  let out = text;
  for (const s of secrets) if (out.includes(s)) out = out.split(s).join(REDACTED);
  return out.replace(HEADER_RE, (_m, head: string, value: string) => {
    const q = value.startsWith('"') ? '"' : value.startsWith("'") ? "'" : "";
    return `${head}${q}${REDACTED}${q}`;
  });
}

/** Redacts every string value of a JSON-able value (for records written to the registry or files). */
export function redactDeep<T>(v: T, secrets: readonly string[] = configuredSecrets()): T {
  if (typeof v === "string") return redact(v, secrets) as T;
  if (Array.isArray(v)) return v.map((x: unknown) => redactDeep(x, secrets)) as T;
  if (v && typeof v === "object" && Object.getPrototypeOf(v) === Object.prototype) {
    return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, redactDeep(x, secrets)])) as T;
  }
  return v;
}
