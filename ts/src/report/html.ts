/** HTML building blocks: escaping and small formatters. Every text inserted into the page goes through `esc`. */

const ENTITIES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

export function esc(s: unknown): string {
  return String(s).replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}

/** JSON safe inside a <script> element: no `</script>`, no `<!--`, no raw U+2028/9. */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, "\\u003c")
    .replace(/>/g, "\\u003e")
    .replace(/&/g, "\\u0026")
    .replace(/\u2028/g, "\\u2028")
    .replace(/\u2029/g, "\\u2029");
}

/** Inline JavaScript (a library bundle) safe inside a <script> element. */
export function inlineScript(js: string): string {
  return js.replace(/<\/(script)/gi, "<\\/$1").replace(/<!--/g, "<\\!--");
}

export const pct = (x: number | null | undefined, d = 2) => (x === null || x === undefined || !Number.isFinite(x) ? "–" : `${(x * 100).toFixed(d)}%`);
export const num = (x: number | null | undefined, d = 2) => (x === null || x === undefined || !Number.isFinite(x) ? "–" : x.toFixed(d));
export const isoDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);
export const isoMinute = (ms: number) => new Date(ms).toISOString().slice(0, 16).replace("T", " ");

/** Fee fraction as a short percentage: 0.001 -> `0.1%`. */
export const feePct = (x: number) => `${+(x * 100).toFixed(4)}%`;
