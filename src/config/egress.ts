/**
 * Where an E2B sandbox may connect to. Default: where its Claude sends model requests (the bot's
 * model gateway when it is on, else the model API), the git host, and the common package
 * registries — what a coding agent needs, and nothing that lets it ship a repository to an
 * arbitrary server. SANDBOX_ALLOW_OUT replaces the registries (comma-separated hosts or CIDRs);
 * the model endpoint and git host are always kept. `*` lifts the restriction. E2B filters host
 * names on ports 80 and 443 only.
 */
export const PACKAGE_REGISTRIES = [
  "registry.npmjs.org",
  "registry.yarnpkg.com",
  "pypi.org",
  "files.pythonhosted.org",
  "proxy.golang.org",
  "sum.golang.org",
  "crates.io",
  "index.crates.io",
  "static.crates.io",
  "rubygems.org",
  "repo.maven.apache.org",
  "repo1.maven.org",
  "deb.debian.org",
  "security.debian.org",
  "archive.ubuntu.com",
];

export function hostOf(url: string | undefined, fallback: string): string {
  if (!url) return fallback;
  try {
    return new URL(url).hostname;
  } catch {
    return fallback;
  }
}

export interface EgressInput {
  allowOut?: string | undefined;
  anthropicBaseUrl?: string | undefined;
  /** The model gateway's URL as sandboxes reach it, when it is on: the model API is then not needed. */
  gatewayUrl?: string | undefined;
  gheHost?: string | undefined;
  gheProtocol?: string | undefined;
}

/** The hosts a run cannot work without: the model endpoint (the gateway, else the model API) and the git host (the first clone). */
export function requiredHosts(o: EgressInput): string[] {
  const gitHosts = o.gheHost
    ? [o.gheHost.replace(/:\d+$/, "")]
    : ["github.com", "api.github.com", "codeload.github.com", "objects.githubusercontent.com", "raw.githubusercontent.com"];
  const model = o.gatewayUrl ? hostOf(o.gatewayUrl, "") : hostOf(o.anthropicBaseUrl, "api.anthropic.com");
  return [model, ...gitHosts].filter(Boolean);
}

/**
 * undefined = no restriction. SANDBOX_ALLOW_OUT replaces the registries, never the model API and
 * the git host: without those every run fails, and a blocked connection on E2B may hang rather
 * than fail, so a list that forgot them would look like a stuck bot.
 */
export function egressAllowList(o: EgressInput): string[] | undefined {
  if (o.allowOut?.trim() === "*") return undefined;
  const extra = o.allowOut ? o.allowOut.split(",").map((h) => h.trim()).filter(Boolean) : PACKAGE_REGISTRIES;
  return [...new Set([...requiredHosts(o), ...extra])];
}

/** The port a URL or host:port connects to; null when it cannot be read. */
function portOf(target: string, defaultProtocol: string): number | null {
  try {
    const url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(target) ? target : `${defaultProtocol}://${target}`);
    if (url.port) return Number(url.port);
    return url.protocol === "http:" ? 80 : url.protocol === "https:" ? 443 : null;
  } catch {
    return null;
  }
}

/**
 * E2B matches allow-listed host names only on ports 80 and 443 (it reads the HTTP Host header or
 * the TLS SNI there); a connection to an allowed host on any other port is denied with the rest.
 * One line per such setting, for the start-up log; empty when nothing is affected.
 */
export function egressPortWarnings(o: EgressInput): string[] {
  if (o.allowOut?.trim() === "*") return [];
  const warnings: string[] = [];
  const check = (name: string, target: string | undefined, protocol: string) => {
    if (!target) return;
    const port = portOf(target, protocol);
    if (port !== null && port !== 80 && port !== 443)
      warnings.push(
        `${name}=${target} uses port ${port}, but E2B's egress allow-list matches host names only on ports 80 and 443: sandboxes cannot reach it (connections may hang). Serve it on 443/80, or set SANDBOX_ALLOW_OUT=* (or add its IP as a CIDR) to let it through.`,
      );
  };
  if (o.gatewayUrl) check("PUBLIC_URL", o.gatewayUrl, "https");
  else check("ANTHROPIC_BASE_URL", o.anthropicBaseUrl, "https");
  check("GHE_HOST", o.gheHost, o.gheProtocol ?? "https");
  return warnings;
}
