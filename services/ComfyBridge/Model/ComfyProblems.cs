using AgentFleet.ServiceDefaults.Problems;

namespace AgentFleet.ComfyBridge.Model;

/// <summary>The answers the bridge gives from more than one place, each worded once.</summary>
public static class ComfyProblems
{
    public static ProblemException Invalid(string detail, string? suggestion = null) =>
        new(StatusCodes.Status400BadRequest, ProblemCodes.ValidationFailed, "The request is not valid.", detail, suggestion);

    public static ProblemException NotConfigured() =>
        new(StatusCodes.Status503ServiceUnavailable, ComfyProblemCodes.NotConfigured, "comfyui: not configured",
            "The bridge has no ComfyUI server to run workflows on.", "Set ComfyUI__Servers__0 (and __1, ...) to the servers' URLs and restart the bridge.");

    public static ProblemException Unavailable() =>
        new(StatusCodes.Status503ServiceUnavailable, ComfyProblemCodes.Unavailable, "No ComfyUI server is reachable.",
            "None of the configured ComfyUI servers answered.", "Check that ComfyUI is running; GET /v1/comfyui/status shows each server.");

    /// <summary>A list's page size (default 50), refused unless 1 to 500 with an offset of 0 or more.</summary>
    public static int PageSize(int? limit, int? offset)
    {
        var size = limit ?? 50;
        return size is < 1 or > 500 || offset is < 0 ? throw Invalid("limit must be 1 to 500 and offset 0 or more.") : size;
    }
}
