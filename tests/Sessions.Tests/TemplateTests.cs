using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using AgentFleet.ServiceDefaults.Security;
using AgentFleet.Sessions.Tests.Fixtures;

namespace AgentFleet.Sessions.Tests;

/// <summary>Task templates: a prompt with placeholders, a JSON Schema for its variables, defaults, and a use count.</summary>
public sealed class TemplateTests(SessionsFixture infrastructure)
{
    private static readonly object Schema = new
    {
        type = "object",
        properties = new
        {
            file = new { type = "string", minLength = 1, pattern = "^[a-z]+\\.txt$" },
            greeting = new { type = "string", @default = "hello" },
        },
        required = new[] { "file" },
        additionalProperties = false,
    };

    private const string Prompt = "Write {{greeting}} into {{file}}.\n#sim tool Write {\"file_path\": \"{{file}}\", \"content\": \"{{greeting}}\\n\"}";

    [Fact]
    public async Task ATemplateRendersItsVariablesIntoASessionAndCountsItsUses()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var fleet = await Fleet.StartAsync(infrastructure, ct);
        using var operatorClient = fleet.ClientAs(new CallerIdentity("key-op", "alice", CallerRole.Operator));
        using var viewer = fleet.ClientAs(new CallerIdentity("key-view", "carol", CallerRole.Viewer));

        var template = new { name = "Greeting file", description = "Writes a greeting", category = "demo", prompt = Prompt, variablesSchema = Schema, timeoutSeconds = 300 };
        using (var refused = await viewer.PostAsJsonAsync("/v1/templates", template, ct))
        {
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        }
        using var created = await operatorClient.PostAsJsonAsync("/v1/templates", template, ct);
        var body = await created.Content.ReadFromJsonAsync<JsonObject>(ct);
        Assert.True(created.StatusCode == HttpStatusCode.Created, body?.ToJsonString());
        var templateId = body!["id"]!.GetValue<string>();
        Assert.Equal(["greeting", "file"], body["variables"]!.AsArray().Select(v => v!.GetValue<string>()));
        using (var taken = await operatorClient.PostAsJsonAsync("/v1/templates", template, ct))
        {
            Assert.Equal(HttpStatusCode.Conflict, taken.StatusCode);
        }
        // Everyone reads templates.
        var listed = await viewer.GetFromJsonAsync<JsonObject>("/v1/templates?category=demo", ct);
        Assert.Contains(listed!["items"]!.AsArray(), t => t!["id"]!.GetValue<string>() == templateId);

        var id = await Fleet.StartSessionAsync(operatorClient, new { templateId, variables = new { file = "greet.txt" } }, ct);
        var session = await fleet.WaitForAsync(id, s => Fleet.StatusOf(s) == "completed", ct, seconds: 120);
        Assert.StartsWith("Write hello into greet.txt.", session["task"]!.GetValue<string>());
        var directory = Path.Combine(fleet.RunnerRoot, "sessions", id);
        Assert.Equal("hello\n", await File.ReadAllTextAsync(Path.Combine(directory, "greet.txt"), ct));

        var second = await Fleet.StartSessionAsync(operatorClient, new { templateId, variables = new { file = "other.txt", greeting = "hi" } }, ct);
        Assert.StartsWith("Write hi into other.txt.", (await fleet.GetSessionAsync(second, ct))["task"]!.GetValue<string>());
        var after = await viewer.GetFromJsonAsync<JsonObject>($"/v1/templates/{templateId}", ct);
        Assert.Equal(2, after!["usageCount"]!.GetValue<int>());
    }

    [Fact]
    public async Task BadVariablesAndUnknownPlaceholdersAre400sListingEachViolation()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var fleet = await Fleet.StartAsync(infrastructure, ct);
        using var operatorClient = fleet.ClientAs(new CallerIdentity("key-op", "alice", CallerRole.Operator));

        using (var unknown = await operatorClient.PostAsJsonAsync("/v1/templates",
            new { name = "Broken", prompt = "Fix {{ticket}} in {{file}}", variablesSchema = Schema }, ct))
        {
            var problem = await AssertProblemAsync(unknown);
            Assert.Contains(problem["errors"]!.AsArray(), e => e!["path"]!.GetValue<string>() == "$.prompt" && e["message"]!.GetValue<string>().Contains("{{ticket}}"));
        }
        using (var loose = await operatorClient.PostAsJsonAsync("/v1/templates", new { name = "Loose", prompt = "Do it", approvalPolicy = "high" }, ct))
        {
            Assert.Equal(HttpStatusCode.Forbidden, loose.StatusCode);
        }

        using var created = await operatorClient.PostAsJsonAsync("/v1/templates", new { name = "Greeting", prompt = Prompt, variablesSchema = Schema }, ct);
        var templateId = (await created.Content.ReadFromJsonAsync<JsonObject>(ct))!["id"]!.GetValue<string>();
        using var bad = await operatorClient.PostAsJsonAsync("/v1/sessions",
            new { templateId, variables = new { file = "Not A Name", greeting = 5, extra = "x" } }, ct);
        var violations = (await AssertProblemAsync(bad))["errors"]!.AsArray().Select(e => e!["path"]!.GetValue<string>()).ToList();
        Assert.Contains("$.variables.file", violations);
        Assert.Contains("$.variables.greeting", violations);
        Assert.Contains("$.variables.extra", violations);
        using var missing = await operatorClient.PostAsJsonAsync("/v1/sessions", new { templateId, variables = new { } }, ct);
        Assert.Contains((await AssertProblemAsync(missing))["errors"]!.AsArray(), e => e!["path"]!.GetValue<string>() == "$.variables.file");

        // Nothing was started, nothing counted.
        var after = await operatorClient.GetFromJsonAsync<JsonObject>($"/v1/templates/{templateId}", ct);
        Assert.Equal(0, after!["usageCount"]!.GetValue<int>());
        using (var deleted = await operatorClient.DeleteAsync($"/v1/templates/{templateId}", ct))
        {
            Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        }
        using var gone = await operatorClient.GetAsync($"/v1/templates/{templateId}", ct);
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
    }

    private static async Task<JsonObject> AssertProblemAsync(HttpResponseMessage response)
    {
        var problem = await response.Content.ReadFromJsonAsync<JsonObject>();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{response.StatusCode}: {problem}");
        Assert.Equal("validation_failed", problem!["code"]!.GetValue<string>());
        return problem;
    }
}
