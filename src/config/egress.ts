/**
 * Where an E2B sandbox may connect to. Default: the model API, the git host, and the common
 * package registries — what a coding agent needs, and nothing that lets it ship a repository to
 * an arbitrary server. SANDBOX_ALLOW_OUT replaces the list (comma-separated hosts or CIDRs);
 * `*` lifts the restriction. E2B filters host names on ports 80 and 443 only.
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

/** undefined = no restriction. */
export function egressAllowList(o: { allowOut?: string | undefined; anthropicBaseUrl?: string | undefined; gheHost?: string | undefined }): string[] | undefined {
  if (o.allowOut?.trim() === "*") return undefined;
  if (o.allowOut) return o.allowOut.split(",").map((h) => h.trim()).filter(Boolean);
  const gitHost = o.gheHost ? o.gheHost.replace(/:\d+$/, "") : "github.com";
  const gitHosts = o.gheHost ? [gitHost] : ["github.com", "api.github.com", "codeload.github.com", "objects.githubusercontent.com", "raw.githubusercontent.com"];
  return [...new Set([hostOf(o.anthropicBaseUrl, "api.anthropic.com"), ...gitHosts, ...PACKAGE_REGISTRIES])];
}
