import type { ApplicationFunction } from "probot";
import type { IntakeDeps } from "./handlers/intake.ts";
import { registerHandlers } from "./handlers/register.ts";

/** The Probot application function: registers handlers, nothing else. */
export function createApp(deps: IntakeDeps): ApplicationFunction {
  return (app) => registerHandlers(app, deps);
}
