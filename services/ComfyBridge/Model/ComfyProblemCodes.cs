namespace AgentFleet.ComfyBridge.Model;

/// <summary>The bridge's own stable ProblemDetails codes, beside the shared ones in ServiceDefaults.</summary>
public static class ComfyProblemCodes
{
    public const string NotConfigured = "comfyui_not_configured";
    public const string Unavailable = "comfyui_unavailable";
    public const string WorkflowRejected = "workflow_rejected";
    public const string InvalidOutputName = "invalid_output_name";
    public const string AlreadyFinished = "already_finished";
    public const string WebhookNotConfigured = "webhook_not_configured";
}
