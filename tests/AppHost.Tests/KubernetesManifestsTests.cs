using AgentFleet.Testing;
using k8s;
using k8s.Models;

namespace AgentFleet.AppHost.Tests;

/// <summary>
/// <c>deploy/k8s/</c> is what the app model publishes as Kubernetes manifests: kept current as a lock file is (a
/// change to the app model fails here until they are written again), and shaped as a deployment needs.
/// </summary>
public sealed class KubernetesManifestsTests
{
    private static readonly string Committed = Path.Combine(Repository.Root(), "deploy", "k8s");

    [Fact]
    public async Task TheCommittedManifestsAreWhatTheAppModelPublishes()
    {
        var output = Path.Combine(Path.GetTempPath(), $"fleet-k8s-{Guid.NewGuid():N}");
        try
        {
            await PublishAsync(output, new Dictionary<string, string>());
            var published = Directory.GetFiles(output).Select(Path.GetFileName).Order().ToList();
            Assert.Equal(Directory.GetFiles(Committed).Select(Path.GetFileName).Order().ToList(), published);
            foreach (var file in published)
            {
                var ct = TestContext.Current.CancellationToken;
                Assert.True(await File.ReadAllTextAsync(Path.Combine(Committed, file!), ct) == await File.ReadAllTextAsync(Path.Combine(output, file!), ct),
                    $"deploy/k8s/{file} is out of date: run `dotnet run --project AppHost -- --publisher kubernetes` and commit the result.");
            }
        }
        finally
        {
            Directory.Delete(output, recursive: true);
        }
    }

    [Fact]
    public async Task EveryPodIsRestrictedTheGatewayIsTheOneLoadBalancerAndTheRunnerKeepsAVolume()
    {
        var objects = new List<object>();
        foreach (var file in Directory.GetFiles(Committed, "*.yaml").Where(f => !f.EndsWith("kustomization.yaml")))
        {
            objects.AddRange(KubernetesYaml.LoadAllFromString(await File.ReadAllTextAsync(file, TestContext.Current.CancellationToken)));
        }
        var pods = objects.OfType<V1Deployment>().Select(d => (d.Metadata.Name, d.Spec.Template.Spec))
            .Concat(objects.OfType<V1StatefulSet>().Select(s => (s.Metadata.Name, s.Spec.Template.Spec))).ToList();
        Assert.Equal(["comfy-bridge", "console", "gateway", "management-api", "postgres", "redis", "session-runner", "zai-proxy"], pods.Select(p => p.Name).Order());
        foreach (var (name, pod) in pods.Where(p => p.Name != "session-runner"))
        {
            // The "restricted" Pod Security Standard.
            Assert.True(pod.SecurityContext.RunAsNonRoot, name);
            Assert.Equal("RuntimeDefault", pod.SecurityContext.SeccompProfile.Type);
            foreach (var container in pod.Containers)
            {
                Assert.False(container.SecurityContext.AllowPrivilegeEscalation, name);
                Assert.True(container.SecurityContext.ReadOnlyRootFilesystem, name);
                Assert.Equal(["ALL"], container.SecurityContext.Capabilities.Drop);
                // No secret's value is written out: secrets come from the Secret by reference.
                Assert.DoesNotContain(container.Env ?? [], e => e.Name.Contains("SECRET", StringComparison.OrdinalIgnoreCase) && e.Value is { Length: > 0 } v && !v.StartsWith("$(", StringComparison.Ordinal));
            }
        }
        foreach (var service in new[] { "comfy-bridge", "console", "gateway", "management-api", "session-runner", "zai-proxy" })
        {
            var container = pods.Single(p => p.Name == service).Spec.Containers.Single();
            Assert.Equal("/ready", container.ReadinessProbe.HttpGet.Path);
            Assert.Equal("/alive", container.LivenessProbe.HttpGet.Path);
            Assert.NotNull(container.Resources.Limits["memory"]);
            Assert.Equal($"agent-fleet/{service}:latest", container.Image);
        }
        Assert.Equal(["gateway"], objects.OfType<V1Service>().Where(s => s.Spec.Type == "LoadBalancer").Select(s => s.Metadata.Name));
        // Its HTTP port, the one for gRPC clients, and agent control.
        Assert.Equal([9090, 9091, 9500], objects.OfType<V1Service>().Single(s => s.Metadata.Name == "gateway").Spec.Ports.Select(p => p.Port));
        Assert.Equal(["gateway", "management-api"], objects.OfType<V2HorizontalPodAutoscaler>().Select(h => h.Spec.ScaleTargetRef.Name).Order());
        Assert.Equal(["comfy-bridge", "console", "gateway", "management-api", "session-runner", "zai-proxy"], objects.OfType<V1PodDisruptionBudget>().Select(b => b.Metadata.Name).Order());
        var runner = objects.OfType<V1StatefulSet>().Single(s => s.Metadata.Name == "session-runner");
        // The runner confines agents with bubblewrap, which needs root and SYS_ADMIN: the least of that, under a
        // sandboxing runtime, in a namespace that admits it while auditing and warning at "restricted".
        var runnerContainer = runner.Spec.Template.Spec.Containers.Single();
        Assert.Equal("gvisor", runner.Spec.Template.Spec.RuntimeClassName);
        Assert.NotEqual(true, runnerContainer.SecurityContext.Privileged);
        Assert.False(runnerContainer.SecurityContext.AllowPrivilegeEscalation);
        Assert.True(runnerContainer.SecurityContext.ReadOnlyRootFilesystem);
        Assert.Equal(["ALL"], runnerContainer.SecurityContext.Capabilities.Drop);
        Assert.Equal(["CHOWN", "DAC_OVERRIDE", "FOWNER", "KILL", "SETGID", "SETUID", "SYS_ADMIN"], runnerContainer.SecurityContext.Capabilities.Add.Order());
        var fleetNamespace = objects.OfType<V1Namespace>().Single().Metadata.Labels;
        Assert.Equal("privileged", fleetNamespace["pod-security.kubernetes.io/enforce"]);
        Assert.Equal("restricted", fleetNamespace["pod-security.kubernetes.io/warn"]);
        Assert.Equal("restricted", fleetNamespace["pod-security.kubernetes.io/audit"]);
        Assert.Equal("data", runner.Spec.VolumeClaimTemplates.Single().Metadata.Name);
        var runnerEnv = runner.Spec.Template.Spec.Containers.Single().Env;
        Assert.Contains(runnerEnv, e => e.Name == "SessionRunner__Root" && e.Value == "/data/runner");
        // Several runners, each its pod: named by it, and reached at its own address through the headless Service.
        Assert.Equal(2, runner.Spec.Replicas);
        var headless = objects.OfType<V1Service>().Single(s => s.Metadata.Name == runner.Spec.ServiceName);
        Assert.Equal("None", headless.Spec.ClusterIP);
        Assert.Equal("metadata.name", runnerEnv[0].ValueFrom.FieldRef.FieldPath);
        Assert.Contains(runnerEnv, e => e.Name == "SessionRunner__RunnerId" && e.Value == $"$({runnerEnv[0].Name})");
        Assert.Contains(runnerEnv, e => e.Name == "SessionRunner__AdvertisedAddress" && e.Value.StartsWith($"http://$({runnerEnv[0].Name}).{headless.Metadata.Name}:", StringComparison.Ordinal));
        var secret = objects.OfType<V1Secret>().Single();
        Assert.Contains("identity-secret", secret.StringData.Keys);
        Assert.All(secret.StringData.Values, v => Assert.Equal("REPLACE_ME", v));
    }

