/** Owner and repository name, as every REST call takes them. */
export interface RepoCoords {
  owner: string;
  repo: string;
}
