import { describe, expect, it } from "vitest";
import { creditedPeople } from "../../src/runs/publish.ts";
import type { RunTrail } from "../../src/runs/run-context.ts";
import { sampleTrigger } from "../support/sample-trigger.ts";

/** Who a run's commits credit (Co-authored-by): the asker and each author of a steering message taken in. */

const trail = (steering: RunTrail["steering"]) => ({ steering }) as RunTrail;

describe("creditedPeople", () => {
  it.each<[string, RunTrail["steering"], string[]]>([
    ["the asker alone", undefined, ["alice"]],
    ["and a steering author", [{ author: "bob", commentId: 5 }], ["alice", "bob"]],
    ["each person once, whatever the case", [{ author: "Bob" }, { author: "bob" }, { author: "ALICE" }], ["alice", "Bob"]],
    ["not a message that never reached Claude", [{ author: "carol", missed: true }], ["alice"]],
  ])("%s", (_name, steering, logins) => {
    const trigger = sampleTrigger({ actor: { login: "alice", type: "User" } });
    expect(creditedPeople({ trigger, trail: trail(steering) }).map((a) => a.login)).toEqual(logins);
  });

  it("a run API run credits only the people who steered it (its caller is the operator)", () => {
    const trigger = sampleTrigger({ kind: "api", actor: { login: "api", type: "User" } });
    expect(creditedPeople({ trigger, trail: trail([{ author: "bob" }]) }).map((a) => a.login)).toEqual(["bob"]);
  });
});
