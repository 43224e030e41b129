import type { GitHubClient } from "./octokit-types.ts";

/**
 * Installation tokens for git, minted through the app-authenticated (JWT) client, which honours
 * GHE_HOST; each one scoped to one repository and the least permission its step needs.
 */
export type TokenMinter = (installationId: number, repoName: string, access: "read" | "write") => Promise<string>;

export function createTokenMinter(getAppClient: () => Promise<GitHubClient>): TokenMinter {
  return async (installationId, repoName, access) => {
    const app = await getAppClient();
    try {
      const { data } = await app.rest.apps.createInstallationAccessToken({
        installation_id: installationId,
        repositories: [repoName],
        permissions: { contents: access },
      });
      return data.token;
    } catch (error) {
      const status = (error as { status?: number }).status;
      throw new Error(
        `Could not mint a ${access} token for ${repoName} (installation ${installationId}, HTTP ${status ?? "?"}): check that the app is still installed on the repository and has the contents permission.`,
        { cause: error },
      );
    }
  };
}
