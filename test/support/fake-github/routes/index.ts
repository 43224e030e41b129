// The full REST route table (first match wins).
import type { Route } from "../router.ts";
import { actionsRoutes } from "./actions.ts";
import { appRoutes } from "./app.ts";
import { checkRoutes } from "./checks.ts";
import { gitDataRoutes } from "./git-data.ts";
import { issueRoutes } from "./issues.ts";
import { pullRoutes } from "./pulls.ts";
import { reactionsRoutes } from "./reactions.ts";
import { repoRoutes } from "./repos.ts";

export const routes: Route[] = [...appRoutes, ...repoRoutes, ...issueRoutes, ...reactionsRoutes, ...pullRoutes, ...checkRoutes, ...actionsRoutes, ...gitDataRoutes];
