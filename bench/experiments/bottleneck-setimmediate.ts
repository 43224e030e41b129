/**
 * What-if experiment, loaded into the bot with NODE_OPTIONS=--import (never into the product):
 * Bottleneck's local datastore yields with setTimeout(resolve, 0) — at least 1 ms — several times
 * per scheduled job, and every GitHub request of Probot's Octokit goes through 3 (GET) to 5 (a
 * comment) Bottleneck limiters (throttling's retry limiter, global, write, notifications groups,
 * plus plugin-retry's own). Here it yields with setImmediate instead: same ordering, no timer floor.
 */
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
type Yielding = { Promise: PromiseConstructor; yieldLoop(this: Yielding, t?: number): Promise<void> };
for (const id of ["bottleneck", "bottleneck/light.js"]) {
  const Bottleneck = require(id) as new () => { _store: object };
  const proto = Object.getPrototypeOf(new Bottleneck()._store) as Yielding;
  const original = proto.yieldLoop;
  proto.yieldLoop = function (t = 0) {
    return t > 0 ? original.call(this, t) : new this.Promise<void>((resolve) => setImmediate(resolve));
  };
}
