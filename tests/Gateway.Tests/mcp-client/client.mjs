// Drives the fleet's MCP server through the gateway with the official TypeScript SDK, as any MCP client would, and
// prints what it saw as one JSON line. Usage: node client.mjs <gateway url> <api key> <scenario>
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";

const [url, key, scenario] = process.argv.slice(2);
const transport = new StreamableHTTPClientTransport(new URL("/mcp", url), {
  requestInit: { headers: { Authorization: `Bearer ${key}` } },
});
const client = new Client({ name: "fleet-ts-test", version: "1.0.0" });
await client.connect(transport);
const seen = { server: client.getServerVersion()?.name };

const tools = await client.listTools();
seen.tools = tools.tools.map((t) => t.name);
seen.createSchema = tools.tools.find((t) => t.name === "create_session")?.inputSchema;

if (scenario === "run") {
  const created = await client.callTool({
    name: "create_session",
    arguments: { agent: "command", command: ["sh", "-c", "sleep 1; echo from the ts sdk"], task: "say hello from TypeScript" },
  });
  seen.created = created;
  const sessionId = created.structuredContent.sessionId;
  let progress = 0;
  seen.waited = await client.callTool(
    { name: "wait_for_session", arguments: { sessionId, timeoutSeconds: 60 } },
    undefined,
    { onprogress: () => progress++, timeout: 90_000 },
  );
  seen.progress = progress;
  const templates = await client.listResourceTemplates();
  seen.resourceTemplates = templates.resourceTemplates.map((t) => t.uriTemplate);
  const transcript = await client.readResource({ uri: `fleet://sessions/${sessionId}/messages` });
  seen.transcript = JSON.parse(transcript.contents[0].text);
} else if (scenario === "viewer") {
  seen.created = await client.callTool({ name: "create_session", arguments: { agent: "command", command: ["true"], task: "not allowed" } });
  seen.listed = await client.callTool({ name: "list_sessions", arguments: {} });
}

await client.close();
console.log(JSON.stringify(seen));
