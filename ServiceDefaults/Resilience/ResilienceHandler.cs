namespace AgentFleet.ServiceDefaults.Resilience;

/// <summary>The standard pipeline: for calls whose response is read whole.</summary>
public sealed class ResilienceHandler(ResilienceOptions options, TimeProvider? time = null)
    : ResiliencePipelineHandler(ResiliencePipelines.Build(options, attemptTimeoutInPipeline: true, time));
