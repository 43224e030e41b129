export { startFakeAnthropic, defaultSideReply, sampleForSchema } from "./server.ts";
export {
  sequence,
  always,
  text,
  toolUse,
  bash,
  write,
  edit,
  read,
  todoWrite,
  taskCreate,
  taskUpdate,
  toolSearch,
  turn,
  apiError,
  DONE,
} from "./script.ts";
export type { Step, Todo, TodoStatus } from "./script.ts";
export { classify, lastUserText, toolResults } from "./classify.ts";
export { buildMessage, messageToSseEvents, formatSse, randomId } from "./sse.ts";
export type { Message, SseEvent } from "./sse.ts";
export * from "./run-claude.ts";
export type * from "./types.ts";
