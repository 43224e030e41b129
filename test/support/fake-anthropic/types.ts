/**
 * Public types of the scripted fake Anthropic Messages API.
 */

export type Block =
  | { type: "text"; text: string }
  | { type: "tool_use"; name: string; input: Record<string, unknown>; id?: string };

export type StopReason = "end_turn" | "tool_use" | "max_tokens";

export interface Usage {
  input_tokens: number;
  output_tokens: number;
}

export interface ContentReply {
  content: Block[];
  /** Defaults to "tool_use" when the content has a tool_use block, else "end_turn". */
  stopReason?: StopReason;
  /** Wait this long before answering (headers included). */
  delayMs?: number;
  /** Streaming only: wait this long between SSE events, so the stream is really incremental. */
  eventGapMs?: number;
  usage?: Usage;
}

export interface ErrorReply {
  /** Answered as HTTP `status` with body `{"type":"error","error":{type,message}}`. */
  error: { status: number; type: string; message: string };
  delayMs?: number;
  /** Extra response headers, e.g. `{ "x-should-retry": "false" }` or `{ "retry-after": "0" }`. */
  headers?: Record<string, string>;
}

export type Reply = ContentReply | ErrorReply;

export interface ToolResult {
  tool_use_id: string;
  /** Text of the tool result (text blocks joined with "\n"). */
  content: string;
  is_error?: boolean;
}

export interface AgentRequest {
  /** The whole parsed request body. */
  body: any;
  messages: any[];
  system: unknown;
  tools: any[];
  model: string;
  /** 0-based index among the agent requests this server has received. */
  index: number;
  /** Text of the last user message that carries typed text (system reminders left out). */
  lastUserText: string;
  /** tool_result blocks sent after the last assistant message. */
  toolResults: ToolResult[];
}

export type Script = (req: AgentRequest) => Reply | Promise<Reply>;

export type RequestKind = "agent" | "side";

export interface RecordedRequest {
  method: string;
  /** Path without the query string, e.g. "/v1/messages". */
  path: string;
  /** Path with the query string, e.g. "/v1/messages?beta=true". */
  url: string;
  headers: Record<string, string | string[] | undefined>;
  /** Parsed JSON body, or undefined when there was none / it was not JSON. */
  body: any;
  kind: RequestKind;
  /** HTTP status the fake answered with (filled in once answered). */
  status?: number;
  /** Date.now() when the request arrived. */
  receivedAt: number;
}

export interface FakeAnthropic {
  /** e.g. http://127.0.0.1:PORT — what goes in ANTHROPIC_BASE_URL. */
  url: string;
  /** Every request received, in arrival order. */
  requests: RecordedRequest[];
  agentRequests(): RecordedRequest[];
  setScript(script: Script): void;
  /** Destroys every open connection, as a network that drops them (E2B's pause) would. */
  dropConnections(): void;
  /** Errors thrown by the script (each was answered with a 400 invalid_request_error). */
  scriptErrors: unknown[];
  close(): Promise<void>;
}

export interface FakeAnthropicOptions {
  script?: Script;
  /** When set, requests whose x-api-key / Authorization bearer differs get 401 authentication_error. */
  apiKey?: string;
  /** Answer for side requests (title generation, helper calls…); defaults to a short text. */
  sideReply?: (req: RecordedRequest) => Reply;
}