    [Fact]
    public async Task ExternalConnectionStringsLeaveTheDataStoresOutAndTheirValuesUnwritten()
    {
        var output = Path.Combine(Path.GetTempPath(), $"fleet-k8s-{Guid.NewGuid():N}");
        try
        {
            await PublishAsync(output, new Dictionary<string, string>
            {
                ["ConnectionStrings__fleetdb"] = "Host=db.example;Database=fleetdb;Username=fleet;Password=do-not-write",
                ["ConnectionStrings__redis"] = "cache.example:6379,password=do-not-write",
            });
            Assert.False(File.Exists(Path.Combine(output, "postgres.yaml")));
            Assert.False(File.Exists(Path.Combine(output, "redis.yaml")));
            foreach (var file in Directory.GetFiles(output))
            {
                Assert.DoesNotContain("do-not-write", await File.ReadAllTextAsync(file, TestContext.Current.CancellationToken));
            }
            Assert.Contains("fleetdb: REPLACE_ME", await File.ReadAllTextAsync(Path.Combine(output, "config.yaml"), TestContext.Current.CancellationToken));
        }
        finally
        {
            Directory.Delete(output, recursive: true);
        }
    }

    private static async Task PublishAsync(string output, IDictionary<string, string> environment)
    {
        // The standard public ports, as a deployment gets them.
        var settings = new Dictionary<string, string>(environment) { ["GATEWAY_PORT"] = "", ["GATEWAY_GRPC_PORT"] = "", ["AGENT_CONTROL_PORT"] = "" };
        await using var publisher = AppHostProcess.Start(settings, arguments: ["--publisher", "kubernetes", "--output-path", output]);
        Assert.True(await publisher.WaitForExitAsync(TimeSpan.FromMinutes(1)), publisher.Tail());
        Assert.True(publisher.ExitCode == 0, publisher.Tail());
    }
}
