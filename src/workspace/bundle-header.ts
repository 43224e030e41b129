/**
 * The header of a git bundle from a sandbox, checked before the bot's machine fetches from it.
 * A bundle is data (refs and a pack), but its header may carry capabilities: a v3 bundle with
 * `@filter` makes git take a partial pack, and later git versions may add others. The sandbox's
 * own `git bundle create` writes none but the object format, so nothing else is accepted. Pure,
 * linear in the header and bounded.
 */

const MAX_HEADER_BYTES = 1024 * 1024;
const SIGNATURES = ["# v2 git bundle", "# v3 git bundle"];
const OID = /^-?[0-9a-f]{40}(?:[0-9a-f]{24})?(?: |$)/;

export type BundleCheck = { ok: true } | { ok: false; reason: string };

export function checkBundleHeader(bundle: Uint8Array): BundleCheck {
  const end = Math.min(bundle.length, MAX_HEADER_BYTES);
  let start = 0;
  let lineNo = 0;
  for (let i = 0; i < end; i++) {
    if (bundle[i] !== 0x0a) continue;
    const line = Buffer.from(bundle.subarray(start, i)).toString("latin1");
    start = i + 1;
    if (lineNo++ === 0) {
      if (!SIGNATURES.includes(line)) return { ok: false, reason: "it is not a git bundle (v2 or v3)" };
      continue;
    }
    if (line === "") return lineNo > 2 ? { ok: true } : { ok: false, reason: "the bundle names no commit" };
    if (line.startsWith("@")) {
      if (/^@object-format=(?:sha1|sha256)$/.test(line)) continue;
      return { ok: false, reason: `the bundle asks for ${JSON.stringify(line.slice(0, 80))}, which the sandbox's git never writes` };
    }
    if (!OID.test(line)) return { ok: false, reason: "a line of the bundle's header is neither a commit nor a ref" };
  }
  return { ok: false, reason: "the bundle's header does not end within 1 MiB" };
}
