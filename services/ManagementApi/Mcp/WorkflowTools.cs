using System.ComponentModel;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using AgentFleet.ServiceDefaults.Problems;
using AgentFleet.ServiceDefaults.Security;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace AgentFleet.ManagementApi.Mcp;

/// <summary>
/// ComfyUI workflows, through ComfyBridge's own REST API (<c>/v1/comfyui/workflow</c>) with the caller's identity
/// signed as the gateway signs it: the bridge checks, owns and answers exactly as for a REST client.
/// </summary>
[McpServerToolType]
public sealed class WorkflowTools(IHttpClientFactory httpClients, IdentitySigner signer)
{
    public const string HttpClientName = "comfy-bridge";

    [McpServerTool(Name = "submit_workflow", Title = "Run a ComfyUI workflow", OpenWorld = true)]
    [Description("Queue an API-format ComfyUI workflow (exported with \"Save (API)\"). Answers with the workflow's id; get_workflow shows its progress and outputs.")]
    public async Task<CallToolResult> SubmitWorkflow(
        RequestContext<CallToolRequestParams> request,
        [Description("The workflow in ComfyUI's API format: node ids to {class_type, inputs}")] JsonElement workflow,
        [Description("A URL told (signed) when the workflow ends")] string? webhookUrl = null,
        CancellationToken cancellationToken = default)
    {
        var caller = McpCaller.From(request.User);
        var body = new JsonObject { ["workflow"] = JsonNode.Parse(workflow.GetRawText()), ["webhookUrl"] = webhookUrl };
        var answer = await SendAsync(caller, HttpMethod.Post, "/v1/comfyui/workflow", JsonContent.Create(body), cancellationToken);
        return ToolResults.Of(answer, $"Workflow {answer["workflowId"]} is {answer["status"]}.");
    }

    [McpServerTool(Name = "get_workflow", Title = "A ComfyUI workflow's state", ReadOnly = true)]
    [Description("A workflow's status, progress and output files.")]
    public async Task<CallToolResult> GetWorkflow(
        RequestContext<CallToolRequestParams> request,
        [Description("The workflow's id")] string workflowId,
        CancellationToken cancellationToken = default)
    {
        var caller = McpCaller.From(request.User);
        if (!Guid.TryParse(workflowId, out var id))
        {
            throw ToolResults.Invalid($"'{Bounded.Echo(workflowId)}' is not a workflow id (a UUID).");
        }
        var answer = await SendAsync(caller, HttpMethod.Get, $"/v1/comfyui/workflow/{id}", null, cancellationToken);
        var outputs = answer["outputs"] is JsonArray files ? files.Count : 0;
        return ToolResults.Of(answer, $"Workflow {id} is {answer["status"]}; {outputs} outputs.");
    }

    private async Task<JsonObject> SendAsync(CallerIdentity caller, HttpMethod method, string path, HttpContent? content, CancellationToken cancellationToken)
    {
        caller.RequirePerson();
        using var message = new HttpRequestMessage(method, path) { Content = content };
        signer.Sign(caller, method.Method, path, (name, value) => message.Headers.TryAddWithoutValidation(name, value));
        HttpResponseMessage response;
        try
        {
            response = await httpClients.CreateClient(HttpClientName).SendAsync(message, cancellationToken);
        }
        catch (HttpRequestException e)
        {
            throw new ProblemException(StatusCodes.Status503ServiceUnavailable, ProblemCodes.Unavailable, "ComfyBridge cannot be reached.", e.Message,
                "get_status shows each service's health.");
        }
        using (response)
        {
            var json = await response.Content.ReadFromJsonAsync<JsonObject>(cancellationToken) ?? [];
            if (response.IsSuccessStatusCode)
            {
                return json;
            }
            // The bridge's ProblemDetails, as a tool error with the same code and words.
            throw new ProblemException((int)response.StatusCode, json["code"]?.GetValue<string>() ?? ProblemCodes.ForStatus((int)response.StatusCode),
                json["title"]?.GetValue<string>() ?? "ComfyBridge refused.", json["detail"]?.GetValue<string>(), json["suggestion"]?.GetValue<string>());
        }
    }
}
