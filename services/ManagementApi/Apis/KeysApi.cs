using System.Text.RegularExpressions;
using AgentFleet.ManagementApi.Model;
using AgentFleet.ManagementApi.Services;
using AgentFleet.ServiceDefaults.Problems;
using AgentFleet.ServiceDefaults.Security;
using Microsoft.AspNetCore.Http.HttpResults;

namespace AgentFleet.ManagementApi.Apis;

/// <summary>API keys: admins create, list and revoke them; anyone can ask who they are.</summary>
public static partial class KeysApi
{
    public const int MaxNameLength = 100;

    public static IEndpointRouteBuilder MapKeysApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/v1/keys").WithTags("Keys").ProducesProblems(ProblemResponses.Common);
        api.MapPost("/", CreateKey).WithName("CreateKey").WithSummary("Create an API key (admin); the key is shown once");
        api.MapGet("/", ListKeys).WithName("ListKeys").WithSummary("List API keys without their secrets (admin)");
        api.MapGet("/self", WhoAmI).WithName("WhoAmI").WithSummary("The caller's key id, owner and role");
        api.MapDelete("/{id}", RevokeKey).WithName("RevokeKey").WithSummary("Revoke an API key (admin); the gateway refuses it within seconds");
        return app;
    }

    public static async Task<Created<KeyCreated>> CreateKey(CreateKeyRequest request, CallerIdentity caller, ApiKeyStore keys, CancellationToken cancellationToken)
    {
        RequireAdmin(caller);
        if (string.IsNullOrWhiteSpace(request.Name) || request.Name.Length > MaxNameLength)
        {
            throw Invalid($"name is required, at most {MaxNameLength} characters: say who or what the key is for.");
        }
        if (request.Name.Any(char.IsControl))
        {
            throw Invalid("name contains a control character (such as NUL, \\u0000); use printable text.");
        }
        if (!CallerIdentity.TryParseRole(request.Role, out var role))
        {
            throw Invalid("role must be admin, operator or viewer.");
        }
        if (request.Owner is not null && !OwnerPattern().IsMatch(request.Owner))
        {
            throw Invalid("owner must be 1 to 100 letters, digits or . _ @ : -");
        }
        if (request.BudgetUsd is < 0)
        {
            throw Invalid("budgetUsd cannot be negative.");
        }
        var period = request.BudgetPeriod ?? "month";
        if (period is not ("month" or "total"))
        {
            throw Invalid("budgetPeriod must be month (the calendar month, UTC) or total.");
        }
        var created = await keys.CreateAsync(request.Name.Trim(), role, request.Owner, caller.KeyId, cancellationToken, request.BudgetUsd, period);
        return TypedResults.Created($"/v1/keys/{created.Id}", created);
    }

    public static async Task<Ok<KeyList>> ListKeys(CallerIdentity caller, ApiKeyStore keys, KeyBudgets budgets, CancellationToken cancellationToken)
    {
        RequireAdmin(caller);
        return TypedResults.Ok(new KeyList(await budgets.WithSpendAsync(await keys.ListAsync(cancellationToken), cancellationToken)));
    }

    public static Ok<CallerView> WhoAmI(CallerIdentity caller) =>
        TypedResults.Ok(new CallerView(caller.KeyId, caller.Owner, CallerIdentity.RoleName(caller.Role)));

    public static async Task<NoContent> RevokeKey(string id, CallerIdentity caller, ApiKeyStore keys, CancellationToken cancellationToken)
    {
        RequireAdmin(caller);
        if (!Guid.TryParse(id, out var keyId))
        {
            throw Invalid($"'{Bounded.Echo(id)}' is not a key id (a UUID).");
        }
        if (!await keys.RevokeAsync(keyId, cancellationToken))
        {
            throw new ProblemException(StatusCodes.Status404NotFound, ProblemCodes.NotFound, "No such key.", $"Key {keyId} does not exist.");
        }
        return TypedResults.NoContent();
    }

    private static void RequireAdmin(CallerIdentity caller) => caller.Require(CallerRole.Admin);

    private static ProblemException Invalid(string detail) =>
        new(StatusCodes.Status400BadRequest, ProblemCodes.ValidationFailed, "The request is not valid.", detail);

    [GeneratedRegex("^[A-Za-z0-9._@:-]{1,100}$")]
    private static partial Regex OwnerPattern();
}
