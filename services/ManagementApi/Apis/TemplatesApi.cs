using System.Text.Json;
using AgentFleet.ManagementApi.Model;
using AgentFleet.ManagementApi.Services;
using AgentFleet.ServiceDefaults.Problems;
using AgentFleet.ServiceDefaults.Security;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;

namespace AgentFleet.ManagementApi.Apis;

/// <summary>Task templates: everyone reads them; operators and admins write them; only admins save a policy looser than the default.</summary>
public static class TemplatesApi
{
    public const int MaxNameLength = 100;
    public const int MaxDescriptionLength = 2000;
    public const int MaxSchemaLength = 64 * 1024;

    public static IEndpointRouteBuilder MapTemplatesApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/v1/templates").WithTags("Templates").ProducesProblems(ProblemResponses.Common);
        api.MapGet("/", ListTemplates).WithName("ListTemplates").WithSummary("Task templates, by category and name");
        api.MapPost("/", CreateTemplate).WithName("CreateTemplate").WithSummary("Create a task template (operators, admins)")
            .ProducesProblems(StatusCodes.Status409Conflict);
        api.MapGet("/{id}", GetTemplate).WithName("GetTemplate").WithSummary("One template");
        api.MapPut("/{id}", UpdateTemplate).WithName("UpdateTemplate").WithSummary("Replace a template (operators, admins)")
            .ProducesProblems(StatusCodes.Status409Conflict);
        api.MapDelete("/{id}", DeleteTemplate).WithName("DeleteTemplate").WithSummary("Delete a template (operators, admins)");
        return app;
    }

    public static async Task<Ok<TemplatePage>> ListTemplates(TemplateStore templates, string? category, CancellationToken cancellationToken) =>
        TypedResults.Ok(new TemplatePage(await templates.ListAsync(category, cancellationToken)));

    public static async Task<Ok<TemplateView>> GetTemplate(string id, TemplateStore templates, CancellationToken cancellationToken) =>
        TypedResults.Ok(await templates.FindAsync(ParseId(id), cancellationToken) ?? throw NotFound(id));

    public static async Task<Created<TemplateView>> CreateTemplate(TemplateRequest request, CallerIdentity caller, TemplateStore templates, CancellationToken cancellationToken)
    {
        caller.Require(CallerRole.Operator);
        var created = await templates.CreateAsync(Validate(request, caller), caller.KeyId, cancellationToken) ?? throw NameTaken(request.Name!);
        return TypedResults.Created($"/v1/templates/{created.Id}", created);
    }

    public static async Task<Ok<TemplateView>> UpdateTemplate(string id, TemplateRequest request, CallerIdentity caller, TemplateStore templates, CancellationToken cancellationToken)
    {
        caller.Require(CallerRole.Operator);
        var templateId = ParseId(id);
        var fields = Validate(request, caller);
        try
        {
            return TypedResults.Ok(await templates.UpdateAsync(templateId, fields, cancellationToken) ?? throw NotFound(id));
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            throw NameTaken(fields.Name);
        }
    }

    public static async Task<NoContent> DeleteTemplate(string id, CallerIdentity caller, TemplateStore templates, CancellationToken cancellationToken)
    {
        caller.Require(CallerRole.Operator);
        return await templates.DeleteAsync(ParseId(id), cancellationToken) ? TypedResults.NoContent() : throw NotFound(id);
    }

    /// <summary>Every rule a template breaks, reported together with its JSON path.</summary>
    private static TemplateStore.Fields Validate(TemplateRequest request, CallerIdentity caller)
    {
        var errors = new List<ProblemError>();
        var name = request.Name?.Trim() ?? "";
        if (name.Length is 0 or > MaxNameLength || name.Any(char.IsControl))
        {
            errors.Add(new("$.name", $"is required: 1 to {MaxNameLength} printable characters."));
        }
        if (request.Description is { Length: > MaxDescriptionLength })
        {
            errors.Add(new("$.description", $"is at most {MaxDescriptionLength} characters."));
        }
        var category = request.Category?.Trim() is { Length: > 0 } named ? named : "general";
        if (category.Length > MaxNameLength || category.Any(char.IsControl))
        {
            errors.Add(new("$.category", $"is at most {MaxNameLength} printable characters."));
        }
        if (string.IsNullOrWhiteSpace(request.Prompt) || request.Prompt.Length > SessionsApi.MaxTaskLength || request.Prompt.Contains('\0'))
        {
            errors.Add(new("$.prompt", $"is required: the task, up to {SessionsApi.MaxTaskLength} characters, with {{{{variable}}}} placeholders."));
        }
        var schema = request.VariablesSchema ?? JsonSerializer.SerializeToElement(new { type = "object", properties = new { } });
        if (schema.GetRawText().Length > MaxSchemaLength)
        {
            errors.Add(new("$.variablesSchema", $"is at most {MaxSchemaLength} bytes."));
        }
        else if (request.Prompt is { } prompt)
        {
            TemplatePrompt.CheckSchema(schema, prompt, errors);
        }
        var agent = request.Agent ?? "claude";
        if (!SessionsApi.Agents.Contains(agent))
        {
            errors.Add(new("$.agent", $"must be one of {string.Join(", ", SessionsApi.Agents)}."));
        }
        if (request.TimeoutSeconds is { } timeout && (timeout < 1 || timeout > SessionsApi.MaxTimeoutSeconds))
        {
            errors.Add(new("$.timeoutSeconds", $"must be between 1 and {SessionsApi.MaxTimeoutSeconds}."));
        }
        if (request.BudgetUsd is < 0)
        {
            errors.Add(new("$.budgetUsd", "cannot be negative."));
        }
        if (request.ApprovalPolicy is { } policy && !SessionsApi.ApprovalPolicies.Contains(policy))
        {
            errors.Add(new("$.approvalPolicy", $"must be one of {string.Join(", ", SessionsApi.ApprovalPolicies)}."));
        }
        if (errors.Count > 0)
        {
            throw new ProblemException(StatusCodes.Status400BadRequest, ProblemCodes.ValidationFailed, "The template is not valid.",
                string.Join(" ", errors.Select(e => $"{e.Path} {e.Message}"))) { Errors = errors };
        }
        if (request.ApprovalPolicy is { } loose && SessionsApi.ApprovalPolicyRank(loose) > SessionsApi.ApprovalPolicyRank("low") && !caller.IsAdmin)
        {
            throw new ProblemException(StatusCodes.Status403Forbidden, ProblemCodes.PolicyNotAllowed, "Only an admin may loosen the approval policy.",
                $"approvalPolicy {loose} lets {loose}-risk tool uses run without a person; the default lets low ones pass.");
        }
        return new TemplateStore.Fields(name, request.Description ?? "", category, request.Prompt!, schema.GetRawText(), agent,
            request.Model, request.TimeoutSeconds, request.BudgetUsd, request.ApprovalPolicy);
    }

    private static Guid ParseId(string id) => Guid.TryParse(id, out var templateId)
        ? templateId
        : throw new ProblemException(StatusCodes.Status400BadRequest, ProblemCodes.ValidationFailed, "The request is not valid.", $"'{Bounded.Echo(id)}' is not a template id (a UUID).");

    private static ProblemException NotFound(string id) =>
        new(StatusCodes.Status404NotFound, ProblemCodes.NotFound, "No such template.", $"Template {Bounded.Echo(id)} does not exist.");

    private static ProblemException NameTaken(string name) =>
        new(StatusCodes.Status409Conflict, ProblemCodes.Conflict, "A template of that name exists.", $"The name '{Bounded.Echo(name.Trim())}' is taken; names are unique regardless of case.");
}
