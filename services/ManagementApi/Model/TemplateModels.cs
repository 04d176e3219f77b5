using System.Text.Json;

namespace AgentFleet.ManagementApi.Model;

/// <summary>
/// <c>POST /v1/templates</c> and <c>PUT /v1/templates/{id}</c>: a prompt with <c>{{variable}}</c> placeholders, a JSON
/// Schema for the variables (an object schema; each placeholder must be one of its properties), and the defaults a
/// session from it gets unless its request says otherwise.
/// </summary>
public sealed record TemplateRequest(
    string? Name,
    string? Description,
    string? Category,
    string? Prompt,
    JsonElement? VariablesSchema,
    string? Agent,
    string? Model,
    int? TimeoutSeconds,
    decimal? BudgetUsd,
    string? ApprovalPolicy);

public sealed record TemplateView(
    Guid Id,
    string Name,
    string Description,
    string Category,
    string Prompt,
    JsonElement VariablesSchema,
    IReadOnlyList<string> Variables,
    string Agent,
    string? Model,
    int? TimeoutSeconds,
    decimal? BudgetUsd,
    string? ApprovalPolicy,
    int UsageCount,
    string CreatedBy,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt);

public sealed record TemplatePage(IReadOnlyList<TemplateView> Items);
